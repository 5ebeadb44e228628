"""Graded -> Gradescope's results.json, and back.

The format is Gradescope's autograder specification
(https://gradescope-autograders.readthedocs.io/en/latest/specs/): a top-level
``score`` (it overrides the sum of the tests), ``execution_time`` in seconds,
an ``output`` for the whole submission, ``extra_data``, and ``tests``, each with
``name``, ``score``, ``max_score``, ``status`` ("passed"/"failed"), ``output``,
``visibility`` and ``extra_data``. The specification has no top-level
maximum, so the submission's ``max_score`` sits in ``extra_data``, with the
student, the assignment, the error and the notebook problems: everything
needed to rebuild the Graded record, so grades.csv and the class summary are
made from the files alone and a resumed run loses nothing.

Keys are always written in the same order, and a failed submission scores 0.
"""

import json
import math
from pathlib import Path

from ..atomic import atomic_write_text
from ..records import Graded, Submission, TestOutcome

__all__ = ["results_json", "write_results", "read_graded", "iter_results", "late_message", "RESULTS", "fmt"]

RESULTS = "results.json"


def results_json(graded: Graded) -> dict:
    """The results.json document of one submission, as a dict with a fixed key order."""
    failed = graded.error is not None
    tests = [_test(o, zero=failed) for o in graded.outcomes]
    raw_score = 0.0 if failed else _number(sum(t["score"] for t in tests))
    late = None if failed else graded.late
    score = _number(max(0.0, raw_score - float(late["penalty"]))) if late else raw_score
    max_score = _number(sum(t["max_score"] for t in tests))
    return {
        "score": score,
        "execution_time": int(round(graded.seconds)),
        "output": overall_message(graded, score, max_score),
        "extra_data": {
            "student": graded.submission.student,
            "assignment": graded.submission.assignment,
            "max_score": max_score,
            "raw_score": raw_score,
            "late": late,
            "submitted": graded.submission.timestamp,
            "error": graded.error,
            "problems": list(graded.problems),
        },
        "tests": tests,
    }


def overall_message(graded, score, max_score):
    """The submission's message: the error and what to fix, or the score; then the notebook's problems."""
    passed = sum(o.status == "passed" for o in graded.outcomes)
    if graded.error is not None:
        lines = [f"Your notebook could not be graded, so it scores 0: {graded.error}"]
    else:
        lines = [f"Score: {fmt(score)} / {fmt(max_score)} ({passed} of {len(graded.outcomes)} tests passed)."]
        if graded.late:
            lines.append(late_message(graded.late))
    if graded.problems:
        lines += ["", "Problems found in the notebook:"] + [f"- {p}" for p in graded.problems]
    return "\n".join(lines)


def late_message(late):
    """One line on a late submission: when, how late, and what it cost."""
    days = int(late["days_late"])
    return (f"Late: submitted {late['submitted']}, due {late['due']}; {days} day{'s' if days != 1 else ''} late, "
            f"-{fmt(late['percent'])}% = -{fmt(late['penalty'])} points "
            f"(before the penalty: {fmt(late['raw_score'])}).")


def write_results(graded: Graded, folder) -> Path:
    """Write ``folder/results.json`` atomically; returns its path."""
    path = Path(folder) / RESULTS
    atomic_write_text(path, json.dumps(results_json(graded), indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    return path


def read_graded(path, submission=None) -> Graded:
    """The Graded record a results.json was written from (test outputs included)."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    extra = doc.get("extra_data") or {}
    if submission is None:
        submission = Submission(extra.get("student", ""), extra.get("assignment", ""), Path(path).parent)
    outcomes = tuple(
        TestOutcome(
            name=t.get("name", ""),
            exercise=(t.get("extra_data") or {}).get("exercise") or t.get("name", "").split(":")[0],
            score=float(t.get("score", 0.0)),
            max_score=float(t.get("max_score", 0.0)),
            status=t.get("status", "failed"),
            output=t.get("output", ""),
            visibility=t.get("visibility", "visible"),
        )
        for t in doc.get("tests", []))
    return Graded(submission, outcomes=outcomes, error=extra.get("error"), problems=tuple(extra.get("problems", ())),
                  seconds=float(doc.get("execution_time", 0.0)), late=extra.get("late"))


def iter_results(out):
    """(student, assignment, results.json dict) for every report under ``out``, sorted.

    A file that cannot be parsed (hand-edited, say) is skipped: the class
    reports must not fail on one bad file.
    """
    for path in sorted(Path(out).glob(f"*/*/{RESULTS}")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        yield path.parent.parent.name, path.parent.name, doc


def fmt(x):
    """A score as people write it: 14, 14.5, 0.25."""
    x = _number(x)
    return str(int(x)) if x == int(x) else f"{x:g}"


NOT_GRADED = "Not graded: the notebook could not be graded (see the message at the top)."


def _test(outcome, zero):
    """One test; ``zero``: the submission failed, so every test is listed at 0 with a pointer to why."""
    max_score = _number(outcome.max_score)
    score = 0.0 if zero else min(max(_number(outcome.score), 0.0), max_score)
    return {
        "name": outcome.name,
        "score": score,
        "max_score": max_score,
        "status": "failed" if zero else ("passed" if outcome.status == "passed" else "failed"),
        "output": NOT_GRADED if zero else outcome.output,
        "visibility": outcome.visibility or "visible",
        "extra_data": {"exercise": outcome.exercise},
    }


def _number(x):
    x = float(x)
    return round(x, 4) if math.isfinite(x) else 0.0
