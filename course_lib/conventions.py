"""The three conventions for batch normalization's running statistics.

Frameworks agree on the training-mode forward pass (biased batch variance,
eps inside the square root) but not on how the statistics used at inference
are accumulated:

``keras`` (and the course notes, ``notes``)
    ``running = momentum * running + (1 - momentum) * batch``: momentum weighs
    the *old* value. The running variance is the biased batch variance.
    Keras defaults: momentum 0.99, eps 1e-3.
``pytorch``
    ``running = (1 - momentum) * running + momentum * batch``: momentum weighs
    the *new* batch. The running variance is the unbiased batch variance,
    ``var * N / (N - 1)``. Defaults: momentum 0.1, eps 1e-5.
``paper``
    Ioffe & Szegedy (2015), Algorithm 2: population statistics averaged over
    all training mini-batches, ``E[x] = mean_B(mu_B)`` and
    ``Var[x] = m / (m - 1) * mean_B(var_B)``. Kept as a cumulative average,
    which is what PyTorch computes with ``momentum=None``. Default eps 1e-5.

The ``notes`` convention is Keras' update rule with the course's defaults
(momentum 0.9, eps 1e-5), the ones the notebooks' exercises use.

Every convention is the notes' rule ``update_running_stats`` (notebook 05's
exercise) with its own weight on the old value: ``update_running_stats_convention``
folds one batch into ``RunningStats`` under a convention with the rule it is given.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._validate import check_momentum

__all__ = [
    "Convention",
    "CONVENTIONS",
    "get_convention",
    "RunningStats",
    "init_running_stats",
    "update_running_stats_convention",
]


@dataclass(frozen=True)
class Convention:
    """How running statistics are kept.

    name: key in ``CONVENTIONS``.
    momentum: default momentum (None for the cumulative average).
    eps: default epsilon.
    momentum_weighs: ``"old"`` (Keras), ``"new"`` (PyTorch) or ``"cumulative"`` (paper).
    unbiased_var: whether the running variance uses ``N / (N - 1)``.
    """

    name: str
    momentum: float | None
    eps: float
    momentum_weighs: str
    unbiased_var: bool


CONVENTIONS = {
    "notes": Convention("notes", 0.9, 1e-5, "old", False),
    "keras": Convention("keras", 0.99, 1e-3, "old", False),
    "pytorch": Convention("pytorch", 0.1, 1e-5, "new", True),
    "paper": Convention("paper", None, 1e-5, "cumulative", True),
}


def get_convention(convention):
    """Return the ``Convention`` named ``convention`` (a name or a Convention)."""
    if isinstance(convention, Convention):
        return convention
    try:
        return CONVENTIONS[convention]
    except (KeyError, TypeError):
        known = ", ".join(repr(k) for k in CONVENTIONS)
        raise ValueError(f"unknown convention {convention!r}; choose one of {known}") from None


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


def update_running_stats_convention(stats, batch_mean, batch_var, n, convention="keras", momentum=None, *,
                                    update):
    """Fold one batch's statistics into ``stats`` under a named convention.

    Parameters
    ----------
    stats : RunningStats with (D,) mean and var
    batch_mean, batch_var : (D,) the batch's mean and *biased* variance
    n : int, the batch size (for the unbiased correction n / (n - 1))
    convention : "notes", "keras", "pytorch" or "paper"
    momentum : overrides the convention's default; ignored by "paper"
    update : the notes' rule ``update(rm, rv, bm, bv, momentum) -> (mean, var)``,
        every array (D,): a ``BNFunctions``' update, the reference's or a student's

    Returns
    -------
    RunningStats
    """
    conv = get_convention(convention)
    m = conv.momentum if momentum is None else momentum
    if conv.momentum_weighs != "cumulative":
        check_momentum(m)
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
