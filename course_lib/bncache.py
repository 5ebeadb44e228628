"""The layouts of the caches a normalization forward pass hands to its backward pass.

They are public, and they live apart from the forward passes, so that a
backward can be given a cache built by hand: a student's backward is then
checked and graded independently of their forward. Batch norm's cache is
``BNCache`` (spatial batch norm keeps the BNCache of its (N*H*W, C) view),
layer norm's is ``LNCache``.
"""

from typing import NamedTuple

import numpy as np

__all__ = ["BNCache", "LNCache"]


class BNCache(NamedTuple):
    """What the forward pass keeps for the backward pass.

    x:       (N, D) the input
    x_hat:   (N, D) the normalized input, (x - mu) * inv_std
    mu:      (D,)   batch mean
    var:     (D,)   biased batch variance (divided by N)
    inv_std: (D,)   1 / sqrt(var + eps)
    gamma:   (D,)   scale
    eps:     float

    Build one with keywords, e.g. ``BNCache(x=x, x_hat=x_hat, mu=mu, var=var,
    inv_std=inv_std, gamma=gamma, eps=eps)``.
    """

    x: np.ndarray
    x_hat: np.ndarray
    mu: np.ndarray
    var: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray
    eps: float


class LNCache(NamedTuple):
    """What layer norm's forward pass keeps for its backward pass.

    x_hat:   (N, D) the normalized input, (x - mu) * inv_std, per sample
    inv_std: (N, 1) 1 / sqrt(var + eps) of each sample's D features
    gamma:   (D,)   scale
    eps:     float

    Build one with keywords, e.g. ``LNCache(x_hat=x_hat, inv_std=inv_std, gamma=gamma, eps=eps)``.
    """

    x_hat: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray
    eps: float
