"""Dense layers and activations, each as a forward/backward pair.

Every ``*_forward`` returns ``(out, cache)`` and every ``*_backward(dout,
cache)`` returns the gradients, in the order of the forward's inputs. Shapes:
x is (N, D_in), W is (D_in, D_out), b is (D_out,), out is (N, D_out).

Notebook 03's exercise ``dense_forward`` has its reference in ``dense``.
"""

import numpy as np

from ._validate import check_affine

__all__ = [
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


def affine_forward(x, W, b):
    """``out = x @ W + b``; cache = (x, W)."""
    x, W, b = check_affine(x, W, b)
    out = x @ W
    out += b
    return out, (x, W)


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
