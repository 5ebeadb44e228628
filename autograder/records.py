"""The plain records that flow through the grading pipeline.

submission -> validated -> extracted -> (sandboxed run + hidden suite) -> outcomes -> graded

A Graded record carries everything the reports need (the student's cells and
written answers included), so no report reads the notebook again; its Score
is computed in one place, ``Graded.scores``.

Every record is a frozen dataclass of plain data, so a stage can only return
a new record, never change the one it was given.
"""

import math
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Submission", "Validated", "Extracted", "TestOutcome", "Graded", "Score", "FAULT"]

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
    """The student's code, by the grade_id of each exercise's cell, and what looked wrong on the way.

    cells: grade_id -> the exercise cell's source, as graded.
    programs: grade_id -> what runs for it, ((label, source), ...): the
        definitions it uses from other cells, then the cell (course_lib.cells).
    answers: ((grade_id, text), ...): the written answers, for the reports.
    problems: messages for the student (a deleted or duplicated cell, a
        renamed function), one per affected exercise.
    """

    submission: Submission
    cells: dict = field(default_factory=dict)
    programs: dict = field(default_factory=dict)
    answers: tuple = ()
    problems: tuple = ()
    error: str | None = None
    read: bool = False   # whether the notebook could be read (its code and answers can be shown)


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
    late: object = None   # an autograder.late.Lateness, when a due date applies and it is late
    isolation: str | None = None   # the sandbox's isolation mode (autograder.sandbox.isolation.MODES)
    cells: dict = field(default_factory=dict)   # grade_id -> the exercise cell's source, as graded
    answers: tuple = ()                          # ((grade_id, text), ...), the written answers
    notebook_read: bool = False                  # whether the notebook could be read (its code can be shown)

    @property
    def scores(self):
        """The Score of this submission."""
        return Score.of(self)

    @property
    def raw_score(self):
        """The points the tests gave, before any late penalty."""
        return self.scores.raw

    @property
    def penalty(self):
        """The points taken off for lateness (0 when on time or without a due date)."""
        return self.scores.penalty

    @property
    def score(self):
        return self.scores.final

    @property
    def max_score(self):
        return self.scores.max


def points(x):
    """A number of points as reports show it: 4 decimals, 0 for NaN or inf."""
    x = float(x)
    return round(x, 4) if math.isfinite(x) else 0.0


@dataclass(frozen=True)
class Score:
    """What a submission scores: its tests' points, the late penalty, the final score and the maximum.

    The one place scores are computed. A test's points are taken between 0 and
    its maximum; a notebook that could not be graded scores 0 and has no penalty.
    """

    raw: float
    penalty: float
    final: float
    max: float

    @classmethod
    def of(cls, graded):
        maximum = points(sum(points(o.max_score) for o in graded.outcomes))
        if graded.error is not None:
            return cls(0.0, 0.0, 0.0, maximum)
        raw = points(sum(min(max(points(o.score), 0.0), points(o.max_score)) for o in graded.outcomes))
        penalty = float(graded.late.penalty) if graded.late else 0.0
        return cls(raw, penalty, points(max(0.0, raw - penalty)) if graded.late else raw, maximum)
