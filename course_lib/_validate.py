"""Validation of the arguments the library's layer functions are called with.

(The students' visible checks are another matter: they are in ``checks``.)

Every bad input gets a ``ValueError`` that names the argument and says what
was expected, so that a student reading the message knows what to fix.
Checks on large arrays are kept O(D): a NaN or inf anywhere in ``x`` makes
the column sums non-finite, so the sums the layer computes anyway are checked
instead of scanning ``x`` a second time.
"""

import numpy as np

from .bncache import BNCache, LNCache

__all__ = [
    "as_float_array",
    "check_2d",
    "check_vector",
    "check_finite_stat",
    "check_finite",
    "check_same_shape",
    "check_affine",
    "check_eps",
    "check_momentum",
    "check_bn_forward",
    "check_bn_backward",
    "check_ln_forward",
    "check_ln_backward",
]


def as_float_array(a, name):
    """Return ``a`` as a floating ndarray: floats keep their dtype, the rest become float64."""
    a = np.asarray(a)
    if a.dtype == object:
        raise ValueError(f"{name} must be a numeric array, got an array of Python objects")
    if not np.issubdtype(a.dtype, np.floating):
        a = a.astype(np.float64)
    return a


def check_2d(x, name="x"):
    """Return ``x`` as a floating (N, D) array, or raise a ValueError that says its shape."""
    x = as_float_array(x, name)
    if x.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D with shape (N, D), one row per sample; got {x.ndim}-D shape {x.shape}"
        )
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {x.shape}")
    return x


def check_vector(v, D, name, dtype):
    """Return ``v`` as a (D,) array of ``dtype``, checking its length and values."""
    v = as_float_array(v, name)
    if v.shape != (D,):
        raise ValueError(
            f"{name} must have shape ({D},), one value per feature of x; got shape {v.shape}"
        )
    if not np.isfinite(v).all():
        raise ValueError(f"{name} contains NaN or inf")
    return v.astype(dtype, copy=False)


def check_finite_stat(stat, what):
    """Raise if a (D,) statistic computed from an input is NaN or inf."""
    if not np.isfinite(stat).all():
        raise ValueError(f"{what} contains NaN or inf (or values too large for its dtype)")


def check_finite(a, name):
    """Raise if any entry of ``a`` is NaN or inf (a full scan: for small arrays)."""
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or inf")


def check_same_shape(a, b, name_a, name_b):
    if a.shape != b.shape:
        raise ValueError(f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}; they must match")


def check_affine(x, W, b):
    """Return (x, W, b) checked for ``x @ W + b``: x (N, D_in), W (D_in, D_out), b (D_out,)."""
    x = check_2d(x)
    W = check_2d(W, "W")
    b = np.asarray(b)
    if W.shape[0] != x.shape[1]:
        raise ValueError(f"W has {W.shape[0]} rows but x has {x.shape[1]} features; W must be (D_in, D_out)")
    if b.shape != (W.shape[1],):
        raise ValueError(f"b must have shape ({W.shape[1]},), one bias per unit; got {b.shape}")
    return x, W, b


def check_eps(eps):
    """Return eps as a float, or raise unless it is a positive finite number."""
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)) or not (
        np.isfinite(eps) and eps > 0
    ):
        raise ValueError(f"eps must be a positive finite number, got {eps!r}")
    return float(eps)


def check_momentum(momentum):
    """Raise unless momentum is a number in [0, 1]."""
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float, np.integer, np.floating)) or not (
        0.0 <= momentum <= 1.0
    ):
        raise ValueError(f"momentum must be a number in [0, 1], got {momentum!r}")


def check_bn_forward(x, gamma, beta, eps):
    """Return (x, gamma, beta, eps) checked for a training-mode batch norm.

    x: (N, D) floating, N >= 2; gamma, beta: (D,) in x's dtype; eps: a positive float.
    """
    x = check_2d(x)
    N, D = x.shape
    if N < 2:
        raise ValueError(
            "batch normalization in training mode needs a batch of at least 2 samples: "
            "a batch of one has variance zero, so every output would be beta. "
            "Use inference mode (running statistics) for single samples."
        )
    return x, check_vector(gamma, D, "gamma", x.dtype), check_vector(beta, D, "beta", x.dtype), check_eps(eps)


def check_bn_backward(dout, cache):
    """Return (dout, cache) checked for a batch-norm backward: dout (N, D) in the dtype of the cached x_hat."""
    if not isinstance(cache, tuple) or len(cache) != len(BNCache._fields):
        raise ValueError(f"cache must be a BNCache with fields {BNCache._fields}")
    cache = BNCache(*cache)
    dout = check_2d(dout, "dout")
    check_same_shape(dout, cache.x_hat, "dout", "the cached x_hat")
    return dout.astype(cache.x_hat.dtype, copy=False), cache


def check_ln_forward(x, gamma, beta, eps):
    """Return (x, gamma, beta, eps) checked for layer norm: x (N, D) floating, D >= 2; gamma, beta (D,)."""
    x = check_2d(x)
    _, D = x.shape
    if D < 2:
        raise ValueError("layer normalization needs at least 2 features: one feature has variance zero")
    return x, check_vector(gamma, D, "gamma", x.dtype), check_vector(beta, D, "beta", x.dtype), check_eps(eps)


def check_ln_backward(dout, cache):
    """Return (dout, cache) checked for layer norm's backward: dout (N, D) in the dtype of the cached x_hat."""
    if not isinstance(cache, tuple) or len(cache) != len(LNCache._fields):
        raise ValueError(f"cache must be an LNCache with fields {LNCache._fields}")
    cache = LNCache(*cache)
    dout = check_2d(dout, "dout").astype(cache.x_hat.dtype, copy=False)
    check_same_shape(dout, cache.x_hat, "dout", "the cached x_hat")
    return dout, cache
