"""Losses and metrics. Each loss returns ``(loss, dpred)``: the mean loss over
the batch and its gradient with respect to the prediction.

pred and y are (N, 1) (or both (N,)); the loss is averaged over all entries,
as Keras does for a single output.
"""

import numpy as np

from ._validate import check_same_shape
from .layers import sigmoid

__all__ = [
    "mse_loss",
    "binary_cross_entropy",
    "sigmoid_binary_cross_entropy",
    "accuracy",
    "mean_squared_error",
    "LOSSES",
    "METRICS",
]


def _pair(pred, y):
    pred = np.asarray(pred)
    y = np.asarray(y, dtype=pred.dtype if np.issubdtype(pred.dtype, np.floating) else np.float64)
    check_same_shape(pred, y, "pred", "y")
    return pred, y


def mse_loss(pred, y):
    """Mean squared error; dpred = 2 (pred - y) / n."""
    pred, y = _pair(pred, y)
    diff = pred - y
    return float(np.mean(diff * diff)), (2.0 / diff.size) * diff


def binary_cross_entropy(p, y, eps=1e-7):
    """Cross-entropy of probabilities p for labels y in {0, 1}.

    p is clipped to [eps, 1 - eps] (Keras' choice) so that log(0) never
    happens; prefer ``sigmoid_binary_cross_entropy`` on logits when you have them.
    """
    p, y = _pair(p, y)
    p = np.clip(p, eps, 1 - eps)
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log1p(-p))
    dp = (p - y) / (p * (1 - p)) / p.size
    return float(loss), dp


def sigmoid_binary_cross_entropy(z, y):
    """Cross-entropy of ``sigmoid(z)`` computed from the logits z, stable for any z.

    ``loss = max(z, 0) - z * y + log(1 + exp(-|z|))`` and ``dz = (sigmoid(z) - y) / n``.
    """
    z, y = _pair(z, y)
    loss = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
    return float(loss), (sigmoid(z) - y) / z.size


def accuracy(p, y, threshold=0.5):
    """Fraction of samples where ``p > threshold`` matches the 0/1 label."""
    p, y = _pair(p, y)
    return float(np.mean((p > threshold) == (y > 0.5)))


def mean_squared_error(pred, y):
    pred, y = _pair(pred, y)
    return float(np.mean((pred - y) ** 2))


LOSSES = {"mse": mse_loss, "bce": binary_cross_entropy}
METRICS = {"accuracy": accuracy, "mse": mean_squared_error}
