"""Hidden tests of spatial_batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta), 4 points.

dout is (N, C, H, W); the cache is the BNCache of the (N*H*W, C) view, always
built here by the reference forward pass, so a wrong forward never costs
backward credit. Three mistakes have a test of their own: the transpose left
out, the batch size N where the count is N*H*W, and the gradient through the
mean left out. Tests of other properties accept their output, so that each
costs the test that names it and "dx is right", not more.
"""

import numpy as np
import pytest

from autograder.suites import mistakes
from autograder.suites.beyond import bugs, known, map_layouts, maps, matches, tolerated
from autograder.suites.inputs import tol
from autograder.suites.scoring import score_cases
from course_lib.bncache import BNCache
from course_lib.compare import Mismatch, expect, expect_close, expect_dtype, expect_shape, expect_unchanged, fmt, unpack
from course_lib.spatial_batchnorm import spatial_batchnorm_backward as reference
from course_lib.spatial_batchnorm import spatial_batchnorm_forward

NAME = "spatial_batchnorm_backward"
NAMED = ("no_transpose", "batch_count", "no_mean_path")
DX_HINT = ("view dout as the cache's rows, dout.transpose(0, 2, 3, 1).reshape(-1, C); take batch norm's backward "
           "on them with N*H*W rows; bring dx back with reshape(N, H, W, C).transpose(0, 3, 1, 2)")


def others(*own):
    return tuple(n for n in NAMED if n not in own)


def make_cache(rng, N, C, H, W, dtype=np.float64, eps=1e-5):
    """(dout, cache): the cache of the reference forward pass on random maps, and an upstream gradient."""
    x, gamma, beta = maps(rng, N, C, H, W, dtype)
    _, cache = spatial_batchnorm_forward(x, gamma, beta, eps)
    return rng.standard_normal(x.shape).astype(dtype), cache


def call(student, dout, cache):
    return unpack(student.call(NAME, dout, cache), ("dx", "dgamma", "dbeta"), NAME)


def check_grads(student, dout, cache, what, *, named=NAMED):
    """The student's three gradients against the reference; named: mistakes accepted here."""
    dx, dgamma, dbeta = call(student, dout, cache)
    expected = reference(dout, cache)
    results = known(NAME, NAMED, dout, cache)
    tolerance = tol(dout.dtype)
    expect_close(dbeta, expected[2], f"dbeta {what}".strip(),
                 "dbeta sums dout over the batch and the positions: one entry per channel, axes (0, 2, 3)",
                 bugs=bugs(NAME, results, 2), tolerate=tolerated(results, named, 2), **tolerance)
    expect_close(dgamma, expected[1], f"dgamma {what}".strip(),
                 "dgamma sums dout * x_hat over the batch and the positions, one entry per channel",
                 bugs=bugs(NAME, results, 1), tolerate=tolerated(results, named, 1), **tolerance)
    expect_close(dx, expected[0], f"dx {what}".strip(), DX_HINT, bugs=bugs(NAME, results, 0),
                 tolerate=tolerated(results, named, 0), **tolerance)
    return dx, dgamma, dbeta


@pytest.mark.points(0.25)
def test_spatial_batchnorm_backward_returns_three_gradients_of_the_right_shapes(student, rng):
    """returns (dx, dgamma, dbeta) with shapes (N, C, H, W), (C,), (C,)"""
    dout, cache = make_cache(rng, 3, 4, 2, 5)
    dx, dgamma, dbeta = call(student, dout, cache)
    expect_shape(dx, dout.shape, "dx", "dx has the shape of x, (N, C, H, W)")
    expect_shape(dgamma, (4,), "dgamma", "dgamma has one entry per channel")
    expect_shape(dbeta, (4,), "dbeta", "dbeta has one entry per channel")


@pytest.mark.points(0.5)
def test_spatial_batchnorm_backward_dgamma_and_dbeta_sum_over_n_h_w(student, rng):
    """dgamma and dbeta sum over the batch and every position of each channel"""
    for shape in ((4, 3, 3, 2), (10, 2, 5, 5)):
        dout, cache = make_cache(rng, *shape)
        _, dgamma, dbeta = call(student, dout, cache)
        expected = reference(dout, cache)
        results = known(NAME, NAMED, dout, cache)
        expect_close(dbeta, expected[2], f"dbeta for dout of shape {shape}",
                     "dbeta is dout summed over the batch and the positions (axes 0, 2 and 3)",
                     tolerate=tolerated(results, NAMED, 2))
        expect_close(dgamma, expected[1], f"dgamma for dout of shape {shape}",
                     "dgamma is dout * x_hat summed over the batch and the positions, with x_hat in the layout of "
                     "dout", tolerate=tolerated(results, NAMED, 1))


@pytest.mark.points(0.75)
def test_spatial_batchnorm_backward_dx_is_right_for_several_shapes(student, rng, partial):
    """dx, dgamma and dbeta are right for several shapes, from (2, 3, 4, 5) to (32, 8, 6, 6)"""
    cases = []
    for shape in ((2, 3, 4, 5), (5, 4, 3, 3), (8, 2, 7, 1), (32, 8, 6, 6)):
        dout, cache = make_cache(rng, *shape)
        cases.append((f"dout of shape {shape}", lambda dout=dout, cache=cache: check_grads(
            student, dout, cache, "", named=())))
    score_cases(partial, cases)


@pytest.mark.points(0.5)
def test_spatial_batchnorm_backward_transposes_before_reshaping(student, rng):
    """moves the channels of dout last before reshaping to the cache's rows, and back for dx"""
    for shape in ((3, 4, 2, 5), (6, 2, 3, 3)):
        dout, cache = make_cache(rng, *shape)
        check_grads(student, dout, cache, f"for dout of shape {shape}", named=others("no_transpose"))


@pytest.mark.points(0.5)
def test_spatial_batchnorm_backward_averages_over_all_n_h_w_values(student, rng):
    """the backward's 1/N is one over the N*H*W values of a channel"""
    for shape in ((2, 3, 4, 4), (5, 2, 3, 1)):
        dout, cache = make_cache(rng, *shape)
        check_grads(student, dout, cache, f"for dout of shape {shape}", named=others("batch_count"))


@pytest.mark.points(0.5)
def test_spatial_batchnorm_backward_gradient_through_the_mean_path(student, rng):
    """gradient through the mean: dx sums to 0 over each channel's N*H*W values"""
    for shape in ((4, 3, 2, 2), (6, 2, 5, 3)):
        dout, cache = make_cache(rng, *shape)
        dx, _, _ = call(student, dout, cache)
        dx = expect_shape(dx, dout.shape, "dx")
        results = known(NAME, NAMED, dout, cache)
        if not matches(dx, tolerated(results, others("no_mean_path"), 0)):
            sums = dx.sum(axis=(0, 2, 3))
            scale = np.abs(dx).sum(axis=(0, 2, 3)) + 1e-12
            if not np.all(np.abs(sums) <= 1e-8 * scale + 1e-12):
                raise Mismatch(f"dx summed over each channel is {fmt(sums)} (shape {shape}); it must be 0, since "
                               "adding a constant to a channel of x does not change out",
                               mistakes.hint(NAME, "no_mean_path"))
        check_grads(student, dout, cache, f"for dout of shape {shape}", named=others("no_mean_path"))


@pytest.mark.points(0.5)
def test_spatial_batchnorm_backward_float32_keeps_dtype(student, rng):
    """float32 input gives float32 gradients, and the right values"""
    dout, cache = make_cache(rng, 16, 4, 5, 5, np.float32)
    for what, value in zip(("dx", "dgamma", "dbeta"), check_grads(student, dout, cache, "for a float32 dout")):
        expect_dtype(value, np.float32, what)


@pytest.mark.points(0.25)
def test_spatial_batchnorm_backward_odd_shapes_and_layouts(student, rng):
    """works for C = 1, H = W = 1 and N = 1, and on sliced, channels-last and Fortran-ordered arrays"""
    for shape in ((4, 1, 3, 3), (8, 3, 1, 1), (1, 3, 2, 3)):
        dout, cache = make_cache(rng, *shape)
        check_grads(student, dout, cache, f"for dout of shape {shape}")
    dout, cache = make_cache(rng, 5, 3, 4, 3)
    for label, view in map_layouts(dout):
        check_grads(student, view, cache, f"for dout given as {label}")
    cache_f = BNCache(*(np.asfortranarray(v) if isinstance(v, np.ndarray) else v for v in cache))
    check_grads(student, dout, cache_f, "for a cache of Fortran-ordered arrays")


@pytest.mark.points(0.25)
def test_spatial_batchnorm_backward_leaves_dout_and_cache_unchanged(student, rng):
    """leaves dout and the cache unchanged"""
    dout, cache = make_cache(rng, 3, 2, 3, 3)
    sent = BNCache(*(v.copy() if isinstance(v, np.ndarray) else v for v in cache))
    student.call(NAME, dout.copy(), sent)
    after = student.inputs_after
    expect(len(after) == 2, "could not read back the arguments after the call")
    expect_unchanged(dout, after[0], "dout")
    expect(isinstance(after[1], tuple) and len(after[1]) == len(BNCache._fields),
           "your function changed its input cache")
    for field, now in zip(BNCache._fields[:-1], after[1]):
        expect_unchanged(getattr(cache, field), now, f"cache.{field}")
    check_grads(student, dout, cache, "")   # and the answer is right
