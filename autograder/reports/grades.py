"""OUT/grades.csv: one row per student, one score column per assignment, the late penalty, and the total.

Made from every results.json under OUT, not from the current run, so a
resumed or restricted (--assignment) run still writes the whole class. A
missing submission is an empty cell; a notebook that could not be graded is 0.
Scores are after any late penalty; the ``late penalty`` column is the points
taken off, over all assignments (each submission's results.json says which).
The student ids and assignments are folder names: they are written as text a
spreadsheet will not run (``csvsafe.text_cell``); the scores stay numbers.
"""

import csv
import io
from pathlib import Path

from course_lib.exercises import ASSIGNMENTS

from ..atomic import atomic_write_text
from .csvsafe import text_cell
from .results import fmt, iter_results

__all__ = ["class_scores", "grades_csv", "write_grades", "GRADES"]

GRADES = "grades.csv"


def class_scores(out, penalties=None):
    """(assignments in course order, {student: {assignment: score}}) from the reports under ``out``.

    penalties: a dict to fill with {student: points taken off for lateness}.
    """
    scores = {}
    for student, assignment, doc in iter_results(out):
        scores.setdefault(student, {})[assignment] = float(doc.get("score", 0.0))
        late = (doc.get("extra_data") or {}).get("late")
        if penalties is not None:
            penalties[student] = penalties.get(student, 0.0) + (float(late["penalty"]) if late else 0.0)
    present = {a for row in scores.values() for a in row}
    assignments = [a for a in ASSIGNMENTS if a in present] + sorted(present - set(ASSIGNMENTS))
    return assignments, dict(sorted(scores.items()))


def grades_csv(out):
    """The text of grades.csv."""
    penalties = {}
    assignments, scores = class_scores(out, penalties)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *map(text_cell, assignments), "late penalty", "total"])
    for student, row in scores.items():
        writer.writerow([text_cell(student), *(fmt(row[a]) if a in row else "" for a in assignments),
                         fmt(penalties.get(student, 0.0)), fmt(sum(row.values()))])
    return buffer.getvalue()


def write_grades(out) -> Path:
    """Write ``out/grades.csv`` atomically; returns its path."""
    path = Path(out) / GRADES
    atomic_write_text(path, grades_csv(out))
    return path
