"""Hidden tests of standardize(X) -> (X_std, mean, std), 4 points."""

import numpy as np
import pytest

from autograder.suites import mistakes
from course_lib.compare import Mismatch, expect_close, expect_shape, expect_unchanged, fmt, unpack
from autograder.suites.scoring import score_cases
from autograder.suites.inputs import SIZES, layouts, offset_batch, tol
from course_lib.normalize import standardize as reference

CONSTANT_HINT = mistakes.hint("standardize", "std_positive")
FORMULA_HINT = "X_std = (X - mean) / std, column by column, with the population std (divide by N)"


def call(student, X):
    return unpack(student.call("standardize", X), ("X_std", "mean", "std"), "standardize")


def data(rng, N, D):
    return rng.standard_normal((N, D)) * rng.uniform(0.5, 20.0, D) + rng.uniform(-50.0, 50.0, D)


def check(student, X, label, *, tolerate_ddof1=True, **tolerance):
    """X_std, mean and std of the student's standardize(X) against the reference.

    tolerate_ddof1: accept the sample std (ddof=1), which the test of the
    population std charges for, so that one mistake is not charged twice.
    """
    X_std, mean, std = call(student, X)
    ref_std, ref_mean, ref_sd = reference(X)
    tolerance = tolerance or tol(X.dtype)
    ddof1 = mistakes.standardize_ddof1(X)
    sd1 = (mistakes.hint("standardize", "ddof1"), np.asarray(X, np.float64).std(0, ddof=1))
    expect_close(mean, ref_mean, f"mean {label}".strip(), "the mean of each column: average over the rows (axis=0)",
                 **tolerance)
    expect_close(std, ref_sd, f"std {label}".strip(), "the standard deviation of each column (axis=0)",
                 bugs=[sd1], tolerate=[sd1] if tolerate_ddof1 else (), **tolerance)
    expect_close(X_std, ref_std, f"X_std {label}".strip(), FORMULA_HINT, bugs=[ddof1],
                 tolerate=[ddof1] if tolerate_ddof1 else (), **tolerance)


@pytest.mark.points(0.5)
def test_standardize_returns_three_arrays_of_the_right_shapes(student, rng):
    """returns (X_std, mean, std) with shapes (N, D), (D,), (D,)"""
    X = data(rng, 9, 4)
    X_std, mean, std = call(student, X)
    expect_shape(X_std, (9, 4), "X_std", "X_std has one row per sample and one column per feature, like X")
    expect_shape(mean, (4,), "mean")
    expect_shape(std, (4,), "std")


@pytest.mark.points(0.5)
def test_standardize_mean_is_the_column_mean(student, rng):
    """mean is the mean of each column"""
    for N, D in ((5, 3), (200, 8)):
        X = data(rng, N, D)
        _, mean, _ = call(student, X)
        expect_close(mean, reference(X)[1], f"mean for X of shape {(N, D)}",
                     "the mean of each column: average over the rows (axis=0)")


@pytest.mark.points(0.75)
def test_standardize_std_is_the_population_std(student, rng):
    """std is the population standard deviation (divide by N, not N - 1)"""
    for N, D in ((4, 3), (50, 6)):
        X = data(rng, N, D)
        _, _, std = call(student, X)
        expect_close(std, reference(X)[2], f"std for X of shape {(N, D)}",
                     "the population standard deviation of each column: np.std(X, axis=0)",
                     bugs=[(mistakes.hint("standardize", "ddof1"), X.std(0, ddof=1))])


@pytest.mark.points(0.75)
def test_standardize_is_right_for_several_batch_sizes(student, rng, partial):
    """X_std, mean and std are right for N = 2, 3, 64 and 4096 samples"""
    cases = []
    for N, D in SIZES:
        X = data(rng, N, D)
        cases.append((f"N = {N}", lambda X=X: check(student, X, "", tolerate_ddof1=False)))
    score_cases(partial, cases)


@pytest.mark.points(0.5)
def test_standardize_constant_columns_become_zeros(student, rng):
    """a constant column becomes zeros, with std 0, not NaN"""
    for N in (3, 4096):
        X = data(rng, N, 6)
        X[:, 0] = 0.1
        X[:, 2] = 7.0
        X[:, 3] = 1.0 / 3.0
        X[:, 5] = -2.5e-3
        X_std, _, std = call(student, X)
        X_std = expect_shape(X_std, X.shape, "X_std", "X_std has the shape of X")
        std = expect_shape(std, (6,), "std")
        const = [0, 2, 3, 5]
        expect_close(X_std[:, const], np.zeros((N, 4)),
                     f"X_std of the constant columns (of 0.1, 7.0, 1/3 and -0.0025, N = {N})", CONSTANT_HINT)
        if np.any(X_std[:, const] != 0):   # exactly zero: round-off residue is not
            raise Mismatch(f"X_std of the constant columns (N = {N}) should be exactly 0, not "
                           f"{fmt(X_std[:, const][X_std[:, const] != 0][:3])}", CONSTANT_HINT)
        expect_close(std[const], np.zeros(4), f"std of the constant columns (N = {N})",
                     "a constant column has std 0", atol=1e-12)


@pytest.mark.points(0.25)
def test_standardize_is_accurate_for_large_offsets(student, rng):
    """columns far from zero (1e4 + small noise) are standardized accurately"""
    X = offset_batch(rng, 500, 4)
    check(student, X, "for columns like 1e4 + 0.01 * noise", rtol=1e-6, atol=1e-6)


@pytest.mark.points(0.25)
def test_standardize_accepts_float32_and_integer_input(student, rng):
    """float32, integer and list inputs give the right values"""
    X32 = data(rng, 100, 4).astype(np.float32)
    check(student, X32, "for a float32 X")
    counts = rng.integers(0, 100, (40, 3))
    X_std, mean, std = call(student, counts)
    expect_close(X_std, reference(counts)[0], "X_std for an integer X", tolerate=[mistakes.standardize_ddof1(counts)],
                 hint=
"an integer X must give float results: convert it with np.asarray(X, dtype=float), "
                 "and do not write floats into an integer array")
    expect_close(mean, reference(counts)[1], "mean for an integer X")
    rows = data(rng, 10, 3)
    X_std, mean, std = call(student, rows.tolist())   # array_like: a list of rows
    expect_close(X_std, reference(rows)[0], "X_std for X given as a list of rows",
                 "accept any array_like X: start with X = np.asarray(X)", tolerate=[mistakes.standardize_ddof1(rows)])


@pytest.mark.points(0.25)
def test_standardize_works_on_non_contiguous_arrays(student, rng):
    """works on sliced, Fortran-ordered and transposed arrays"""
    X = data(rng, 30, 5)
    for label, view in layouts(X):
        check(student, view, f"for X given as {label}")


@pytest.mark.points(0.25)
def test_standardize_leaves_its_input_unchanged(student, rng):
    """leaves X unchanged"""
    X = data(rng, 20, 4)
    X[:, 1] = 2.0
    student.call("standardize", X.copy())
    expect_unchanged(X, student.inputs_after[0], "X")
