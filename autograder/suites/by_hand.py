"""Grading of the values worked by hand on the notes' CGPA/IQ example (notebooks 03 and 04).

Each entry counts when it is within the policy's tolerance of the answer
rounded to 2 decimals (course_lib.compare.hand_candidates, as the visible
check does); a partly right array earns its share of the point. The answers
are never shown, only which entries are off. The slips are the catalogue's.
"""

import numpy as np

from course_lib.compare import Mismatch, as_array, fmt, hand_candidates, hand_rounded
from course_lib import mistakes as catalogue
from course_lib import walkthrough
from course_lib.checks.by_hand import STEPS, shape_hint


def right(a, answer):
    """Which entries of ``a`` are right: the answer, rounded to 2 decimals, is within the tolerance."""
    answer = np.broadcast_to(answer, a.shape)
    return np.array([hand_rounded(answer[i]) in hand_candidates(a[i]) for i in np.ndindex(a.shape)],
                    dtype=bool).reshape(a.shape)


def grade(student, partial, step):
    what, shape = STEPS[step]
    name = f"{step}_by_hand"
    value = student.value(name)
    if value is None:
        raise Mismatch(f"{name} has no numbers yet", "type your numbers into the array")
    a = as_array(value, name)
    if a.shape != shape:
        raise Mismatch(f"{name} has shape {a.shape}, expected {shape}", shape_hint(step))
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise Mismatch(f"{name} contains NaN or inf", "type the numbers themselves")
    ok = right(a, getattr(walkthrough, step))
    if ok.all():
        return
    hint = f"{step} is {what}"
    for slip in catalogue.mistakes_of(name):
        if right(a, catalogue.value(name, slip.name)).all():
            hint = slip.hint
    wrong = [idx for idx in np.ndindex(shape) if not ok[idx]]
    shown = ", ".join(f"[{', '.join(map(str, idx))}] = {fmt(a[idx])}" for idx in wrong[:4])
    more = f" and {len(wrong) - 4} more" if len(wrong) > 4 else ""
    message = f"{len(wrong)} of {a.size} entries of {name} are off (to 2 decimals): {shown}{more}"
    if len(wrong) == a.size:
        raise Mismatch(message, hint)
    partial(1.0 - len(wrong) / a.size, f"{message}\nHint: {hint}")
