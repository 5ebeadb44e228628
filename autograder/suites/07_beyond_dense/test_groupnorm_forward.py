"""Hidden tests of groupnorm_forward(x, gamma, beta, G, eps=1e-5) -> (out, cache), 4 points.

x is (N, C, H, W); each sample's G groups of C // G neighbouring channels are
normalized over their channels and positions. The cache is the student's own
(a tuple of arrays and numbers); only out is graded. Two mistakes have a test
of their own: groups of every G-th channel, and G taken as the size of a
group. Tests of other properties accept their output, so that each costs the
test that names it and "out is right", not more.
"""

import numpy as np
import pytest

from autograder.suites.beyond import bugs, known, map_layouts, maps, matches, tolerated, unchanged
from autograder.suites.inputs import tol
from autograder.suites.scoring import score_cases
from course_lib.compare import Mismatch, expect, expect_close, expect_dtype, expect_shape, unpack
from course_lib.groupnorm import groupnorm_forward as reference
from course_lib.checks.beyond_dense import GN_STEPS as STEPS

NAME = "groupnorm_forward"
NAMED = ("strided_groups", "group_size")


def others(*own):
    return tuple(n for n in NAMED if n not in own)


def call(student, x, gamma, beta, G, eps=None):
    args = (x, gamma, beta, G) if eps is None else (x, gamma, beta, G, eps)
    return unpack(student.call(NAME, *args), ("out", "cache"), NAME)


def samples(rng, N, C, H, W, dtype=np.float64):
    """maps whose samples also differ in offset and spread, so that statistics crossing samples show."""
    x, gamma, beta = maps(rng, N, C, H, W)
    x = x * rng.uniform(0.5, 2.0, (N, 1, 1, 1)) + rng.uniform(-2.0, 2.0, (N, 1, 1, 1))
    return x.astype(dtype), gamma.astype(dtype), beta.astype(dtype)


def check_out(student, x, gamma, beta, G, eps, what, *, named=NAMED, hint=STEPS):
    """The student's out against the reference; named: mistakes accepted here, since their own tests charge."""
    out, cache = call(student, x, gamma, beta, G, eps)
    eps = 1e-5 if eps is None else eps
    results = known(NAME, NAMED, x, gamma, beta, G, eps)
    expect_close(out, reference(x, gamma, beta, G, eps)[0], what, hint, bugs=bugs(NAME, results, 0),
                 tolerate=tolerated(results, named, 0), **tol(x.dtype))
    return out, cache


@pytest.mark.points(0.25)
def test_groupnorm_forward_returns_out_and_cache(student, rng):
    """returns (out, cache) with out of the shape of x and a tuple as the cache"""
    x, gamma, beta = samples(rng, 3, 6, 4, 5)
    out, cache = call(student, x, gamma, beta, 3, 1e-5)
    expect_shape(out, x.shape, "out", "out has the shape of x: (N, C, H, W)")
    expect(isinstance(cache, tuple), f"cache should be a tuple, got {type(cache).__name__}",
           "return out and a tuple of what a backward pass needs, e.g. (x_hat, inv_std, gamma, G, eps)")


@pytest.mark.points(0.75)
def test_groupnorm_forward_is_right_for_several_shapes(student, rng, partial):
    """out is right for several shapes and numbers of groups"""
    cases = []
    for shape, G in (((2, 6, 4, 4), 3), ((5, 8, 3, 5), 2), ((1, 4, 2, 3), 4), ((16, 12, 6, 6), 4)):
        x, gamma, beta = samples(rng, *shape)
        cases.append((f"x of shape {shape}, G = {G}", lambda x=x, g=gamma, b=beta, G=G: check_out(
            student, x, g, b, G, 1e-5, "out", named=())))
    score_cases(partial, cases)


@pytest.mark.points(0.5)
def test_groupnorm_forward_groups_are_neighbouring_channels(student, rng):
    """a group is C // G neighbouring channels: 0 .. C/G - 1, then C/G .. 2C/G - 1, ..."""
    for shape, G in (((4, 6, 3, 3), 3), ((3, 8, 2, 4), 2)):
        x, gamma, beta = samples(rng, *shape)
        check_out(student, x, gamma, beta, G, 1e-5, f"out for x of shape {shape}, G = {G}",
                  named=others("strided_groups"))


@pytest.mark.points(0.5)
def test_groupnorm_forward_g_is_the_number_of_groups(student, rng):
    """G is the number of groups, each of C // G channels"""
    for shape, G in (((3, 8, 3, 3), 2), ((2, 6, 4, 2), 3)):
        x, gamma, beta = samples(rng, *shape)
        check_out(student, x, gamma, beta, G, 1e-5, f"out for x of shape {shape}, G = {G}", named=others("group_size"))


@pytest.mark.points(0.5)
def test_groupnorm_forward_g_1_is_layer_norm_and_g_c_is_instance_norm(student, rng):
    """G = 1 normalizes each sample over all its channels and positions; G = C each channel of each sample"""
    x, gamma, beta = samples(rng, 4, 6, 3, 4)
    ones, zeros = np.ones(6), np.zeros(6)
    # With G = 1 or G = C the mistakes coincide with other answers (G = C groups of one channel are strided
    # too), so a mistake is accepted here only from a student whose answer for G = 3 shows it.
    out, _ = call(student, x, gamma, beta, 3, 1e-5)
    shown = [n for n, r in known(NAME, NAMED, x, gamma, beta, 3, 1e-5).items()
             if matches(out, [r[0]]) and not matches(out, [reference(x, gamma, beta, 3, 1e-5)[0]])]
    for G, axes, what in ((1, (1, 2, 3), "each sample"), (6, (2, 3), "each channel of each sample")):
        out, _ = call(student, x, ones, zeros, G, 1e-5)
        out = expect_shape(out, x.shape, f"out for G = {G}")
        results = known(NAME, NAMED, x, ones, zeros, G, 1e-5)
        expect_close(out, reference(x, ones, zeros, G, 1e-5)[0], f"out for G = {G}, gamma = 1, beta = 0",
                     f"with G = {G} group norm normalizes {what}: out.mean(axis={axes}) is 0",
                     bugs=bugs(NAME, results, 0), tolerate=tolerated(results, shown, 0))
        check_out(student, x, gamma, beta, G, 1e-5, f"out for G = {G}", named=shown)


@pytest.mark.points(0.5)
def test_groupnorm_forward_float32_keeps_dtype(student, rng):
    """float32 input gives float32 output, and the right values"""
    x, gamma, beta = samples(rng, 16, 8, 5, 5, np.float32)
    out, _ = check_out(student, x, gamma, beta, 4, 1e-5, "out for a float32 x")
    expect_dtype(out, np.float32, "out")


@pytest.mark.points(0.25)
def test_groupnorm_forward_odd_shapes_and_eps(student, rng):
    """works for C = 1, H = W = 1 and N = 1; uses the eps it is given"""
    for shape, G in (((3, 1, 4, 4), 1), ((6, 4, 1, 1), 2), ((1, 6, 3, 2), 3), ((5, 4, 1, 1), 4)):
        x, gamma, beta = samples(rng, *shape)
        check_out(student, x, gamma, beta, G, 1e-5, f"out for x of shape {shape}, G = {G}")
    x, gamma, beta = samples(rng, 3, 4, 2, 2)
    x[1, 2:] = 0.5 + 0.001 * rng.standard_normal((2, 2, 2))   # a group of small spread, so that eps shows
    for eps in (0.1, None):
        what = "out with the default eps" if eps is None else f"out with eps = {eps}"
        check_out(student, x, gamma, beta, 2, eps, what,
                  hint="use the eps argument, inside the square root (default eps=1e-5)")


@pytest.mark.points(0.25)
def test_groupnorm_forward_works_on_non_contiguous_arrays(student, rng):
    """works on sliced, channels-last, Fortran-ordered and reversed arrays"""
    x, gamma, beta = samples(rng, 4, 6, 3, 4)
    for label, view in map_layouts(x):
        check_out(student, view, gamma, beta, 3, 1e-5, f"out for x given as {label}")
    wide = np.repeat(gamma, 2)
    check_out(student, x, wide[::2], beta, 3, 1e-5, "out for gamma given as every other entry of an array")


@pytest.mark.points(0.25)
def test_groupnorm_forward_each_sample_is_normalized_on_its_own(student, rng):
    """a sample's out is the same alone as in a batch: no statistic crosses samples"""
    x, gamma, beta = samples(rng, 6, 4, 3, 3)
    out, _ = check_out(student, x, gamma, beta, 2, 1e-5, "out for a batch of 6")
    alone, _ = call(student, x[3:4], gamma, beta, 2, 1e-5)
    alone = expect_shape(alone, (1, 4, 3, 3), "out for one sample")
    if not np.allclose(alone, np.asarray(out)[3:4], rtol=1e-9, atol=1e-9):
        raise Mismatch("sample 3 alone gives another out than sample 3 in a batch of 6",
                       "group norm's statistics are per sample: average over axes 2 (a group's channels and "
                       "positions) of x.reshape(N, G, -1), never over the batch")


@pytest.mark.points(0.25)
def test_groupnorm_forward_leaves_inputs_unchanged(student, rng):
    """leaves x, gamma and beta unchanged"""
    args = samples(rng, 3, 4, 3, 3)
    student.call(NAME, *(a.copy() for a in args), 2, 1e-5)
    unchanged(("x", "gamma", "beta"), args, student.inputs_after)
    check_out(student, *args, 2, 1e-5, "out")   # and the answer is right
