"""Notebook 07's experiments: the digits conv net with batch, layer or group norm, over seeds.

Every experiment trains ``convnet.digits_convnet`` with the normalization
functions it is given (``fns``: the student's own from notebook 07) on
scikit-learn's 8x8 digits, which ship inside scikit-learn, so nothing is
downloaded:

- ``train_convnets``: one network per seed, with its History;
- ``batch_size_sweep``: the batch-size experiment of notebook 06 for each
  normalization, every run the same number of epochs;
- ``batch_dependence`` and ``train_eval_gap``: what a sample's output owes to
  its batch-mates, in training mode and in eval mode;
- ``fold_convnet`` and ``inference_seconds``: a trained network with each
  batch norm folded into the convolution before it, and what that saves.

Importing this module imports no reference implementation and not
scikit-learn itself: ``load_digits_images`` reads the data file that
``sklearn.datasets.load_digits`` reads.
"""

import copy
import importlib.util
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from threadpoolctl import threadpool_limits

from .convnet import NORMS, Conv2D, ConvNet, SpatialBatchNorm, digits_convnet, fit_convnet

__all__ = ["Digits", "load_digits_images", "digits_data", "ConvRun", "train_convnets", "BatchSizeSweep",
           "batch_size_sweep", "train_eval_gap", "batch_dependence", "fold_convnet", "inference_seconds"]


class Digits(NamedTuple):
    """Training and validation digits: X (N, 1, 8, 8) with pixels in [0, 1], y (N,) labels 0-9."""

    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray


def load_digits_images():
    """The 1797 images of ``sklearn.datasets.load_digits``: images (1797, 8, 8) with values 0-16, target (1797,).

    Read from the file scikit-learn ships (its ``datasets/data/digits.csv.gz``) without importing scikit-learn,
    which would take a second or more; the values are the same (tests/test_beyond_dense_notebook.py).
    """
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the digits ship inside scikit-learn: pip install scikit-learn", name="sklearn")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    data = np.loadtxt(path, delimiter=",")
    return data[:, :-1].reshape(-1, 8, 8), data[:, -1].astype(int)


def digits_data(n_train=1200, *, seed=0, dtype=np.float64):
    """The digits shuffled by ``seed``, pixels divided by 16, the first n_train for training and the rest for
    validation."""
    images, target = load_digits_images()
    if not 0 < n_train < len(images):
        raise ValueError(f"n_train must be between 1 and {len(images) - 1}, got {n_train!r}")
    order = np.random.default_rng(seed).permutation(len(images))
    X = (images[order] / 16.0).astype(dtype)[:, None]
    y = target[order]
    return Digits(X[:n_train], y[:n_train], X[n_train:], y[n_train:])


@dataclass(frozen=True)
class ConvRun:
    """One trained network: its normalization, seed, History and the model itself."""

    norm: str | None
    seed: int
    history: object
    model: ConvNet


def train_convnets(norm, data, *, seeds=range(5), epochs=5, batch_size=32, lr=0.1, fns=None):
    """``digits_convnet(norm, seed=seed, fns=fns)`` trained by ``fit_convnet`` on data, once per seed.

    The seed sets the initial weights and the order of the batches. Returns a list of ConvRun.
    """
    runs = []
    for seed in seeds:
        model = digits_convnet(norm, seed=int(seed), fns=_fns_for(norm, fns))
        history = fit_convnet(model, data.X, data.y, epochs=epochs, batch_size=batch_size, lr=lr, seed=int(seed),
                              X_val=data.X_val, y_val=data.y_val)
        runs.append(ConvRun(norm, int(seed), history, model))
    return runs


def _fns_for(norm, fns):
    """The functions of ``fns`` that a ``norm`` network calls (digits_convnet refuses the others)."""
    return {name: fn for name, fn in (fns or {}).items() if name in NORMS.get(norm, ())}


@dataclass(frozen=True)
class BatchSizeSweep:
    """Validation accuracy after the same number of epochs, for each normalization and batch size.

    accuracy[norm]: (B, S) in eval mode, batch sizes by seeds; mismatch[norm]: (B, S), the fraction of validation
    predictions that change when the network normalizes in training mode, in shuffled batches of the size it was
    trained with; steps: the SGD steps each batch size takes; models[norm, batch_size]: the network trained with
    the first seed.
    """

    norms: tuple
    batch_sizes: tuple
    seeds: tuple
    epochs: int
    steps: tuple
    accuracy: dict
    mismatch: dict
    models: dict

    def median(self, norm):
        return np.median(self.accuracy[norm], axis=1)


def batch_size_sweep(norms, batch_sizes, data, *, seeds=range(2), epochs=1, lr=0.1, fns=None, n_mismatch=200):
    """Train each normalization at each batch size for ``epochs`` passes over the training data, once per seed.

    Every run sees the same images the same number of times, so small batches take many SGD steps and large
    ones few. The mismatch is measured on the first n_mismatch validation images (in batches of 2 that takes a
    forward pass per pair).
    """
    norms, batch_sizes, seeds = tuple(norms), tuple(int(b) for b in batch_sizes), tuple(int(s) for s in seeds)
    accuracy = {norm: np.zeros((len(batch_sizes), len(seeds))) for norm in norms}
    mismatch = {norm: np.zeros((len(batch_sizes), len(seeds))) for norm in norms}
    models = {}
    for i, batch_size in enumerate(batch_sizes):
        for j, seed in enumerate(seeds):
            for norm in norms:
                model = digits_convnet(norm, seed=seed, fns=_fns_for(norm, fns))
                fit_convnet(model, data.X, data.y, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed)
                predicted = model.forward(data.X_val, training=False).argmax(axis=1)
                accuracy[norm][i, j] = np.mean(predicted == data.y_val)
                mismatch[norm][i, j] = train_eval_gap(model, data.X_val[:n_mismatch], batch_size, seed=seed)[1]
                if j == 0:
                    models[norm, batch_size] = model
    steps = tuple(epochs * -(-len(data.X) // b) for b in batch_sizes)
    return BatchSizeSweep(norms, batch_sizes, seeds, int(epochs), steps, accuracy, mismatch, models)


def train_eval_gap(model, X, batch_size, *, seed=0):
    """How much the network's output on X depends on the mode: training mode in shuffled batches of batch_size
    against eval mode.

    Runs on a copy of the model (a training-mode pass updates batch norm's running statistics).
    Returns (the largest |difference| of the logits, the fraction of predicted classes that change).
    """
    model = copy.deepcopy(model)
    eval_logits = model.forward(X, training=False)
    train_logits = np.empty_like(eval_logits)
    order = np.random.default_rng(seed).permutation(len(X))
    for start in range(0, len(X), batch_size):
        rows = order[start:start + batch_size]
        train_logits[rows] = model.forward(X[rows], training=True)
    changed = np.mean(train_logits.argmax(axis=1) != eval_logits.argmax(axis=1))
    return float(np.abs(train_logits - eval_logits).max()), float(changed)


def batch_dependence(model, x0, X_pool, *, batch_size=8, batches=30, seed=0):
    """The logits of one image x0 (1, 8, 8) in training mode, in ``batches`` random batches of batch_size drawn
    from X_pool with x0 first, and in eval mode.

    Returns (train (batches, K), eval (K,)); runs on a copy of the model.
    """
    model = copy.deepcopy(model)
    rng = np.random.default_rng(seed)
    x0 = np.asarray(x0)[None]
    train = []
    for _ in range(batches):
        mates = X_pool[rng.choice(len(X_pool), batch_size - 1, replace=False)]
        train.append(model.forward(np.concatenate([x0, mates]), training=True)[0])
    return np.stack(train), model.forward(x0, training=False)[0]


def fold_convnet(model, fold):
    """A copy of a trained network with every Conv2D -> SpatialBatchNorm pair replaced by one Conv2D.

    fold(W, b, gamma, beta, running_mean, running_var, eps) -> (W', b') folds an eval-mode batch norm into the
    Dense layer (W (D_in, D_out), b) before it (the exercise ``fold_batchnorm``). A convolution is a Dense layer
    applied to every receptive field (im2col), with W = w.reshape(F, C*k*k).T, so the same function folds it.
    """
    layers = []
    for layer in model.layers:
        if isinstance(layer, SpatialBatchNorm):
            conv = layers[-1] if layers else None
            if not isinstance(conv, Conv2D):
                raise ValueError("a SpatialBatchNorm folds only into a Conv2D directly before it")
            w, b = conv.params["w"], conv.params["b"]
            W_folded, b_folded = fold(w.reshape(len(w), -1).T, b, layer.params["gamma"], layer.params["beta"],
                                      layer.state["running_mean"], layer.state["running_var"], layer.eps)
            conv.params = {"w": np.ascontiguousarray(np.asarray(W_folded).T.reshape(w.shape)),
                           "b": np.asarray(b_folded, dtype=b.dtype)}
            conv.grads = {key: np.zeros_like(v) for key, v in conv.params.items()}
            continue
        layers.append(copy.deepcopy(layer))
    return ConvNet(layers)


def inference_seconds(model, X, *, repeat=7):
    """The median wall time of ``model.forward(X, training=False)`` over ``repeat`` runs, on one BLAS thread."""
    times = []
    with threadpool_limits(1, user_api="blas"):
        for _ in range(repeat):
            start = time.perf_counter()
            model.forward(X, training=False)
            times.append(time.perf_counter() - start)
    return float(np.median(times))
