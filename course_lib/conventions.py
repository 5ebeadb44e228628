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
"""

from dataclasses import dataclass

__all__ = ["Convention", "CONVENTIONS", "get_convention"]


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
