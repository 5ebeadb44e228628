"""Dense layers and activations, each as a forward/backward pair.

Every ``*_forward`` returns ``(out, cache)`` and every ``*_backward(dout,
cache)`` returns the gradients, in the order of the forward's inputs. Shapes:
x is (N, D_in), W is (D_in, D_out), b is (D_out,), out is (N, D_out).
"""

import numpy as np

from ._checks import check_2d

__all__ = [
    "dense_forward",
    "affine_forward",
    "affine_backward",
    "relu_forward",
    "relu_backward",
    "sigmoid",
    "sigmoid_forward",
    "sigmoid_backward",
    "tanh_forward",
    "tanh_backward",
    "ACTIVATIONS",
    "check_activation",
]


def _check_affine(x, W, b):
    x = check_2d(x)
    W = check_2d(W, "W")
    b = np.asarray(b)
    if W.shape[0] != x.shape[1]:
        raise ValueError(f"W has {W.shape[0]} rows but x has {x.shape[1]} features; W must be (D_in, D_out)")
    if b.shape != (W.shape[1],):
        raise ValueError(f"b must have shape ({W.shape[1]},), one bias per unit; got {b.shape}")
    return x, W, b


def dense_forward(X, W, b):
    """Pre-activations of a dense layer, ``Z = X @ W + b``.

    X: (N, D_in), W: (D_in, D_out), b: (D_out,) -> Z: (N, D_out)
    """
    X, W, b = _check_affine(X, W, b)
    Z = X @ W
    Z += b
    return Z


def affine_forward(x, W, b):
    """``out = x @ W + b``; cache = (x, W)."""
    return dense_forward(x, W, b), (x, W)


def affine_backward(dout, cache):
    """dout: (N, D_out) -> dx: (N, D_in), dW: (D_in, D_out), db: (D_out,)."""
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def relu_forward(x):
    """``max(0, x)``; cache = x."""
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    """The gradient passes where the input was positive."""
    return dout * (cache > 0)


def sigmoid(x):
    """The logistic function, stable for large |x| (no overflow in exp)."""
    x = np.asarray(x)
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def sigmoid_forward(x):
    """cache = out, since sigma' = sigma * (1 - sigma)."""
    out = sigmoid(x)
    return out, out


def sigmoid_backward(dout, cache):
    return dout * cache * (1.0 - cache)


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    return dout * (1.0 - cache * cache)


def _identity_forward(x):
    return x, None


def _identity_backward(dout, cache):
    return dout


ACTIVATIONS = {
    "linear": (_identity_forward, _identity_backward),
    "relu": (relu_forward, relu_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
}


def check_activation(name):
    name = "linear" if name is None else name
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
    return name

