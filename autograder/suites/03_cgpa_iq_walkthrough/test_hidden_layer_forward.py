"""Hidden tests of hidden_layer_forward(X, W, b, gamma, beta, placement, eps=1e-5) -> A, 3 points.

placement "before" is ReLU(BN(X @ W + b)), "after" is BN(ReLU(X @ W + b)). Each
catalogued mistake has a test of its own: the placements swapped, the bias left
out (which only BN after ReLU shows) and eps left out (which only a neuron that
ReLU turns off for the whole batch shows). Tests of other properties accept the
last two, so that each costs the test that names it.
"""

import numpy as np
import pytest

from autograder.suites import mistakes
from autograder.suites.scoring import score_cases
from course_lib.compare import expect_close, expect_finite, expect_shape, expect_unchanged
from course_lib.data import cgpa_iq_example
from course_lib.walkthrough import hidden_layer_forward as reference

NAME = "hidden_layer_forward"
FORMS = {"before": "ReLU(BN(X @ W + b))", "after": "BN(ReLU(X @ W + b))"}


def layer(rng, N, D_in, D_out):
    """A layer whose pre-activations are partly negative and partly positive for every neuron, so that ReLU
    cuts some samples of each neuron, never all of them (a test of its own has a neuron ReLU turns off)."""
    X = rng.standard_normal((N, D_in)) * rng.uniform(0.5, 3.0, D_in) + rng.uniform(-1.0, 1.0, D_in)
    W = rng.standard_normal((D_in, D_out))
    XW = X @ W
    b = -0.5 * (XW.min(axis=0) + XW.max(axis=0))   # the middle of each neuron's range
    return X, W, b, rng.uniform(0.5, 2.0, D_out), rng.uniform(-1.0, 1.0, D_out)


def check(student, args, placement, what, *, named=("no_bias", "no_eps"), eps=1e-5, hint=None):
    """The student's A against the reference; named: the mistakes accepted here (tests of their own charge)."""
    A = student.call(NAME, *(np.copy(a) for a in args), placement, eps)
    known = mistakes.outputs(NAME, ("swapped", "no_bias", "no_eps"), *args, placement, eps)
    expect_close(A, reference(*args, placement, eps), what,
                 hint or f"placement={placement!r} is {FORMS[placement]}: BN with each neuron's batch mean and "
                         "biased variance, then its own gamma and beta",
                 bugs=mistakes.pick(known), tolerate=mistakes.pick(known, *[n for n in named if n in known]))


def cases(student, rng, partial, placement):
    out = []
    for N, D_in, D_out in ((4, 2, 2), (3, 5, 4), (64, 10, 8), (512, 20, 16)):
        args = layer(rng, N, D_in, D_out)
        out.append((f"X of shape {(N, D_in)}, {D_out} neurons",
                    lambda args=args: check(student, args, placement, f"A with BN {placement} ReLU")))
    score_cases(partial, out)


@pytest.mark.points(0.75)
def test_hidden_layer_forward_bn_before_the_activation(student, rng, partial):
    """placement 'before' gives ReLU(BN(X @ W + b)) for several batch sizes and widths"""
    cases(student, rng, partial, "before")


@pytest.mark.points(0.75)
def test_hidden_layer_forward_bn_after_the_activation(student, rng, partial):
    """placement 'after' gives BN(ReLU(X @ W + b)) for several batch sizes and widths"""
    cases(student, rng, partial, "after")


@pytest.mark.points(0.5)
def test_hidden_layer_forward_is_right_on_the_notes_example(student):
    """both placements are right on the notes' 4 students (CGPA, IQ) and their layer of 2 neurons"""
    ex = cgpa_iq_example()
    args = (ex.X, ex.W, ex.b, ex.gamma, ex.beta)
    for placement in ("before", "after"):
        check(student, args, placement, f"A with BN {placement} ReLU on the notes' example", eps=ex.eps)


@pytest.mark.points(0.5)
def test_hidden_layer_forward_bias_decides_what_relu_cuts(student, rng):
    """with BN after ReLU, the bias b changes which values ReLU cuts, and so the output"""
    X, W, _, gamma, beta = layer(rng, 12, 3, 4)
    b = np.array([2.0, -1.5, 0.75, -0.25])
    for placement in ("after", "before"):
        check(student, (X, W, b, gamma, beta), placement, f"A with BN {placement} ReLU, b = [2, -1.5, 0.75, -0.25]",
              named=("no_eps",))


@pytest.mark.points(0.25)
def test_hidden_layer_forward_dead_neuron_after_relu_gives_beta(student, rng):
    """with BN after ReLU, a neuron that ReLU turns off for every sample gives beta, not NaN"""
    X, W, b, gamma, beta = layer(rng, 10, 3, 3)
    W[:, 2], b[2] = 0.0, -0.5   # neuron 3's z is -0.5 for every sample
    A = student.call(NAME, X.copy(), W.copy(), b.copy(), gamma.copy(), beta.copy(), "after", 1e-5)
    expect_shape(A, (10, 3), "A", "A has one row per sample and one column per neuron")
    expect_finite(A, "A with a neuron that ReLU turns off for the whole batch", mistakes.hint(NAME, "no_eps"))
    check(student, (X, W, b, gamma, beta), "after", "A with a neuron that ReLU turns off for the whole batch",
          named=("no_bias",))


@pytest.mark.points(0.25)
def test_hidden_layer_forward_leaves_inputs_unchanged(student, rng):
    """leaves X, W, b, gamma and beta unchanged"""
    args = layer(rng, 8, 3, 2)
    for placement in ("before", "after"):
        student.call(NAME, *(a.copy() for a in args), placement, 1e-5)
        for name, before, after in zip(("X", "W", "b", "gamma", "beta"), args, student.inputs_after):
            expect_unchanged(before, after, name)
