"""Hidden tests of spatial_batchnorm_forward(x, gamma, beta, eps=1e-5) -> (out, cache), 4 points.

x is (N, C, H, W); each channel is normalized over its N*H*W values. Three
mistakes have a test of their own: statistics per sample, statistics over
H*W only, and the transpose left out when reshaping to (N*H*W, C). Tests of
other properties accept their output, so that each costs the test that names
it and "out is right", not more.
"""

import numpy as np
import pytest

from autograder.suites import mistakes
from autograder.suites.beyond import bugs, known, map_layouts, maps, matches, tolerated, unchanged
from autograder.suites.inputs import tol
from autograder.suites.scoring import score_cases
from course_lib.bncache import BNCache
from course_lib.compare import Mismatch, as_array, expect, expect_close, expect_dtype, expect_shape, fmt, unpack
from course_lib.spatial_batchnorm import spatial_batchnorm_forward as reference
from course_lib.checks.beyond_dense import SPATIAL_STEPS as STEPS

NAME = "spatial_batchnorm_forward"
NAMED = ("per_sample", "hw_only", "no_transpose")


def others(*own):
    return tuple(n for n in NAMED if n not in own)


def call(student, x, gamma, beta, eps=None):
    args = (x, gamma, beta) if eps is None else (x, gamma, beta, eps)
    return unpack(student.call(NAME, *args), ("out", "cache"), NAME)


def check_out(student, x, gamma, beta, eps, what, *, named=NAMED, hint=STEPS):
    """The student's out against the reference; named: mistakes accepted here, since their own tests charge."""
    out, cache = call(student, x, gamma, beta, eps)
    eps = 1e-5 if eps is None else eps
    results = known(NAME, NAMED, x, gamma, beta, eps)
    expect_close(out, reference(x, gamma, beta, eps)[0], what, hint, bugs=bugs(NAME, results, 0),
                 tolerate=tolerated(results, named, 0), **tol(x.dtype))
    return out, cache


@pytest.mark.points(0.25)
def test_spatial_batchnorm_forward_returns_out_and_cache(student, rng):
    """returns (out, cache) with out of the shape of x, (N, C, H, W)"""
    x, gamma, beta = maps(rng, 4, 3, 5, 6)
    out, _ = call(student, x, gamma, beta, 1e-5)
    expect_shape(out, x.shape, "out", "out has the shape of x: (N, C, H, W)")


@pytest.mark.points(0.75)
def test_spatial_batchnorm_forward_is_right_for_several_shapes(student, rng, partial):
    """out is right for several shapes (N, C, H, W), from (2, 3, 4, 5) to (32, 8, 6, 6)"""
    cases = []
    for shape in ((2, 3, 4, 5), (5, 4, 3, 3), (8, 2, 7, 1), (32, 8, 6, 6)):
        x, gamma, beta = maps(rng, *shape)
        cases.append((f"x of shape {shape}", lambda x=x, g=gamma, b=beta: check_out(
            student, x, g, b, 1e-5, "out", named=())))
    score_cases(partial, cases)


@pytest.mark.points(0.75)
def test_spatial_batchnorm_forward_statistics_are_per_channel_over_n_h_w(student, rng):
    """statistics are per channel, over the N samples and the H*W positions"""
    x, _, _ = maps(rng, 6, 3, 4, 5)
    ones, zeros = np.ones(3), np.zeros(3)
    out, _ = call(student, x, ones, zeros, 1e-5)
    out = expect_shape(out, x.shape, "out")
    results = known(NAME, NAMED, x, ones, zeros, 1e-5)
    if not matches(out, tolerated(results, others("per_sample", "hw_only"), 0)):
        per_map, per_sample = out.mean(axis=(2, 3)), out.mean(axis=(1, 2, 3))
        if np.allclose(per_map, 0, atol=1e-6):
            raise Mismatch("with gamma = 1 and beta = 0 every map out[n, c] has mean 0: each sample's channel was "
                           "normalized on its own", mistakes.hint(NAME, "hw_only"))
        channel = out.mean(axis=(0, 2, 3))
        if np.allclose(per_sample, 0, atol=1e-6) and not np.allclose(channel, 0, atol=1e-6):
            raise Mismatch(f"with gamma = 1 and beta = 0 each sample of out has mean 0, but the channels have "
                           f"means {fmt(channel)}", mistakes.hint(NAME, "per_sample"))
        expect(np.allclose(channel, 0, atol=1e-6),
               f"with gamma = 1 and beta = 0 the channels of out have means {fmt(channel)}, expected 0", STEPS)
    x, gamma, beta = maps(rng, 4, 5, 3, 4)
    check_out(student, x, gamma, beta, 1e-5, "out for x of shape (4, 5, 3, 4)", named=others("per_sample", "hw_only"))


@pytest.mark.points(0.5)
def test_spatial_batchnorm_forward_transposes_before_reshaping(student, rng):
    """moves the channels last before reshaping to (N*H*W, C), and back"""
    for shape in ((3, 4, 2, 5), (6, 2, 3, 3)):
        x, gamma, beta = maps(rng, *shape)
        check_out(student, x, gamma, beta, 1e-5, f"out for x of shape {shape}", named=others("no_transpose"))


@pytest.mark.points(0.5)
def test_spatial_batchnorm_forward_float32_keeps_dtype(student, rng):
    """float32 input gives float32 output, and the right values"""
    x, gamma, beta = maps(rng, 16, 4, 5, 5, np.float32)
    out, _ = check_out(student, x, gamma, beta, 1e-5, "out for a float32 x")
    expect_dtype(out, np.float32, "out")


@pytest.mark.points(0.25)
def test_spatial_batchnorm_forward_odd_shapes_and_eps(student, rng):
    """works for one channel (C = 1), 1x1 maps (H = W = 1) and one sample (N = 1); uses the eps it is given"""
    for shape in ((4, 1, 3, 3), (8, 3, 1, 1), (1, 3, 2, 3)):
        x, gamma, beta = maps(rng, *shape)
        check_out(student, x, gamma, beta, 1e-5, f"out for x of shape {shape}")
    x, gamma, beta = maps(rng, 3, 2, 2, 2)
    x[:, 1] = 0.5 + 0.001 * rng.standard_normal((3, 2, 2))   # a channel of small spread, so that eps shows
    for eps in (0.1, None):
        check_out(student, x, gamma, beta, eps, "out with the default eps" if eps is None else f"out with eps = {eps}",
                  hint="use the eps argument, inside the square root (default eps=1e-5)")


@pytest.mark.points(0.25)
def test_spatial_batchnorm_forward_works_on_non_contiguous_arrays(student, rng):
    """works on sliced, channels-last, Fortran-ordered and reversed arrays"""
    x, gamma, beta = maps(rng, 5, 3, 4, 3)
    for label, view in map_layouts(x):
        check_out(student, view, gamma, beta, 1e-5, f"out for x given as {label}")
    wide = np.repeat(gamma, 2)
    check_out(student, x, wide[::2], beta, 1e-5, "out for gamma given as every other entry of an array")


@pytest.mark.points(0.5)
def test_spatial_batchnorm_forward_cache_is_the_bncache_of_the_rows(student, rng):
    """the cache is the BNCache of the (N*H*W, C) view: x and x_hat as rows, mu, var, inv_std per channel"""
    x, gamma, beta = maps(rng, 3, 4, 3, 2)
    eps = 1e-3
    out, cache = call(student, x, gamma, beta, eps)
    if matches(out, tolerated(known(NAME, NAMED, x, gamma, beta, eps), NAMED, 0)):
        return   # its statistics are wrong, and the test that names the mistake charges for it
    if not isinstance(cache, tuple) or len(cache) != len(BNCache._fields):
        raise Mismatch(f"cache should be a BNCache, got {type(cache).__name__}",
                       "return the BNCache of the rows: BNCache(x=rows, x_hat=x_hat, mu=mu, var=var, "
                       "inv_std=inv_std, gamma=gamma, eps=eps), each array as batch norm of the (N*H*W, C) view "
                       "keeps it")
    cache = BNCache(*cache)
    _, expected = reference(x, gamma, beta, eps)
    shapes = {"x": "(N*H*W, C), x.transpose(0, 2, 3, 1).reshape(-1, C)", "x_hat": "(N*H*W, C), as x",
              "mu": "(C,), one per channel", "var": "(C,), one per channel", "inv_std": "(C,), one per channel",
              "gamma": "(C,)"}
    for field, what in shapes.items():
        field_hint = f"cache.{field} should hold the rows view's {field}, of shape {what}"
        value = expect_shape(getattr(cache, field), getattr(expected, field).shape, f"cache.{field}", field_hint)
        expect_close(value, getattr(expected, field), f"cache.{field}", field_hint)
    got_eps = as_array(cache.eps, "cache.eps")
    expect(got_eps.shape == () and np.isclose(float(got_eps), eps), f"cache.eps is {fmt(got_eps)}, expected {eps}",
           "store the eps you were given")


@pytest.mark.points(0.25)
def test_spatial_batchnorm_forward_leaves_inputs_unchanged(student, rng):
    """leaves x, gamma and beta unchanged"""
    args = maps(rng, 4, 3, 3, 3)
    student.call(NAME, *(a.copy() for a in args), 1e-5)
    unchanged(("x", "gamma", "beta"), args, student.inputs_after)
    check_out(student, *args, 1e-5, "out")   # and the answer is right
