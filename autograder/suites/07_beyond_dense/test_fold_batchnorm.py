"""Hidden tests of fold_batchnorm(W, b, gamma, beta, running_mean, running_var, eps=1e-5) -> (W_folded, b_folded),
3 points.

W is (D_in, D_out); the folded Dense layer must compute Dense(W, b) followed
by batch norm in eval mode. Two mistakes have a test of their own: a folded
bias without the running mean, and a bias left unscaled. Tests of other
properties accept their output, so that each costs the test that names it
and "the folded layer is right", not more.
"""

import numpy as np
import pytest

from autograder.suites.beyond import bugs, known, matches, tolerated, unchanged
from autograder.suites.inputs import layouts, tol
from autograder.suites.scoring import score_cases
from course_lib.compare import expect_close, expect_dtype, expect_shape, unpack
from course_lib.folding import fold_batchnorm as reference
from course_lib.checks.beyond_dense import FOLD

NAME = "fold_batchnorm"
NAMED = ("bias_no_mean", "bias_unscaled")
ARGS = ("W", "b", "gamma", "beta", "running_mean", "running_var")


def others(*own):
    return tuple(n for n in NAMED if n not in own)


def layer(rng, D_in, D_out, dtype=np.float64):
    """(W, b, gamma, beta, running_mean, running_var) of a Dense -> BatchNorm pair, and new inputs X."""
    W = rng.standard_normal((D_in, D_out)) / np.sqrt(D_in)
    b = rng.uniform(-1.0, 1.0, D_out)
    gamma, beta = rng.uniform(0.5, 2.0, D_out), rng.uniform(-1.0, 1.0, D_out)
    running_mean, running_var = rng.uniform(-2.0, 2.0, D_out), rng.uniform(0.1, 4.0, D_out)
    X = rng.standard_normal((16, D_in)) * 2.0
    return tuple(a.astype(dtype) for a in (W, b, gamma, beta, running_mean, running_var)), X.astype(dtype)


def call(student, args, eps=None):
    args = tuple(args) if eps is None else (*args, eps)
    return unpack(student.call(NAME, *args), ("W_folded", "b_folded"), NAME)


def eval_mode(args, X, eps):
    """Dense(W, b) then batch norm in eval mode, written out: what the folded layer must compute."""
    W, b, gamma, beta, running_mean, running_var = (np.asarray(a, np.float64) for a in args)
    z = np.asarray(X, np.float64) @ W + b
    return gamma * (z - running_mean) / np.sqrt(running_var + eps) + beta


def check_fold(student, args, X, eps, what, *, named=NAMED, hint=FOLD):
    """W_folded and b_folded against the reference, and the folded layer on X against Dense then eval-mode BN."""
    W_folded, b_folded = call(student, args, eps)
    eps = 1e-5 if eps is None else eps
    expected = reference(*args, eps)
    results = known(NAME, NAMED, *args, eps)
    tolerance = tol(args[0].dtype)
    W_folded = expect_close(W_folded, expected[0], f"W_folded {what}".strip(), hint,
                            bugs=bugs(NAME, results, 0), tolerate=tolerated(results, named, 0), **tolerance)
    b_folded = expect_close(b_folded, expected[1], f"b_folded {what}".strip(), hint,
                            bugs=bugs(NAME, results, 1), tolerate=tolerated(results, named, 1), **tolerance)
    if not matches(b_folded, tolerated(results, named, 1), **tolerance):   # else charged by its own test
        expect_close(np.asarray(X, np.float64) @ W_folded + b_folded, eval_mode(args, X, eps),
                     f"X @ W_folded + b_folded {what}".strip(),
                     "the folded layer must give Dense(W, b) followed by batch norm in eval mode", **tolerance)
    return W_folded, b_folded


@pytest.mark.points(0.25)
def test_fold_batchnorm_returns_w_and_b_of_the_right_shapes(student, rng):
    """returns (W_folded, b_folded) with the shapes of W, (D_in, D_out), and b, (D_out,)"""
    args, _ = layer(rng, 5, 3)
    W_folded, b_folded = call(student, args, 1e-5)
    expect_shape(W_folded, (5, 3), "W_folded", "W_folded has the shape of W: (D_in, D_out)")
    expect_shape(b_folded, (3,), "b_folded", "b_folded has one entry per unit, like b")


@pytest.mark.points(0.75)
def test_fold_batchnorm_folded_layer_equals_dense_then_bn_in_eval_mode(student, rng, partial):
    """the folded layer computes Dense then eval-mode batch norm, for several layer sizes"""
    cases = []
    for D_in, D_out in ((2, 3), (7, 4), (64, 32), (300, 10)):
        args, X = layer(rng, D_in, D_out)
        cases.append((f"D_in = {D_in}, D_out = {D_out}", lambda args=args, X=X: check_fold(
            student, args, X, 1e-5, "", named=())))
    score_cases(partial, cases)


@pytest.mark.points(0.5)
def test_fold_batchnorm_folded_bias_subtracts_the_running_mean(student, rng):
    """the folded bias takes away the scaled running mean: the -gamma * running_mean / sigma term"""
    for D_in, D_out in ((4, 3), (6, 6)):
        args, X = layer(rng, D_in, D_out)
        check_fold(student, args, X, 1e-5, f"for D_in = {D_in}, D_out = {D_out}", named=others("bias_no_mean"))


@pytest.mark.points(0.5)
def test_fold_batchnorm_bias_is_scaled_too(student, rng):
    """batch norm scales the bias of the Dense layer too"""
    for D_in, D_out in ((3, 5), (8, 2)):
        args, X = layer(rng, D_in, D_out)
        check_fold(student, args, X, 1e-5, f"for D_in = {D_in}, D_out = {D_out}", named=others("bias_unscaled"))


@pytest.mark.points(0.25)
def test_fold_batchnorm_uses_the_running_variance_and_eps(student, rng):
    """uses running_var and the eps it is given (1e-3 and 0.1, and 1e-5 by default), inside the square root"""
    args, X = layer(rng, 4, 4)
    args = args[:5] + (np.array([1e-4, 1e-3, 0.05, 1.0]),)   # small variances, so that eps matters
    for eps in (1e-3, 0.1, None):
        check_fold(student, args, X, eps, "with the default eps" if eps is None else f"with eps = {eps}",
                   hint="s = gamma / sqrt(running_var + eps): the eps argument inside the square root (default 1e-5)")


@pytest.mark.points(0.25)
def test_fold_batchnorm_float32_keeps_dtype(student, rng):
    """float32 input gives float32 W_folded and b_folded, and the right values"""
    args, X = layer(rng, 32, 16, np.float32)
    for what, value in zip(("W_folded", "b_folded"), check_fold(student, args, X, 1e-5, "for a float32 layer")):
        expect_dtype(value, np.float32, what)


@pytest.mark.points(0.25)
def test_fold_batchnorm_odd_shapes_and_layouts(student, rng):
    """works for one input, one unit, and on sliced, Fortran-ordered and transposed arrays"""
    for D_in, D_out in ((1, 4), (5, 1), (1, 1)):
        args, X = layer(rng, D_in, D_out)
        check_fold(student, args, X, 1e-5, f"for D_in = {D_in}, D_out = {D_out}")
    args, X = layer(rng, 6, 4)
    for label, view in layouts(args[0]):
        check_fold(student, (view,) + args[1:], X, 1e-5, f"for W given as {label}")
    wide = np.repeat(args[5], 2)
    check_fold(student, args[:5] + (wide[::2],), X, 1e-5, "for running_var given as every other entry of an array")


@pytest.mark.points(0.25)
def test_fold_batchnorm_leaves_inputs_unchanged(student, rng):
    """leaves W, b, gamma, beta and the running statistics unchanged"""
    args, X = layer(rng, 4, 3)
    student.call(NAME, *(a.copy() for a in args), 1e-5)
    unchanged(ARGS, args, student.inputs_after)
    check_fold(student, args, X, 1e-5, "")   # and the answer is right
