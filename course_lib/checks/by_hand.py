"""Visible check of the hand-worked numbers: notebook 03's forward, notebook 04's backward.

The answers are stored as digests of each entry rounded to 2 decimals, so
the check can say which entry is off without handing out the numbers.
"""

import hashlib

import numpy as np

from ..compare import Mismatch, as_array, fmt, hand_candidates, hand_rounded
from ._data import data, hint
from ._report import Case, run_check

__all__ = ["check_by_hand", "check_z_by_hand", "check_mu_by_hand", "check_var_by_hand", "check_z_hat_by_hand",
           "check_y_by_hand", "check_a_by_hand", "check_dbeta_by_hand", "check_dgamma_by_hand",
           "check_dx_by_hand", "STEPS", "NOTEBOOK", "digest"]

STEPS = {
    "z": ("z = X @ W + b, one row per student, one column per neuron", (4, 2)),
    "mu": ("the batch mean of each neuron's z", (2,)),
    "var": ("the biased batch variance of each neuron's z (divide by 4)", (2,)),
    "z_hat": ("(z - mu) / sqrt(var + eps)", (4, 2)),
    "y": ("gamma * z_hat + beta, with each neuron's own gamma and beta", (4, 2)),
    "a": ("ReLU(y) = max(y, 0)", (4, 2)),
    "dbeta": ("the gradient of beta: how L changes with each neuron's beta, given dout", (2,)),
    "dgamma": ("the gradient of gamma: how L changes with each neuron's gamma, given dout", (2,)),
    "dx": ("dL/dx of neuron 2 (the second column) for students 1 and 2", (2,)),
}
# The notebook of each step (its digests carry it): 03 works forward, 04 backward.
NOTEBOOK = {step: "04" if step in ("dbeta", "dgamma", "dx") else "03" for step in STEPS}
SHAPE_HINTS = {"dbeta": "one number per neuron", "dgamma": "one number per neuron",
               "dx": "two numbers: student 1's and student 2's, both of neuron 2"}

def digest(step, index, value):
    """The digest of one entry, rounded to 2 decimals (-0.00 counts as 0.00)."""
    return _digest(step, index, hand_rounded(value))


def _digest(step, index, text):
    return hashlib.sha256(f"bn-course/{NOTEBOOK[step]}/{step}/{index}/{text}".encode()).hexdigest()[:16]


def _matches(step, index, value, digests):
    # right when the answer, rounded to 2 decimals, is within the policy's tolerance of the value
    return any(_digest(step, index, text) == digests for text in hand_candidates(value))


def _entries(a):
    return [(",".join(map(str, idx)), a[idx]) for idx in np.ndindex(a.shape)]


def shape_hint(step):
    """What the entries of ``step`` are, for an answer of the wrong shape."""
    if len(STEPS[step][1]) == 2:
        return "rows are the 4 students, columns the 2 neurons"
    return SHAPE_HINTS.get(step, "one number per neuron")


def check_by_hand(step, value, verbose=True):
    """Check one step of the hand-worked CGPA/IQ example; ``step`` is one of STEPS."""
    if step not in STEPS:
        raise ValueError(f"unknown step {step!r}; the steps are {list(STEPS)}")
    what, shape = STEPS[step]
    record = data("by_hand")[step]

    def entered(_):
        if value is None or value is Ellipsis:
            raise Mismatch(f"{step}_by_hand has no numbers yet", "type your numbers into the array")
        a = as_array(value, f"{step}_by_hand")
        if a.shape != shape:
            raise Mismatch(f"{step}_by_hand has shape {a.shape}, expected {shape}",
                           shape_hint(step))
        if not np.all(np.isfinite(a)):
            raise Mismatch(f"{step}_by_hand contains NaN or inf")

    def correct(_):
        entered(None)
        a = np.asarray(value, dtype=float)
        wrong = [(key, v) for key, v in _entries(a) if not _matches(step, key, v, record["digests"][key])]
        if not wrong:
            return
        shown = ", ".join(f"[{key}] = {fmt(v)}" for key, v in wrong[:4])
        more = f" and {len(wrong) - 4} more" if len(wrong) > 4 else ""
        for bug, digests in record.get("bugs", {}).items():
            if all(_matches(step, key, v, digests[key]) for key, v in _entries(a)):
                raise Mismatch(f"these entries are off: {shown}{more}", hint(f"{step}_by_hand", bug))
        raise Mismatch(f"{len(wrong)} of {a.size} entries are off (to 2 decimals): {shown}{more}",
                       f"{step} is {what}")

    return run_check(f"{step} by hand", lambda: None, [
        Case(f"{step}_by_hand is filled in, with shape {shape}", entered),
        Case(f"every entry of {step} is right to 2 decimals", correct),
    ], verbose)


def _step_check(step):
    def check(value, verbose=True):
        return check_by_hand(step, value, verbose)

    check.__name__ = check.__qualname__ = f"check_{step}_by_hand"
    check.__doc__ = f"Check {step}_by_hand, {STEPS[step][0]}; print a report, raise CheckFailed if wrong."
    return check


# One check per row of the exercise table, check_<name>(value): the notebook's check cells call these.
check_z_by_hand = _step_check("z")
check_mu_by_hand = _step_check("mu")
check_var_by_hand = _step_check("var")
check_z_hat_by_hand = _step_check("z_hat")
check_y_by_hand = _step_check("y")
check_a_by_hand = _step_check("a")
check_dbeta_by_hand = _step_check("dbeta")
check_dgamma_by_hand = _step_check("dgamma")
check_dx_by_hand = _step_check("dx")
