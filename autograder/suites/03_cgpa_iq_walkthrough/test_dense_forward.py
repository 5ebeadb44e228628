"""Hidden tests of dense_forward(X, W, b) -> Z, 2 points."""

import numpy as np
import pytest

from course_lib.compare import expect_close, expect_dtype, expect_shape, expect_unchanged
from autograder.suites.scoring import score_cases
from autograder.suites.inputs import layouts
from autograder.suites import mistakes
from course_lib.dense import dense_forward as reference

FORMULA_HINT = "Z[i, j] = sum over d of X[i, d] * W[d, j], plus b[j]: Z = X @ W + b"


def inputs(rng, N, D_in, D_out, dtype=np.float64):
    X = rng.standard_normal((N, D_in)) * 3.0 + 1.0
    W = rng.standard_normal((D_in, D_out))
    b = rng.uniform(-2.0, 2.0, D_out)
    return X.astype(dtype), W.astype(dtype), b.astype(dtype)


def check(student, X, W, b, what, *, named=True, **tolerance):
    """The student's Z against the reference.

    named: accept Z without the bias, which a test of its own charges for.
    """
    Z = student.call("dense_forward", X, W, b)
    known = mistakes.outputs("dense_forward", ("no_bias", "transposed"), X, W, b)   # transposed: W square only
    no_bias = known["no_bias"]
    bugs = mistakes.pick(known)
    scale = max(1.0, float(np.abs(reference(X, W, b)).max()))
    tolerance = tolerance or {"rtol": 1e-6, "atol": 1e-9 * scale}
    expect_close(Z, reference(X, W, b), what, FORMULA_HINT, bugs=bugs, tolerate=[no_bias] if named else (),
                 **tolerance)


@pytest.mark.points(0.75)
def test_dense_forward_is_right_for_several_shapes(student, rng, partial):
    """Z is right for batches of 2 to 4096 samples and layers of several widths"""
    shapes = ((2, 3, 4), (3, 5, 2), (64, 10, 7), (4096, 20, 16))
    cases = []
    for N, D_in, D_out in shapes:
        X, W, b = inputs(rng, N, D_in, D_out)
        cases.append((f"X of shape {(N, D_in)}, W of shape {(D_in, D_out)}",
                      lambda X=X, W=W, b=b: check(student, X, W, b, "Z", named=False)))
    score_cases(partial, cases)


@pytest.mark.points(0.25)
def test_dense_forward_single_sample_and_single_unit(student, rng):
    """works for one sample (N = 1) and for a layer of one unit (D_out = 1)"""
    X, W, b = inputs(rng, 1, 4, 3)
    Z = student.call("dense_forward", X, W, b)
    expect_shape(Z, (1, 3), "Z for a single sample", "Z has one row per sample, even for a batch of one")
    check(student, X, W, b, "Z for a single sample")
    X, W, b = inputs(rng, 6, 4, 1)
    check(student, X, W, b, "Z for a layer of one unit")


@pytest.mark.points(0.25)
def test_dense_forward_adds_the_bias_of_each_unit(student, rng):
    """adds each unit's bias to every row"""
    X, W, _ = inputs(rng, 5, 3, 4)
    b = np.array([10.0, -20.0, 0.5, 3.0])
    check(student, X, W, b, "Z with b = [10, -20, 0.5, 3]", named=False)


@pytest.mark.points(0.25)
def test_dense_forward_w_is_d_in_by_d_out(student, rng):
    """uses W as (D_in, D_out): W[d, j] connects input d to unit j"""
    X, W, b = inputs(rng, 6, 3, 3)   # square W, so W.T runs too
    check(student, X, W, b, "Z for a square W")


@pytest.mark.points(0.25)
def test_dense_forward_float32_and_non_contiguous_inputs(student, rng):
    """works on float32 (float32 in, float32 out), integers, sliced, Fortran-ordered and transposed arrays"""
    X, W, b = inputs(rng, 32, 6, 5, np.float32)
    check(student, X, W, b, "Z for float32 inputs", rtol=1e-4, atol=1e-3)
    expect_dtype(student.call("dense_forward", X, W, b), np.float32, "Z for float32 inputs")
    Xi, Wi, bi = rng.integers(-5, 6, (7, 3)), rng.integers(-5, 6, (3, 2)), rng.integers(-5, 6, 2)
    check(student, Xi, Wi, bi, "Z for integer inputs")
    X, W, b = inputs(rng, 12, 5, 4)
    for label, view in layouts(X):
        check(student, view, W, b, f"Z for X given as {label}")
    for label, view in layouts(W):
        check(student, X, view, b, f"Z for W given as {label}")


@pytest.mark.points(0.25)
def test_dense_forward_leaves_inputs_unchanged(student, rng):
    """leaves X, W and b unchanged"""
    X, W, b = inputs(rng, 7, 3, 2)
    student.call("dense_forward", X.copy(), W.copy(), b.copy())
    for name, before, after in zip(("X", "W", "b"), (X, W, b), student.inputs_after):
        expect_unchanged(before, after, name)
