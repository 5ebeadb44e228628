"""Visible check of notebook 06: epochs_to_reach."""

from ..compare import Mismatch
from ..history import History
from ._data import data
from ._report import Case, run_check

__all__ = ["check_epochs_to_reach"]

CASES = (
    # (description, per-epoch validation values, threshold, expected, hint or the name of its mistake)
    ("counts epochs from 1", [0.5, 0.55, 0.62, 0.7], 0.6, 3, "zero_based"),
    ("a value equal to the threshold reaches it", [0.4, 0.6, 0.9], 0.6, 2, "strict"),
    ("returns the first epoch that reaches, even if the metric dips later", [0.61, 0.5, 0.7], 0.6, 1,
     "return as soon as the metric first reaches the threshold"),
    ("returns None when the threshold is never reached", [0.1, 0.2, 0.3], 0.6, None, "never_is_zero"),
    ("returns None for an empty history", [], 0.6, None, "an empty history never reaches anything"),
)


def _history(values):
    # the training metric is deliberately different: the function must read val_metric
    return History(loss=[1.0] * len(values), metric=[1.0] * len(values), val_loss=[1.0] * len(values),
                   val_metric=list(values), metric_name="accuracy")


def check_epochs_to_reach(epochs_to_reach, verbose=True):
    """Check ``epochs_to_reach(history, threshold) -> int or None``."""
    cases, known = [], data("hints")["epochs_to_reach"]
    for name, values, threshold, expected, hint in CASES:
        hint = known.get(hint, hint)

        def test(fn, values=values, threshold=threshold, expected=expected, hint=hint):
            got = fn(list(values), threshold)
            if got != expected or (expected is None) != (got is None) or isinstance(got, bool):
                raise Mismatch(f"epochs_to_reach({values}, {threshold}) returned {got!r}, expected {expected!r}",
                               hint)
        cases.append(Case(name, test))

    def history(fn):
        values = [0.3, 0.5, 0.65, 0.8]
        got = fn(_history(values), 0.6)
        if got != 3:
            raise Mismatch(f"on a History whose val_metric is {values}, threshold 0.6, it returned {got!r}, "
                           "expected 3", known["train_metric"])
    cases.append(Case("reads val_metric from a History", history))
    return run_check("epochs_to_reach", epochs_to_reach, cases, verbose)
