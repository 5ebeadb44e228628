"""Checks shared by the hidden suites of batchnorm_backward and batchnorm_backward_alt.

Both have the contract ``(dout, cache) -> (dx, dgamma, dbeta)``, so each of
their test files calls these checks with its own function name. The cache is
always built here, by the reference forward pass, so a wrong forward never
costs backward credit.

The three mistakes that have a test of their own (no mean path, no variance
path, gamma forgotten) are accepted by the tests of other properties, so
that each costs its own test and "dx is right", not more.
"""

import numpy as np

from autograder.suites import mistakes
from course_lib.compare import Mismatch, expect, expect_close, expect_dtype, expect_shape, expect_unchanged, fmt, unpack
from autograder.suites.scoring import score_cases
from autograder.suites.inputs import SIZES, bn_batch, layouts, tol
from course_lib.batchnorm import batchnorm_backward as reference
from course_lib.batchnorm import batchnorm_forward
from course_lib.bncache import BNCache

__all__ = ["make_cache", "call", "check_dx", "NAMED"]

NAMED = ("no_mean_path", "no_var_path", "no_gamma")
DX_HINT = ("follow the graph back: dx_hat = dout * gamma, then dvar, then dmu, then dx from all three paths "
           "(direct, through mu, through var)")


def make_cache(rng, N, D, dtype=np.float64, eps=1e-5, gamma=None):
    """(dout, cache): a cache from the reference forward pass on a random batch, and an upstream gradient."""
    x, g, beta = bn_batch(rng, N, D, dtype)
    if gamma is not None:
        g = np.asarray(gamma, dtype)
    _, cache = batchnorm_forward(x, g, beta, eps)
    dout = rng.standard_normal((N, D)).astype(dtype)
    return dout, cache


def call(student, name, dout, cache):
    return unpack(student.call(name, dout, cache), ("dx", "dgamma", "dbeta"), name)


def check_dx(student, name, dout, cache, what, *, named=True, **tolerance):
    """The student's gradients against the reference; named: accept the mistakes other tests name."""
    dx, dgamma, dbeta = call(student, name, dout, cache)
    ref_dx, ref_dgamma, ref_dbeta = reference(dout, cache)
    tolerance = tolerance or tol(dout.dtype)
    known = mistakes.backward(dout, cache)
    expect_close(dbeta, ref_dbeta, f"dbeta {what}".strip(), "dbeta is dout summed over the batch (axis=0)", **tolerance)
    expect_close(dgamma, ref_dgamma, f"dgamma {what}".strip(),
                 "dgamma is (dout * x_hat) summed over the batch (axis=0)",
                 **tolerance)
    expect_close(dx, ref_dx, f"dx {what}".strip(), DX_HINT, bugs=mistakes.pick(known),
                 tolerate=mistakes.pick(known, *NAMED) if named else (), **tolerance)
    return dx, dgamma, dbeta


def _nondegenerate(dx, ref_dx, what):
    expect(np.linalg.norm(dx) > 0.1 * np.linalg.norm(ref_dx), f"{what} is (almost) all zeros",
           DX_HINT)


def check_shapes(student, name, rng):
    dout, cache = make_cache(rng, 6, 3)
    dx, dgamma, dbeta = call(student, name, dout, cache)
    expect_shape(dx, (6, 3), "dx", "dx has the shape of x: one row per sample")
    expect_shape(dgamma, (3,), "dgamma", "dgamma has one entry per feature: sum over the batch (axis=0)")
    expect_shape(dbeta, (3,), "dbeta", "dbeta has one entry per feature: sum over the batch (axis=0)")


def check_dbeta(student, name, rng):
    for N, D in ((5, 3), (300, 4)):
        dout, cache = make_cache(rng, N, D)
        _, _, dbeta = call(student, name, dout, cache)
        expect_close(dbeta, reference(dout, cache)[2], f"dbeta for N = {N}",
                     "out = gamma * x_hat + beta, so dbeta is dout summed over the batch (axis=0)")


def check_dgamma(student, name, rng):
    for N, D in ((5, 3), (300, 4)):
        dout, cache = make_cache(rng, N, D)
        _, dgamma, _ = call(student, name, dout, cache)
        expect_close(dgamma, reference(dout, cache)[1], f"dgamma for N = {N}",
                     "out = gamma * x_hat + beta, so dgamma is (dout * x_hat) summed over the batch (axis=0)")


def check_sizes(student, name, rng, partial):
    cases = []
    for N, D in SIZES:
        dout, cache = make_cache(rng, N, D)
        cases.append((f"N = {N}, D = {D}", lambda dout=dout, cache=cache: check_dx(
            student, name, dout, cache, "", named=False)))
    score_cases(partial, cases)


def check_mean_path(student, name, rng):
    """Adding a constant to a column of x changes nothing, so every column of dx sums to 0."""
    for N, D in ((4, 3), (50, 5)):
        dout, cache = make_cache(rng, N, D)
        dx, _, _ = call(student, name, dout, cache)
        dx = expect_shape(dx, (N, D), "dx")
        sums = dx.sum(axis=0)
        scale = np.abs(dx).sum(axis=0) + 1e-12
        if not np.all(np.abs(sums) <= 1e-8 * scale + 1e-12):
            raise Mismatch(f"the columns of dx sum to {fmt(sums)} (N = {N}); they must sum to 0, since adding a "
                           "constant to a column of x does not change out", mistakes.hint("batchnorm_backward", "no_mean_path"))
        _nondegenerate(dx, reference(dout, cache)[0], f"dx for N = {N}")


def check_var_path(student, name, rng):
    """Scaling a column of x about its mean barely changes out: dx is (almost) orthogonal to x_hat.

    With eps > 0 the projection sum(dx * x_hat) is not exactly 0 but
    gamma * inv_std * dgamma * eps / (var + eps); it is compared with that.
    gamma = 1 here, so a forgotten gamma (tested on its own) passes.
    """
    for N, D in ((4, 3), (50, 5)):
        dout, cache = make_cache(rng, N, D, gamma=np.ones(D))
        dx, _, _ = call(student, name, dout, cache)
        dx = expect_shape(dx, (N, D), "dx")
        ref_dx = reference(dout, cache)[0]
        x_hat = cache.x_hat
        got, expected = (dx * x_hat).sum(axis=0), (ref_dx * x_hat).sum(axis=0)
        scale = np.abs(ref_dx * x_hat).sum(axis=0)
        if not np.all(np.abs(got - expected) <= 1e-7 * scale + 1e-10):
            raise Mismatch(f"sum(dx * x_hat) over the batch is {fmt(got)} (N = {N}), expected about 0: scaling a "
                           "column of x about its mean does not change out", mistakes.hint("batchnorm_backward", "no_var_path"))
        _nondegenerate(dx, ref_dx, f"dx for N = {N}")


def check_gamma(student, name, rng):
    """dx is proportional to gamma: dx_hat = dout * gamma."""
    D = 4
    gamma = np.array([0.5, 2.0, -1.5, 1.25])
    dout, cache = make_cache(rng, 12, D, gamma=gamma)
    dx1, _, _ = call(student, name, dout, cache)
    dx1 = expect_shape(dx1, (12, D), "dx")
    cache3 = cache._replace(gamma=3.0 * gamma)
    dx3, _, _ = call(student, name, dout, cache3)
    dx3 = expect_shape(dx3, (12, D), "dx")
    ref = reference(dout, cache)[0]
    _nondegenerate(dx1, ref, "dx")
    if np.allclose(dx3, dx1, rtol=1e-6, atol=1e-9):
        raise Mismatch("dx stays the same when gamma is multiplied by 3; it should be multiplied by 3 too",
                       mistakes.hint("batchnorm_backward", "no_gamma"))
    expect_close(dx3, 3.0 * dx1, "dx for gamma * 3, compared with 3 * (dx for gamma)",
                 "dx is proportional to gamma: gamma multiplies the upstream gradient once, dx_hat = dout * gamma")
    known = mistakes.backward(dout, cache)
    expect_close(dx1, ref, "dx for gamma = [0.5, 2, -1.5, 1.25]", mistakes.hint("batchnorm_backward", "no_gamma"),
                 bugs=mistakes.pick(known), tolerate=mistakes.pick(known, "no_mean_path", "no_var_path"))


def check_float32(student, name, rng):
    dout, cache = make_cache(rng, 256, 5, np.float32)
    dx, dgamma, dbeta = check_dx(student, name, dout, cache, "for a float32 batch")
    expect_dtype(dx, np.float32, "dx")
    expect_dtype(dgamma, np.float32, "dgamma")
    expect_dtype(dbeta, np.float32, "dbeta")


def check_eps(student, name, rng):
    for eps in (1e-3, 0.1):
        x = rng.standard_normal((16, 4)) * np.array([0.01, 0.1, 0.5, 2.0]) + rng.uniform(-1, 1, 4)
        x[:, 2] = 0.7   # a constant column: var = 0, and inv_std = 1 / sqrt(eps)
        gamma = rng.uniform(0.5, 2.0, 4)
        _, cache = batchnorm_forward(x, gamma, np.zeros(4), eps)
        dout = rng.standard_normal((16, 4))
        dx, _, _ = call(student, name, dout, cache)
        known = mistakes.backward(dout, cache)
        own_eps = cache._replace(inv_std=1.0 / np.sqrt(cache.var + 1e-5), eps=1e-5)
        eps_hint = mistakes.hint("batchnorm_backward", "own_eps")
        expect_close(dx, reference(dout, cache)[0], f"dx for a cache with eps = {eps}", DX_HINT,
                     bugs=[(eps_hint, reference(dout, own_eps)[0])] + mistakes.pick(known),
                     tolerate=mistakes.pick(known, *NAMED))
        check_dx(student, name, dout, cache, f"for a cache with eps = {eps}")


def check_layouts(student, name, rng):
    dout, cache = make_cache(rng, 9, 1)
    check_dx(student, name, dout, cache, "for a single feature (D = 1)")
    dout, cache = make_cache(rng, 10, 4)
    for label, view in layouts(dout):
        check_dx(student, name, view, cache, f"for dout given as {label}")
    cache_f = BNCache(*(np.asfortranarray(v) if isinstance(v, np.ndarray) else v for v in cache))
    cache_t = cache._replace(x=np.ascontiguousarray(cache.x.T).T, x_hat=np.ascontiguousarray(cache.x_hat.T).T)
    check_dx(student, name, dout, cache_f, "for a cache of Fortran-ordered arrays")
    check_dx(student, name, dout, cache_t, "for a cache holding transposed views")


def check_no_mutation(student, name, rng):
    dout, cache = make_cache(rng, 8, 3)
    sent = BNCache(*(v.copy() if isinstance(v, np.ndarray) else v for v in cache))
    student.call(name, dout.copy(), sent)
    after = student.inputs_after
    expect(len(after) == 2, "could not read back the arguments after the call")
    expect_unchanged(dout, after[0], "dout")
    after_cache = BNCache(*after[1]) if isinstance(after[1], tuple) and len(after[1]) == 7 else None
    expect(after_cache is not None, "your function changed its input cache")
    for field in ("x", "x_hat", "mu", "var", "inv_std", "gamma"):
        expect_unchanged(getattr(cache, field), getattr(after_cache, field), f"cache.{field}")
