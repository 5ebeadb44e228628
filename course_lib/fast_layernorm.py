"""Layer normalization for large batches: ``layernorm``'s results, tile by tile on every core.

The same forward and backward as the reference in ``layernorm``, with the
same arguments, checks, dtypes and cache, written for speed instead of for
reading. Layer norm's statistics belong to each row, so a tile of rows
(``_parallel.tiles``) holds everything its rows need: the forward reads x
once and writes x_hat and out, the backward reads dout and x_hat once and
writes dx, and the row blocks of a large batch run on every core.

tests/test_fast_layernorm.py holds it equal to the reference. Notebook 07's
exercises and the grader use the reference; the speed benchmark uses this.
"""

import numpy as np

from ._parallel import row_map, tile_rows, tiles
from ._validate import check_finite_stat, check_ln_backward, check_ln_forward
from .bncache import LNCache

__all__ = ["layernorm_forward", "layernorm_backward"]


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """``layernorm.layernorm_forward``, tiled and row-parallel.

    x: (N, D), D >= 2; gamma, beta: (D,); eps: float.
    Returns out: (N, D) in x's dtype, and an LNCache.
    """
    x, gamma, beta, eps = check_ln_forward(x, gamma, beta, eps)
    N, D = x.shape
    row_bytes = D * x.itemsize
    T = tile_rows(row_bytes)
    GAMMA, BETA = np.tile(gamma, (T, 1)), np.tile(beta, (T, 1))
    mu = np.empty((N, 1), x.dtype)
    inv_std = np.empty((N, 1), x.dtype)
    x_hat = np.empty(x.shape, x.dtype)
    out = np.empty(x.shape, x.dtype)

    def normalize(rows):
        for t in tiles(rows, row_bytes):
            n = t.stop - t.start
            m = np.add.reduce(x[t], axis=1, keepdims=True, out=mu[t])
            m /= D
            xc = np.subtract(x[t], m, out=x_hat[t])
            s = np.einsum("nd,nd->n", xc, xc)[:, None]
            s /= D
            s += eps
            np.divide(1, np.sqrt(s, out=s), out=inv_std[t])
            xc *= inv_std[t]
            o = np.multiply(xc, GAMMA[:n], out=out[t])
            o += BETA[:n]

    with np.errstate(invalid="ignore"):   # a NaN or inf in x: the check below names it
        row_map(normalize, N, x.size)
    check_finite_stat(mu, "x")
    return out, LNCache(x_hat, inv_std, gamma, eps)


def layernorm_backward(dout, cache):
    """``layernorm.layernorm_backward``, tiled and row-parallel.

    dout: (N, D); cache: an LNCache. Returns dx: (N, D), dgamma: (D,), dbeta: (D,).
    """
    dout, (x_hat, inv_std, gamma, _) = check_ln_backward(dout, cache)
    N, D = x_hat.shape
    row_bytes = D * x_hat.itemsize
    T = tile_rows(row_bytes)
    GAMMA = np.tile(gamma, (T, 1))
    dx = np.empty(x_hat.shape, x_hat.dtype)

    # dx = inv_std / D * (D * dx_hat - sum(dx_hat) - x_hat * sum(dx_hat * x_hat)), sums over each row
    def tile_pass(rows):
        ts = tiles(rows, row_bytes)
        dbeta, dgamma = np.empty((len(ts), D), x_hat.dtype), np.empty((len(ts), D), x_hat.dtype)
        tmp = np.empty((T, D), x_hat.dtype)
        for k, t in enumerate(ts):
            n = t.stop - t.start
            np.add.reduce(dout[t], axis=0, out=dbeta[k])
            np.einsum("nd,nd->d", dout[t], x_hat[t], out=dgamma[k])
            dxh = np.multiply(dout[t], GAMMA[:n], out=dx[t])
            s1 = dxh.sum(axis=1, keepdims=True)
            s2 = np.einsum("nd,nd->n", dxh, x_hat[t])[:, None]
            dxh *= D
            dxh -= s1
            dxh -= np.multiply(x_hat[t], s2, out=tmp[:n])
            dxh *= inv_std[t] / D
        return dbeta, dgamma

    with np.errstate(invalid="ignore", over="ignore"):   # a NaN or inf in dout: the check below names it
        dbeta, dgamma = (np.concatenate(part).sum(axis=0, dtype=np.float64).astype(x_hat.dtype)
                         for part in zip(*row_map(tile_pass, N, x_hat.size)))
    check_finite_stat(dbeta, "dout")
    return dx, dgamma, dbeta
