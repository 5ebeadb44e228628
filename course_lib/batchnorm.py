"""Batch normalization of (N, D) activations (Ioffe & Szegedy, 2015).

Training mode, per feature d over the N samples of the batch::

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
02-04; the student bundle leaves this module out whole. Models reach it only
through ``defaults``, at call time.
"""

import numpy as np

from ._validate import check_2d, check_eps, check_finite_stat, check_same_shape, check_vector
from ._parallel import row_map, row_sum
from .bncache import BNCache

__all__ = [
    "BNCache",
    "batchnorm_forward",
    "batchnorm_backward",
    "batchnorm_backward_alt",
    "bn_neuron",
    "bn_param_count",
]


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """Training-mode batch normalization.

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
    x = check_2d(x)
    N, D = x.shape
    if N < 2:
        raise ValueError(
            "batch normalization in training mode needs a batch of at least 2 samples: "
            "a batch of one has variance zero, so every output would be beta. "
            "Use inference mode (running statistics) for single samples."
        )
    gamma = check_vector(gamma, D, "gamma", x.dtype)
    beta = check_vector(beta, D, "beta", x.dtype)
    eps = check_eps(eps)

    # The four steps, written block by block over the rows (see _parallel):
    # large batches run on every core, with the sums over the batch combined.
    x_hat = np.empty(x.shape, x.dtype)
    out = np.empty(x.shape, x.dtype)

    mu = row_sum(lambda rows: x[rows].sum(axis=0), N, x.size) / N
    check_finite_stat(mu, "x")

    def centre(rows):   # x - mu, kept in x_hat's memory; returns the block's sum of squares
        xc = np.subtract(x[rows], mu, out=x_hat[rows])
        return np.einsum("nd,nd->d", xc, xc)

    var = row_sum(centre, N, x.size) / N
    check_finite_stat(var, "x")
    inv_std = 1.0 / np.sqrt(var + eps)

    def scale_shift(rows):   # x_hat = (x - mu) * inv_std, out = gamma * x_hat + beta
        xh = x_hat[rows]
        xh *= inv_std
        o = np.multiply(xh, gamma, out=out[rows])
        o += beta

    row_map(scale_shift, N, x.size)
    return out, BNCache(x, x_hat, mu, var, inv_std.astype(x.dtype, copy=False), gamma, eps)


def _check_backward(dout, cache):
    if not isinstance(cache, tuple) or len(cache) != len(BNCache._fields):
        raise ValueError(f"cache must be a BNCache with fields {BNCache._fields}")
    cache = BNCache(*cache)
    dout = check_2d(dout, "dout")
    check_same_shape(dout, cache.x_hat, "dout", "the cached x_hat")
    return dout.astype(cache.x_hat.dtype, copy=False), cache


def batchnorm_backward(dout, cache):
    """Backward pass, node by node through the computational graph.

    The forward graph, and the gradient each node sends back::

        mu      = mean(x)            dx     += dmu / N
        xc      = x - mu             dx     += dxc,   dmu = -sum(dxc)
        var     = mean(xc**2)        dxc    += 2 * xc * dvar / N
        inv_std = (var + eps)**-0.5  dvar    = -0.5 * inv_std**3 * dinv_std
        x_hat   = xc * inv_std       dxc     = dx_hat * inv_std,  dinv_std = sum(dx_hat * xc)
        out     = gamma*x_hat + beta dx_hat  = dout * gamma

    Parameters
    ----------
    dout : (N, D) upstream gradient
    cache : BNCache from ``batchnorm_forward``

    Returns
    -------
    dx : (N, D), dgamma : (D,), dbeta : (D,)
    """
    dout, cache = _check_backward(dout, cache)
    x, x_hat, mu, var, inv_std, gamma, eps = cache
    N = x.shape[0]

    dbeta = dout.sum(axis=0)
    check_finite_stat(dbeta, "dout")
    dgamma = np.einsum("nd,nd->d", dout, x_hat)
    dx_hat = dout * gamma

    xc = x - mu
    dinv_std = np.einsum("nd,nd->d", dx_hat, xc)
    dxc = dx_hat * inv_std                       # through x_hat = xc * inv_std
    dvar = -0.5 * inv_std**3 * dinv_std          # through inv_std = (var + eps)**-0.5
    dxc += (2.0 / N) * xc * dvar                 # through var = mean(xc**2)
    dmu = -dxc.sum(axis=0)                       # through xc = x - mu
    dx = dxc
    dx += dmu / N                                # through mu = mean(x)
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
    dout, cache = _check_backward(dout, cache)
    x_hat, inv_std, gamma = cache.x_hat, cache.inv_std, cache.gamma
    N = x_hat.shape[0]

    def sums(rows):
        return dout[rows].sum(axis=0), np.einsum("nd,nd->d", dout[rows], x_hat[rows])

    dbeta, dgamma = row_sum(sums, N, x_hat.size)
    check_finite_stat(dbeta, "dout")

    # dx = gamma * inv_std * (dout - dbeta / N - x_hat * dgamma / N), block by block
    scale = gamma * inv_std
    dx = np.empty(x_hat.shape, x_hat.dtype)

    def combine(rows):
        d = np.multiply(x_hat[rows], dgamma / N, out=dx[rows])
        d += dbeta / N
        np.subtract(dout[rows], d, out=d)
        d *= scale

    row_map(combine, N, x_hat.size)
    return dx, dgamma, dbeta


def bn_neuron(z, gamma, beta, eps=1e-5):
    """Batch normalization of one neuron across a batch: the four steps on scalars.

    z : (N,) the neuron's pre-activations over the batch, N >= 2
    gamma, beta : float, the neuron's own scale and shift

    Returns y : (N,), ``gamma * (z - mu) / sqrt(var + eps) + beta``.
    """
    z = np.asarray(z, dtype=float)
    if z.ndim != 1 or z.shape[0] < 2:
        raise ValueError(f"z must be 1-D with at least 2 values, one per sample; got shape {z.shape}")
    out, _ = batchnorm_forward(z[:, None], np.array([gamma], float), np.array([beta], float), eps)
    return out[:, 0]


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
