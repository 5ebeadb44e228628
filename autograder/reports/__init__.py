"""The reports: per submission results.json, feedback.md and feedback.html; per class grades.csv and the summary.

OUT/<student>/<assignment>/results.json   Gradescope's format (results.py)
OUT/<student>/<assignment>/feedback.md    for the student (feedback.py)
OUT/<student>/<assignment>/feedback.html  the same as a page, with the student's code (feedback_html.py)
OUT/grades.csv                            a row per student (grades.py)
OUT/summary.md, OUT/summary.png           for the instructor (summary.py)
"""

from pathlib import Path

from .feedback import write_feedback
from .feedback_html import write_feedback_html
from .grades import write_grades
from .results import write_results
from .summary import write_summary

__all__ = ["submission_folder", "write_submission_reports", "write_class_reports"]


def submission_folder(out, submission):
    """OUT/<student>/<assignment>: where one submission's reports go."""
    return Path(out) / submission.student / submission.assignment


def write_submission_reports(graded, out):
    """results.json, then feedback.md and feedback.html, each written atomically."""
    folder = submission_folder(out, graded.submission)
    write_results(graded, folder)
    write_feedback(graded, folder)
    write_feedback_html(graded, folder)
    return folder


def write_class_reports(out, summary=True):
    """grades.csv and (with ``summary``) the summary, from every results.json under ``out``; the paths written."""
    return (write_grades(out), *(write_summary(out) if summary else ()))
