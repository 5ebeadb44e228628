"""The notes' experiments as functions, repeated over seeds.

The notes report one run each ("about 80 epochs without BN, about 20 with").
A single run says little: here every experiment is repeated over seeds and
reported with its spread.

``fit_seeds`` trains the same small model for several seeds at once. It is
``fit`` with SGD, seed by seed (same weights, same batch order, same
numbers), but each layer runs once for all the seeds, on arrays with a
leading seed axis: a tiny network costs about as much for five seeds as for
one. Batch norm works per feature, so the S seeds' (N, D) batches side by
side, (N, S*D), go through the student's own functions unchanged.
"""

import warnings
from dataclasses import dataclass

import numpy as np

from .conventions import RunningStats, update_running_stats_convention
from .data import make_circles_data
from .defaults import default_bn_functions, exercise_function
from .layers import sigmoid
from .model import circles_model
from .modules import Activation, BatchNorm, Dense, _batch_stats
from .optim import _check_lr
from .train import History, evaluate

__all__ = ["CircleRun", "circles_experiment", "fit_seeds", "fill_never", "spread"]


@dataclass(frozen=True)
class CircleRun:
    """One seed of the circle experiment: the history and the epochs to reach the threshold."""

    seed: int
    batchnorm: bool
    history: History
    epochs_to_threshold: int | None
    model: object = None          # the trained Sequential, kept with keep_models=True


def circles_experiment(batchnorm, *, seeds=range(5), epochs=200, threshold=0.6, lr=0.01, batch_size=32,
                       n_samples=1000, noise=0.1, bn_fns=None, reach=None, keep_models=False, progress=False):
    """Train the notes' 2-3-2-1 circle classifier once per seed.

    Keras' defaults as in the notes: SGD with learning rate 0.01, batch 32,
    the last 20% held out for validation. The seed sets the weights and the
    shuffling; the data set is the same for every seed.

    bn_fns are the batch-norm functions the BN layers call and ``reach(history,
    threshold)`` counts the epochs to the threshold; pass a student's own to
    run the experiment on their implementation. Left out, they are the
    reference, or where none is installed (the student bundle) the student's
    own from their notebooks: see ``defaults``.

    keep_models=True keeps each trained model in its CircleRun (to draw its
    decision boundary without training it again).

    Returns a list of CircleRun, one per seed.
    """
    if reach is None:
        reach = exercise_function("epochs_to_reach")
    if batchnorm and bn_fns is None:
        bn_fns = default_bn_functions()
    X, y = make_circles_data(n_samples, noise=noise, seed=0)
    seeds = [int(seed) for seed in seeds]
    models = [circles_model(batchnorm, seed=seed, bn_fns=bn_fns) for seed in seeds]
    histories = fit_seeds(models, X, y, seeds=seeds, loss="bce", metric="accuracy", lr=lr, epochs=epochs,
                          batch_size=batch_size, validation_split=0.2)
    return [CircleRun(seed, bool(batchnorm), history, reach(history, threshold), model if keep_models else None)
            for seed, model, history in zip(seeds, models, histories)]


def fit_seeds(models, X, y, *, seeds, loss="bce", metric="accuracy", lr=0.01, epochs=10, batch_size=32,
              validation_split=0.0, callbacks=()):
    """Train S models of the same architecture with plain SGD, one per seed, all at once.

    Each model ends as ``fit(model, X, y, optimizer=SGD(lr), seed=seed, ...)``
    would leave it, and its History is the one ``fit`` returns: Keras'
    validation split (the last fraction of the rows), the batches shuffled by
    the seed, a run whose loss turns NaN or inf stopped (with a warning)
    while the others go on.

    Parameters
    ----------
    models : list of S Sequential of Dense, Activation and BatchNorm layers, of the same sizes
    X : (N, D) inputs; y : (N,) or (N, 1) targets, the same for every seed
    seeds : S ints, one per model: the shuffling of its batches
    callbacks : callables ``cb(step, epoch, models)`` run after every batch, as fit's
        ``cb(step, epoch, model)`` is, with ``models`` {index: model} of the models still training

    Returns
    -------
    list of S History; the models are trained in place.
    """
    seeds = [int(seed) for seed in seeds]
    lr = _check_lr(lr)                     # a Python float, as SGD keeps it: the step's product has g's dtype
    if len(models) != len(seeds) or not models:
        raise ValueError(f"one seed per model: got {len(models)} models and {len(seeds)} seeds")
    X = np.asarray(X)
    y = np.asarray(y, dtype=X.dtype).reshape(len(X), 1)
    n_train = int(len(X) * (1 - validation_split))
    validation = (X[n_train:], y[n_train:]) if n_train < len(X) else None
    X, y = X[:n_train], y[:n_train]
    fused = loss == "bce" and models[0].output_activation == "sigmoid"
    if loss not in ("bce", "mse") or metric not in ("accuracy", "mse") or (loss == "bce" and not fused):
        raise ValueError("fit_seeds trains with loss 'bce' on a sigmoid output or 'mse', metric 'accuracy' or 'mse'")
    stack = _Stack(models, fused)
    skip_single = any(isinstance(layer, BatchNorm) for layer in models[0].layers)
    starts = [s for s in range(0, n_train, batch_size) if not (skip_single and n_train - s == 1)]
    sizes = np.array([min(batch_size, n_train - s) for s in starts])
    rngs = [np.random.default_rng(seed) for seed in seeds]
    histories = [History(metric_name=metric) for _ in seeds]
    running = list(range(len(seeds)))           # the models still training
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(1, epochs + 1):
            orders = [rng.permutation(n_train) for rng in rngs]
            losses, metrics = {s: [] for s in running}, {s: [] for s in running}
            for step, start in enumerate(starts, start=1):
                idx = np.stack([orders[s][start:start + batch_size] for s in running])
                saved = stack.running_stats()
                out = stack.forward(X[idx], running)
                values, dout = _losses(out, y[idx], fused)
                stopped = [s for s, value in zip(running, values) if not np.isfinite(value)]
                if stopped:
                    # As fit leaves it: the running statistics of the failing forward pass, no step.
                    for s in stopped:
                        histories[s].stopped = (
                            f"training stopped at epoch {epoch}, step {(epoch - 1) * len(starts) + step}: the loss "
                            f"became {values[running.index(s)]}. The learning rate is probably too large "
                            "for this model.")
                        warnings.warn(histories[s].stopped, RuntimeWarning, stacklevel=2)
                    stack.write_back(stopped)
                    keep = [k for k, s in enumerate(running) if s not in stopped]
                    running = [running[k] for k in keep]
                    if not running:
                        return histories
                    stack.restore_running_stats(saved, running)
                    idx = idx[keep]
                    out = stack.forward(X[idx], running)
                    values, dout = _losses(out, y[idx], fused)
                stack.backward(dout)
                stack.sgd_step(lr)
                batch_metrics = _metrics(sigmoid(out) if fused else out, y[idx], metric)
                for k, s in enumerate(running):
                    losses[s].append(float(values[k]))
                    metrics[s].append(float(batch_metrics[k]))
                if callbacks:
                    stack.write_back(running)
                    for cb in callbacks:
                        cb((epoch - 1) * len(starts) + step, epoch, {s: models[s] for s in running})
            stack.write_back(running)
            for s in running:
                histories[s].loss.append(float(np.average(losses[s], weights=sizes)))
                histories[s].metric.append(float(np.average(metrics[s], weights=sizes)))
                if validation is not None:
                    v_loss, v_metric = evaluate(models[s], *validation, loss=loss, metric=metric)
                    histories[s].val_loss.append(v_loss)
                    histories[s].val_metric.append(v_metric)
    return histories


def _losses(out, y, fused):
    """Each seed's mean loss (R,) and its gradient (R, N, 1): losses.sigmoid_binary_cross_entropy
    (fused) or losses.mse_loss, seed by seed, in one pass (the tests check they agree exactly)."""
    n = out.shape[1] * out.shape[2]
    if fused:
        values = np.mean(np.maximum(out, 0) - out * y + np.log1p(np.exp(-np.abs(out))), axis=(1, 2))
        return values, (sigmoid(out) - y) / n
    diff = out - y
    return np.mean(diff * diff, axis=(1, 2)), (2.0 / n) * diff


def _metrics(pred, y, metric):
    """Each seed's losses.accuracy or losses.mean_squared_error, (R,)."""
    if metric == "accuracy":
        return np.mean((pred > 0.5) == (y > 0.5), axis=(1, 2))
    return np.mean((pred - y) ** 2, axis=(1, 2))


class _Stack:
    """The layers of S same-sized models, their parameters stacked on a leading seed axis.

    A Dense layer's W is (S, D_in, D_out) and b (S, 1, D_out); a BatchNorm's
    gamma, beta and running statistics are (S, D). The models' own parameter
    arrays become views of these, so a step updates every model. A BatchNorm
    normalizes the R running seeds' (N, D) batches side by side, as one
    (N, R*D) batch: its statistics are per feature, so each seed's columns
    get exactly its own.
    """

    def __init__(self, models, fused):
        self.models, self.fused, self.count = models, fused, 0
        self.layers = []
        for i, layer in enumerate(models[0].layers):
            group = [m.layers[i] for m in models]
            if isinstance(layer, Dense):
                p = {"W": np.stack([g.params["W"] for g in group]),
                     "b": np.stack([g.params["b"] for g in group])[:, None, :]}
                for s, g in enumerate(group):
                    g.params["W"], g.params["b"] = p["W"][s], p["b"][s, 0]
            elif isinstance(layer, BatchNorm) and layer.trainable:
                p = {k: np.stack([g.params[k] for g in group]) for k in ("gamma", "beta")}
                p.update(mean=np.stack([g.stats.mean for g in group]), var=np.stack([g.stats.var for g in group]))
                for s, g in enumerate(group):
                    g.params["gamma"], g.params["beta"] = p["gamma"][s], p["beta"][s]
                self.count = layer.stats.count
            elif isinstance(layer, Activation):
                p = {}
            else:
                raise ValueError(f"fit_seeds trains Dense, Activation and BatchNorm layers, not {layer!r}")
            self.layers.append((layer, group, p))

    def forward(self, x, running):
        """x: (R, N, D) batches of the R running seeds -> (R, N, 1), in training mode."""
        self.rows, self.caches = running, []
        all_rows = len(running) == len(self.models)
        last = len(self.layers) - 1
        for i, (layer, _, p) in enumerate(self.layers):
            if isinstance(layer, Dense):
                W, b = (p["W"], p["b"]) if all_rows else (p["W"][running], p["b"][running])
                z = np.matmul(x, W)
                z += b
                if (self.fused and i == last) or layer.activation == "linear":
                    self.caches.append((x, W, None))
                    x = z
                else:
                    out, act_cache = layer._act_forward(z)
                    self.caches.append((x, W, act_cache))
                    x = out
            elif isinstance(layer, Activation):
                x, act_cache = layer._forward(x)
                self.caches.append(act_cache)
            else:
                x = self._bn_forward(layer, p, x, running)
        self.count += 1
        return x

    def _bn_forward(self, layer, p, x, running):
        R, N, D = x.shape
        side_by_side = np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(N, R * D)
        gamma, beta = p["gamma"][running].reshape(-1), p["beta"][running].reshape(-1)
        out, cache = layer.fns.forward(side_by_side, gamma, beta, layer.eps)
        mu, var = _batch_stats(side_by_side, cache)
        stats = RunningStats(p["mean"][running].reshape(-1), p["var"][running].reshape(-1), self.count)
        stats = update_running_stats_convention(stats, mu, var, N, layer.convention, layer.momentum,
                                                update=layer.fns.update)
        p["mean"][running], p["var"][running] = stats.mean.reshape(R, D), stats.var.reshape(R, D)
        self.caches.append(cache)
        return np.ascontiguousarray(out.reshape(N, R, D).transpose(1, 0, 2))

    def backward(self, dout):
        """dout: (R, N, 1), each seed's loss gradient; leaves each layer's gradients in self.grads."""
        self.grads = [None] * len(self.layers)
        for i in reversed(range(len(self.layers))):
            layer, _, p = self.layers[i]
            cache = self.caches[i]
            if isinstance(layer, Dense):
                x, W, act_cache = cache
                if act_cache is not None:
                    dout = layer._act_backward(dout, act_cache)
                self.grads[i] = {"W": np.matmul(x.transpose(0, 2, 1), dout), "b": dout.sum(axis=1)[:, None, :]}
                if i == 0:
                    break                  # the gradient with respect to the inputs is of no use
                dout = np.matmul(dout, W.transpose(0, 2, 1))
            elif isinstance(layer, Activation):
                dout = layer._backward(dout, cache)
            else:
                R, N, D = dout.shape
                side_by_side = np.ascontiguousarray(dout.transpose(1, 0, 2)).reshape(N, R * D)
                dx, dgamma, dbeta = layer.fns.backward(side_by_side, cache)
                self.grads[i] = {"gamma": dgamma.reshape(R, D), "beta": dbeta.reshape(R, D)}
                dout = np.ascontiguousarray(dx.reshape(N, R, D).transpose(1, 0, 2))

    def sgd_step(self, lr):
        """p -= lr * g for the running seeds' parameters, as SGD does."""
        all_rows = len(self.rows) == len(self.models)
        for (_, _, p), grads in zip(self.layers, self.grads):
            for key, g in (grads or {}).items():
                if all_rows:
                    g *= lr                # in place: the same product as lr * g (lr a float), no temporary
                    p[key] -= g
                else:
                    p[key][self.rows] = p[key][self.rows] - lr * g

    def running_stats(self):
        return self.count, [(p["mean"].copy(), p["var"].copy()) for _, _, p in self.layers if "mean" in p]

    def restore_running_stats(self, saved, rows):
        count, arrays = saved
        self.count = count
        for (mean, var), p in zip(arrays, [p for _, _, p in self.layers if "mean" in p]):
            p["mean"][rows], p["var"][rows] = mean[rows], var[rows]

    def write_back(self, rows):
        """Give the models of ``rows`` their running statistics (their parameters are views already)."""
        for _, group, p in self.layers:
            if "mean" in p:
                for s in rows:
                    group[s].stats = RunningStats(p["mean"][s].copy(), p["var"][s].copy(), self.count)


def fill_never(values, never):
    """Epoch counts with each run that never reached the threshold (None) counted as ``never``."""
    return [never if v is None else v for v in values]


def spread(values, never):
    """Median, min and max of epoch counts, a run that never reached counting as ``never``.

    Returns (median, min, max, number that reached).
    """
    filled = np.array(fill_never(values, never), dtype=float)
    reached = sum(v is not None for v in values)
    return float(np.median(filled)), float(filled.min()), float(filled.max()), reached
