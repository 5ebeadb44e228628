"""Hidden tests of layernorm_backward(dout, cache) -> (dx, dgamma, dbeta), 3 points.

The cache is an LNCache, always built here by the reference forward pass, so
a wrong forward never costs backward credit. Three mistakes have a test of
their own: batch norm's sums over the batch where layer norm's run over each
sample's features, dgamma and dbeta summed per sample, and the gradient
through the mean left out. Tests of other properties accept their output, so
that each costs the test that names it and "dx is right", not more.
"""

import numpy as np
import pytest

from autograder.suites import mistakes
from autograder.suites.beyond import bugs, known, matches, tolerated
from autograder.suites.inputs import bn_batch, layouts, tol
from autograder.suites.scoring import score_cases
from course_lib.bncache import LNCache
from course_lib.compare import Mismatch, expect, expect_close, expect_dtype, expect_shape, expect_unchanged, fmt, unpack
from course_lib.layernorm import layernorm_backward as reference
from course_lib.layernorm import layernorm_forward

NAME = "layernorm_backward"
NAMED = ("batch_axis", "params_over_features", "no_mean_path")
DX_HINT = ("batch norm's closed form with the roles of N and D swapped: with dx_hat = dout * gamma, "
           "dx = inv_std / D * (D * dx_hat - sum(dx_hat) - x_hat * sum(dx_hat * x_hat)), the sums over each row "
           "(axis=1, keepdims=True)")


def others(*own):
    return tuple(n for n in NAMED if n not in own)


def make_cache(rng, N, D, dtype=np.float64, eps=1e-5):
    """(dout, cache): the cache of the reference forward pass on a random batch, and an upstream gradient."""
    x, gamma, beta = bn_batch(rng, N, D, dtype)
    x = (x * rng.uniform(0.5, 3.0, (N, 1)) + rng.uniform(-4.0, 4.0, (N, 1))).astype(dtype)
    _, cache = layernorm_forward(x, gamma, beta, eps)
    return rng.standard_normal((N, D)).astype(dtype), cache


def call(student, dout, cache):
    return unpack(student.call(NAME, dout, cache), ("dx", "dgamma", "dbeta"), NAME)


def check_grads(student, dout, cache, what, *, named=NAMED):
    """The student's three gradients against the reference; named: mistakes accepted here."""
    dx, dgamma, dbeta = call(student, dout, cache)
    expected = reference(dout, cache)
    results = known(NAME, NAMED, dout, cache)
    tolerance = tol(dout.dtype)
    if "params_over_features" not in named:
        for grad, label in ((dbeta, "dbeta"), (dgamma, "dgamma")):
            if np.shape(grad) == (dout.shape[0],) and dout.shape[0] != dout.shape[1]:
                raise Mismatch(f"{label} {what} has one entry per sample, shape {np.shape(grad)}; expected one per "
                               f"feature, ({dout.shape[1]},)".replace("  ", " "),
                               mistakes.hint(NAME, "params_over_features"))
    for grad, i, label, hint in ((dbeta, 2, "dbeta", "dbeta is dout summed over the batch (axis=0)"),
                                 (dgamma, 1, "dgamma", "dgamma is dout * x_hat summed over the batch (axis=0)")):
        if matches(grad, tolerated(results, named, i), **tolerance):
            continue
        expect_close(grad, expected[i], f"{label} {what}".strip(), hint, bugs=bugs(NAME, results, i), **tolerance)
    expect_close(dx, expected[0], f"dx {what}".strip(), DX_HINT, bugs=bugs(NAME, results, 0),
                 tolerate=tolerated(results, named, 0), **tolerance)
    return dx, dgamma, dbeta


@pytest.mark.points(0.25)
def test_layernorm_backward_returns_three_gradients_of_the_right_shapes(student, rng):
    """returns (dx, dgamma, dbeta) with shapes (N, D), (D,), (D,)"""
    dout, cache = make_cache(rng, 6, 4)
    dx, dgamma, dbeta = call(student, dout, cache)
    expect_shape(dx, (6, 4), "dx", "dx has the shape of x: one row per sample")
    expect_shape(dgamma, (4,), "dgamma", mistakes.hint(NAME, "params_over_features"))
    expect_shape(dbeta, (4,), "dbeta", mistakes.hint(NAME, "params_over_features"))


@pytest.mark.points(0.5)
def test_layernorm_backward_dgamma_and_dbeta_sum_over_the_batch(student, rng):
    """dgamma and dbeta sum over the batch, one entry per feature"""
    for N, D in ((5, 3), (300, 4)):
        dout, cache = make_cache(rng, N, D)
        _, dgamma, dbeta = call(student, dout, cache)
        expected = reference(dout, cache)
        for grad, i, label in ((dbeta, 2, "dbeta"), (dgamma, 1, "dgamma")):
            expect_shape(grad, (D,), f"{label} for N = {N}, D = {D}", mistakes.hint(NAME, "params_over_features"))
            expect_close(grad, expected[i], f"{label} for N = {N}", "dbeta is dout summed over the batch; dgamma is "
                         "dout * x_hat summed over the batch", bugs=bugs(NAME, known(NAME, NAMED, dout, cache), i))


@pytest.mark.points(0.75)
def test_layernorm_backward_dx_is_right_for_several_shapes(student, rng, partial):
    """dx, dgamma and dbeta are right for N = 1, 3, 64 and 2048 samples"""
    cases = []
    for N, D in ((1, 5), (3, 2), (64, 7), (2048, 6)):
        dout, cache = make_cache(rng, N, D)
        cases.append((f"N = {N}, D = {D}", lambda dout=dout, cache=cache: check_grads(
            student, dout, cache, "", named=())))
    score_cases(partial, cases)


@pytest.mark.points(0.5)
def test_layernorm_backward_sums_run_over_each_samples_features(student, rng):
    """the sums in dx run over each sample's D features, not over the batch"""
    for N, D in ((5, 5), (8, 3)):
        dout, cache = make_cache(rng, N, D)
        check_grads(student, dout, cache, f"for N = {N}, D = {D}", named=others("batch_axis"))


@pytest.mark.points(0.25)
def test_layernorm_backward_gradient_through_the_mean_path(student, rng):
    """gradient through the mean: each row of dx sums to 0"""
    for N, D in ((4, 3), (50, 6)):
        dout, cache = make_cache(rng, N, D)
        dx, _, _ = call(student, dout, cache)
        dx = expect_shape(dx, (N, D), "dx")
        if not matches(dx, tolerated(known(NAME, NAMED, dout, cache), others("no_mean_path"), 0)):
            sums = dx.sum(axis=1)
            scale = np.abs(dx).sum(axis=1) + 1e-12
            if not np.all(np.abs(sums) <= 1e-8 * scale + 1e-12):
                raise Mismatch(f"the rows of dx sum to {fmt(sums)} (N = {N}); they must sum to 0, since adding a "
                               "constant to a sample's features does not change its out",
                               mistakes.hint(NAME, "no_mean_path"))
        check_grads(student, dout, cache, f"for N = {N}, D = {D}", named=others("no_mean_path"))


@pytest.mark.points(0.25)
def test_layernorm_backward_float32_keeps_dtype(student, rng):
    """float32 input gives float32 gradients, and the right values"""
    dout, cache = make_cache(rng, 128, 16, np.float32)
    for what, value in zip(("dx", "dgamma", "dbeta"), check_grads(student, dout, cache, "for a float32 dout")):
        expect_dtype(value, np.float32, what)


@pytest.mark.points(0.25)
def test_layernorm_backward_odd_shapes_and_layouts(student, rng):
    """works for D = 2, and on sliced, Fortran-ordered and transposed arrays"""
    dout, cache = make_cache(rng, 7, 2)
    check_grads(student, dout, cache, "for D = 2")
    dout, cache = make_cache(rng, 10, 4)
    for label, view in layouts(dout):
        check_grads(student, view, cache, f"for dout given as {label}")
    cache_t = cache._replace(x_hat=np.ascontiguousarray(cache.x_hat.T).T, inv_std=np.asfortranarray(cache.inv_std))
    check_grads(student, dout, cache_t, "for a cache holding a transposed view")


@pytest.mark.points(0.25)
def test_layernorm_backward_leaves_dout_and_cache_unchanged(student, rng):
    """leaves dout and the cache unchanged"""
    dout, cache = make_cache(rng, 6, 3)
    sent = LNCache(*(v.copy() if isinstance(v, np.ndarray) else v for v in cache))
    student.call(NAME, dout.copy(), sent)
    after = student.inputs_after
    expect(len(after) == 2, "could not read back the arguments after the call")
    expect_unchanged(dout, after[0], "dout")
    expect(isinstance(after[1], tuple) and len(after[1]) == len(LNCache._fields),
           "your function changed its input cache")
    for field, now in zip(LNCache._fields[:-1], after[1]):
        expect_unchanged(getattr(cache, field), now, f"cache.{field}")
    check_grads(student, dout, cache, "")   # and the answer is right
