"""Minibatch training with a per-epoch history, like Keras' ``model.fit``.

Keras' conventions are kept so that runs compare with the notes: the
validation split is the *last* fraction of the data, taken before
shuffling; the training loss of an epoch is the mean of its batch losses
(in training mode), and the validation loss is measured after the epoch in
eval mode.

Notebook 06's exercise ``epochs_to_reach``, which reads a History, has its
reference in ``reach``.
"""

import warnings

import numpy as np
from tqdm.auto import tqdm

from ._validate import as_float_array
from .layers import sigmoid
from .losses import LOSSES, METRICS, sigmoid_binary_cross_entropy
from .modules import BatchNorm
from .history import History
from .optim import make_optimizer

__all__ = ["History", "NonFiniteLossError", "fit", "evaluate"]


class NonFiniteLossError(FloatingPointError):
    """Raised by ``fit(..., on_nonfinite="raise")`` when the loss becomes NaN or inf."""


def _loss_fn(loss, model):
    """The loss on the model's output; a sigmoid output with BCE is fused for stability."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {sorted(LOSSES)}")
    if loss == "bce" and model.output_activation == "sigmoid":
        return sigmoid_binary_cross_entropy, True
    return LOSSES[loss], False


def _as_column(y, n, name):
    y = as_float_array(y, name)
    if y.ndim == 1:
        y = y[:, None]
    if y.shape != (n, 1):
        raise ValueError(f"{name} must have shape ({n},) or ({n}, 1), one target per sample; got {y.shape}")
    return y


def evaluate(model, X, y, loss="mse", metric="mse", batch_size=1024):
    """(loss, metric) of the model in eval mode.

    X : (N, D), y : (N,) or (N, 1)
    """
    X = as_float_array(X, "X")
    y = _as_column(y, len(X), "y")
    loss_fn, fused = _loss_fn(loss, model)
    outs = [model.forward(X[i:i + batch_size], training=False, logits=fused) for i in range(0, len(X), batch_size)]
    out = np.concatenate(outs)
    value, _ = loss_fn(out, y)
    return value, METRICS[metric](_sigmoid_if(out, fused), y)


def _sigmoid_if(out, fused):
    return sigmoid(out) if fused else out


def fit(model, X, y, *, loss="bce", metric="accuracy", optimizer="sgd", epochs=10, batch_size=32,
        validation_split=0.0, validation_data=None, shuffle=True, seed=0, progress=True,
        on_nonfinite="stop", callbacks=()):
    """Train ``model`` on (X, y) and return its History.

    Parameters
    ----------
    model : Sequential
    X : (N, D) inputs; y : (N,) or (N, 1) targets
    batch_size : minibatch size; a trailing batch of a single sample is skipped
        when the model has batch norm in training mode, which cannot normalize one sample
    loss : "bce" or "mse"; metric : "accuracy" or "mse"
    optimizer : an optimizer from ``optim`` or its name
    validation_split : fraction of the samples, taken from the end, held out
    validation_data : (X_val, y_val), used instead of a split
    seed : seeds the shuffling, so a run is repeatable
    progress : show a tqdm progress bar over the epochs
    on_nonfinite : "stop" ends training with a warning and ``history.stopped``
        set when the loss becomes NaN or inf; "raise" raises NonFiniteLossError
    callbacks : callables ``cb(step, epoch, model)`` run after every batch
    """
    X = as_float_array(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (N, D), got shape {X.shape}")
    y = _as_column(y, len(X), "y")
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {sorted(METRICS)}")
    if on_nonfinite not in ("stop", "raise"):
        raise ValueError(f"on_nonfinite must be 'stop' or 'raise', got {on_nonfinite!r}")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split!r}")
    if int(epochs) != epochs or epochs < 1 or int(batch_size) != batch_size or batch_size < 1:
        raise ValueError("epochs and batch_size must be positive integers")
    loss_fn, fused = _loss_fn(loss, model)
    opt = make_optimizer(optimizer)

    if validation_data is None and validation_split > 0:
        n_train = int(len(X) * (1 - validation_split))
        validation_data = (X[n_train:], y[n_train:])
        X, y = X[:n_train], y[:n_train]
    # A diverging run overflows before its loss turns NaN; the check below
    # reports that once, in plain words, instead of a cascade of numpy warnings.
    with np.errstate(over="ignore", invalid="ignore"):
        return _run(model, X, y, loss, metric, loss_fn, fused, opt, epochs, batch_size, validation_data,
                    shuffle, seed, progress, on_nonfinite, callbacks)


def _run(model, X, y, loss, metric, loss_fn, fused, opt, epochs, batch_size, validation_data, shuffle, seed,
         progress, on_nonfinite, callbacks):
    rng = np.random.default_rng(seed)
    history = History(metric_name=metric)
    params = model.parameters()
    step = 0
    # Batch statistics of a single sample are meaningless (its variance is zero), so
    # like PyTorch's drop_last a trailing batch of one is skipped when the model has BN.
    skip_single = any(isinstance(layer, BatchNorm) and layer.trainable for layer in model.layers)
    batch_starts = [s for s in range(0, len(X), int(batch_size)) if not (skip_single and len(X) - s == 1)]
    if not batch_starts:
        raise ValueError(f"no training batch: {len(X)} training sample(s) after the validation split, "
                         "and batch norm needs at least 2 per batch")
    sizes = np.array([min(int(batch_size), len(X) - s) for s in batch_starts])
    epoch_iter = range(1, int(epochs) + 1)
    if progress:
        epoch_iter = tqdm(epoch_iter, desc="epochs", leave=False)
    for epoch in epoch_iter:
        order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
        batch_losses, batch_metrics = [], []
        for start in batch_starts:
            idx = order[start:start + int(batch_size)]
            xb, yb = X[idx], y[idx]
            out = model.forward(xb, training=True, logits=fused)
            value, dout = loss_fn(out, yb)
            if not np.isfinite(value):
                message = (f"training stopped at epoch {epoch}, step {step + 1}: the loss became {value}. "
                           "The learning rate is probably too large for this model.")
                if on_nonfinite == "raise":
                    raise NonFiniteLossError(message)
                warnings.warn(message, RuntimeWarning, stacklevel=3)
                history.stopped = message
                return history
            model.backward(dout)
            opt.step(params, model.gradients())
            batch_losses.append(value)
            batch_metrics.append(METRICS[metric](_sigmoid_if(out, fused), yb))
            step += 1
            for cb in callbacks:
                cb(step, epoch, model)
        history.loss.append(float(np.average(batch_losses, weights=sizes)))
        history.metric.append(float(np.average(batch_metrics, weights=sizes)))
        if validation_data is not None:
            v_loss, v_metric = evaluate(model, *validation_data, loss=loss, metric=metric)
            history.val_loss.append(v_loss)
            history.val_metric.append(v_metric)
        if progress:
            epoch_iter.set_postfix(loss=f"{history.loss[-1]:.4f}")
    return history
