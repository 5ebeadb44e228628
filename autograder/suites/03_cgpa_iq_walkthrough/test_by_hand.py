"""Hidden tests of the six arrays entered by hand in notebook 03, 1 point each.

Graded by autograder.suites.by_hand: each entry within the tolerance of the
answer rounded to 2 decimals counts; the answers are never shown.
"""

import pytest

from autograder.suites.by_hand import grade


@pytest.mark.points(1)
def test_by_hand_z_is_right_to_two_decimals(student, partial):
    """z = X @ W + b, worked by hand"""
    grade(student, partial, "z")


@pytest.mark.points(1)
def test_by_hand_mu_is_right_to_two_decimals(student, partial):
    """the batch mean mu of each neuron, worked by hand"""
    grade(student, partial, "mu")


@pytest.mark.points(1)
def test_by_hand_var_is_right_to_two_decimals(student, partial):
    """the batch variance var of each neuron, worked by hand"""
    grade(student, partial, "var")


@pytest.mark.points(1)
def test_by_hand_z_hat_is_right_to_two_decimals(student, partial):
    """the normalized z_hat, worked by hand"""
    grade(student, partial, "z_hat")


@pytest.mark.points(1)
def test_by_hand_y_is_right_to_two_decimals(student, partial):
    """y = gamma * z_hat + beta, worked by hand"""
    grade(student, partial, "y")


@pytest.mark.points(1)
def test_by_hand_a_is_right_to_two_decimals(student, partial):
    """the activations a = ReLU(y), worked by hand"""
    grade(student, partial, "a")
