"""The layout of the cache a batch-norm forward pass hands to its backward pass.

It is public, and it lives apart from the forward pass, so that a backward can
be given a cache built by hand: a student's backward is then checked and
graded independently of their forward.
"""

from typing import NamedTuple

import numpy as np

__all__ = ["BNCache"]


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
