"""The run stage: one notebook's extracted code, graded by its hidden suite through a sandbox.

    run(Extracted, context) -> Graded

Each notebook gets its own sandboxed child (started on the first call,
restarted whenever it dies); each exercise runs in its own namespace there,
its cell with the definitions it uses from the student's other cells, so one
broken exercise never costs another its points. The student's time budget
(``Limits.student_seconds``) runs on across their notebooks: the context's
``spent`` carries it.

When the sandbox itself fails (it cannot start, the machine runs out of
memory or descriptors), the run raises: the pipeline then reports a grader
fault for the submission, stamps nothing, and the next run tries again.
Nothing of that is charged to the student.
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


def run(extracted, context, limits=Limits()):
    """Grade one Extracted; returns its Graded. ``context.spent`` is the student's time used so far.

    Each notebook gets a sandbox of its own, so that one notebook's code can never stand in for, or reach
    into, another's (each has its own due date).
    """
    if extracted.error is not None:
        return _grade_one(extracted, Unavailable(extracted.error), None)
    with Sandbox(extracted.programs, limits=limits, root=context.workdir, spent=context.spent) as sandbox:
        graded = _grade_one(extracted, sandbox, sandbox.mode)
        context.spent = sandbox.used_seconds
    return graded
