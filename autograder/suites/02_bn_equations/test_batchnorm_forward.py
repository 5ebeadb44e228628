"""Hidden tests of batchnorm_forward(x, gamma, beta, eps=1e-5) -> (out, cache), 6 points.

Three mistakes have a test of their own: the sample variance (ddof=1),
statistics over axis 1, and eps outside the square root. Tests of other
properties accept their output, so that one of them costs the points of the
test that names it and of "out is right", not more.
"""

import numpy as np
import pytest

from autograder.suites import mistakes
from course_lib.compare import Mismatch, as_array, expect, expect_close, expect_dtype, expect_finite, expect_shape, expect_unchanged, fmt, unpack
from autograder.suites.scoring import score_cases
from autograder.suites.inputs import SIZES, bn_batch, layouts, offset_batch, tol
from course_lib.batchnorm import batchnorm_forward as reference
from course_lib.bncache import BNCache
from course_lib.checks.forward import CACHE_FIELDS

FOUR_STEPS = ("check the four steps: mu = mean over the batch, var = mean((x - mu)**2) over the batch, "
              "x_hat = (x - mu) / sqrt(var + eps), out = gamma * x_hat + beta")


def call(student, x, gamma, beta, eps=None):
    args = (x, gamma, beta) if eps is None else (x, gamma, beta, eps)
    return unpack(student.call("batchnorm_forward", *args), ("out", "cache"), "batchnorm_forward")


NAMED = ("ddof1", "axis1", "eps_outside")


def others(own):
    """The mistakes named by tests other than ``own``'s."""
    return tuple(n for n in NAMED if n != own)


def check_out(student, x, gamma, beta, eps, what, *, named=NAMED, hint=FOUR_STEPS, **tolerance):
    """The student's out on (x, gamma, beta, eps) against the reference; eps None: the default, 1e-5.

    named: the mistakes whose output is accepted here, since tests of their own charge for them.
    """
    out, cache = call(student, x, gamma, beta, eps)
    eps = 1e-5 if eps is None else eps
    expected, _ = reference(x, gamma, beta, eps)
    known = mistakes.forward(x, gamma, beta, eps)
    expect_close(out, expected, what, hint, bugs=mistakes.pick(known), tolerate=mistakes.pick(known, *named)
                 if named else (), **(tolerance or tol(x.dtype)))
    return out, cache


@pytest.mark.points(0.25)
def test_batchnorm_forward_returns_out_and_cache(student, rng):
    """returns (out, cache) with out of shape (N, D)"""
    x, gamma, beta = bn_batch(rng, 8, 3)
    out, _ = call(student, x, gamma, beta, 1e-5)
    expect_shape(out, (8, 3), "out", "out has the shape of x: one row per sample, one column per feature")


@pytest.mark.points(0.75)
def test_batchnorm_forward_is_right_for_several_batch_sizes(student, rng, partial):
    """out is right for N = 2, 3, 64 and 4096 samples"""
    cases = []
    for N, D in SIZES:
        x, gamma, beta = bn_batch(rng, N, D)
        cases.append((f"N = {N}, D = {D}", lambda x=x, g=gamma, b=beta: check_out(
            student, x, g, b, 1e-5, "out", named=())))
    score_cases(partial, cases)


@pytest.mark.points(0.5)
def test_batchnorm_forward_uses_the_biased_variance(student, rng):
    """uses the biased batch variance (divide by N, not N - 1)"""
    for N in (4, 10):
        x, _, _ = bn_batch(rng, N, 3)
        gamma, beta = np.ones(3), np.zeros(3)
        out, _ = call(student, x, gamma, beta, 1e-5)
        out = expect_shape(out, (N, 3), "out")
        got_var = out.var(axis=0)
        if np.allclose(got_var, (N - 1) / N, atol=1e-3) and not np.allclose(got_var, 1, atol=1e-3):
            raise Mismatch(f"with gamma = 1 and beta = 0 the columns of out have variance {fmt(got_var)} "
                           f"for a batch of {N}, expected about 1", mistakes.hint("batchnorm_forward", "ddof1"))
        check_out(student, x, gamma, beta, 1e-5, f"out with gamma = 1 and beta = 0, N = {N}",
                  named=others("ddof1"),
                  hint="with gamma = 1 and beta = 0, out = (x - mu) / sqrt(var + eps) with var = mean((x - mu)**2)")


@pytest.mark.points(0.5)
def test_batchnorm_forward_statistics_are_over_the_batch_axis(student, rng):
    """statistics are per feature, over the batch (axis 0)"""
    x, _, _ = bn_batch(rng, 5, 5)   # square, so statistics over the wrong axis still broadcast
    gamma, beta = np.ones(5), np.zeros(5)
    out, _ = call(student, x, gamma, beta, 1e-5)
    out = expect_shape(out, (5, 5), "out")
    col_means, row_means = out.mean(axis=0), out.mean(axis=1)
    if not np.allclose(col_means, 0, atol=1e-6) and np.allclose(row_means, 0, atol=1e-6):
        raise Mismatch(f"with gamma = 1 and beta = 0 the rows of out have mean 0 but the columns have means "
                       f"{fmt(col_means)}", mistakes.hint("batchnorm_forward", "axis1"))
    expect(np.allclose(col_means, 0, atol=1e-6),
           f"with gamma = 1 and beta = 0 the columns of out have means {fmt(col_means)}, expected 0",
           mistakes.hint("batchnorm_forward", "axis1"))
    x, gamma, beta = bn_batch(rng, 7, 4)
    check_out(student, x, gamma, beta, 1e-5, "out for N = 7, D = 4", named=others("axis1"))


@pytest.mark.points(0.5)
def test_batchnorm_forward_float32_keeps_dtype(student, rng):
    """float32 input gives float32 output, and the right values"""
    x, gamma, beta = bn_batch(rng, 256, 5, np.float32)
    out, _ = check_out(student, x, gamma, beta, 1e-5, "out for a float32 x")
    expect_dtype(out, np.float32, "out")


@pytest.mark.points(0.5)
def test_batchnorm_forward_uses_the_eps_it_is_given(student, rng):
    """uses the eps it is given (1e-5, 1e-3 and 0.1, and 1e-5 by default), inside the square root"""
    for eps in (1e-5, 1e-3, 0.1, None):
        # small spreads, so that eps changes the output visibly
        x = rng.standard_normal((16, 4)) * np.array([0.003, 0.03, 0.3, 1.0]) + rng.uniform(-1, 1, 4)
        gamma, beta = rng.uniform(0.5, 2.0, 4), rng.uniform(-1.0, 1.0, 4)
        what = "out with the default eps" if eps is None else f"out with eps = {eps}"
        check_out(student, x, gamma, beta, eps, what, named=others("eps_outside"),
                  hint="use the eps argument, not a constant of your own: x_hat = (x - mu) / sqrt(var + eps)")


@pytest.mark.points(0.5)
def test_batchnorm_forward_constant_column_gives_beta(student, rng):
    """a constant column gives beta, not NaN"""
    for N in (3, 4096):
        x, gamma, beta = bn_batch(rng, N, 4)
        x[:, 1] = 0.1
        x[:, 3] = -7.25
        out, _ = call(student, x, gamma, beta, 1e-5)
        out = expect_shape(out, (N, 4), "out")
        const = [1, 3]
        expect_finite(out[:, const], f"out for the constant columns (N = {N})", mistakes.hint("batchnorm_forward", "no_eps"))
        axis1 = mistakes.forward(x, gamma, beta, 1e-5)["axis1"][1][:, const]
        expect_close(out[:, const], np.broadcast_to(beta[const], (N, 2)),
                     f"out for the constant columns 1 and 3 (N = {N})",
                     "a constant column has x - mu = 0, so its output is beta", atol=1e-6, tolerate=[axis1])


@pytest.mark.points(0.5)
def test_batchnorm_forward_is_accurate_for_large_offsets(student, rng):
    """columns far from zero (1e4 + small noise) are normalized accurately"""
    x = offset_batch(rng, 500, 6)
    gamma, beta = rng.uniform(0.5, 2.0, 6), rng.uniform(-1.0, 1.0, 6)
    check_out(student, x, gamma, beta, 1e-5, "out for columns like 1e4 + 0.01 * noise",
              hint=mistakes.hint("batchnorm_forward", "naive_variance"), rtol=1e-6, atol=1e-6)


@pytest.mark.points(0.25)
def test_batchnorm_forward_smallest_shapes(student, rng):
    """works for a single feature (D = 1) and for a batch of 2"""
    for N, D in ((7, 1), (2, 4), (2, 1)):
        x, gamma, beta = bn_batch(rng, N, D)
        check_out(student, x, gamma, beta, 1e-5, f"out for N = {N}, D = {D}")


@pytest.mark.points(0.5)
def test_batchnorm_forward_works_on_non_contiguous_arrays(student, rng):
    """works on sliced, Fortran-ordered and transposed arrays"""
    x, gamma, beta = bn_batch(rng, 12, 5)
    for label, view in layouts(x):
        check_out(student, view, gamma, beta, 1e-5, f"out for x given as {label}")
    wide = np.zeros(10)
    wide[::2] = gamma
    check_out(student, x, wide[::2], beta, 1e-5, "out for gamma given as every other entry of an array")


@pytest.mark.points(0.5)
def test_batchnorm_forward_cache_holds_what_backward_needs(student, rng):
    """the cache is a BNCache holding x, x_hat, mu, var, inv_std, gamma and eps"""
    x, gamma, beta = bn_batch(rng, 9, 4)
    eps = 1e-3
    _, cache = call(student, x, gamma, beta, eps)
    if not isinstance(cache, tuple) or len(cache) != len(BNCache._fields):
        raise Mismatch(f"cache should be a BNCache, got {type(cache).__name__}",
                       "return BNCache(x=x, x_hat=x_hat, mu=mu, var=var, inv_std=inv_std, gamma=gamma, eps=eps)")
    cache = BNCache(*cache)
    _, expected = reference(x, gamma, beta, eps)
    named = [mistakes.forward_cache(x, gamma, eps, name) for name in ("ddof1", "eps_outside")]
    tolerated = {field: [c[field] for c in named] for field in ("x_hat", "var", "inv_std")}
    for field in ("x", "x_hat", "mu", "var", "inv_std", "gamma"):
        expect_close(getattr(cache, field), getattr(expected, field), f"cache.{field}",
                     f"cache.{field} should hold {CACHE_FIELDS[field]}", tolerate=tolerated.get(field, ()))
    got_eps = as_array(cache.eps, "cache.eps")
    expect(got_eps.shape == () and np.isclose(float(got_eps), eps), f"cache.eps is {fmt(got_eps)}, expected {eps}",
           "store the eps you were given")


@pytest.mark.points(0.5)
def test_batchnorm_forward_leaves_inputs_unchanged(student, rng):
    """leaves x, gamma and beta unchanged"""
    x, gamma, beta = bn_batch(rng, 10, 3)
    call(student, x.copy(), gamma.copy(), beta.copy(), 1e-5)
    after = student.inputs_after
    for name, before, now in zip(("x", "gamma", "beta"), (x, gamma, beta), after):
        expect_unchanged(before, now, name)


@pytest.mark.points(0.25)
def test_batchnorm_forward_gamma_scales_and_beta_shifts(student, rng):
    """gamma scales and beta shifts the normalized output"""
    x, _, _ = bn_batch(rng, 20, 4)
    gamma, beta = np.array([3.0, 0.5, -1.5, 2.0]), np.array([10.0, -2.0, 0.25, 0.0])
    check_out(student, x, gamma, beta, 1e-5, "out with gamma = [3, 0.5, -1.5, 2], beta = [10, -2, 0.25, 0]",
              hint="out = gamma * x_hat + beta: gamma scales, beta shifts")
