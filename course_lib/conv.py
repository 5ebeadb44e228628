"""A 2-D convolution layer, forward and backward, by im2col.

Reference code for the models of notebook 07, not an exercise. Shapes::

    x   (N, C, H, W)          input feature maps
    w   (F, C, KH, KW)        F filters
    b   (F,)
    out (N, F, H_out, W_out)  H_out = (H + 2*pad - KH) // stride + 1, the same for W

im2col lays each receptive field out as a row, so the convolution becomes
one matrix product::

    cols = im2col(x)                (N*H_out*W_out, C*KH*KW)
    out  = cols @ w.reshape(F, -1).T + b

and the backward pass is three matrix products, with the gradient of the
columns added back onto the positions they were read from (col2im).
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validate import as_float_array

__all__ = ["conv2d_forward", "conv2d_backward", "im2col", "col2im", "output_size"]


def output_size(size, k, stride, pad):
    """The output length of a convolution along one axis."""
    return (size + 2 * pad - k) // stride + 1


def im2col(x, KH, KW, stride=1, pad=0):
    """(N, C, H, W) -> (N*H_out*W_out, C*KH*KW): one row per output position, holding its receptive field."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x
    windows = sliding_window_view(xp, (KH, KW), axis=(2, 3))[:, :, ::stride, ::stride]   # (N, C, Ho, Wo, KH, KW)
    N, C, Ho, Wo = windows.shape[:4]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(N * Ho * Wo, C * KH * KW)


def col2im(cols, shape, KH, KW, stride=1, pad=0):
    """The adjoint of ``im2col``: each row's values added back onto the positions of x they came from."""
    N, C, H, W = shape
    Ho, Wo = output_size(H, KH, stride, pad), output_size(W, KW, stride, pad)
    cols = cols.reshape(N, Ho, Wo, C, KH, KW)
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=cols.dtype)
    for i in range(KH):
        for j in range(KW):
            xp[:, :, i:i + stride * Ho:stride, j:j + stride * Wo:stride] += cols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return xp[:, :, pad:pad + H, pad:pad + W] if pad else xp


def conv2d_forward(x, w, b, stride=1, pad=0):
    """out = x convolved with each of the F filters, plus b (cross-correlation, as deep-learning libraries do).

    Returns out (N, F, H_out, W_out) and the cache (x's shape, cols, w, stride, pad).
    """
    x, w, b = as_float_array(x, "x"), as_float_array(w, "w"), as_float_array(b, "b")
    if x.ndim != 4 or w.ndim != 4 or w.shape[1] != x.shape[1] or b.shape != (w.shape[0],):
        raise ValueError(f"expected x (N, C, H, W), w (F, C, KH, KW) and b (F,) with the same C; got x {x.shape}, "
                         f"w {w.shape}, b {b.shape}")
    if int(stride) != stride or stride < 1 or int(pad) != pad or pad < 0:
        raise ValueError(f"stride must be a positive integer and pad a non-negative one; got {stride!r}, {pad!r}")
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    Ho, Wo = output_size(H, KH, stride, pad), output_size(W, KW, stride, pad)
    if Ho < 1 or Wo < 1:
        raise ValueError(f"a {KH}x{KW} filter does not fit a {H}x{W} input padded by {pad}")
    cols = im2col(x, KH, KW, stride, pad)
    out = cols @ w.reshape(F, -1).T.astype(x.dtype, copy=False) + b.astype(x.dtype, copy=False)   # (N*Ho*Wo, F)
    out = np.ascontiguousarray(out.reshape(N, Ho, Wo, F).transpose(0, 3, 1, 2))
    return out, (x.shape, cols, w, stride, pad)


def conv2d_backward(dout, cache):
    """dout (N, F, H_out, W_out) -> dx (N, C, H, W), dw (F, C, KH, KW), db (F,)."""
    shape, cols, w, stride, pad = cache
    F, C, KH, KW = w.shape
    dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, F)             # (N*Ho*Wo, F)
    db = dout_rows.sum(axis=0)
    dw = (dout_rows.T @ cols).reshape(w.shape)
    dcols = dout_rows @ w.reshape(F, -1).astype(dout.dtype, copy=False)   # (N*Ho*Wo, C*KH*KW)
    dx = col2im(dcols, shape, KH, KW, stride, pad)
    return dx, dw, db
