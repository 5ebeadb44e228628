"""The plain records that flow through the grading pipeline.

submission -> validated -> extracted -> (sandboxed run + hidden suite) -> outcomes -> graded

Every record is a frozen dataclass of plain data, so a stage can only return
a new record, never change the one it was given.
"""

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Submission", "Validated", "Extracted", "TestOutcome", "Graded", "FAULT"]

# How every grader fault begins, for the student and for the instructor's one line per cause.
FAULT = "The grader failed on this notebook. This is a fault of the grader, not of your work; it will be graded again."


@dataclass(frozen=True)
class Submission:
    """One student's notebook for one assignment (the notebook may be missing)."""

    student: str
    assignment: str
    path: Path
    timestamp: str | None = None   # when it was submitted, ISO 8601 in UTC (nbgrader's timestamp.txt), if known
    notes: tuple = ()              # what discovery noticed (a renamed notebook, extra files, other submissions)


@dataclass(frozen=True)
class Validated:
    """A notebook that nbformat could read, as a plain dict (``nb``), or why not (``error``)."""

    submission: Submission
    nb: dict | None = None
    error: str | None = None


@dataclass(frozen=True)
class Extracted:
    """The student's code: grade_id -> cell source, and what looked wrong on the way.

    problems: messages for the student (a deleted or duplicated cell, a
    renamed function), one per affected exercise.
    """

    submission: Submission
    cells: dict = field(default_factory=dict)
    problems: tuple = ()
    error: str | None = None


@dataclass(frozen=True)
class TestOutcome:
    """One hidden test, in the terms of Gradescope's results.json.

    name starts with the exercise it grades: "batchnorm_backward: gradient through the mean path".
    status is "passed" or "failed"; output is written for the student and never shows test code.
    """

    name: str
    exercise: str
    score: float
    max_score: float
    status: str
    output: str = ""
    visibility: str = "visible"


@dataclass(frozen=True)
class Graded:
    """The result of one submission: its outcomes, or the error that stopped grading."""

    submission: Submission
    outcomes: tuple = ()
    error: str | None = None
    problems: tuple = ()
    seconds: float = 0.0
    resumed: bool = False   # read back from up-to-date reports instead of graded again
    late: dict | None = None   # autograder.late.Lateness as a dict, when a due date applies
    isolation: str | None = None   # the sandbox's isolation mode (autograder.sandbox.isolation.MODES)

    @property
    def raw_score(self):
        """The points the tests gave, before any late penalty."""
        return sum(o.score for o in self.outcomes)

    @property
    def penalty(self):
        """The points taken off for lateness (0 when on time or without a due date)."""
        return float(self.late["penalty"]) if self.late else 0.0

    @property
    def score(self):
        return max(0.0, self.raw_score - self.penalty)

    @property
    def max_score(self):
        return sum(o.max_score for o in self.outcomes)
