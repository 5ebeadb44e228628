"""Visible checks of notebook 05: running statistics and inference."""

import numpy as np

from ..compare import Mismatch, as_array, expect_close, expect_dtype, expect_shape, expect_unchanged, unpack
from ._data import arrays, data, hint, hints_of
from ._report import Case, run_check

__all__ = ["check_update_running_stats", "check_batchnorm_inference"]

def check_update_running_stats(update_running_stats, verbose=True):
    """Check ``update_running_stats(rm, rv, bm, bv, momentum=0.9) -> (new_mean, new_var)``."""
    d = arrays(data("update_running_stats"))
    rm, rv, bm, bv = d["running_mean"], d["running_var"], d["batch_mean"], d["batch_var"]

    def call(fn, *momentum):
        return unpack(fn(rm.copy(), rv.copy(), bm.copy(), bv.copy(), *momentum),
                      ("new_mean", "new_var"), "update_running_stats")

    def default(fn):
        mean, var = call(fn)
        bugs = d["bugs"]["default"]
        expect_close(mean, d["default"]["mean"], "new_mean (momentum 0.9)",
                     bugs=hints_of("update_running_stats", {k: v["mean"] for k, v in bugs.items()}),
                     hint="new_mean = momentum * running_mean + (1 - momentum) * batch_mean")
        expect_close(var, d["default"]["var"], "new_var (momentum 0.9)",
                     bugs=hints_of("update_running_stats", {k: v["var"] for k, v in bugs.items()}),
                     hint="new_var = momentum * running_var + (1 - momentum) * batch_var")

    def given(fn):
        mean, var = call(fn, d["momentum"])
        expect_close(mean, d["given"]["mean"], f"new_mean (momentum {d['momentum']})",
                     hint="use the momentum argument, not a constant")
        expect_close(var, d["given"]["var"], f"new_var (momentum {d['momentum']})",
                     hint="use the momentum argument, not a constant")

    def extremes(fn):
        mean, var = call(fn, 0.0)
        expect_close(mean, bm, "new_mean with momentum 0", hint="momentum 0 keeps only the new batch")
        expect_close(var, bv, "new_var with momentum 0", hint="momentum 0 keeps only the new batch")
        mean, var = call(fn, 1.0)
        expect_close(mean, rm, "new_mean with momentum 1", hint="momentum 1 keeps the old running value")

    def float32(fn):
        got = unpack(fn(*(a.astype(np.float32) for a in (rm, rv, bm, bv))), ("new_mean", "new_var"),
                     "update_running_stats")
        for what, value in zip(("new_mean", "new_var"), got):
            expect_dtype(value, np.float32, f"{what} for float32 statistics")

    def no_mutation(fn):
        args = [a.copy() for a in (rm, rv, bm, bv)]
        fn(*args)
        for name, before, after in zip(("running_mean", "running_var", "batch_mean", "batch_var"),
                                       (rm, rv, bm, bv), args):
            expect_unchanged(before, after, name)

    return run_check("update_running_stats", update_running_stats, [
        Case("the notes' rule with the default momentum 0.9", default),
        Case("uses the momentum it is given", given),
        Case("momentum 0 gives the batch statistics, momentum 1 keeps the running ones", extremes),
        Case("float32 in, float32 out", float32),
        Case("returns new arrays and leaves its inputs unchanged", no_mutation),
    ], verbose)


def check_batchnorm_inference(batchnorm_inference, verbose=True):
    """Check ``batchnorm_inference(x, gamma, beta, running_mean, running_var, eps) -> out``."""
    d = arrays(data("batchnorm_inference"))
    x, gamma, beta, rm, rv, eps = (d[k] for k in ("x", "gamma", "beta", "running_mean", "running_var", "eps"))

    def call(fn, x=x):
        return fn(x.copy(), gamma.copy(), beta.copy(), rm.copy(), rv.copy(), eps)

    def shape(fn):
        expect_shape(call(fn), x.shape, "out")

    def default_eps(fn):
        out = fn(x.copy(), gamma.copy(), beta.copy(), rm.copy(), rv.copy())
        expect_close(out, d["out_default_eps"], "out without an eps argument",
                     "give eps the default the contract states: eps=1e-5")

    def float32(fn):
        args = (v.astype(np.float32) for v in (x, gamma, beta, rm, rv))
        expect_dtype(fn(*args, eps), np.float32, "out for float32 inputs")

    def matches(fn):
        expect_close(call(fn), d["out"], "out", bugs=hints_of("batchnorm_inference", d["bugs"]),
                     hint="out = gamma * (x - running_mean) / sqrt(running_var + eps) + beta")

    def single(fn):
        out = as_array(call(fn, x[:1]), "out for one sample")
        expect_close(out, d["out"][:1], "out for a single sample", bugs=[(hint("batchnorm_inference", "batch_stats"),
                                                                          beta[None, :])])

    def independent(fn):
        full = expect_shape(call(fn), x.shape, "out")
        alone = np.vstack([as_array(call(fn, x[i:i + 1]), "out") for i in range(len(x))])
        if not np.allclose(full, alone, atol=1e-10):
            raise Mismatch("a sample's output changes with the other samples in the batch",
                           hint("batchnorm_inference", "batch_stats"))

    def no_mutation(fn):
        args = [a.copy() for a in (x, gamma, beta, rm, rv)]
        fn(*args, eps)
        for name, before, after in zip(("x", "gamma", "beta", "running_mean", "running_var"),
                                       (x, gamma, beta, rm, rv), args):
            expect_unchanged(before, after, name)

    return run_check("batchnorm_inference", batchnorm_inference, [
        Case("returns out with the shape of x", shape),
        Case("normalizes with the running statistics", matches),
        Case("uses eps = 1e-5 when none is given", default_eps),
        Case("float32 in, float32 out", float32),
        Case("works for a single sample", single),
        Case("each sample's output depends only on that sample", independent),
        Case("leaves its inputs unchanged", no_mutation),
    ], verbose)
