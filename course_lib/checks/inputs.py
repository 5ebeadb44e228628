"""Visible check of notebook 01: standardize."""

import numpy as np

from ..compare import Mismatch, expect_close, expect_shape, expect_unchanged, fmt, unpack
from ._data import arrays, data, hint
from ._report import Case, run_check

__all__ = ["check_standardize"]

def _call(fn, X):
    return unpack(fn(X.copy()), ("X_std", "mean", "std"), "standardize")


def check_standardize(standardize, verbose=True):
    """Check ``standardize(X) -> (X_std, mean, std)``; print a report, raise CheckFailed if wrong."""
    d = arrays(data("standardize"))
    X, N, D = d["X"], *d["X"].shape

    def shapes(fn):
        X_std, mean, std = _call(fn, X)
        expect_shape(X_std, (N, D), "X_std")
        expect_shape(mean, (D,), "mean")
        expect_shape(std, (D,), "std")

    def statistics(fn):
        _, mean, std = _call(fn, X)
        expect_close(mean, d["mean"], "mean", hint="the mean of each column: average over the rows (axis=0)")
        expect_close(std, d["std"], "std", bugs=[(hint("standardize", "ddof1"), d["bugs"]["ddof1"]["std"])],
                     hint="the standard deviation of each column (axis=0)")

    def standardized(fn):
        X_std, _, _ = _call(fn, X)
        X_std = expect_close(X_std, d["X_std"], "X_std", bugs=[(hint("standardize", "ddof1"), d["bugs"]["ddof1"]["X_std"])],
                             hint="X_std = (X - mean) / std, column by column")
        col_mean, col_std = X_std.mean(axis=0), X_std.std(axis=0)
        if not (np.allclose(col_mean, 0, atol=1e-8) and np.allclose(col_std, 1, atol=1e-6)):
            raise Mismatch(f"columns of X_std have mean {fmt(col_mean)} and std {fmt(col_std)}")

    def constant_column(fn):
        X_std, _, std = _call(fn, d["X_const"])
        X_std = expect_close(X_std, d["X_const_std"], "X_std with constant columns of 7.0 and of 0.1",
                             hint=hint("standardize", "std_positive"))
        std = expect_close(std, d["X_const_sd"], "std for a constant column", atol=1e-12)
        constant = np.asarray(d["X_const"]).max(axis=0) == np.asarray(d["X_const"]).min(axis=0)
        if np.any(X_std[:, constant] != 0):   # exactly: round-off residue is not zero
            raise Mismatch("the constant columns of 7.0 and of 0.1 should give exactly 0 in X_std, "
                           f"not {fmt(X_std[:, constant].ravel())}",
                           hint("standardize", "std_positive"))

    def integers(fn):
        X_std, _, _ = _call(fn, d["X_int"].astype(np.int64))
        expect_close(X_std, d["X_int_std"], "X_std for an integer X",
                     "an integer X gives float results: make X float when it is not")

    def array_like(fn):
        X_std, _, _ = unpack(fn(X.tolist()), ("X_std", "mean", "std"), "standardize")
        expect_close(X_std, d["X_std"], "X_std for X given as a list of rows",
                     hint="accept any array_like X: start with X = np.asarray(X)")

    def no_mutation(fn):
        X0 = X.copy()
        fn(X0)
        expect_unchanged(X, X0, "X")

    return run_check("standardize", standardize, [
        Case("returns (X_std, mean, std) with shapes (N, D), (D,), (D,)", shapes),
        Case("mean and std are the column statistics (population std)", statistics),
        Case("X_std = (X - mean) / std: every column has mean 0 and std 1", standardized),
        Case("a constant column becomes zeros, not NaN", constant_column),
        Case("accepts a list of rows (array_like)", array_like),
        Case("an integer X gives float results", integers),
        Case("leaves X unchanged", no_mutation),
    ], verbose)
