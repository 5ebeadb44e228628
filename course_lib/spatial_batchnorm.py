"""Spatial batch normalization of (N, C, H, W) feature maps (section 3.2 of the paper).

In a convolutional layer every position of a channel's map is computed with
the same filter, so the paper normalizes each channel with one mean and one
variance over the N samples *and* the H*W positions: N*H*W values per
channel, one gamma and one beta per channel. That is batch norm of a 2-D
array with one row per (sample, position) and one column per channel::

    x (N, C, H, W) --transpose--> (N, H, W, C) --reshape--> (N*H*W, C)
    batchnorm_forward on it, then the same two steps back.

The transpose comes first: reshaping (N, C, H, W) straight to (N*H*W, C)
mixes channels in a column. The reference of notebook 07's exercises
``spatial_batchnorm_forward`` and ``spatial_batchnorm_backward``; the cache
is the BNCache of the (N*H*W, C) view.
"""

import numpy as np

from ._validate import as_float_array
from .batchnorm import batchnorm_backward_alt, batchnorm_forward

__all__ = ["spatial_batchnorm_forward", "spatial_batchnorm_backward", "to_rows", "from_rows"]


def to_rows(x):
    """(N, C, H, W) -> (N*H*W, C): one row per sample and position, one column per channel."""
    N, C, H, W = x.shape
    return x.transpose(0, 2, 3, 1).reshape(N * H * W, C)


def from_rows(rows, shape):
    """(N*H*W, C) -> (N, C, H, W), the inverse of ``to_rows``."""
    N, C, H, W = shape
    return rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)


def _check_4d(x, name):
    x = as_float_array(x, name)
    if x.ndim != 4:
        raise ValueError(f"{name} must be 4-D with shape (N, C, H, W); got {x.ndim}-D shape {x.shape}")
    return x


def spatial_batchnorm_forward(x, gamma, beta, eps=1e-5):
    """Training-mode batch normalization of each channel over the batch and every position.

    Parameters
    ----------
    x : (N, C, H, W) array, N*H*W >= 2
    gamma, beta : (C,) arrays
    eps : float

    Returns
    -------
    out : (N, C, H, W) array, same dtype as x
    cache : BNCache of the (N*H*W, C) view: mu, var, inv_std, gamma are (C,)
    """
    x = _check_4d(x, "x")
    out_rows, cache = batchnorm_forward(to_rows(x), gamma, beta, eps)
    return np.ascontiguousarray(from_rows(out_rows, x.shape)), cache


def spatial_batchnorm_backward(dout, cache):
    """Backward pass: batch norm's backward on the (N*H*W, C) view of dout.

    Parameters
    ----------
    dout : (N, C, H, W) upstream gradient
    cache : BNCache from ``spatial_batchnorm_forward``

    Returns
    -------
    dx : (N, C, H, W), dgamma : (C,), dbeta : (C,)
    """
    dout = _check_4d(dout, "dout")
    dx_rows, dgamma, dbeta = batchnorm_backward_alt(to_rows(dout), cache)
    return np.ascontiguousarray(from_rows(dx_rows, dout.shape)), dgamma, dbeta
