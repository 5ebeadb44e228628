"""Batch normalization for large batches: ``batchnorm``'s results, on every core.

The same training-mode forward and closed-form backward as the reference in
``batchnorm``, with the same arguments, checks, dtypes and cache, written
for speed instead of for reading: each step runs block by block over the
rows (``_parallel``), in place where an array is our own, and the sums over
the batch are combined from the blocks' partial sums. Batch norm is bound by
memory traffic, so on a large batch this is several times faster.

tests/test_fast_batchnorm.py holds it equal to the reference. The exercises
and the grader use the reference; the speed benchmark uses this.
"""

import numpy as np

from ._parallel import row_map, row_sum
from ._validate import check_bn_backward, check_bn_forward, check_finite_stat
from .bncache import BNCache

__all__ = ["batchnorm_forward", "batchnorm_backward_alt"]


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """``batchnorm.batchnorm_forward``, row-parallel.

    x: (N, D), N >= 2; gamma, beta: (D,); eps: float.
    Returns out: (N, D) in x's dtype, and a BNCache.
    """
    x, gamma, beta, eps = check_bn_forward(x, gamma, beta, eps)
    N = x.shape[0]
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


def batchnorm_backward_alt(dout, cache):
    """``batchnorm.batchnorm_backward_alt``, row-parallel.

    dout: (N, D); cache: a BNCache. Returns dx: (N, D), dgamma: (D,), dbeta: (D,).
    """
    dout, cache = check_bn_backward(dout, cache)
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
