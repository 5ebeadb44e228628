"""Graded -> feedback.md, the student's readable report beside results.json.

It shows what results.json holds and nothing more: test titles, points and
the student-facing outputs. Hidden test code never reaches a TestOutcome, so
it cannot reach this file.

What the student controls cannot change the page around it: their id, and
the problems (which name their files), are escaped (``md_text``); the test
outputs and the error are fenced blocks no line of theirs can close. Each is
cut to the limits of ``limits``, and the file is kept under FEEDBACK_MD_BYTES.
"""

import re
from pathlib import Path

from ..atomic import atomic_write_text
from ..records import Graded
from .limits import FEEDBACK_MD_BYTES, Caps, fit, one_line
from .results import NO_ISOLATION, fmt, late_message, results_json, shortened_notice

__all__ = ["feedback_md", "write_feedback", "md_text", "FEEDBACK"]

FEEDBACK = "feedback.md"

# What Markdown (CommonMark and GitHub's) reads as markup anywhere in a line: code, emphasis, links, HTML,
# entities, strikethrough, table cells; an underscore only where it can start or end emphasis.
_INLINE = re.compile(r"[\\`*\[\]<>&~|]|(?<![^\W_])_|_(?![^\W_])")
# What starts a block at the beginning of a line: a heading, a list item, a rule (a quote is escaped above).
_BLOCK_START = re.compile(r"^(?:[#+-]|\d{1,9}(?=[.)](?:\s|$)))")


def feedback_md(graded: Graded) -> str:
    """The feedback of one submission, as Markdown: at most FEEDBACK_MD_BYTES."""
    return fit(lambda limits: _markdown(graded, limits), FEEDBACK_MD_BYTES)


def write_feedback(graded: Graded, folder) -> Path:
    """Write ``folder/feedback.md`` atomically; returns its path."""
    path = Path(folder) / FEEDBACK
    atomic_write_text(path, feedback_md(graded))
    return path


def md_text(text):
    """``text`` as one line of Markdown that shows exactly that text: markup is escaped, line breaks are spaces."""
    text = _INLINE.sub(lambda m: "\\" + m.group(), one_line(str(text)).replace("\0", "\ufffd").strip())
    return _BLOCK_START.sub(lambda m: m.group() + "\\" if m.group().isdigit() else "\\" + m.group(), text, count=1)


def _markdown(graded, limits: Caps):
    doc = results_json(graded, limits)   # the same numbers as results.json, zeroed the same way on an error
    extra = doc["extra_data"]
    lines = [f"# {md_text(extra['assignment'])}: feedback for {md_text(extra['student'])}", ""]
    if limits.shortened:
        lines += [md_text(shortened_notice(FEEDBACK_MD_BYTES)), ""]
    lines += [f"**Score: {fmt(doc['score'])} / {fmt(extra['max_score'])}**", ""]
    if extra["late"]:
        lines += [md_text(late_message(extra["late"])), ""]
    if extra.get("isolation") == "none":
        lines += [md_text(NO_ISOLATION), ""]
    if extra["error"] is not None:
        lines += ["## Your notebook could not be graded", ""] + _fenced(extra["error"], "") + [""]
    if extra["problems"]:
        lines += ["## Problems found in the notebook", ""] + [f"- {md_text(p)}" for p in extra["problems"]] + [""]
    for exercise, tests in _by_exercise(doc["tests"]):
        got = sum(t["score"] for t in tests)
        top = sum(t["max_score"] for t in tests)
        lines += [f"## {md_text(exercise)}: {fmt(got)} / {fmt(top)}", ""]
        shown = set()
        for t in tests:
            mark = "✔" if t["status"] == "passed" else "✘"
            title = md_text(t["name"].removeprefix(f"{exercise}: "))
            lines.append(f"- {mark} {title} ({fmt(t['score'])} / {fmt(t['max_score'])})")
            if extra["error"] is not None:
                continue   # the reason is given once, above
            output = t["output"].strip()
            if output in shown:
                lines[-1] += ": same message as above"
            elif output:
                shown.add(output)
                lines += [""] + _fenced(output, "  ") + [""]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _fenced(text, indent):
    """``text`` as a fenced block of plain text, each line indented by ``indent`` (to stay in a list item)."""
    fence = _fence(text)
    return [f"{indent}{fence}text"] + [f"{indent}{line}".rstrip() for line in text.strip().splitlines()] + \
        [f"{indent}{fence}"]


def _fence(text):
    # longer than any run of backticks in the output, which may quote the student's own text
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _by_exercise(tests):
    groups = {}
    for t in tests:
        groups.setdefault(t["extra_data"]["exercise"], []).append(t)
    return groups.items()
