"""The notes' experiments as functions, repeated over seeds.

The notes report one run each ("about 80 epochs without BN, about 20 with").
A single run says little: here every experiment is repeated over seeds and
reported with its spread.
"""

from dataclasses import dataclass

import numpy as np

from .data import make_circles_data
from .defaults import default_bn_functions, exercise_function
from .model import circles_model
from .optim import SGD
from .train import History, fit

__all__ = ["CircleRun", "circles_experiment", "fill_never", "spread"]


@dataclass(frozen=True)
class CircleRun:
    """One seed of the circle experiment: the history and the epochs to reach the threshold."""

    seed: int
    batchnorm: bool
    history: History
    epochs_to_threshold: int | None


def circles_experiment(batchnorm, *, seeds=range(5), epochs=200, threshold=0.6, lr=0.01, batch_size=32,
                       n_samples=1000, noise=0.1, bn_fns=None, reach=None, progress=False):
    """Train the notes' 2-3-2-1 circle classifier once per seed.

    Keras' defaults as in the notes: SGD with learning rate 0.01, batch 32,
    the last 20% held out for validation. The seed sets the weights and the
    shuffling; the data set is the same for every seed.

    bn_fns are the batch-norm functions the BN layers call and ``reach(history,
    threshold)`` counts the epochs to the threshold; pass a student's own to
    run the experiment on their implementation. Left out, they are the
    reference, or where none is installed (the student bundle) the student's
    own from their notebooks: see ``defaults``.

    Returns a list of CircleRun, one per seed.
    """
    if reach is None:
        reach = exercise_function("epochs_to_reach")
    if batchnorm and bn_fns is None:
        bn_fns = default_bn_functions()
    X, y = make_circles_data(n_samples, noise=noise, seed=0)
    runs = []
    for seed in seeds:
        model = circles_model(batchnorm, seed=seed, bn_fns=bn_fns)
        history = fit(model, X, y, loss="bce", metric="accuracy", optimizer=SGD(lr), epochs=epochs,
                      batch_size=batch_size, validation_split=0.2, seed=seed, progress=progress)
        runs.append(CircleRun(int(seed), bool(batchnorm), history, reach(history, threshold)))
    return runs


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
