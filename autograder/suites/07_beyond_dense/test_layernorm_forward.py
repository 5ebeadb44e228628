"""Hidden tests of layernorm_forward(x, gamma, beta, eps=1e-5) -> (out, cache), 3 points.

x is (N, D); each sample is normalized over its own D features. Two mistakes
have a test of their own: statistics over the batch axis, and running
statistics carried from call to call (a sample's output then changes with
the batches before it, and is one affine map of x shared by every entry;
an output that changes from call to call without that shape is not the
mistake, and earns nothing). Tests of other properties accept them, so that each
costs the test that names it and "out is right", not more.
"""

import numpy as np
import pytest

from autograder.suites import mistakes
from autograder.suites.beyond import bugs, known, matches, tolerated, unchanged
from autograder.suites.inputs import bn_batch, layouts, tol
from autograder.suites.scoring import score_cases
from course_lib.bncache import LNCache
from course_lib.compare import Mismatch, as_array, expect, expect_close, expect_dtype, expect_shape, fmt, unpack
from course_lib.layernorm import layernorm_forward as reference
from course_lib.checks.beyond_dense import LN_STEPS as STEPS

NAME = "layernorm_forward"
NAMED = ("batch_axis", "running_stats")
# running statistics depend on the calls before, so no output of that mistake can be computed apart: a test
# recognizes it by calling twice (``_stateful``)
STATELESS = ("batch_axis",)


def call(student, x, gamma, beta, eps=None):
    args = (x, gamma, beta) if eps is None else (x, gamma, beta, eps)
    return unpack(student.call(NAME, *args), ("out", "cache"), NAME)


def batch(rng, N, D, dtype=np.float64):
    """(x, gamma, beta) whose samples have different means and spreads, so that per-sample statistics show."""
    x, gamma, beta = bn_batch(rng, N, D, dtype)
    x = x * rng.uniform(0.5, 3.0, (N, 1)) + rng.uniform(-4.0, 4.0, (N, 1))
    return x.astype(dtype), gamma, beta


def _stateful(student, x, gamma, beta, eps, out):
    """Whether out is the catalogued running-statistics mistake: a second call on the same input gives another
    output, and each is gamma * (a * x + c) + beta for one scale a > 0 and one shift c shared by every entry
    (statistics kept across samples and calls). Any other output that changes from call to call is just wrong."""
    again, _ = call(student, x, gamma, beta, eps)
    try:
        out, again = as_array(out, "out"), as_array(again, "out")
    except Mismatch:
        return False
    if np.array_equal(out, again, equal_nan=True):
        return False
    return all(_shared_affine(x, gamma, beta, o) for o in (out, again))


def _shared_affine(x, gamma, beta, out):
    x = np.asarray(x, dtype=np.float64)
    if out.shape != x.shape or not np.isfinite(out).all():
        return False
    z = ((out - np.asarray(beta, np.float64)) / np.asarray(gamma, np.float64)).ravel()
    A = np.column_stack([x.ravel(), np.ones(x.size)])
    (a, c), *_ = np.linalg.lstsq(A, z, rcond=None)
    return bool(a > 0 and np.allclose(A @ (a, c), z, rtol=1e-5, atol=1e-5 * max(1.0, float(np.abs(z).max()))))


def check_out(student, x, gamma, beta, eps, what, *, named=NAMED, hint=STEPS):
    """The student's out against the reference; named: mistakes accepted here, since their own tests charge."""
    out, cache = call(student, x, gamma, beta, eps)
    eps_ = 1e-5 if eps is None else eps
    expected = reference(x, gamma, beta, eps_)[0]
    results = known(NAME, STATELESS, x, gamma, beta, eps_)
    if not matches(out, [expected], **tol(x.dtype)) and _stateful(student, x, gamma, beta, eps, out):
        if "running_stats" in named:
            return out, cache
        raise Mismatch(f"{what} changes from call to call on the same x", mistakes.hint(NAME, "running_stats"))
    expect_close(out, expected, what, hint, bugs=bugs(NAME, results, 0), tolerate=tolerated(results, named, 0),
                 **tol(x.dtype))
    return out, cache


@pytest.mark.points(0.25)
def test_layernorm_forward_returns_out_and_cache(student, rng):
    """returns (out, cache) with out of shape (N, D)"""
    x, gamma, beta = batch(rng, 6, 4)
    out, _ = call(student, x, gamma, beta, 1e-5)
    expect_shape(out, (6, 4), "out", "out has the shape of x: one row per sample, one column per feature")


@pytest.mark.points(0.5)
def test_layernorm_forward_is_right_for_several_shapes(student, rng, partial):
    """out is right for N = 1, 3, 64 and 2048 samples"""
    cases = []
    for N, D in ((1, 5), (3, 2), (64, 7), (2048, 6)):
        x, gamma, beta = batch(rng, N, D)
        cases.append((f"N = {N}, D = {D}", lambda x=x, g=gamma, b=beta: check_out(
            student, x, g, b, 1e-5, "out", named=())))
    score_cases(partial, cases)


@pytest.mark.points(0.5)
def test_layernorm_forward_statistics_are_over_each_samples_features(student, rng):
    """statistics are per sample, over its D features (axis 1)"""
    x, _, _ = batch(rng, 5, 5)   # square, so statistics over the wrong axis still broadcast
    ones, zeros = np.ones(5), np.zeros(5)
    out, _ = call(student, x, ones, zeros, 1e-5)
    out = expect_shape(out, (5, 5), "out")
    rows, cols = out.mean(axis=1), out.mean(axis=0)
    if not np.allclose(rows, 0, atol=1e-6) and not _stateful(student, x, ones, zeros, 1e-5, out):
        hint = mistakes.hint(NAME, "batch_axis") if np.allclose(cols, 0, atol=1e-6) else STEPS
        raise Mismatch(f"with gamma = 1 and beta = 0 the rows of out have means {fmt(rows)}, expected 0", hint)
    x, gamma, beta = batch(rng, 7, 4)
    check_out(student, x, gamma, beta, 1e-5, "out for N = 7, D = 4", named=("running_stats",))


@pytest.mark.points(0.5)
def test_layernorm_forward_keeps_no_running_statistics(student, rng):
    """keeps no running statistics: the same batch gives the same out, and a sample alone the same as in a batch"""
    x, gamma, beta = batch(rng, 8, 5)
    first, _ = call(student, x, gamma, beta, 1e-5)
    first = expect_shape(first, (8, 5), "out")
    other, _, _ = batch(rng, 8, 5)
    call(student, other * 10.0 + 7.0, gamma, beta, 1e-5)
    again, _ = call(student, x, gamma, beta, 1e-5)
    again = expect_shape(again, (8, 5), "out")
    if not np.allclose(first, again, rtol=1e-12, atol=1e-12):
        raise Mismatch("the same batch gives another out after another batch was normalized: your function keeps "
                       "something from call to call", mistakes.hint(NAME, "running_stats"))
    alone, _ = call(student, x[2:3], gamma, beta, 1e-5)
    alone = expect_shape(alone, (1, 5), "out for one sample")
    results = known(NAME, STATELESS, x, gamma, beta, 1e-5)
    if not matches(first, tolerated(results, STATELESS, 0)) and not np.allclose(alone, first[2:3], atol=1e-10):
        raise Mismatch("sample 2 alone gives another out than sample 2 in a batch of 8",
                       mistakes.hint(NAME, "running_stats"))
    check_out(student, x, gamma, beta, 1e-5, "out for N = 8, D = 5", named=STATELESS)


@pytest.mark.points(0.25)
def test_layernorm_forward_float32_keeps_dtype(student, rng):
    """float32 input gives float32 output, and the right values"""
    x, gamma, beta = batch(rng, 128, 16, np.float32)
    out, _ = check_out(student, x, gamma, beta, 1e-5, "out for a float32 x")
    expect_dtype(out, np.float32, "out")


@pytest.mark.points(0.25)
def test_layernorm_forward_uses_the_eps_it_is_given(student, rng):
    """uses the eps it is given (1e-3 and 0.1, and 1e-5 by default), inside the square root"""
    x, gamma, beta = batch(rng, 6, 4)
    x[1] = 2.0 + 0.003 * rng.standard_normal(4)   # a sample of small spread, so that eps shows
    for eps in (1e-3, 0.1, None):
        check_out(student, x, gamma, beta, eps, "out with the default eps" if eps is None else f"out with eps = {eps}",
                  hint="use the eps argument, inside the square root (default eps=1e-5)")


@pytest.mark.points(0.25)
def test_layernorm_forward_works_on_non_contiguous_arrays(student, rng):
    """works for D = 2 and on sliced, Fortran-ordered and transposed arrays"""
    x, gamma, beta = batch(rng, 9, 2)
    check_out(student, x, gamma, beta, 1e-5, "out for D = 2")
    x, gamma, beta = batch(rng, 10, 5)
    for label, view in layouts(x):
        check_out(student, view, gamma, beta, 1e-5, f"out for x given as {label}")
    wide = np.repeat(gamma, 2)
    check_out(student, x, wide[::2], beta, 1e-5, "out for gamma given as every other entry of an array")


@pytest.mark.points(0.25)
def test_layernorm_forward_cache_holds_what_backward_needs(student, rng):
    """the cache is an LNCache holding x_hat (N, D), inv_std (N, 1), gamma and eps"""
    x, gamma, beta = batch(rng, 6, 3)
    eps = 1e-3
    out, cache = call(student, x, gamma, beta, eps)
    if matches(out, tolerated(known(NAME, STATELESS, x, gamma, beta, eps), STATELESS, 0)) \
            or _stateful(student, x, gamma, beta, eps, out):
        return   # its statistics are wrong, and the test that names the mistake charges for it
    if not isinstance(cache, tuple) or len(cache) != len(LNCache._fields):
        raise Mismatch(f"cache should be an LNCache, got {type(cache).__name__}",
                       "return LNCache(x_hat=x_hat, inv_std=inv_std, gamma=gamma, eps=eps)")
    cache = LNCache(*cache)
    _, expected = reference(x, gamma, beta, eps)
    holds = {"x_hat": "the normalized x, (N, D)", "inv_std": "1 / sqrt(var + eps) of each sample, (N, 1): "
             "keepdims=True", "gamma": "the gamma you were given, (D,)"}
    for field, what in holds.items():
        value = expect_shape(getattr(cache, field), getattr(expected, field).shape, f"cache.{field}",
                             f"cache.{field} should hold {what}")
        expect_close(value, getattr(expected, field), f"cache.{field}", f"cache.{field} should hold {what}")
    got_eps = as_array(cache.eps, "cache.eps")
    expect(got_eps.shape == () and np.isclose(float(got_eps), eps), f"cache.eps is {fmt(got_eps)}, expected {eps}",
           "store the eps you were given")


@pytest.mark.points(0.25)
def test_layernorm_forward_leaves_inputs_unchanged(student, rng):
    """leaves x, gamma and beta unchanged"""
    args = batch(rng, 5, 4)
    student.call(NAME, *(a.copy() for a in args), 1e-5)
    unchanged(("x", "gamma", "beta"), args, student.inputs_after)
    check_out(student, *args, 1e-5, "out")   # and the answer is right
