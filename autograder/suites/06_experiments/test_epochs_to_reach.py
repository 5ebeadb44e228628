"""Hidden tests of epochs_to_reach(history, threshold) -> int or None, 3 points.

Four mistakes have a test of their own: counting from 0, ">" for ">=", 0 for
"never", and the training metric for the validation one. Tests of other
properties accept their answers, so that each costs the test that names it
(and "the first epoch, on long noisy histories"), not more.
"""

import numpy as np
import pytest

from autograder.suites import mistakes
from course_lib.compare import Mismatch, quote
from autograder.suites.scoring import score_cases
from course_lib.history import History
from course_lib.reach import epochs_to_reach as reference


def history(values, train=None):
    """A History whose validation metric is ``values``; the training metric is different on purpose."""
    values = [float(v) for v in values]
    train = [1.0] * len(values) if train is None else [float(v) for v in train]
    return History(loss=[0.5] * len(values), metric=train, val_loss=[0.7] * len(values),
                   val_metric=values, metric_name="accuracy")


def others(own):
    """The mistakes named by tests other than ``own``'s."""
    return tuple(n for n in NAMED if n != own)


def describe(values):
    values = [round(float(v), 3) for v in values]
    return str(values) if len(values) <= 8 else f"a history of {len(values)} epochs"


NAMED = ("zero_based", "strict", "never_is_zero", "train_metric")
HINTS = {name: mistakes.hint("epochs_to_reach", name) for name in NAMED}


def mistaken(given, values, threshold):
    """What each named mistake (the catalogue's code) returns on this input."""
    return {name: answer for name, (_, answer) in mistakes.outputs("epochs_to_reach", NAMED, given, threshold).items()}


def check(student, given, threshold, values, hint, what=None, *, named=NAMED):
    """The student's answer on ``given`` against the reference's on ``values``.

    named: the mistakes whose answer is accepted here, since tests of their own charge for them.
    """
    got = student.call("epochs_to_reach", given, threshold)
    expected = reference(list(values), threshold)
    what = what or f"epochs_to_reach({describe(values)}, {threshold})"
    if isinstance(got, (bool, np.bool_)) or not (got is None or isinstance(got, (int, np.integer))):
        raise Mismatch(f"{what} returned {quote(got)}, expected "
                       f"{'None' if expected is None else f'the epoch number {expected}, an int'}",
                       "return an int epoch number (counted from 1), or None")
    def same(a, b):
        return a is None and b is None or a is not None and b is not None and a == b

    answers = mistaken(given, values, threshold)
    if same(got, expected) or any(same(got, answers[name]) for name in named):
        return
    hint = next((HINTS[name] for name, answer in answers.items() if same(got, answer)), hint)
    raise Mismatch(f"{what} returned {quote(got)}, expected {expected!r}", hint)


@pytest.mark.points(0.5)
def test_epochs_to_reach_counts_epochs_from_one(student, rng):
    """counts epochs from 1: the first epoch is epoch 1"""
    hint = HINTS["zero_based"]
    for values, threshold in (([0.7, 0.8], 0.6), ([0.2, 0.4, 0.65, 0.9], 0.6)):
        check(student, list(values), threshold, values, hint, named=others("zero_based"))
    values = np.sort(rng.uniform(0.3, 0.9, 20))
    check(student, list(values), float(values[7]), values, hint, named=others("zero_based"))


@pytest.mark.points(0.5)
def test_epochs_to_reach_threshold_reached_with_equality(student):
    """a value equal to the threshold reaches it (>=, not >)"""
    hint = HINTS["strict"]
    for values, threshold in (([0.5, 0.75, 0.9], 0.75), ([0.25], 0.25), ([0.1, 0.3, 0.3, 0.4], 0.3)):
        check(student, list(values), threshold, values, hint, named=others("strict"))


@pytest.mark.points(0.5)
def test_epochs_to_reach_returns_none_when_never_reached(student, rng):
    """returns None when the threshold is never reached, or the history is empty"""
    hint = HINTS["never_is_zero"]
    named = others("never_is_zero")
    check(student, [0.1, 0.2, 0.3], 0.6, [0.1, 0.2, 0.3], hint, named=named)
    check(student, [], 0.5, [], "an empty history never reaches anything: return None", named=named)
    values = rng.uniform(0.0, 0.59, 50)
    check(student, list(values), 0.6, values, hint, named=named)


@pytest.mark.points(0.5)
def test_epochs_to_reach_reads_val_metric_from_a_history(student, rng):
    """given a History, uses its val_metric (the validation metric of each epoch)"""
    hint = HINTS["train_metric"]
    values = [0.3, 0.5, 0.65, 0.8]
    named = others("train_metric")
    check(student, history(values), 0.6, values, hint, "on a History whose val_metric is [0.3, 0.5, 0.65, 0.8], "
          "with threshold 0.6, epochs_to_reach", named=named)
    values = list(rng.uniform(0.2, 0.5, 30)) + [0.95]
    train = [0.99] * len(values)
    check(student, history(values, train), 0.9, values, hint,
          "on a History whose metric reaches 0.9 at epoch 1 but whose val_metric first does at epoch 31, "
          "epochs_to_reach", named=named)
    check(student, history([0.1, 0.2], [0.95, 0.99]), 0.9, [0.1, 0.2], hint,
          "on a History whose val_metric never reaches 0.9 (but its metric does), epochs_to_reach", named=named)


@pytest.mark.points(0.5)
def test_epochs_to_reach_first_epoch_even_if_it_dips_later(student, rng, partial):
    """returns the first epoch that reaches, even if the metric dips later, on long noisy histories"""
    hint = "return as soon as the metric first reaches the threshold"
    cases = [("a metric that dips after reaching", lambda: check(student, [0.61, 0.5, 0.7], 0.6,
                                                                  [0.61, 0.5, 0.7], hint, named=()))]
    for k in range(4):
        values = np.clip(np.linspace(0.3, 0.95, 200) + rng.normal(0, 0.05, 200), 0, 1)
        threshold = float(rng.uniform(0.6, 0.8))
        cases.append((f"noisy history {k + 1} of 200 epochs", lambda v=values, t=threshold: check(
            student, list(v), t, v, hint, named=())))
    score_cases(partial, cases)


@pytest.mark.points(0.5)
def test_epochs_to_reach_accepts_arrays_and_tuples(student, rng):
    """works on a numpy array or a tuple of per-epoch values"""
    hint = "loop over the values with a for loop; do not test an array with `if not values` or compare it to []"
    values = np.array([0.2, 0.55, 0.61, 0.4, 0.9])
    check(student, values, 0.6, values, hint, "epochs_to_reach(np.array([0.2, 0.55, 0.61, 0.4, 0.9]), 0.6)")
    check(student, tuple(values), 0.6, values, hint, "epochs_to_reach((0.2, 0.55, 0.61, 0.4, 0.9), 0.6)")
    check(student, np.array([0.1, 0.2]), 0.6, [0.1, 0.2], hint, "epochs_to_reach(np.array([0.1, 0.2]), 0.6)")
