"""Epochs to reach a threshold: the reference solution of notebook 06's exercise.

The notes compare training with and without batch norm by the epochs each run
needs to reach a validation accuracy. This module holds the exercise's
reference alone, so that the student bundle leaves it out whole;
``experiments.circles_experiment`` takes the count as an argument.
"""

from .history import History

__all__ = ["epochs_to_reach"]


def epochs_to_reach(history, threshold, key="val_metric"):
    """The 1-based epoch at which ``history.<key>`` first reaches ``threshold``, or None.

    history may also be a plain sequence of per-epoch values.
    """
    values = getattr(history, key) if isinstance(history, History) else history
    for epoch, value in enumerate(values, start=1):
        if value >= threshold:
            return epoch
    return None
