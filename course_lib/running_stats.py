"""Running statistics and inference-mode batch normalization.

At prediction time there may be a single sample, so batch statistics do not
exist. Training keeps running estimates of each feature's mean and variance
instead, and inference normalizes with them::

    out = gamma * (x - running_mean) / sqrt(running_var + eps) + beta

How the running estimates are accumulated is a convention; see ``conventions``.
"""

from typing import NamedTuple

import numpy as np

from ._checks import check_2d, check_finite, check_finite_stat, check_same_shape, check_vector
from .batchnorm import check_eps
from .conventions import get_convention

__all__ = [
    "batchnorm_inference",
    "update_running_stats",
    "RunningStats",
    "init_running_stats",
    "update_running_stats_convention",
]


def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
    """Inference-mode batch normalization with fixed statistics.

    Parameters
    ----------
    x : (N, D) array, any N >= 1
    gamma, beta, running_mean, running_var : (D,) arrays
    eps : float

    Returns
    -------
    out : (N, D) array, same dtype as x
    """
    x = check_2d(x)
    D = x.shape[1]
    gamma = check_vector(gamma, D, "gamma", x.dtype)
    beta = check_vector(beta, D, "beta", x.dtype)
    running_mean = check_vector(running_mean, D, "running_mean", x.dtype)
    running_var = check_vector(running_var, D, "running_var", x.dtype)
    if (running_var < 0).any():
        raise ValueError("running_var must be non-negative")
    eps = check_eps(eps)
    # Folded into one affine map, as in the paper's Algorithm 2.
    scale = gamma / np.sqrt(running_var + eps)
    shift = beta - running_mean * scale
    out = x * scale
    out += shift
    check_finite_stat(out.sum(axis=0), "x")
    return out


def update_running_stats(running_mean, running_var, batch_mean, batch_var, momentum=0.9):
    """One exponential-moving-average step, the course notes' (and Keras') rule.

    ``running = momentum * running + (1 - momentum) * batch``

    Parameters
    ----------
    running_mean, running_var, batch_mean, batch_var : (D,) arrays
    momentum : float in [0, 1], the weight of the old value

    Returns
    -------
    new_mean, new_var : (D,) arrays
    """
    _check_momentum(momentum)
    arrays = [np.asarray(a) for a in (running_mean, running_var, batch_mean, batch_var)]
    names = ("running_mean", "running_var", "batch_mean", "batch_var")
    for a, name in zip(arrays, names):
        if a.ndim != 1:
            raise ValueError(f"{name} must be a (D,) vector, got shape {a.shape}")
        check_finite(a, name)
        check_same_shape(a, arrays[0], name, "running_mean")
    rm, rv, bm, bv = arrays
    new_mean = momentum * rm + (1 - momentum) * bm
    new_var = momentum * rv + (1 - momentum) * bv
    return new_mean, new_var


def _check_momentum(momentum):
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float, np.integer, np.floating)) or not (
        0.0 <= momentum <= 1.0
    ):
        raise ValueError(f"momentum must be a number in [0, 1], got {momentum!r}")


class RunningStats(NamedTuple):
    """Running statistics of a BN layer.

    mean: (D,), var: (D,), count: number of batches seen so far.
    """

    mean: np.ndarray
    var: np.ndarray
    count: int


def init_running_stats(D, dtype=np.float64):
    """Mean 0, variance 1, no batches seen: what every framework starts from."""
    return RunningStats(np.zeros(D, dtype), np.ones(D, dtype), 0)


def update_running_stats_convention(stats, batch_mean, batch_var, n, convention="keras", momentum=None,
                                    update=update_running_stats):
    """Fold one batch's statistics into ``stats`` under a named convention.

    Parameters
    ----------
    stats : RunningStats with (D,) mean and var
    batch_mean, batch_var : (D,) the batch's mean and *biased* variance
    n : int, the batch size (for the unbiased correction n / (n - 1))
    convention : "notes", "keras", "pytorch" or "paper" (see ``conventions``)
    momentum : overrides the convention's default; ignored by "paper"
    update : the notes' rule ``update(rm, rv, bm, bv, momentum)``; every
        convention is that rule with its own weight on the old value

    Returns
    -------
    RunningStats
    """
    conv = get_convention(convention)
    m = conv.momentum if momentum is None else momentum
    if conv.momentum_weighs != "cumulative":
        _check_momentum(m)
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be the batch size, a positive integer; got {n!r}")
    if conv.unbiased_var:
        if n < 2:
            raise ValueError("the unbiased variance needs a batch of at least 2 samples")
        batch_var = batch_var * (n / (n - 1))
    if conv.momentum_weighs == "old":
        new_mean, new_var = update(stats.mean, stats.var, batch_mean, batch_var, m)
    elif conv.momentum_weighs == "new":
        new_mean, new_var = update(stats.mean, stats.var, batch_mean, batch_var, 1 - m)
    else:
        # A cumulative average: after k batches, the plain mean of all k.
        w = 1.0 / (stats.count + 1)
        new_mean, new_var = update(stats.mean, stats.var, batch_mean, batch_var, 1 - w)
    dtype = stats.mean.dtype
    return RunningStats(new_mean.astype(dtype, copy=False), new_var.astype(dtype, copy=False), stats.count + 1)
