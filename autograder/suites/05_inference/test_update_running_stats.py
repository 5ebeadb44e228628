"""Hidden tests of update_running_stats(rm, rv, bm, bv, momentum=0.9) -> (new_mean, new_var), 4 points.

The notes' convention: momentum weighs the OLD running value. Two mistakes
have a test of their own: the reversed (PyTorch) convention, and the batch
mean used for the variance. Tests of other properties accept their output,
so that each costs the test that names it, not more.
"""

import numpy as np
import pytest

from autograder.suites import mistakes
from course_lib.compare import Mismatch, expect_close, expect_dtype, expect_shape, expect_unchanged, unpack
from course_lib.running_stats import update_running_stats as reference

RULE_HINT = "new = momentum * running + (1 - momentum) * batch, for the mean and for the variance"
NAMES = ("running_mean", "running_var", "batch_mean", "batch_var")


def stats(rng, D, dtype=np.float64):
    rm = rng.uniform(-2.0, 2.0, D)
    rv = rng.uniform(0.5, 3.0, D)
    bm = rm + rng.uniform(-5.0, 5.0, D)
    bv = rng.uniform(0.1, 10.0, D)
    return tuple(a.astype(dtype) for a in (rm, rv, bm, bv))


def call(student, args, *momentum, **kw):
    return unpack(student.call("update_running_stats", *args, *momentum, **kw), ("new_mean", "new_var"),
                  "update_running_stats")


NAMED = ("swapped", "mean_for_var")


def check(student, args, momentum, label, *, keyword=False, named=NAMED, rtol=1e-9, atol=1e-12):
    """The student's update with ``momentum`` (None: the default) against the notes' rule.

    keyword: pass momentum by keyword. named: the mistakes whose output is
    accepted here, since tests of their own charge for them.
    """
    if momentum is None:
        new_mean, new_var = call(student, args)
    elif keyword:
        new_mean, new_var = call(student, args, momentum=momentum)
    else:
        new_mean, new_var = call(student, args, momentum)
    m = 0.9 if momentum is None else momentum
    ref_mean, ref_var = reference(*args, m)
    known = mistakes.update(*args, m)
    for i, (what, got, ref) in enumerate((("new_mean", new_mean, ref_mean), ("new_var", new_var, ref_var))):
        bugs = [(hint, out[i]) for hint, out in known.values()]
        tolerate = [known[name][1][i] for name in named]
        expect_close(got, ref, f"{what} {label}", RULE_HINT, bugs=bugs, tolerate=tolerate, rtol=rtol, atol=atol)


@pytest.mark.points(1.25)
def test_update_running_stats_momentum_weighs_the_old_value(student, rng):
    """momentum weighs the old running value (the notes' rule), by default 0.9"""
    args = stats(rng, 5)
    for momentum in (None, 0.99, 0.7):
        label = "with the default momentum" if momentum is None else f"with momentum {momentum}"
        new_mean, _ = call(student, args) if momentum is None else call(student, args, momentum)
        m = 0.9 if momentum is None else momentum
        swapped = mistakes.update(*args, m)["swapped"][1][0]
        if np.allclose(np.asarray(new_mean, float), swapped, rtol=1e-9, atol=1e-12):
            raise Mismatch(f"new_mean {label} weighs the new batch by the momentum: "
                           "the running value should keep most of its weight", mistakes.hint("update_running_stats", "swapped"))
        check(student, args, momentum, label, named=("mean_for_var",))
    rm, rv, bm, bv = args
    new_mean, new_var = call(student, args, 1.0)
    expect_close(new_mean, rm, "new_mean with momentum 1", "momentum 1 keeps the old running value",
                 rtol=1e-9, atol=1e-12)
    new_mean, new_var = call(student, args, 0.0)
    expect_close(new_mean, bm, "new_mean with momentum 0", "momentum 0 keeps only the new batch",
                 rtol=1e-9, atol=1e-12)


@pytest.mark.points(0.75)
def test_update_running_stats_uses_the_momentum_it_is_given(student, rng):
    """uses the momentum it is given, by position or by keyword"""
    args = stats(rng, 4)
    for momentum in (0.5, 0.99, 0.25):
        check(student, args, momentum, f"with momentum {momentum}")
    check(student, args, 0.8, "with momentum=0.8 given by keyword", keyword=True)


@pytest.mark.points(0.75)
def test_update_running_stats_variance_follows_the_batch_variance(student, rng):
    """the running variance is updated with the batch variance"""
    for momentum in (0.9, 0.6):
        check(student, stats(rng, 6), momentum, f"with momentum {momentum}", named=("swapped",))


@pytest.mark.points(0.5)
def test_update_running_stats_shapes_dtypes_and_layouts(student, rng):
    """works for one feature, for many, for float32 and for sliced arrays"""
    for D in (1, 1000):
        args = stats(rng, D)
        new_mean, new_var = call(student, args, 0.9)
        expect_shape(new_mean, (D,), f"new_mean for D = {D}", "one running mean per feature")
        expect_shape(new_var, (D,), f"new_var for D = {D}", "one running variance per feature")
        check(student, args, 0.9, f"for D = {D}")
    args32 = stats(rng, 8, np.float32)
    check(student, args32, 0.9, "for float32 statistics", rtol=1e-5, atol=1e-5)
    for what, got in zip(("new_mean", "new_var"), call(student, args32, 0.9)):
        expect_dtype(got, np.float32, f"{what} for float32 statistics")
    wide = [np.repeat(a, 2) for a in stats(rng, 5)]
    check(student, tuple(w[::2] for w in wide), 0.9, "for statistics given as every other entry of an array")


@pytest.mark.points(0.75)
def test_update_running_stats_returns_new_arrays_inputs_unchanged(student, rng):
    """returns new arrays and leaves its inputs unchanged"""
    args = stats(rng, 5)
    call(student, tuple(a.copy() for a in args), 0.9)
    after = student.inputs_after
    for name, before, now in zip(NAMES, args, after):
        expect_unchanged(before, now, name)
