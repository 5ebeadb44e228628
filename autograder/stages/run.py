"""The run stage: one student's extracted code, graded by the hidden suites through one sandbox.

    run([Extracted, ...]) -> [Graded, ...]

Each of a student's notebooks gets its own sandboxed child (started on the
first call, restarted whenever it dies); each exercise cell runs in its own
namespace there, so one broken exercise never costs another its points.
The student's time budget (``Limits.student_seconds``) covers all of them.

When the sandbox itself fails (it cannot start, the machine runs out of
memory or descriptors), the run raises: the pipeline then reports a grader
fault for the student's submissions, stamps nothing, and the next run tries
again. Nothing of that is charged to the student.
"""

import time

from ..records import FAULT, Graded
from ..sandbox import Limits, Sandbox, StudentError
from ..suites.runner import run_suite

__all__ = ["run", "Unavailable", "SandboxFault"]


class Unavailable:
    """A student whose code could not be extracted: every call fails with the same message."""

    inputs_after = ()

    def __init__(self, message):
        self.message = message

    def call(self, name, *args, **kwargs):
        raise StudentError("missing", self.message)

    def value(self, name, cell=None):
        raise StudentError("missing", self.message)


def _grade_one(extracted, student, mode):
    start = time.perf_counter()
    sub = extracted.submission
    try:
        outcomes = tuple(run_suite(sub.assignment, student))
        error = extracted.error
    except Exception as err:   # a grader fault is reported for this submission; the batch goes on
        outcomes, error = (), f"{FAULT} (Internal error: {type(err).__name__}: {str(err)[:300]})"
    fault = getattr(student, "fault", None)
    if fault is not None:
        raise SandboxFault(f"the sandbox failed: {fault}")
    return Graded(sub, outcomes, error=error, problems=tuple(extracted.problems),
                  seconds=time.perf_counter() - start, isolation=mode)


class SandboxFault(RuntimeError):
    """The sandbox failed for reasons of the machine or the grader: the submissions are graded again later."""


def run(extracted_list, workdir=None, limits=Limits()):
    """Grade each Extracted of one student; returns one Graded per submission, in order.

    Each notebook gets a sandbox of its own, so that one notebook's code can never stand in for, or reach
    into, another's (each has its own due date); the student's time budget runs on across them.
    """
    graded, spent = [], 0.0
    for ex in extracted_list:
        if ex.error is not None:
            graded.append(_grade_one(ex, Unavailable(ex.error), None))
            continue
        with Sandbox(ex.cells, limits=limits, root=workdir, spent=spent) as sandbox:
            graded.append(_grade_one(ex, sandbox, sandbox.mode))
            spent = sandbox.used_seconds
    return graded
