"""Graded -> feedback.md, the student's readable report beside results.json.

It shows what results.json holds and nothing more: test titles, points and
the student-facing outputs. Hidden test code never reaches a TestOutcome, so
it cannot reach this file.
"""

import re
from pathlib import Path

from ..atomic import atomic_write_text
from ..records import Graded
from .results import fmt, late_message, results_json

__all__ = ["feedback_md", "write_feedback", "FEEDBACK"]

FEEDBACK = "feedback.md"


def feedback_md(graded: Graded) -> str:
    """The feedback of one submission, as Markdown."""
    doc = results_json(graded)   # the same numbers as results.json, zeroed the same way on an error
    sub = graded.submission
    lines = [f"# {sub.assignment}: feedback for {sub.student}", "",
             f"**Score: {fmt(doc['score'])} / {fmt(doc['extra_data']['max_score'])}**", ""]
    if doc["extra_data"]["late"]:
        lines += [late_message(doc["extra_data"]["late"]), ""]
    if graded.error is not None:
        lines += ["## Your notebook could not be graded", "", graded.error, ""]
    if graded.problems:
        lines += ["## Problems found in the notebook", ""] + [f"- {p}" for p in graded.problems] + [""]
    for exercise, tests in _by_exercise(doc["tests"]):
        got = sum(t["score"] for t in tests)
        top = sum(t["max_score"] for t in tests)
        lines += [f"## {exercise}: {fmt(got)} / {fmt(top)}", ""]
        shown = set()
        for t in tests:
            mark = "✔" if t["status"] == "passed" else "✘"
            title = t["name"].removeprefix(f"{exercise}: ")
            lines.append(f"- {mark} {title} ({fmt(t['score'])} / {fmt(t['max_score'])})")
            if graded.error is not None:
                continue   # the reason is given once, above
            if t["output"].strip() in shown:
                lines[-1] += ": same message as above"
            elif t["output"].strip():
                shown.add(t["output"].strip())
                fence = _fence(t["output"])
                lines += ["", f"  {fence}text"] + [f"  {line}".rstrip() for line in t["output"].strip().splitlines()]
                lines += [f"  {fence}", ""]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_feedback(graded: Graded, folder) -> Path:
    """Write ``folder/feedback.md`` atomically; returns its path."""
    path = Path(folder) / FEEDBACK
    atomic_write_text(path, feedback_md(graded))
    return path


def _fence(text):
    # longer than any run of backticks in the output, which may quote the student's own text
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _by_exercise(tests):
    groups = {}
    for t in tests:
        groups.setdefault(t["extra_data"]["exercise"], []).append(t)
    return groups.items()
