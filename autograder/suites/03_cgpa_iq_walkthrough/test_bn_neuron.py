"""Hidden tests of bn_neuron(z, gamma, beta, eps=1e-5) -> y, 3 points.

Two mistakes have a test of their own: the sample variance (ddof=1) and eps
outside the square root. Tests of other properties accept their output, so
that each costs the test that names it and "y is right", not more.
"""

import numpy as np
import pytest

from autograder.suites import mistakes
from course_lib.compare import Mismatch, expect_close, expect_dtype, expect_finite, expect_shape, expect_unchanged, fmt
from autograder.suites.scoring import score_cases
from course_lib.batchnorm import bn_neuron as reference

STEPS_HINT = "mu and var over the batch, then y = gamma * (z - mu) / sqrt(var + eps) + beta"


def neuron_mistakes(z, gamma, beta, eps):
    return mistakes.forward(z, gamma, beta, eps, exercise="bn_neuron")


NAMED = ("ddof1", "eps_outside")


def check(student, z, gamma, beta, eps, what, *, named=NAMED, hint=STEPS_HINT, rtol=1e-6, atol=1e-8):
    """The student's y against the reference; named: the mistakes accepted here (tests of their own charge)."""
    y = student.call("bn_neuron", z, gamma, beta, eps)
    known = neuron_mistakes(z, gamma, beta, eps)
    expect_close(y, reference(z, gamma, beta, eps), what, hint, bugs=mistakes.pick(known),
                 tolerate=mistakes.pick(known, *named) if named else (), rtol=rtol, atol=atol)


def neuron(rng, N):
    return rng.standard_normal(N) * rng.uniform(0.5, 5.0) + rng.uniform(-3.0, 3.0)


@pytest.mark.points(0.75)
def test_bn_neuron_is_right_for_several_batch_sizes(student, rng, partial):
    """y is right for batches of 2, 3, 64 and 4096 samples, for float32 (float32 out) and for integers"""
    cases = []
    for N in (2, 3, 64, 4096):
        z, gamma, beta = neuron(rng, N), float(rng.uniform(0.5, 2.0)), float(rng.uniform(-1.0, 1.0))
        cases.append((f"N = {N}", lambda z=z, g=gamma, b=beta: check(student, z, g, b, 1e-5, "y", named=())))
    z32, zi = neuron(rng, 64).astype(np.float32), rng.integers(0, 10, 12)

    def other_dtypes():
        check(student, z32, 1.5, 0.5, 1e-5, "y for a float32 z", named=(), rtol=2e-4, atol=2e-4)
        expect_dtype(student.call("bn_neuron", z32, 1.5, 0.5, 1e-5), np.float32, "y for a float32 z")
        check(student, zi, 1.5, 0.5, 1e-5, "y for an integer z", named=())
    cases.append(("a float32 z (float32 out) and an integer z", other_dtypes))
    score_cases(partial, cases)


@pytest.mark.points(0.5)
def test_bn_neuron_uses_the_biased_variance(student, rng):
    """uses the biased batch variance (divide by N, not N - 1)"""
    for N in (4, 9):
        z = neuron(rng, N)
        y = expect_shape(student.call("bn_neuron", z, 1.0, 0.0, 1e-5), (N,), "y",
                         "y has one value per sample, like z")
        if np.isclose(y.var(), (N - 1) / N, atol=1e-3):
            raise Mismatch(f"with gamma = 1 and beta = 0, y has variance {fmt(y.var())} for a batch of {N}, "
                           "expected about 1", mistakes.hint("bn_neuron", "ddof1"))
        check(student, z, 1.0, 0.0, 1e-5, f"y with gamma = 1 and beta = 0, N = {N}", named=("eps_outside",))


@pytest.mark.points(0.5)
def test_bn_neuron_gamma_scales_and_beta_shifts(student, rng):
    """gamma scales and beta shifts the normalized values"""
    z = neuron(rng, 12)
    for gamma, beta in ((3.0, 10.0), (-0.5, -2.0), (1.0, 0.25)):
        check(student, z, gamma, beta, 1e-5, f"y with gamma = {gamma}, beta = {beta}")


@pytest.mark.points(0.5)
def test_bn_neuron_uses_the_eps_it_is_given(student, rng):
    """uses the eps it is given (1e-5, 1e-3 and 0.1), inside the square root, and 1e-5 when none is given"""
    for eps in (1e-5, 1e-3, 0.1):
        z = rng.standard_normal(10) * 0.05 + 1.0   # a small spread, so that eps matters
        check(student, z, 1.5, -0.5, eps, f"y with eps = {eps}", named=("ddof1",),
              hint="use the eps argument, not a constant of your own: (z - mu) / sqrt(var + eps)")
    expect_close(student.call("bn_neuron", z, 1.5, -0.5), reference(z, 1.5, -0.5, 1e-5), "y without an eps argument",
                 "give eps the default the contract states: eps=1e-5",
                 tolerate=mistakes.pick(neuron_mistakes(z, 1.5, -0.5, 1e-5), "ddof1"))


@pytest.mark.points(0.25)
def test_bn_neuron_constant_input_gives_beta(student):
    """a neuron with the same value for every sample gives beta, not NaN"""
    for value, N in ((0.1, 3), (-7.25, 1000)):
        y = expect_finite(student.call("bn_neuron", np.full(N, value), 2.0, 0.75, 1e-5),
                          f"y for z = {value} for all {N} samples", mistakes.hint("bn_neuron", "no_eps"))
        expect_close(y, np.full(N, 0.75), f"y for z = {value} for all {N} samples",
                     "a constant z has z - mu = 0, so y is beta", atol=1e-6)


@pytest.mark.points(0.25)
def test_bn_neuron_is_accurate_for_large_offsets(student, rng):
    """values far from zero (1e4 + small noise) are normalized accurately"""
    z = 1e4 + 0.01 * rng.standard_normal(300)
    check(student, z, 1.0, 0.0, 1e-5, "y for z = 1e4 + 0.01 * noise", atol=1e-6,
          hint="compute the variance as the mean of (z - mu)**2: mean(z**2) - mu**2 subtracts two huge, "
               "almost equal numbers and loses the digits that matter")


@pytest.mark.points(0.25)
def test_bn_neuron_leaves_z_unchanged(student, rng):
    """leaves z unchanged"""
    z = neuron(rng, 8)
    student.call("bn_neuron", z.copy(), 1.5, 0.5, 1e-5)
    expect_unchanged(z, student.inputs_after[0], "z")
