"""Hidden tests of batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5) -> out, 4 points.

Two mistakes have a test of their own: the batch's own statistics instead
of the running ones, and eps outside the square root. Tests of other
properties accept their output, so that each costs the test that names it
and "out is right", not more.
"""

import numpy as np
import pytest

from autograder.suites import mistakes
from course_lib.compare import Mismatch, expect_close, expect_dtype, expect_shape, expect_unchanged
from autograder.suites.scoring import score_cases
from autograder.suites.inputs import layouts, tol
from course_lib.running_stats import batchnorm_inference as reference

FORMULA_HINT = "out = gamma * (x - running_mean) / sqrt(running_var + eps) + beta"
NAMES = ("x", "gamma", "beta", "running_mean", "running_var")


def inputs(rng, N, D, dtype=np.float64):
    """A batch and running statistics that differ from the batch's own."""
    rm = rng.uniform(-3.0, 3.0, D)
    rv = rng.uniform(0.2, 4.0, D)
    x = rm + 1.5 + rng.standard_normal((N, D)) * np.sqrt(rv) * 2.0
    gamma, beta = rng.uniform(0.5, 2.0, D), rng.uniform(-1.0, 1.0, D)
    return tuple(a.astype(dtype) for a in (x, gamma, beta, rm, rv))


NAMED = ("batch_stats", "eps_outside")


def check(student, args, eps, what, *, named=NAMED, hint=FORMULA_HINT, **tolerance):
    """The student's out against the reference.

    named: the mistakes whose output is accepted here, since tests of their own charge for them.
    """
    out = student.call("batchnorm_inference", *args, eps)
    known = mistakes.inference(*args, eps)
    expect_close(out, reference(*args, eps), what, hint, bugs=mistakes.pick(known),
                 tolerate=mistakes.pick(known, *named) if named else (), **(tolerance or tol(args[0].dtype)))
    return out


@pytest.mark.points(1.0)
def test_batchnorm_inference_is_right_for_several_batch_sizes(student, rng, partial):
    """out is right for batches of 1, 2, 64 and 4096 samples"""
    cases = []
    for N, D in ((1, 4), (2, 3), (64, 7), (4096, 6)):
        args = inputs(rng, N, D)
        cases.append((f"N = {N}", lambda args=args: check(student, args, 1e-5, "out", named=())))
    score_cases(partial, cases)


@pytest.mark.points(1.5)
def test_batchnorm_inference_uses_running_statistics_not_batch_statistics(student, rng):
    """normalizes with running_mean and running_var, not the batch's own statistics"""
    x, gamma, beta, rm, rv = inputs(rng, 16, 4)
    out = expect_shape(student.call("batchnorm_inference", x, gamma, beta, rm, rv, 1e-5), x.shape, "out",
                       "out has the shape of x")
    if np.allclose(out, mistakes.inference(x, gamma, beta, rm, rv, 1e-5)["batch_stats"][1], atol=1e-6):
        raise Mismatch("out was normalized with the mean and variance of the batch x itself",
                       mistakes.hint("batchnorm_inference", "batch_stats"))
    alone = np.vstack([np.asarray(student.call("batchnorm_inference", x[i:i + 1], gamma, beta, rm, rv, 1e-5),
                                  dtype=float).reshape(1, -1) for i in range(4)])
    if not np.allclose(alone, out[:4], rtol=1e-9, atol=1e-9):
        raise Mismatch("a sample's output changes with the other samples in the batch: sample 0 alone gives "
                       "another output than sample 0 in a batch of 16", mistakes.hint("batchnorm_inference", "batch_stats"))
    check(student, (x, gamma, beta, rm, rv), 1e-5, "out", named=("eps_outside",))
    check(student, (x[:1], gamma, beta, rm, rv), 1e-5, "out for a single sample", named=("eps_outside",))


@pytest.mark.points(0.5)
def test_batchnorm_inference_float32_keeps_dtype(student, rng):
    """float32 input gives float32 output"""
    args = inputs(rng, 128, 5, np.float32)
    out = check(student, args, 1e-5, "out for float32 inputs")
    expect_dtype(out, np.float32, "out")


@pytest.mark.points(0.5)
def test_batchnorm_inference_uses_the_eps_it_is_given(student, rng):
    """uses the eps it is given (1e-5, 1e-3 and 0.1), inside the square root, and 1e-5 when none is given"""
    for eps in (1e-5, 1e-3, 0.1):
        x, gamma, beta, rm, _ = inputs(rng, 10, 4)
        rv = np.array([1e-4, 1e-3, 0.05, 1.0])   # small variances, so that eps matters
        check(student, (x, gamma, beta, rm, rv), eps, f"out with eps = {eps}", named=("batch_stats",),
              hint="use the eps argument, inside the square root: sqrt(running_var + eps)")
    out = student.call("batchnorm_inference", x, gamma, beta, rm, rv)
    expect_close(out, reference(x, gamma, beta, rm, rv, 1e-5), "out without an eps argument",
                 "give eps the default the contract states: eps=1e-5",
                 tolerate=mistakes.pick(mistakes.inference(x, gamma, beta, rm, rv, 1e-5), "batch_stats"))


@pytest.mark.points(0.25)
def test_batchnorm_inference_works_on_non_contiguous_arrays(student, rng):
    """works for one feature and on sliced, Fortran-ordered and transposed arrays"""
    check(student, inputs(rng, 9, 1), 1e-5, "out for D = 1")
    x, gamma, beta, rm, rv = inputs(rng, 11, 4)
    for label, view in layouts(x):
        check(student, (view, gamma, beta, rm, rv), 1e-5, f"out for x given as {label}")
    wide = np.repeat(rv, 2)
    check(student, (x, gamma, beta, rm, wide[::2]), 1e-5, "out for running_var given as a slice")


@pytest.mark.points(0.25)
def test_batchnorm_inference_leaves_inputs_unchanged(student, rng):
    """leaves x, gamma, beta and the running statistics unchanged"""
    args = inputs(rng, 6, 3)
    student.call("batchnorm_inference", *(a.copy() for a in args), 1e-5)
    for name, before, after in zip(NAMES, args, student.inputs_after):
        expect_unchanged(before, after, name)
