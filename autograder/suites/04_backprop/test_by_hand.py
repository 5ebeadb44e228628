"""Hidden tests of the backward values entered by hand in notebook 04, 1 point each.

The notes' 4 students through BN and back, for the upstream gradient
course_lib.walkthrough.DOUT, which the notebook states. Graded by
autograder.suites.by_hand: each entry within the tolerance of the answer
rounded to 2 decimals counts; the answers are never shown.
"""

import pytest

from autograder.suites.by_hand import grade


@pytest.mark.points(1)
def test_by_hand_dbeta_is_right_to_two_decimals(student, partial):
    """dL/dbeta of each neuron, worked by hand"""
    grade(student, partial, "dbeta")


@pytest.mark.points(1)
def test_by_hand_dgamma_is_right_to_two_decimals(student, partial):
    """dL/dgamma of each neuron, worked by hand"""
    grade(student, partial, "dgamma")


@pytest.mark.points(1)
def test_by_hand_dx_is_right_to_two_decimals(student, partial):
    """dL/dx of neuron 2 for students 1 and 2, worked by hand"""
    grade(student, partial, "dx")
