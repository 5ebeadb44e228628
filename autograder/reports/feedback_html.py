"""Graded -> feedback.html, the student's report as one self-contained page.

The numbers and messages are those of results.json (the same as feedback.md).
The only other thing shown is the student's own work, read back from the
submitted notebook: each exercise cell beside its tests, and the written
answers. The notebook's test cells are never read, and hidden test code never
reaches a TestOutcome, so neither can reach this page.

The page has its CSS inline, no JavaScript and no external resource; its
Content-Security-Policy forbids scripts and every load, a second line of defence.
Every piece of text the student controls is escaped: their code, the test
outputs (which may quote it), their id, the notebook's problems.

Every piece is also cut to the limits of ``limits``: the code shown of a
cell and of the whole page, and the code coloured (beyond its size or time
budget, code is shown as plain text). The page is kept under
FEEDBACK_HTML_BYTES, and says where it was cut.
"""

import html
import io
import time
from pathlib import Path

from course_lib import exercises

from ..atomic import atomic_write_text
from ..records import Graded
from .limits import FEEDBACK_HTML_BYTES, HIGHLIGHT_SECONDS, NAME_CHARS, Caps, cut, cut_list, fit
from .results import NO_ISOLATION, fmt, results_json, shortened_notice

__all__ = ["feedback_html", "write_feedback_html", "FEEDBACK_HTML", "CODE_CUT"]

FEEDBACK_HTML = "feedback.html"
CODE_CUT = "more characters of this cell are not shown"   # the note where a cell's code is cut

_CSS = """
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328;
       background: #fff; }
main { max-width: 52rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 1px solid #d0d7de; padding-bottom: .25rem;
     overflow-wrap: anywhere; }
h3 { font-size: 1rem; margin: 1rem 0 .25rem; }
.score { font-size: 1.25rem; margin: .25rem 0; }
.late { border-left: 4px solid #bf8700; background: #fff8c5; padding: .5rem .75rem; margin: .5rem 0; }
.error { border-left: 4px solid #cf222e; background: #ffebe9; padding: .5rem .75rem; margin: .5rem 0; }
.late p, .error p { margin: .25rem 0; }
.points { font-weight: normal; color: #57606a; white-space: nowrap; }
nav ul, ul.tests { list-style: none; padding: 0; }
nav li { display: flex; justify-content: space-between; gap: 1rem; border-bottom: 1px dotted #d0d7de; }
nav a { overflow-wrap: anywhere; }
ul.tests li { margin: .5rem 0; }
.mark { font-weight: bold; }
.passed .mark { color: #1a7f37; }
.failed .mark { color: #cf222e; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: .5rem .75rem;
      margin: .25rem 0; font: 14px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre.code { overflow-x: auto; white-space: pre; }
pre.output, pre.answer, .problem { white-space: pre-wrap; overflow-wrap: anywhere; }
.note { color: #57606a; font-style: italic; }
.instructor { color: #8250df; font-weight: normal; font-size: .9rem; }
summary { cursor: pointer; color: #57606a; }
"""


def feedback_html(graded: Graded) -> str:
    """The feedback of one submission, as a complete HTML page of at most FEEDBACK_HTML_BYTES."""
    return fit(lambda limits: _html(graded, limits), FEEDBACK_HTML_BYTES)


def _html(graded, limits: Caps):
    doc = results_json(graded, limits)   # the same numbers as results.json, zeroed the same way on an error
    extra = doc["extra_data"]
    sub = graded.submission
    title = f"{extra['assignment']}: feedback for {extra['student']}"
    groups = _by_exercise(doc["tests"])
    budget = _Budget(limits)
    parts = [f"<h1>{_e(title)}</h1>"]
    if limits.shortened:
        parts.append(f'<p class="note">{_e(shortened_notice(FEEDBACK_HTML_BYTES))}</p>')
    parts.append(_score(doc))
    if extra["error"] is not None:
        parts.append(f'<div class="error"><p><strong>Your notebook could not be graded.</strong></p>'
                     f'<p class="problem">{_e(extra["error"])}</p></div>')
    parts += _listing("Problems found in the notebook", extra["problems"])
    notes = [n for n in sub.notes if n not in set(graded.problems)]
    parts += _listing("Notes on your submission", cut_list(notes, limits.problems, limits.problem))
    if len(groups) > 1:
        parts.append("<nav><ul>" + "".join(
            f'<li><a href="#exercise-{i}">{_e(exercise)}</a>{_points(tests)}</li>'
            for i, (exercise, tests) in enumerate(groups, 1)) + "</ul></nav>")
    if not graded.notebook_read:
        parts.append(f'<p class="note">Your code is not shown here: the notebook '
                     f'({_e(cut(Path(sub.path).name, NAME_CHARS))}) could not be read.</p>')
    for i, (exercise, tests) in enumerate(groups, 1):
        parts.append(f'<section id="exercise-{i}"><h2>{_e(exercise)} {_points(tests)}</h2>')
        if graded.notebook_read:
            parts += _code(exercise, graded.cells, budget)
        parts.append(_tests(exercise, tests, shown_outputs=extra["error"] is None))
        parts.append("</section>")
    if graded.notebook_read:
        parts += _answers(graded.answers, budget)
    return _page(title, "\n".join(parts))


def write_feedback_html(graded: Graded, folder) -> Path:
    """Write ``folder/feedback.html`` atomically; returns its path."""
    path = Path(folder) / FEEDBACK_HTML
    atomic_write_text(path, feedback_html(graded))
    return path


def _page(title, body):
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{_e(title)}</title>
<style>{_CSS}{_code_css()}
</style>
</head>
<body>
<main>
{body}
</main>
</body>
</html>
"""


def _score(doc):
    """The score; for a late submission, the tests' points, the penalty and the final score."""
    extra = doc["extra_data"]
    top = fmt(extra["max_score"])
    passed = sum(t["status"] == "passed" for t in doc["tests"])
    tally = f'<p>{passed} of {len(doc["tests"])} tests passed.</p>' if doc["tests"] else ""
    late = extra.get("late")
    bare = f'<div class="late"><p>{_e(NO_ISOLATION)}</p></div>' if extra.get("isolation") == "none" else ""
    if not late:
        return f'{bare}<p class="score">Score: <strong>{fmt(doc["score"])} / {top}</strong></p>{tally}'
    raw = extra.get("raw_score")
    raw = sum(t["score"] for t in doc["tests"]) if raw is None else raw
    days = int(late.get("days_late", 0))
    when = (_e(late.get("message", "")) if late.get("status") == "unknown time" else
            f'submitted {_e(late.get("submitted", "?"))}, due {_e(late.get("due", "?"))}: '
            f'{days} day{"" if days == 1 else "s"} late')
    return (f'{bare}<div class="late"><p>Points from the tests: {fmt(raw)} / {top}</p>'
            f'<p>Late: {when}, '
            f'\u2212{fmt(late.get("percent", 0))}% = \u2212{fmt(late.get("penalty", 0))} points</p></div>'
            f'<p class="score">Final score: <strong>{fmt(doc["score"])} / {top}</strong></p>{tally}')


def _listing(heading, items):
    if not items:
        return []
    return [f"<h2>{_e(heading)}</h2>", "<ul>" + "".join(f'<li class="problem">{_e(p)}</li>' for p in items) + "</ul>"]


def _points(tests):
    return (f'<span class="points">{fmt(sum(t["score"] for t in tests))} / '
            f'{fmt(sum(t["max_score"] for t in tests))}</span>')


def _tests(exercise, tests, shown_outputs):
    """Each test with its mark and points, and its output once (a repeat says so)."""
    items, seen = [], set()
    for t in tests:
        title = t["name"].removeprefix(f"{exercise}: ")
        status, mark = ("passed", "✔") if t["status"] == "passed" else ("failed", "✘")
        item = (f'<li class="{status}"><span class="mark">{mark}</span> '
                f'{_e(title)} <span class="points">({fmt(t["score"])} / {fmt(t["max_score"])})</span>')
        output = t["output"].strip()
        if shown_outputs and output in seen:
            item += '<div class="note">Same message as above.</div>'
        elif shown_outputs and output:
            seen.add(output)
            item += f'<pre class="output">{_e(output)}</pre>'
        items.append(item + "</li>")
    return '<h3>Tests</h3><ul class="tests">' + "".join(items) + "</ul>"


class _Budget:
    """What is left to show of the student's code and answers on one page, and to colour."""

    def __init__(self, limits: Caps):
        self.limits = limits
        self.chars = limits.code          # characters of code and answers still shown
        self.highlight = limits.highlight  # characters of code still coloured
        self.deadline = time.monotonic() + HIGHLIGHT_SECONDS

    def take(self, text):
        """(the part of ``text`` shown, the note saying what was cut, or "")."""
        shown = text[:max(0, min(self.limits.cell, self.chars))]
        self.chars -= len(shown)
        hidden = len(text) - len(shown)
        if not hidden:
            return shown, ""
        return shown, (f'<p class="note">Cut here: {hidden:,} {CODE_CUT} (this page shows at most '
                       f'{self.limits.cell:,} characters of a cell and {self.limits.code:,} in all).</p>')


def _code(name, cells, budget):
    """The student's cell for exercise ``name``, found by its grade_id in the table."""
    try:
        grade_id = exercises.exercise(name).grade_id
    except ValueError:   # a name the table does not know
        grade_id = name
    source = cells.get(grade_id)
    if source is None:
        return [f'<p class="note">Your code: no cell {_e(grade_id)} was found in your notebook.</p>']
    shown, note = budget.take(source)
    return [f"<details open><summary>Your code</summary>{_highlight(shown, budget)}{note}</details>"]


def _answers(answers, budget):
    """The written answers (markdown cells answer_*): shown as written, graded by hand."""
    if not answers:
        return []
    shown = budget.limits.answers
    parts = ['<section><h2>Written answers <span class="instructor">graded by your instructor</span></h2>']
    for grade_id, text in answers[:shown]:
        parts.append(f"<h3>{_e(cut(grade_id, NAME_CHARS))}</h3>")
        if text:
            text, note = budget.take(text)
            parts.append(f'<pre class="answer">{_e(text)}</pre>{note}')
        else:
            parts.append('<p class="note">No answer written.</p>')
    if len(answers) > shown:
        parts.append(f'<p class="note">{len(answers) - shown} more written answers are not shown '
                     f"(this page shows at most {shown}).</p>")
    return parts + ["</section>"]


def _by_exercise(tests):
    """[(exercise, its tests)] in the order of the tests, which is the notebook's."""
    groups = {}
    for t in tests:
        groups.setdefault(t["extra_data"]["exercise"], []).append(t)
    return list(groups.items())




def _highlight(source, budget):
    """The code coloured while the page's budget of size and time lasts; then as plain text."""
    if source and len(source) <= budget.highlight and time.monotonic() < budget.deadline:
        code = _coloured(source, budget.deadline)
        if code is not None:
            budget.highlight -= len(source)
            return f'<pre class="code"><code>{code}</code></pre>'
    return f'<pre class="code"><code>{html.escape(source, quote=False)}</code></pre>'


def _coloured(source, deadline):
    """Pygments' HTML for ``source``, or None when lexing it runs past ``deadline``."""
    # imported on first use: the parent process of a class run imports the reports but seldom writes one
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    tokens = []
    for token in PythonLexer().get_tokens(source):
        tokens.append(token)
        if len(tokens) % 1000 == 0 and time.monotonic() > deadline:
            return None
    out = io.StringIO()
    HtmlFormatter(nowrap=True).format(tokens, out)
    return out.getvalue().rstrip("\n")


def _code_css():
    from pygments.formatters import HtmlFormatter

    return "".join("\n" + rule.split(" /*")[0] for rule in HtmlFormatter().get_token_style_defs(".code"))


def _e(text):
    return html.escape(str(text), quote=True)
