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
Every text the student controls is cut to the limits of ``limits``, and the
file is kept under RESULTS_BYTES (``write_results``).
"""

import json
from pathlib import Path

from ..atomic import atomic_write_text
from ..late import Lateness
from ..records import Graded, Submission, TestOutcome, points
from .limits import NAME_CHARS, RESULTS_BYTES, Caps, cut, cut_list, fit, size_name

__all__ = ["results_json", "results_text", "write_results", "read_graded", "iter_results", "late_message", "NO_ISOLATION",
           "shortened_notice", "RESULTS", "fmt"]

RESULTS = "results.json"


def results_json(graded: Graded, limits: Caps = Caps()) -> dict:
    """The results.json document of one submission, as a dict with a fixed key order.

    limits: how much is kept of each text the student controls (see ``limits.caps``).
    """
    failed = graded.error is not None
    tests = [_test(o, zero=failed, limit=limits.output) for o in graded.outcomes]
    scores = graded.scores
    raw_score, score, max_score = scores.raw, scores.final, scores.max
    late = None if failed or not graded.late else graded.late.as_dict()
    error = None if graded.error is None else cut(graded.error, limits.output)
    problems = cut_list(graded.problems, limits.problems, limits.problem)
    output = overall_message(graded, score, max_score, error, problems)
    if limits.shortened:
        output = f"{shortened_notice(RESULTS_BYTES)}\n\n{output}"
    sub = graded.submission
    return {
        "score": score,
        "execution_time": int(round(graded.seconds)),
        "output": output,
        "extra_data": {
            "student": cut(sub.student, NAME_CHARS),
            "assignment": cut(sub.assignment, NAME_CHARS),
            "max_score": max_score,
            "raw_score": raw_score,
            "late": late,
            "submitted": None if sub.timestamp is None else cut(sub.timestamp, NAME_CHARS),
            "error": error,
            "problems": problems,
            "isolation": graded.isolation,
        },
        "tests": tests,
    }


def results_text(graded: Graded) -> str:
    """The text of results.json: at most RESULTS_BYTES, the longest texts cut further when needed."""
    return fit(lambda limits: _dumps(results_json(graded, limits)), RESULTS_BYTES)


def shortened_notice(limit):
    """What a report says when it had to be made smaller than its full size."""
    return (f"This report was shortened to stay under {size_name(limit)}: the longest messages were cut "
            "(a cut text ends with \"… (N more characters)\").")


def overall_message(graded, score, max_score, error, problems):
    """The submission's message: the error and what to fix, or the score; then the notebook's problems
    (``error`` and ``problems`` as results.json quotes them)."""
    passed = sum(o.status == "passed" for o in graded.outcomes)
    if error is not None:
        lines = [f"Your notebook could not be graded, so it scores 0: {error}"]
    else:
        lines = [f"Score: {fmt(score)} / {fmt(max_score)} ({passed} of {len(graded.outcomes)} tests passed)."]
        if graded.late:
            lines.append(late_message(graded.late.as_dict()))
    if graded.isolation == "none":
        lines.append(NO_ISOLATION)
    if problems:
        lines += ["", "Problems found in the notebook:"] + [f"- {p}" for p in problems]
    return "\n".join(lines)


# Every report of a run without the sandbox's OS isolation says so.
NO_ISOLATION = ("Graded without OS isolation (--isolation none): the student's code ran behind no "
                "operating-system boundary, only a Python audit hook.")


def late_message(late):
    """One line on a late submission: when, how late, and what it cost (or why its time is unknown)."""
    if late.get("status") == "unknown time":
        return (f"Late: {late.get('message', 'the time of this submission is unknown')} "
                f"(-{fmt(late['percent'])}% = -{fmt(late['penalty'])} points; before the penalty: "
                f"{fmt(late['raw_score'])}).")
    days = int(late["days_late"])
    return (f"Late: submitted {late['submitted']}, due {late['due']}; {days} day{'s' if days != 1 else ''} late, "
            f"-{fmt(late['percent'])}% = -{fmt(late['penalty'])} points "
            f"(before the penalty: {fmt(late['raw_score'])}).")


def write_results(graded: Graded, folder) -> Path:
    """Write ``folder/results.json`` atomically; returns its path."""
    path = Path(folder) / RESULTS
    atomic_write_text(path, results_text(graded))
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
                  seconds=float(doc.get("execution_time", 0.0)), late=Lateness.from_dict(extra.get("late")),
                  isolation=extra.get("isolation"))


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
    x = points(x)
    return str(int(x)) if x == int(x) else f"{x:g}"


NOT_GRADED = "Not graded: the notebook could not be graded (see the message at the top)."


def _test(outcome, zero, limit):
    """One test; ``zero``: the submission failed, so every test is listed at 0 with a pointer to why.

    limit: the characters of its output that are kept.
    """
    max_score = points(outcome.max_score)
    score = 0.0 if zero else min(max(points(outcome.score), 0.0), max_score)
    return {
        "name": cut(outcome.name, NAME_CHARS),
        "score": score,
        "max_score": max_score,
        "status": "failed" if zero else ("passed" if outcome.status == "passed" else "failed"),
        "output": NOT_GRADED if zero else cut(outcome.output, limit),
        "visibility": outcome.visibility or "visible",
        "extra_data": {"exercise": cut(outcome.exercise, NAME_CHARS)},
    }


def _dumps(doc):
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"

