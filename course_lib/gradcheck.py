"""Numerical gradients by centred differences, and the relative error.

The centred difference ``(f(x + h) - f(x - h)) / 2h`` has error O(h**2); with
h = 1e-5 in float64 an analytic gradient that is right agrees to a relative
error around 1e-8 or better, and one that is wrong is off by far more than
1e-7. Use float64: in float32 rounding swamps the difference.

Entries of the gradient close to zero are where the relative error is most
sensitive to round-off. ``order=4`` uses the five-point centred stencil
``(-f(x+2h) + 8f(x+h) - 8f(x-h) + f(x-2h)) / 12h``, whose O(h**4) error
allows a larger step (default 1e-3) and so far less round-off.
"""

import numpy as np

__all__ = ["rel_error", "numerical_gradient", "numerical_gradient_array"]


def rel_error(a, b):
    """Largest elementwise relative error ``|a - b| / max(1e-8, |a| + |b|)``."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


_STENCILS = {2: ((1, 0.5), (-1, -0.5)), 4: ((2, -1 / 12), (1, 8 / 12), (-1, -8 / 12), (-2, 1 / 12))}
_DEFAULT_H = {2: 1e-5, 4: 1e-3}


def _derivatives(f, x, h, order):
    """Yield (index, d f(x) / d x_i) for each entry, without touching the caller's x."""
    if order not in _STENCILS:
        raise ValueError(f"order must be 2 or 4, got {order!r}")
    h = _DEFAULT_H[order] if h is None else h
    x = np.array(x, dtype=np.float64)   # a private copy we may perturb
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        total = 0.0
        for k, weight in _STENCILS[order]:
            x[i] = old + k * h
            total = total + weight * np.array(f(x), dtype=np.float64)
        x[i] = old
        yield i, total / h


def numerical_gradient(f, x, h=None, order=2):
    """Gradient of a scalar function.

    Parameters
    ----------
    f : callable, array shaped like x -> float
    x : array, any shape
    h : float, the step (default 1e-5 for order 2, 1e-3 for order 4)
    order : 2 or 4, the accuracy order of the centred stencil

    Returns
    -------
    grad : array shaped like x
    """
    grad = np.zeros(np.shape(x), dtype=np.float64)
    for i, d in _derivatives(f, x, h, order):
        grad[i] = d
    return grad


def numerical_gradient_array(f, x, dout, h=None, order=2):
    """Gradient of ``sum(f(x) * dout)``: the backward pass of an array function.

    Parameters
    ----------
    f : callable, array shaped like x -> array shaped like dout
    x : array, any shape
    dout : array, the upstream gradient
    h, order : as for ``numerical_gradient``

    Returns
    -------
    dx : array shaped like x
    """
    dout = np.asarray(dout, dtype=np.float64)
    return numerical_gradient(lambda v: np.sum(np.asarray(f(v), dtype=np.float64) * dout), x, h, order)
