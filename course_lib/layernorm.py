"""Layer normalization of (N, D) activations (Ba, Kiros & Hinton, 2016).

The same equations as batch normalization, with the statistics taken over
the D features of each sample instead of over the N samples of the batch::

    mu    = 1/D * sum_d x_d                      (N, 1)
    var   = 1/D * sum_d (x_d - mu)**2            (N, 1)
    x_hat = (x - mu) / sqrt(var + eps)           (N, D)
    out   = gamma * x_hat + beta                 (N, D)

Each sample is normalized on its own, so the output does not depend on the
batch, there are no running statistics, and training and inference compute
the same thing: the usual remedy when batches are too small for batch
statistics. The reference of notebook 07's exercises ``layernorm_forward``
and ``layernorm_backward``.
"""

import numpy as np

from ._validate import check_finite_stat, check_ln_backward, check_ln_forward
from .bncache import LNCache

__all__ = ["LNCache", "layernorm_forward", "layernorm_backward"]


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """Layer normalization.

    Parameters
    ----------
    x : (N, D) array, D >= 2
    gamma, beta : (D,) arrays
    eps : float, added to the variance inside the square root

    Returns
    -------
    out : (N, D) array, same dtype as x
    cache : LNCache
    """
    x, gamma, beta, eps = check_ln_forward(x, gamma, beta, eps)
    mu = x.mean(axis=1, keepdims=True)                  # mean of each sample's features     (N, 1)
    check_finite_stat(mu, "x")
    var = ((x - mu) ** 2).mean(axis=1, keepdims=True)   # their variance, biased             (N, 1)
    inv_std = 1 / np.sqrt(var + eps)                    #                                     (N, 1)
    x_hat = (x - mu) * inv_std                          # normalize each sample               (N, D)
    out = gamma * x_hat + beta                          # scale and shift, per feature        (N, D)
    return out, LNCache(x_hat, inv_std, gamma, eps)


def layernorm_backward(dout, cache):
    """Backward pass in closed form: batch norm's formula with the roles of N and D swapped.

    With dx_hat = dout * gamma, and sums over the D features of each sample::

        dx     = inv_std / D * (D * dx_hat - sum(dx_hat) - x_hat * sum(dx_hat * x_hat))   (N, D)
        dgamma = sum over the batch of dout * x_hat                                          (D,)
        dbeta  = sum over the batch of dout                                                  (D,)

    Parameters
    ----------
    dout : (N, D) upstream gradient
    cache : LNCache from ``layernorm_forward``

    Returns
    -------
    dx : (N, D), dgamma : (D,), dbeta : (D,)
    """
    dout, (x_hat, inv_std, gamma, _) = check_ln_backward(dout, cache)
    D = x_hat.shape[1]
    dbeta = dout.sum(axis=0)
    check_finite_stat(dbeta, "dout")
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dx = inv_std / D * (D * dx_hat - dx_hat.sum(axis=1, keepdims=True)
                        - x_hat * (dx_hat * x_hat).sum(axis=1, keepdims=True))
    return dx, dgamma, dbeta
