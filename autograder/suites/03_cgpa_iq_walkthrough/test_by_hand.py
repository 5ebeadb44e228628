"""Hidden tests of the six arrays entered by hand in notebook 03, 1 point each.

Each entry counts when it is within 0.011 of the answer (right to 2
decimals, however it was rounded); a partly right array earns its share of
the point. The answers are never shown, only which entries are off.
"""

import numpy as np
import pytest

from autograder.suites.feedback import Feedback, as_array, fmt
from course_lib.checks.by_hand import BUG_HINTS, STEPS
from course_lib.data import cgpa_iq_example

TOLERANCE = 0.011


def answers():
    ex = cgpa_iq_example()
    z = ex.X @ ex.W + ex.b
    mu, var = z.mean(axis=0), z.var(axis=0)
    z_hat = (z - mu) / np.sqrt(var + ex.eps)
    y = ex.gamma * z_hat + ex.beta
    var1 = z.var(axis=0, ddof=1)
    z_hat1 = (z - mu) / np.sqrt(var1 + ex.eps)
    y_shared = ex.gamma[0] * z_hat + ex.beta[0]
    truth = {"z": z, "mu": mu, "var": var, "z_hat": z_hat, "y": y, "a": np.maximum(y, 0.0)}
    slips = {
        "var": {"unbiased": var1, "std": np.sqrt(var)},
        "z_hat": {"unbiased": z_hat1},
        "y": {"shared_gamma": y_shared},
        "a": {"shared_gamma": np.maximum(y_shared, 0.0)},
    }
    return truth, slips


def grade(student, partial, step):
    what, shape = STEPS[step]
    name = f"{step}_by_hand"
    value = student.value(name)
    if value is None:
        raise Feedback(f"{name} has no numbers yet", "type your numbers into the array")
    a = as_array(value, name)
    if a.shape != shape:
        raise Feedback(f"{name} has shape {a.shape}, expected {shape}",
                       "rows are the 4 students, columns the 2 neurons" if len(shape) == 2 else
                       "one number per neuron")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise Feedback(f"{name} contains NaN or inf", "type the numbers themselves")
    truth, slips = answers()
    right = np.abs(a - truth[step]) <= TOLERANCE
    if right.all():
        return
    hint = f"{step} is {what}"
    for slip, expected in slips.get(step, {}).items():
        if np.all(np.abs(a - expected) <= TOLERANCE):
            hint = BUG_HINTS[slip]
    wrong = [idx for idx in np.ndindex(shape) if not right[idx]]
    shown = ", ".join(f"[{', '.join(map(str, idx))}] = {fmt(a[idx])}" for idx in wrong[:4])
    more = f" and {len(wrong) - 4} more" if len(wrong) > 4 else ""
    message = f"{len(wrong)} of {a.size} entries of {name} are off (to 2 decimals): {shown}{more}"
    if len(wrong) == a.size:
        raise Feedback(message, hint)
    partial(1.0 - len(wrong) / a.size, f"{message}\nHint: {hint}")


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
