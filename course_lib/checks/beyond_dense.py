"""Visible checks of notebook 07: spatial batch norm, layer norm, group norm and folding.

The backward passes are checked on caches built from the stored numbers,
not from the student's forward, so each is checked on its own even when the
forward is still wrong.
"""

import numpy as np

from ..bncache import BNCache, LNCache
from ..compare import (Mismatch, as_array, expect, expect_close, expect_dtype, expect_shape, expect_unchanged, fmt,
                       unpack)
from ._data import arrays, data, hint, hints_of
from ._report import Case, run_check

__all__ = ["check_spatial_batchnorm_forward", "check_spatial_batchnorm_backward", "check_layernorm_forward",
           "check_layernorm_backward", "check_groupnorm_forward", "check_fold_batchnorm"]

SPATIAL_STEPS = ("view x as rows, one per (sample, position), one column per channel: x.transpose(0, 2, 3, 1)"
                 ".reshape(-1, C); batch-normalize the columns; then the same two steps back")
LN_STEPS = ("normalize each row over its own D features: mu = x.mean(axis=1, keepdims=True), var likewise (biased), "
            "x_hat = (x - mu) / sqrt(var + eps), out = gamma * x_hat + beta")
GN_STEPS = ("view x as (N, G, C // G * H * W): each row one sample's group of neighbouring channels; normalize each "
            "row with its own mean and biased variance; back to (N, C, H, W); then gamma and beta per channel")
FOLD = ("with s = gamma / sqrt(running_var + eps) per unit: W_folded = W * s (each column j scaled by s[j]) and "
        "b_folded = (b - running_mean) * s + beta")


def _no_mutation(fn, args, names, *extra):
    copies = [a.copy() for a in args]
    fn(*copies, *extra)
    for name, before, after in zip(names, args, copies):
        expect_unchanged(before, after, name)


def _known_hint(exercise, got, bugs, default):
    """The hint of the stored mistake whose output ``got`` is, else the hint of mistake ``default``."""
    for name, value in bugs.items():
        if np.shape(value) == np.shape(got) and np.allclose(got, value, rtol=1e-6, atol=1e-8):
            return hint(exercise, name)
    return hint(exercise, default)


def _bn_cache(record):
    return BNCache(*(record[f] if f != "eps" else float(record[f]) for f in BNCache._fields))


def _ln_cache(record):
    return LNCache(*(record[f] if f != "eps" else float(record[f]) for f in LNCache._fields))


def check_spatial_batchnorm_forward(spatial_batchnorm_forward, verbose=True):
    """Check ``spatial_batchnorm_forward(x, gamma, beta, eps=1e-5) -> (out, cache)`` on (N, C, H, W) maps."""
    name = "spatial_batchnorm_forward"
    d = arrays(data(name))
    x, gamma, beta, eps = d["x"], d["gamma"], d["beta"], d["eps"]
    C = x.shape[1]

    def call(fn, x=x, gamma=gamma, beta=beta):
        return unpack(fn(x.copy(), gamma.copy(), beta.copy(), eps), ("out", "cache"), name)

    def shape(fn):
        out, _ = call(fn)
        expect_shape(out, x.shape, "out", "out has the shape of x: (N, C, H, W)")

    def normalizes(fn):
        out, _ = call(fn, x, np.ones(C), np.zeros(C))
        out = expect_shape(out, x.shape, "out")
        channel, per_map = out.mean(axis=(0, 2, 3)), out.mean(axis=(2, 3))
        if np.allclose(per_map, 0, atol=1e-7):
            raise Mismatch("every map out[n, c] has mean 0: each sample's channel was normalized on its own",
                           hint(name, "hw_only"))
        if not np.allclose(channel, 0, atol=1e-7):
            per_sample = out.mean(axis=(1, 2, 3))
            raise Mismatch(f"the channels of out have means {fmt(channel)}, expected 0",
                           hint(name, "per_sample") if np.allclose(per_sample, 0, atol=1e-7) else SPATIAL_STEPS)
        var = out.var(axis=(0, 2, 3))
        expect(np.allclose(var, 1, atol=1e-2), f"the channels of out have variances {fmt(var)}, expected about 1",
               SPATIAL_STEPS)

    def matches(fn):
        out, _ = call(fn)
        expect_close(out, d["out"], "out", SPATIAL_STEPS, bugs=hints_of(name, d["bugs"]))

    def cache(fn):
        _, c = call(fn)
        if not isinstance(c, tuple) or len(c) != len(BNCache._fields):
            raise Mismatch(f"cache should be a BNCache, got {type(c).__name__}",
                           "return the BNCache that batch norm of the (N*H*W, C) rows gives: BNCache(x=rows, "
                           "x_hat=x_hat, mu=mu, var=var, inv_std=inv_std, gamma=gamma, eps=eps)")
        c = BNCache(*c)
        for field in ("x", "x_hat", "mu", "var", "inv_std", "gamma"):
            shape_ = "(N*H*W, C)" if field in ("x", "x_hat") else "(C,)"
            field_hint = f"cache.{field} should hold the rows view's {field}, of shape {shape_}"
            value = expect_shape(getattr(c, field), d["cache"][field].shape, f"cache.{field}", field_hint)
            expect_close(value, d["cache"][field], f"cache.{field}", field_hint)

    def odd(fn):
        for key, what in (("x_1x1", "1x1 maps (H = W = 1)"), ("x_one", "one sample (N = 1)")):
            out, _ = call(fn, d[key])
            expect_close(out, d[f"out_{key}"], f"out for {what}", SPATIAL_STEPS)
        out, _ = unpack(fn(x.copy(), gamma.copy(), beta.copy()), ("out", "cache"), name)
        expect_close(out, d["out"], "out without an eps argument", "give eps the default the contract states: eps=1e-5")

    def float32(fn):
        out, _ = call(fn, x.astype(np.float32), gamma.astype(np.float32), beta.astype(np.float32))
        expect_dtype(out, np.float32, "out for float32 x, gamma and beta")

    return run_check(name, spatial_batchnorm_forward, [
        Case("returns (out, cache) with out of the shape of x", shape),
        Case("matches the expected output on small feature maps", matches),
        Case("with gamma = 1, beta = 0: each channel of out has mean 0 and variance 1 over N*H*W", normalizes),
        Case("the cache is the BNCache of the (N*H*W, C) rows", cache),
        Case("works for 1x1 maps and for one sample, and eps defaults to 1e-5", odd),
        Case("float32 in, float32 out", float32),
        Case("leaves x, gamma and beta unchanged", lambda fn: _no_mutation(fn, (x, gamma, beta), ("x", "gamma", "beta"),
                                                                            eps)),
    ], verbose)


def check_spatial_batchnorm_backward(spatial_batchnorm_backward, verbose=True):
    """Check ``spatial_batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)`` on a cache built from stored numbers."""
    name = "spatial_batchnorm_backward"
    d = arrays(data(name))
    main, small = d["main"], d["1x1"]

    def call(fn, rec=main, dtype=None):
        cache = _bn_cache(rec["cache"])
        dout = rec["dout"].copy()
        if dtype is not None:
            dout = dout.astype(dtype)
            cache = cache._replace(**{f: getattr(cache, f).astype(dtype) for f in BNCache._fields if f != "eps"})
        return unpack(fn(dout, cache), ("dx", "dgamma", "dbeta"), name)

    def shapes(fn):
        dx, dgamma, dbeta = call(fn)
        C = main["dout"].shape[1]
        expect_shape(dx, main["dout"].shape, "dx", "dx has the shape of dout, (N, C, H, W)")
        expect_shape(dgamma, (C,), "dgamma", "dgamma has one entry per channel")
        expect_shape(dbeta, (C,), "dbeta", "dbeta has one entry per channel")

    def params(fn):
        _, dgamma, dbeta = call(fn)
        expect_close(dbeta, main["dbeta"], "dbeta", "dbeta is dout summed over the batch and the positions "
                     "(axes 0, 2 and 3)", bugs=hints_of(name, main["bugs_dbeta"]))
        expect_close(dgamma, main["dgamma"], "dgamma", "dgamma is dout * x_hat summed over the batch and the "
                     "positions, with x_hat in the layout of dout", bugs=hints_of(name, main["bugs_dgamma"]))

    def dx_ok(fn, rec=main, what="dx"):
        dx, _, _ = call(fn, rec)
        expect_close(dx, rec["dx"], what, bugs=hints_of(name, rec["bugs"]),
                     hint="view dout as the cache's rows, take batch norm's backward on the N*H*W rows, bring dx "
                          "back to (N, C, H, W)")

    def mean_path(fn):
        dx, _, _ = call(fn)
        dx = expect_shape(dx, main["dout"].shape, "dx")
        sums = dx.sum(axis=(0, 2, 3))
        if not np.allclose(sums, 0, atol=1e-8):
            raise Mismatch(f"dx summed over each channel is {fmt(sums)}, expected 0: adding a constant to a channel of "
                           "x does not change out", _known_hint(name, dx, main["bugs"], "no_mean_path"))

    def float32(fn):
        for what, value in zip(("dx", "dgamma", "dbeta"), call(fn, dtype=np.float32)):
            expect_dtype(value, np.float32, f"{what} for a float32 dout and cache")

    def no_mutation(fn):
        dout, cache = main["dout"].copy(), _bn_cache(main["cache"])
        fn(dout, cache)
        expect_unchanged(main["dout"], dout, "dout")
        for field in ("x", "x_hat", "mu", "var", "inv_std", "gamma"):
            expect_unchanged(main["cache"][field], getattr(cache, field), f"cache.{field}")

    return run_check(name, spatial_batchnorm_backward, [
        Case("returns (dx, dgamma, dbeta) with shapes (N, C, H, W), (C,), (C,)", shapes),
        Case("dgamma and dbeta sum over the batch and the positions", params),
        Case("dx is right", dx_ok),
        Case("dx sums to 0 over each channel", mean_path),
        Case("works for 1x1 maps (H = W = 1)", lambda fn: dx_ok(fn, small, "dx for 1x1 maps")),
        Case("float32 in, float32 out", float32),
        Case("leaves dout and the cache unchanged", no_mutation),
    ], verbose)


def check_layernorm_forward(layernorm_forward, verbose=True):
    """Check ``layernorm_forward(x, gamma, beta, eps=1e-5) -> (out, cache)``."""
    name = "layernorm_forward"
    d = arrays(data(name))
    x, gamma, beta, eps = d["x"], d["gamma"], d["beta"], d["eps"]
    N, D = x.shape

    def call(fn, x=x, gamma=gamma, beta=beta):
        return unpack(fn(x.copy(), gamma.copy(), beta.copy(), eps), ("out", "cache"), name)

    def shape(fn):
        out, _ = call(fn)
        expect_shape(out, (N, D), "out", "out has the shape of x: one row per sample")

    def normalizes(fn):
        out, _ = call(fn, gamma=np.ones(D), beta=np.zeros(D))
        out = expect_shape(out, (N, D), "out")
        rows, cols = out.mean(axis=1), out.mean(axis=0)
        if not np.allclose(rows, 0, atol=1e-7):
            raise Mismatch(f"the rows of out have means {fmt(rows)}, expected 0",
                           hint(name, "batch_axis") if np.allclose(cols, 0, atol=1e-7) else LN_STEPS)
        var = out.var(axis=1)
        expect(np.allclose(var, 1, atol=1e-2), f"the rows of out have variances {fmt(var)}, expected about 1", LN_STEPS)

    def matches(fn):
        out, _ = call(fn)
        again, _ = call(fn)
        if not np.array_equal(as_array(out, "out"), as_array(again, "out")):
            raise Mismatch("out changes from call to call on the same x", hint(name, "running_stats"))
        expect_close(out, d["out"], "out", LN_STEPS, bugs=hints_of(name, d["bugs"]))

    def no_running(fn):
        first, _ = call(fn)
        call(fn, x=d["x_other"])
        again, _ = call(fn)
        if not np.allclose(as_array(first, "out"), as_array(again, "out"), rtol=1e-12, atol=1e-12):
            raise Mismatch("the same x gives another out after another batch went through your function",
                           hint(name, "running_stats"))

    def alone(fn):
        out, _ = call(fn)
        out = expect_shape(out, (N, D), "out")
        expect_close(call(fn, x=x[1:2])[0], out[1:2], "out for sample 1 alone, against its out in the batch",
                     "each sample is normalized with its own statistics: alone or in a batch, its out is the same")

    def cache(fn):
        _, c = call(fn)
        if not isinstance(c, tuple) or len(c) != len(LNCache._fields):
            raise Mismatch(f"cache should be an LNCache, got {type(c).__name__}",
                           "return LNCache(x_hat=x_hat, inv_std=inv_std, gamma=gamma, eps=eps)")
        c = LNCache(*c)
        for field, what in (("x_hat", "(N, D)"), ("inv_std", "(N, 1), keepdims=True"), ("gamma", "(D,)")):
            field_hint = f"cache.{field} should hold the {field} of layer norm, of shape {what}"
            value = expect_shape(getattr(c, field), d["cache"][field].shape, f"cache.{field}", field_hint)
            expect_close(value, d["cache"][field], f"cache.{field}", field_hint)

    def float32(fn):
        out, _ = call(fn, x.astype(np.float32), gamma.astype(np.float32), beta.astype(np.float32))
        expect_dtype(out, np.float32, "out for float32 x, gamma and beta")

    return run_check(name, layernorm_forward, [
        Case("returns (out, cache) with out of shape (N, D)", shape),
        Case("matches the expected output on a small batch", matches),
        Case("with gamma = 1, beta = 0: every row of out has mean 0 and variance 1", normalizes),
        Case("keeps no running statistics: the same x gives the same out, call after call", no_running),
        Case("a sample alone gives the out it gets in the batch", alone),
        Case("the cache is an LNCache holding x_hat, inv_std (N, 1), gamma, eps", cache),
        Case("float32 in, float32 out", float32),
        Case("leaves x, gamma and beta unchanged", lambda fn: _no_mutation(fn, (x, gamma, beta), ("x", "gamma", "beta"),
                                                                            eps)),
    ], verbose)


def check_layernorm_backward(layernorm_backward, verbose=True):
    """Check ``layernorm_backward(dout, cache) -> (dx, dgamma, dbeta)`` on a cache built from stored numbers."""
    name = "layernorm_backward"
    d = arrays(data(name))
    main, one = d["main"], d["one"]

    def call(fn, rec=main, dtype=None):
        cache = _ln_cache(rec["cache"])
        dout = rec["dout"].copy()
        if dtype is not None:
            dout = dout.astype(dtype)
            cache = cache._replace(**{f: getattr(cache, f).astype(dtype) for f in LNCache._fields if f != "eps"})
        return unpack(fn(dout, cache), ("dx", "dgamma", "dbeta"), name)

    def shapes(fn):
        dx, dgamma, dbeta = call(fn)
        N, D = main["dout"].shape
        expect_shape(dx, (N, D), "dx", "dx has the shape of dout, (N, D)")
        expect_shape(dgamma, (D,), "dgamma", hint(name, "params_over_features"))
        expect_shape(dbeta, (D,), "dbeta", hint(name, "params_over_features"))

    def params(fn):
        _, dgamma, dbeta = call(fn)
        expect_close(dbeta, main["dbeta"], "dbeta", "dbeta is dout summed over the batch (axis=0)")
        expect_close(dgamma, main["dgamma"], "dgamma", "dgamma is dout * x_hat summed over the batch (axis=0)")

    def dx_ok(fn, rec=main, what="dx"):
        dx, _, _ = call(fn, rec)
        expect_close(dx, rec["dx"], what, bugs=hints_of(name, rec["bugs"]),
                     hint="batch norm's closed form with N and D swapped: the sums run over each row's D features "
                          "(axis=1, keepdims=True)")

    def mean_path(fn):
        dx, _, _ = call(fn)
        dx = expect_shape(dx, main["dout"].shape, "dx")
        sums = dx.sum(axis=1)
        if not np.allclose(sums, 0, atol=1e-8):
            raise Mismatch(f"the rows of dx sum to {fmt(sums)}, expected 0: adding a constant to a sample's features "
                           "does not change its out", _known_hint(name, dx, main["bugs"], "no_mean_path"))

    def float32(fn):
        for what, value in zip(("dx", "dgamma", "dbeta"), call(fn, dtype=np.float32)):
            expect_dtype(value, np.float32, f"{what} for a float32 dout and cache")

    def no_mutation(fn):
        dout, cache = main["dout"].copy(), _ln_cache(main["cache"])
        fn(dout, cache)
        expect_unchanged(main["dout"], dout, "dout")
        for field in ("x_hat", "inv_std", "gamma"):
            expect_unchanged(main["cache"][field], getattr(cache, field), f"cache.{field}")

    return run_check(name, layernorm_backward, [
        Case("returns (dx, dgamma, dbeta) with shapes (N, D), (D,), (D,)", shapes),
        Case("dgamma and dbeta sum over the batch", params),
        Case("dx is right", dx_ok),
        Case("every row of dx sums to 0", mean_path),
        Case("works for a batch of one sample", lambda fn: dx_ok(fn, one, "dx for one sample")),
        Case("float32 in, float32 out", float32),
        Case("leaves dout and the cache unchanged", no_mutation),
    ], verbose)


def _not_plain(value, depth=0):
    """None when value is plain data the grader carries back from the sandbox (real numeric arrays, numbers,
    strings, None, and tuples, lists and dicts of them: autograder/sandbox/wire.py), else what is not."""
    if depth > 16:
        return "containers nested too deep"
    if value is None or isinstance(value, (bool, int, float, str, np.integer, np.floating, np.bool_)):
        return None
    if isinstance(value, np.ndarray):
        return None if value.dtype.kind in "biuf" and value.dtype.itemsize <= 8 else f"an array of dtype {value.dtype}"
    if isinstance(value, (tuple, list)):
        return next((odd for odd in (_not_plain(v, depth + 1) for v in value) if odd), None)
    if type(value) is dict and all(isinstance(k, str) for k in value):
        return next((odd for odd in (_not_plain(v, depth + 1) for v in value.values()) if odd), None)
    return f"an object of type {type(value).__name__}"


def check_groupnorm_forward(groupnorm_forward, verbose=True):
    """Check ``groupnorm_forward(x, gamma, beta, G, eps=1e-5) -> (out, cache)`` on (N, C, H, W) maps."""
    name = "groupnorm_forward"
    d = arrays(data(name))
    cases = d["cases"]
    main = cases["main"]

    def call(fn, rec, x=None, gamma=None, beta=None, G=None):
        x, gamma, beta = (rec[k] if v is None else v for k, v in (("x", x), ("gamma", gamma), ("beta", beta)))
        G = int(rec["G"]) if G is None else G
        return unpack(fn(x.copy(), gamma.copy(), beta.copy(), G, rec["eps"]), ("out", "cache"), name)

    def shape(fn):
        out, cache = call(fn, main)
        expect_shape(out, main["x"].shape, "out", "out has the shape of x: (N, C, H, W)")
        expect(isinstance(cache, tuple), f"cache should be a tuple, got {type(cache).__name__}",
               "return out and a tuple of what a backward pass needs, e.g. (x_hat, inv_std, gamma, G, eps)")
        odd = _not_plain(cache)
        expect(odd is None, f"the cache holds {odd}, which the grader cannot carry back from your code",
               "keep the cache to numpy arrays, numbers, strings, None, and tuples, lists or dicts of them")

    def matches(fn, rec):
        out, _ = call(fn, rec)
        expect_close(out, rec["out"], f"out for C = {rec['x'].shape[1]}, G = {int(rec['G'])}", GN_STEPS,
                     bugs=hints_of(name, rec["bugs"]))

    def special(fn):
        x = main["x"]
        C = x.shape[1]
        for G, axes, what in ((1, (1, 2, 3), "each sample (layer norm)"), (C, (2, 3), "each map (instance norm)")):
            out, _ = call(fn, main, gamma=np.ones(C), beta=np.zeros(C), G=G)
            out = expect_shape(out, x.shape, f"out for G = {G}")
            means, var = out.mean(axis=axes), out.var(axis=axes)
            if not (np.allclose(means, 0, atol=1e-7) and np.allclose(var, 1, atol=1e-2)):
                raise Mismatch(f"with G = {G}, gamma = 1 and beta = 0, out over axes {axes} has means such as "
                               f"{fmt(means.ravel()[:3])} and variances such as {fmt(var.ravel()[:3])}, expected 0 "
                               "and about 1", f"with G = {G}, group norm normalizes {what}")

    def alone(fn):
        out, _ = call(fn, main)
        out = expect_shape(out, main["x"].shape, "out")
        expect_close(call(fn, main, x=main["x"][1:2])[0], out[1:2], "out for sample 1 alone, against its out in the "
                     "batch", "each sample's groups are normalized with that sample's statistics only")

    def float32(fn):
        out, _ = call(fn, main, *(main[k].astype(np.float32) for k in ("x", "gamma", "beta")))
        expect_dtype(out, np.float32, "out for float32 x, gamma and beta")

    def no_mutation(fn):
        _no_mutation(fn, tuple(main[k] for k in ("x", "gamma", "beta")), ("x", "gamma", "beta"), int(main["G"]),
                     main["eps"])

    return run_check(name, groupnorm_forward, [
        Case("returns (out, cache): out of the shape of x, the cache a tuple", shape),
        Case("matches the expected output for C = 6 channels in G = 3 groups", lambda fn: matches(fn, main)),
        Case("matches the expected output for C = 8 channels in G = 2 groups", lambda fn: matches(fn, cases["pairs"])),
        Case("G = 1 is layer norm and G = C is instance norm", special),
        Case("a sample alone gives the out it gets in the batch", alone),
        Case("float32 in, float32 out", float32),
        Case("leaves x, gamma and beta unchanged", no_mutation),
    ], verbose)


def check_fold_batchnorm(fold_batchnorm, verbose=True):
    """Check ``fold_batchnorm(W, b, gamma, beta, running_mean, running_var, eps=1e-5) -> (W_folded, b_folded)``."""
    name = "fold_batchnorm"
    d = arrays(data(name))
    names = ("W", "b", "gamma", "beta", "running_mean", "running_var")

    def call(fn, rec, dtype=None, eps=True):
        args = [rec[k].copy() if dtype is None else rec[k].astype(dtype) for k in names]
        return unpack(fn(*args, *((rec["eps"],) if eps else ())), ("W_folded", "b_folded"), name)

    def shapes(fn):
        W_folded, b_folded = call(fn, d["layer"])
        expect_shape(W_folded, d["layer"]["W"].shape, "W_folded", "W_folded has the shape of W: (D_in, D_out)")
        expect_shape(b_folded, d["layer"]["b"].shape, "b_folded", "b_folded has one entry per unit, like b")

    def folded(fn, rec, what):
        W_folded, b_folded = call(fn, rec)
        W_folded = expect_close(W_folded, rec["W_folded"], f"W_folded {what}".strip(), FOLD)
        b_folded = expect_close(b_folded, rec["b_folded"], f"b_folded {what}".strip(), FOLD,
                                bugs=hints_of(name, rec["bugs"]))
        expect_close(rec["X"] @ W_folded + b_folded, rec["eval_out"], f"X @ W_folded + b_folded {what}".strip(),
                     "the folded layer must give Dense(W, b) followed by batch norm in eval mode, which normalizes "
                     "with the running statistics it is given")

    def default_eps(fn):
        rec = d["layer"]
        W_folded, _ = call(fn, rec, eps=False)
        expect_close(W_folded, rec["W_folded_default_eps"], "W_folded without an eps argument",
                     "give eps the default the contract states: eps=1e-5")

    def float32(fn):
        for what, value in zip(("W_folded", "b_folded"), call(fn, d["layer"], np.float32)):
            expect_dtype(value, np.float32, f"{what} for a float32 layer")

    def no_mutation(fn):
        rec = d["layer"]
        _no_mutation(fn, tuple(rec[k] for k in names), names, rec["eps"])

    return run_check(name, fold_batchnorm, [
        Case("returns (W_folded, b_folded) with the shapes of W and b", shapes),
        Case("the folded layer computes Dense then eval-mode batch norm", lambda fn: folded(fn, d["layer"], "")),
        Case("folds a trained layer: the folded layer gives the network's eval-mode output on new samples",
             lambda fn: folded(fn, d["trained"], "of the trained layer")),
        Case("uses eps = 1e-5 when none is given", default_eps),
        Case("float32 in, float32 out", float32),
        Case("leaves its inputs unchanged", no_mutation),
    ], verbose)
