"""Visible checks of notebooks 02 and 03: the forward pass and its pieces."""

import numpy as np

from ..compare import Mismatch, as_array, expect_close, expect_dtype, expect_shape, expect_unchanged, fmt, unpack
from ..bncache import BNCache
from ._data import arrays, data, hint, hints_of
from ._report import Case, run_check

__all__ = ["check_batchnorm_forward", "check_bn_param_count", "check_dense_forward", "check_hidden_layer_forward"]

CACHE_FIELDS = {
    "x": "the input x, (N, D)",
    "x_hat": "the normalized input (x - mu) * inv_std, (N, D)",
    "mu": "the batch mean of each column, (D,)",
    "var": "the biased batch variance of each column, (D,)",
    "inv_std": "1 / sqrt(var + eps), (D,)",
    "gamma": "the gamma you were given, (D,)",
}




def check_batchnorm_forward(batchnorm_forward, verbose=True):
    """Check ``batchnorm_forward(x, gamma, beta, eps) -> (out, cache)`` in training mode."""
    d = arrays(data("batchnorm_forward"))
    x, gamma, beta, eps = d["x"], d["gamma"], d["beta"], d["eps"]
    N, D = x.shape

    def call(fn, x=x, gamma=gamma, beta=beta, eps=eps):
        return unpack(fn(x.copy(), gamma.copy(), beta.copy(), eps), ("out", "cache"), "batchnorm_forward")

    def shape(fn):
        out, _ = call(fn)
        expect_shape(out, (N, D), "out")

    def default_eps(fn):
        out, _ = unpack(fn(x.copy(), gamma.copy(), beta.copy()), ("out", "cache"), "batchnorm_forward")
        expect_close(out, d["out"], "out without an eps argument",
                     "give eps the default the contract states: eps=1e-5")

    def far_from_zero(fn):
        out, _ = call(fn, x=d["x_far"])
        expect_close(out, d["out_far"], "out for columns like 1e4 + 0.01 * noise",
                     hint("batchnorm_forward", "naive_variance"), bugs=hints_of("batchnorm_forward", d["bugs_far"]),
                     rtol=1e-6, atol=1e-6)

    def float32(fn):
        out, _ = call(fn, x=x.astype(np.float32), gamma=gamma.astype(np.float32), beta=beta.astype(np.float32))
        expect_dtype(out, np.float32, "out for float32 x, gamma and beta")

    def normalizes(fn):
        out, _ = call(fn, gamma=np.ones(D), beta=np.zeros(D))
        out = expect_shape(out, (N, D), "out")
        mean, var = out.mean(axis=0), out.var(axis=0)
        if not np.allclose(mean, 0, atol=1e-7):
            raise Mismatch(f"column means of out are {fmt(mean)}, expected 0",
                           "subtract the batch mean of each column: mu = x.mean(axis=0)")
        # about 1: exactly var / (var + eps), a little below 1 for a column of small variance
        if np.allclose(var, (N - 1) / N, atol=1e-2):
            raise Mismatch(f"column variances of out are {fmt(var)}, expected about 1",
                           hint("batchnorm_forward", "ddof1"))
        if not np.allclose(var, 1, atol=1e-2):
            raise Mismatch(f"column variances of out are {fmt(var)}, expected about 1",
                           "divide x - mu by sqrt(var + eps), with var the batch variance of each column")

    def matches(fn):
        out, _ = call(fn)
        expect_close(out, d["out"], "out", bugs=hints_of("batchnorm_forward", d["bugs"]),
                     hint="check the four steps: mu, var (biased), x_hat = (x - mu) / sqrt(var + eps), "
                          "out = gamma * x_hat + beta")

    def cache(fn):
        _, c = call(fn)
        if not isinstance(c, tuple) or len(c) != len(BNCache._fields):
            raise Mismatch(f"cache should be a BNCache, got {type(c).__name__}",
                           "return BNCache(x=x, x_hat=x_hat, mu=mu, var=var, inv_std=inv_std, gamma=gamma, eps=eps)")
        c = BNCache(*c)
        for field in ("x", "x_hat", "mu", "var", "inv_std", "gamma"):
            expect_close(getattr(c, field), d["cache"][field], f"cache.{field}",
                         hint=f"cache.{field} should hold {CACHE_FIELDS[field]}")
        if not np.isclose(float(as_array(c.eps, "cache.eps")), eps):
            raise Mismatch(f"cache.eps is {c.eps}, expected {eps}", "store the eps you were given")

    def constant_feature(fn):
        xc = x.copy()
        xc[:, 0] = 3.0
        out, _ = call(fn, x=xc)
        out = as_array(out, "out")
        if not np.all(np.isfinite(out)):
            raise Mismatch("a constant column gave NaN or inf", hint("batchnorm_forward", "no_eps"))
        expect_close(out[:, 0], np.full(N, beta[0]), "out[:, 0] for a constant column",
                     hint="a constant column has x - mu = 0, so its output is beta")

    def uses_eps(fn):
        out, _ = call(fn, eps=d["eps_big"])
        expect_close(out, d["out_eps_big"], f"out with eps={d['eps_big']}",
                     hint="use the eps argument, not a constant of your own")

    def no_mutation(fn):
        x0, g0, b0 = x.copy(), gamma.copy(), beta.copy()
        fn(x0, g0, b0, eps)
        expect_unchanged(x, x0, "x")
        expect_unchanged(gamma, g0, "gamma")
        expect_unchanged(beta, b0, "beta")

    return run_check("batchnorm_forward", batchnorm_forward, [
        Case("returns (out, cache) with out of shape (N, D)", shape),
        Case("with gamma = 1, beta = 0: every column of out has mean 0 and variance 1", normalizes),
        Case("matches the expected output on a small batch", matches),
        Case("the cache is a BNCache holding x, x_hat, mu, var, inv_std, gamma, eps", cache),
        Case("a constant column gives beta, not NaN", constant_feature),
        Case("uses the eps it is given", uses_eps),
        Case("uses eps = 1e-5 when none is given", default_eps),
        Case("is accurate for columns far from zero (1e4 + small noise)", far_from_zero),
        Case("float32 in, float32 out", float32),
        Case("leaves x, gamma and beta unchanged", no_mutation),
    ], verbose)


def check_bn_param_count(bn_param_count, verbose=True):
    """Check ``bn_param_count(units) -> (total, trainable, non_trainable)``."""
    cases = []
    for units, expected in data("bn_param_count").items():
        def test(fn, units=int(units), expected=tuple(expected)):
            got = tuple(unpack(fn(units), ("total", "trainable", "non_trainable"), "bn_param_count"))
            if got != expected:
                raise Mismatch(f"bn_param_count({units}) returned {got}, expected {expected}",
                               "per neuron: gamma and beta are trained; the running mean and variance are kept "
                               "but not trained; the batch mean and variance are not parameters at all")
        cases.append(Case(f"a BatchNorm after {units} units", test))
    return run_check("bn_param_count", bn_param_count, cases, verbose)


def check_dense_forward(dense_forward, verbose=True):
    """Check ``dense_forward(X, W, b) -> Z``."""
    d = arrays(data("dense_forward"))
    X, W, b = d["X"], d["W"], d["b"]

    def shape(fn):
        expect_shape(fn(X.copy(), W.copy(), b.copy()), (X.shape[0], W.shape[1]), "Z")

    def matches(fn):
        expect_close(fn(X.copy(), W.copy(), b.copy()), d["Z"], "Z",
                     bugs=hints_of("dense_forward", d["bugs"]),
                     hint="Z[i, j] = sum over d of X[i, d] * W[d, j], plus b[j]")

    def float32_dense(fn):
        expect_dtype(fn(*(v.astype(np.float32) for v in (X, W, b))), np.float32, "Z for float32 X, W and b")
        Xi, Wi, bi = (np.round(v * 3).astype(np.int64) for v in (X, W, b))
        expect_close(fn(Xi, Wi, bi), Xi @ Wi + bi, "Z for integer X, W and b")

    def one_sample(fn):
        expect_close(fn(X[:1].copy(), W.copy(), b.copy()), d["Z"][:1], "Z for a batch of one sample")

    def no_mutation(fn):
        X0, W0, b0 = X.copy(), W.copy(), b.copy()
        fn(X0, W0, b0)
        expect_unchanged(X, X0, "X")
        expect_unchanged(W, W0, "W")
        expect_unchanged(b, b0, "b")

    return run_check("dense_forward", dense_forward, [
        Case("returns Z of shape (N, D_out)", shape, hint("dense_forward", "transposed")),
        Case("matches the expected output", matches),
        Case("works on a batch of one sample", one_sample),
        Case("float32 in, float32 out; integers work too", float32_dense),
        Case("leaves X, W and b unchanged", no_mutation),
    ], verbose)


def check_hidden_layer_forward(hidden_layer_forward, verbose=True):
    """Check ``hidden_layer_forward(X, W, b, gamma, beta, placement, eps) -> A``, BN before and after ReLU."""
    d = arrays(data("hidden_layer_forward"))
    notes, cut, dead = d["notes"], d["cut"], d["dead"]

    def call(fn, case, placement):
        args = [case[k].copy() for k in ("X", "W", "b", "gamma", "beta")]
        return fn(*args, placement, case["eps"])

    def close(fn, case, placement, what):
        expect_close(call(fn, case, placement), case[placement], what,
                     bugs=hints_of("hidden_layer_forward", case["bugs"][placement]),
                     hint=f"placement={placement!r}: " + ("ReLU(BN(X @ W + b))" if placement == "before" else
                                                         "BN(ReLU(X @ W + b))") +
                     ", BN with each neuron's batch mean and biased variance, then its own gamma and beta")

    def shape(fn):
        expect_shape(call(fn, notes, "before"), notes["before"].shape, "A",
                     "A has one row per student and one column per neuron, like X @ W + b")

    def no_mutation(fn):
        args = [notes[k].copy() for k in ("X", "W", "b", "gamma", "beta")]
        fn(*args, "after", notes["eps"])
        for name, before, after in zip(("X", "W", "b", "gamma", "beta"),
                                       [notes[k] for k in ("X", "W", "b", "gamma", "beta")], args):
            expect_unchanged(before, after, name)

    def dead_neuron(fn):
        A = expect_shape(call(fn, dead, "after"), dead["after"].shape, "A")
        A = as_array(A, "A")
        if not np.all(np.isfinite(A)):
            raise Mismatch("A contains NaN or inf for the neuron that ReLU turns off for every sample",
                           hint("hidden_layer_forward", "no_eps"))
        close(fn, dead, "after", "A with BN after ReLU")

    return run_check("hidden_layer_forward", hidden_layer_forward, [
        Case("returns A with one row per sample and one column per neuron", shape),
        Case("BN before ReLU, on the notes' 4 students", lambda fn: close(fn, notes, "before", "A with BN before ReLU")),
        Case("BN after ReLU, on the notes' 4 students", lambda fn: close(fn, notes, "after", "A with BN after ReLU")),
        Case("BN before and after ReLU, on a layer where ReLU cuts", lambda fn: (
            close(fn, cut, "before", "A with BN before ReLU"), close(fn, cut, "after", "A with BN after ReLU"))),
        Case("BN after ReLU: a neuron that is 0 for the whole batch gives beta", dead_neuron),
        Case("leaves X, W, b, gamma and beta unchanged", no_mutation),
    ], verbose)
