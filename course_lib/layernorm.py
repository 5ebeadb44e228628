"""Layer normalization of (N, D) activations (Ba, Kiros & Hinton, 2016).

The same equations as batch normalization, with the statistics taken over
the D features of each sample instead of over the N samples of the batch::

    mu    = 1/D * sum_d x_d                      (N, 1)
    var   = 1/D * sum_d (x_d - mu)**2            (N, 1)
    x_hat = (x - mu) / sqrt(var + eps)           (N, D)
    out   = gamma * x_hat + beta                 (N, D)

Each sample is normalized on its own, so the output does not depend on the
batch size and training and inference behave the same: the usual remedy
when batches are too small for batch statistics.
"""

from typing import NamedTuple

import numpy as np

from ._validate import check_2d, check_eps, check_finite_stat, check_same_shape, check_vector

__all__ = ["LNCache", "layernorm_forward", "layernorm_backward"]


class LNCache(NamedTuple):
    """x_hat: (N, D), inv_std: (N, 1), gamma: (D,), eps: float."""

    x_hat: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray
    eps: float


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """Layer normalization.

    Parameters
    ----------
    x : (N, D) array, D >= 2
    gamma, beta : (D,) arrays
    eps : float

    Returns
    -------
    out : (N, D), cache : LNCache
    """
    x = check_2d(x)
    N, D = x.shape
    if D < 2:
        raise ValueError("layer normalization needs at least 2 features: one feature has variance zero")
    gamma = check_vector(gamma, D, "gamma", x.dtype)
    beta = check_vector(beta, D, "beta", x.dtype)
    eps = check_eps(eps)
    mu = x.mean(axis=1, keepdims=True)
    check_finite_stat(mu, "x")
    xc = x - mu
    var = np.einsum("nd,nd->n", xc, xc)[:, None] / D
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = np.multiply(xc, inv_std, out=xc)
    out = x_hat * gamma
    out += beta
    return out, LNCache(x_hat, inv_std.astype(x.dtype, copy=False), gamma, eps)


def layernorm_backward(dout, cache):
    """Backward pass in closed form; BN's formula with the roles of N and D swapped.

    Parameters
    ----------
    dout : (N, D)
    cache : LNCache

    Returns
    -------
    dx : (N, D), dgamma : (D,), dbeta : (D,)
    """
    x_hat, inv_std, gamma, _ = cache
    dout = check_2d(dout, "dout").astype(x_hat.dtype, copy=False)
    check_same_shape(dout, x_hat, "dout", "the cached x_hat")
    D = x_hat.shape[1]
    dbeta = dout.sum(axis=0)
    check_finite_stat(dbeta, "dout")
    dgamma = np.einsum("nd,nd->d", dout, x_hat)
    dx_hat = dout * gamma
    dx = D * dx_hat
    dx -= dx_hat.sum(axis=1, keepdims=True)
    dx -= x_hat * np.einsum("nd,nd->n", dx_hat, x_hat)[:, None]
    dx *= inv_std / D
    return dx, dgamma, dbeta
