"""Batch normalization for large batches: ``batchnorm``'s results, on every core.

The same training-mode forward and closed-form backward as the reference in
``batchnorm``, with the same arguments, checks, dtypes and cache, written
for speed instead of for reading. Batch norm is bound by memory traffic, so
each pass over the batch does all its arithmetic on one cache-sized tile of
rows at a time (``_parallel.tiles``), the row blocks of a large batch run on
every core (``_parallel.row_map``), and the batch is read or written as few
times as the results allow:

- forward: one pass for the statistics, one that writes x_hat and out;
- backward: one pass for dbeta and dgamma, one that writes dx.

The statistics come from each tile's mean and sum of squared deviations,
combined exactly (Chan, Golub & LeVeque) in float64: a single read of x, and
no cancellation however far the mean is from zero. A per-feature vector
enters a tile's arithmetic repeated on the tile's rows (``_rows``), so that
numpy runs each operation as one loop over the tile instead of one per row.

tests/test_fast_batchnorm.py holds it equal to the reference. The exercises
and the grader use the reference; the speed benchmark uses this.
"""

import numpy as np

from ._parallel import row_map, tile_rows, tiles
from ._validate import check_bn_backward, check_bn_forward, check_finite_stat
from .bncache import BNCache

__all__ = ["batchnorm_forward", "batchnorm_backward_alt"]


def _rows(v, T):
    """(D,) -> (T, D): v on each of a tile's T rows."""
    return np.tile(v, (T, 1))


def _moments(x):
    """Per-feature mean and biased variance of x (N, D), as float64 (D,) arrays, in one read of x."""
    N, D = x.shape
    row_bytes = D * x.itemsize

    def tile_moments(rows):   # each tile's row count, mean and sum of squared deviations from that mean
        ts = tiles(rows, row_bytes)
        counts = np.array([t.stop - t.start for t in ts], dtype=np.float64)
        means = np.empty((len(ts), D), x.dtype)
        m2 = np.empty((len(ts), D), x.dtype)
        dev = np.empty((tile_rows(row_bytes), D), x.dtype)
        with np.errstate(invalid="ignore", over="ignore"):   # per thread: a NaN or inf in x, named by the caller
            for k, t in enumerate(ts):
                m = np.add.reduce(x[t], axis=0, out=means[k])
                m /= counts[k]
                d = np.subtract(x[t], m, out=dev[:t.stop - t.start])
                np.einsum("nd,nd->d", d, d, out=m2[k])
        return counts, means, m2

    counts, means, m2 = (np.concatenate(part) for part in zip(*row_map(tile_moments, N, x.size)))
    means = means.astype(np.float64)
    with np.errstate(invalid="ignore"):   # a NaN or inf in x: the caller's check names it
        mu = counts @ means / N
        var = (m2.sum(axis=0, dtype=np.float64) + counts @ (means - mu) ** 2) / N
    return mu, var


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """``batchnorm.batchnorm_forward``, tiled and row-parallel.

    x: (N, D), N >= 2; gamma, beta: (D,); eps: float.
    Returns out: (N, D) in x's dtype, and a BNCache.
    """
    x, gamma, beta, eps = check_bn_forward(x, gamma, beta, eps)
    N, D = x.shape
    mu, var = _moments(x)
    mu = mu.astype(x.dtype)
    check_finite_stat(mu, "x")
    var = var.astype(x.dtype)
    check_finite_stat(var, "x")
    inv_std = (1 / np.sqrt(var + eps)).astype(x.dtype, copy=False)

    x_hat = np.empty(x.shape, x.dtype)
    out = np.empty(x.shape, x.dtype)
    row_bytes = D * x.itemsize
    T = tile_rows(row_bytes)
    MU, INV_STD, GAMMA, BETA = (_rows(v, T) for v in (mu, inv_std, gamma, beta))

    def normalize(rows):   # x_hat = (x - mu) * inv_std, out = gamma * x_hat + beta
        for t in tiles(rows, row_bytes):
            n = t.stop - t.start
            xh = np.subtract(x[t], MU[:n], out=x_hat[t])
            xh *= INV_STD[:n]
            o = np.multiply(xh, GAMMA[:n], out=out[t])
            o += BETA[:n]

    row_map(normalize, N, x.size)
    return out, BNCache(x, x_hat, mu, var, inv_std, gamma, eps)


def batchnorm_backward_alt(dout, cache):
    """``batchnorm.batchnorm_backward_alt``, tiled and row-parallel.

    dout: (N, D); cache: a BNCache. Returns dx: (N, D), dgamma: (D,), dbeta: (D,).
    """
    dout, cache = check_bn_backward(dout, cache)
    x_hat, inv_std, gamma = cache.x_hat, cache.inv_std, cache.gamma
    N, D = x_hat.shape
    row_bytes = D * x_hat.itemsize

    def tile_sums(rows):
        ts = tiles(rows, row_bytes)
        dbeta, dgamma = np.empty((len(ts), D), x_hat.dtype), np.empty((len(ts), D), x_hat.dtype)
        for k, t in enumerate(ts):
            np.add.reduce(dout[t], axis=0, out=dbeta[k])
            np.einsum("nd,nd->d", dout[t], x_hat[t], out=dgamma[k])
        return dbeta, dgamma

    dbeta, dgamma = (np.concatenate(part).sum(axis=0, dtype=np.float64).astype(x_hat.dtype)
                     for part in zip(*row_map(tile_sums, N, x_hat.size)))
    check_finite_stat(dbeta, "dout")

    # dx = gamma * inv_std * (dout - dbeta / N - x_hat * dgamma / N), tile by tile
    dx = np.empty(x_hat.shape, x_hat.dtype)
    T = tile_rows(row_bytes)
    DGAMMA_N, DBETA_N, SCALE = (_rows(v, T) for v in (dgamma / N, dbeta / N, gamma * inv_std))

    def combine(rows):
        for t in tiles(rows, row_bytes):
            n = t.stop - t.start
            d = np.multiply(x_hat[t], DGAMMA_N[:n], out=dx[t])
            d += DBETA_N[:n]
            np.subtract(dout[t], d, out=d)
            d *= SCALE[:n]

    row_map(combine, N, x_hat.size)
    return dx, dgamma, dbeta
