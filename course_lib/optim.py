"""Optimizers. ``step(params, grads)`` updates each parameter array in place:
the arrays are the model's own state, and the model keeps references to them.

Defaults follow Keras: SGD lr 0.01, Adam lr 0.001 and eps 1e-7.
"""

import numpy as np

__all__ = ["SGD", "Momentum", "Adam", "make_optimizer"]


def _check_lr(lr):
    if not (np.isscalar(lr) and np.isfinite(lr) and lr > 0):
        raise ValueError(f"learning rate must be a positive number, got {lr!r}")
    return float(lr)


class SGD:
    """``p -= lr * g``."""

    def __init__(self, lr=0.01):
        self.lr = _check_lr(lr)

    def step(self, params, grads):
        for p, g in zip(params, grads):
            p -= self.lr * g


class Momentum:
    """Heavy-ball momentum (Keras/PyTorch form): ``v = mu * v - lr * g; p += v``."""

    def __init__(self, lr=0.01, momentum=0.9):
        self.lr = _check_lr(lr)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.momentum = momentum
        self.v = None

    def step(self, params, grads):
        if self.v is None:
            self.v = [np.zeros_like(p) for p in params]
        for p, g, v in zip(params, grads, self.v):
            v *= self.momentum
            v -= self.lr * g
            p += v


class Adam:
    """Adam (Kingma & Ba, 2015) with bias correction."""

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-7):
        self.lr = _check_lr(lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m = self.v = None
        self.t = 0

    def step(self, params, grads):
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        lr_t = self.lr * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            p -= lr_t * m / (np.sqrt(v) + self.eps)


_OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(optimizer):
    """An optimizer object, or a name ("sgd", "momentum", "adam") with default settings."""
    if hasattr(optimizer, "step"):
        return optimizer
    try:
        return _OPTIMIZERS[optimizer]()
    except (KeyError, TypeError):
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {sorted(_OPTIMIZERS)}") from None
