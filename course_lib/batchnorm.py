"""Batch normalization of (N, D) activations (Ioffe & Szegedy, 2015).

Training mode, Algorithm 1 of the paper, per feature over the N samples of
the batch::

    mu    = 1/N * sum_i x_i                      (D,)
    var   = 1/N * sum_i (x_i - mu)**2            (D,)   biased
    x_hat = (x - mu) / sqrt(var + eps)           (N, D)
    out   = gamma * x_hat + beta                 (N, D)

Inference mode, with running statistics in place of ``mu`` and ``var``, is
in ``running_stats``.

Every function returns new arrays and never writes into its inputs. Floating
inputs keep their dtype (float32 stays float32); gamma and beta are cast to
the dtype of x.

Every function here is the reference solution of an exercise of notebooks
02-04, written as the paper writes it; ``fast_batchnorm`` computes the same
faster. The student bundle leaves this module out whole. Models reach it
only through ``defaults``, at call time.
"""

import numpy as np

from ._validate import check_bn_backward, check_bn_forward, check_finite_stat
from .bncache import BNCache

__all__ = [
    "BNCache",
    "batchnorm_forward",
    "batchnorm_backward",
    "batchnorm_backward_alt",
    "bn_param_count",
]


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """Training-mode batch normalization, Algorithm 1 of the paper.

    Parameters
    ----------
    x : (N, D) array, N >= 2
    gamma, beta : (D,) arrays
    eps : float, added to the variance inside the square root

    Returns
    -------
    out : (N, D) array, same dtype as x
    cache : BNCache
    """
    x, gamma, beta, eps = check_bn_forward(x, gamma, beta, eps)
    mu = x.mean(axis=0)                          # mini-batch mean              (D,)
    check_finite_stat(mu, "x")
    var = ((x - mu) ** 2).mean(axis=0)           # mini-batch variance, biased  (D,)
    check_finite_stat(var, "x")
    x_hat = (x - mu) / np.sqrt(var + eps)        # normalize                    (N, D)
    out = gamma * x_hat + beta                   # scale and shift              (N, D)
    return out, BNCache(x, x_hat, mu, var, 1 / np.sqrt(var + eps), gamma, eps)


def batchnorm_backward(dout, cache):
    """Backward pass, step by step: the chain rule as the paper writes it (section 3).

    Every sum is over the N samples of the batch::

        dx_hat = dout * gamma                                                         (N, D)
        dvar   = sum(dx_hat * (x - mu)) * -1/2 * (var + eps)**(-3/2)                  (D,)
        dmu    = sum(dx_hat * -1 / sqrt(var + eps)) + dvar * sum(-2 * (x - mu)) / N   (D,)
        dx     = dx_hat / sqrt(var + eps) + dvar * 2 * (x - mu) / N + dmu / N         (N, D)
        dgamma = sum(dout * x_hat)                                                    (D,)
        dbeta  = sum(dout)                                                            (D,)

    Parameters
    ----------
    dout : (N, D) upstream gradient
    cache : BNCache from ``batchnorm_forward``

    Returns
    -------
    dx : (N, D), dgamma : (D,), dbeta : (D,)
    """
    dout, cache = check_bn_backward(dout, cache)
    x, x_hat, mu, var, _, gamma, eps = cache
    N = x.shape[0]
    dx_hat = dout * gamma
    dvar = (dx_hat * (x - mu)).sum(axis=0) * -0.5 * (var + eps) ** -1.5
    dmu = (dx_hat * -1 / np.sqrt(var + eps)).sum(axis=0) + dvar * (-2 * (x - mu)).sum(axis=0) / N
    dx = dx_hat / np.sqrt(var + eps) + dvar * 2 * (x - mu) / N + dmu / N
    dgamma = (dout * x_hat).sum(axis=0)
    dbeta = dout.sum(axis=0)
    check_finite_stat(dbeta, "dout")
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """Backward pass in closed form.

    With dbeta = sum(dout) and dgamma = sum(dout * x_hat), both over the batch::

        dx = gamma * inv_std / N * (N * dout - dbeta - x_hat * dgamma)

    The three terms are the direct path, the mean path and the variance path.

    Parameters
    ----------
    dout : (N, D) upstream gradient
    cache : BNCache from ``batchnorm_forward``

    Returns
    -------
    dx : (N, D), dgamma : (D,), dbeta : (D,)
    """
    dout, cache = check_bn_backward(dout, cache)
    x_hat, inv_std, gamma = cache.x_hat, cache.inv_std, cache.gamma
    N = x_hat.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = gamma * inv_std / N * (N * dout - dbeta - x_hat * dgamma)
    check_finite_stat(dbeta, "dout")
    return dx, dgamma, dbeta


def bn_param_count(units):
    """Parameters a BatchNorm layer adds after a layer of ``units`` neurons, as Keras counts them.

    Per neuron: gamma and beta (trainable), the running mean and running
    variance (non-trainable). The batch mean and variance are recomputed for
    every batch and are not parameters.

    Returns (total, trainable, non_trainable) = (4 units, 2 units, 2 units).
    """
    if isinstance(units, bool) or int(units) != units or units < 1:
        raise ValueError(f"units must be a positive integer, got {units!r}")
    units = int(units)
    return 4 * units, 2 * units, 2 * units
