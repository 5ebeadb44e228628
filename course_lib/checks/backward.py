"""Visible checks of notebook 04: the backward pass, on caches built by hand.

The cache comes from the stored numbers, not from the student's forward, so
a backward is checked on its own even when the forward is still wrong.
"""

import numpy as np

from ..compare import Mismatch, expect_close, expect_dtype, expect_shape, expect_unchanged, fmt, unpack
from ..bncache import BNCache
from ._data import arrays, data, hints_of
from ._report import Case, run_check

__all__ = ["check_batchnorm_backward", "check_batchnorm_backward_alt"]

def _cache(record):
    return BNCache(*(record[f] if f != "eps" else float(record[f]) for f in BNCache._fields))


def _check_backward(name, backward, verbose):
    d = arrays(data("batchnorm_backward"))
    cases_data = d["cases"]
    main = cases_data["main"]

    def call(fn, rec):
        cache = _cache(rec["cache"])
        return unpack(fn(rec["dout"].copy(), cache), ("dx", "dgamma", "dbeta"), name)

    def shapes(fn):
        dx, dgamma, dbeta = call(fn, main)
        N, D = main["dout"].shape
        expect_shape(dx, (N, D), "dx")
        expect_shape(dgamma, (D,), "dgamma")
        expect_shape(dbeta, (D,), "dbeta")

    def dbeta_ok(fn):
        _, _, dbeta = call(fn, main)
        expect_close(dbeta, main["dbeta"], "dbeta", atol=1e-8,
                     hint="out = gamma * x_hat + beta, so dbeta is dout summed over the batch (axis=0)")

    def dgamma_ok(fn):
        _, dgamma, _ = call(fn, main)
        expect_close(dgamma, main["dgamma"], "dgamma", atol=1e-8,
                     hint="dgamma is (dout * x_hat) summed over the batch (axis=0)")

    def dx_ok(fn, rec=main, label="dx"):
        dx, _, _ = call(fn, rec)
        expect_close(dx, rec["dx"], label, atol=1e-8, rtol=1e-6,
                     bugs=hints_of("batchnorm_backward", rec["bugs"]),   # the data holds its mistakes
                     hint="follow the graph back: dx_hat, then dvar, then dmu, then dx from all three paths")

    def properties(fn):
        dx, _, _ = call(fn, main)
        dx = expect_shape(dx, main["dout"].shape, "dx")
        col_sums = dx.sum(axis=0)
        along_x_hat = (dx * main["cache"]["x_hat"]).sum(axis=0)
        if not np.allclose(col_sums, 0, atol=1e-8):
            raise Mismatch(f"the columns of dx sum to {fmt(col_sums)}, expected 0",
                           "adding a constant to a column of x does not change out, so dx must sum to 0 "
                           "per column: is the mean path missing?")
        # exact only for eps = 0: with eps, rescaling x changes out very slightly
        if not np.allclose(along_x_hat, 0, atol=1e-5 * np.abs(main["dout"]).sum()):
            raise Mismatch(f"sum(dx * x_hat) per column is {fmt(along_x_hat)}, expected 0",
                           "scaling a column of x does not change out: is the variance path missing?")

    def two_samples(fn):
        dx_ok(fn, cases_data["pair"], "dx for a batch of 2")

    def float32(fn):
        cache = _cache(main["cache"])
        cache = cache._replace(**{f: getattr(cache, f).astype(np.float32) for f in BNCache._fields if f != "eps"})
        got = unpack(fn(main["dout"].astype(np.float32), cache), ("dx", "dgamma", "dbeta"), name)
        for what, value in zip(("dx", "dgamma", "dbeta"), got):
            expect_dtype(value, np.float32, f"{what} for a float32 dout and cache")

    def cache_eps(fn):
        dx_ok(fn, cases_data["eps"], "dx for a cache with eps = 0.5 and a constant column")

    def no_mutation(fn):
        dout = main["dout"].copy()
        cache = _cache(main["cache"])
        fn(dout, cache)
        expect_unchanged(main["dout"], dout, "dout")
        for field in ("x", "x_hat", "mu", "var", "inv_std", "gamma"):
            expect_unchanged(main["cache"][field], getattr(cache, field), f"cache.{field}")

    return run_check(name, backward, [
        Case("returns (dx, dgamma, dbeta) with shapes (N, D), (D,), (D,)", shapes),
        Case("dbeta is right", dbeta_ok),
        Case("dgamma is right", dgamma_ok),
        Case("dx is right", dx_ok),
        Case("dx sums to 0 per column and is orthogonal to x_hat", properties),
        Case("works for a batch of 2", two_samples),
        Case("uses what the cache holds, its eps included", cache_eps),
        Case("float32 in, float32 out", float32),
        Case("leaves dout and the cache unchanged", no_mutation),
    ], verbose)


def check_batchnorm_backward(batchnorm_backward, verbose=True):
    """Check the staged ``batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)``."""
    return _check_backward("batchnorm_backward", batchnorm_backward, verbose)


def check_batchnorm_backward_alt(batchnorm_backward_alt, verbose=True):
    """Check the closed-form ``batchnorm_backward_alt(dout, cache) -> (dx, dgamma, dbeta)``."""
    return _check_backward("batchnorm_backward_alt", batchnorm_backward_alt, verbose)
