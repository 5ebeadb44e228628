"""feedback.html: the student's page, from results.json and the student's own cells only.

One real grading (the sandbox and the hidden suites, in this process) of a
student with a non-ASCII name, some known mistakes and some hostile text
feeds most tests; the rest build Graded records by hand.
"""

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from autograder import pipeline
from autograder.discover import discover
from autograder.late import Lateness
from autograder.records import Graded, Submission
from autograder.records import TestOutcome as Outcome   # "Test..." would look like a test class to pytest
from autograder.reports.feedback_html import FEEDBACK_HTML, feedback_html, write_feedback_html
from autograder.reports.results import fmt, results_json
from course_lib.exercises import ASSIGNMENTS, VALUE, exercises_of

from course_lib import mistakes
from course_lib.exercises import exercise
from independent import CELLS, fill_notebook

ROOT = Path(__file__).resolve().parents[1]
STUDENT = "José García"
A01, A02, A03 = ASSIGNMENTS[:3]
HOSTILE = "</pre><script>alert(1)</script>"
WRONG = {A02: mistakes.mistake("batchnorm_forward", "ddof1"), A03: mistakes.mistake("var_by_hand", "unbiased")}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """OUT of one student's six notebooks: correct cells, a known mistake in 02 and 03, hostile text in 01."""
    base = tmp_path_factory.mktemp("feedback_html")
    for a in ASSIGNMENTS:
        path = base / "submitted" / STUDENT / a / f"{a}.ipynb"
        path.parent.mkdir(parents=True)
        shutil.copy(ROOT / "notebooks" / a / f"{a}.ipynb", path)
        cells = dict(CELLS)
        if a in WRONG:
            cells[exercise(WRONG[a].exercise).grade_id] = WRONG[a].source
        if a == A01:
            cells["standardize"] = f"# {HOSTILE}\n" + CELLS["standardize"]
            cells["answer_test_statistics"] = f"Because <b>the test set</b> {HOSTILE} & more."
        fill_notebook(path, cells)
    out = base / "out"
    graded = pipeline.grade_all(discover(base / "submitted"), out, 0, fingerprint="test-feedback-html")
    assert [g.error for g in graded] == [None] * len(ASSIGNMENTS)
    return base, out


def page(out, assignment, student=STUDENT):
    return (out / student / assignment / FEEDBACK_HTML).read_text(encoding="utf-8")


class Page(HTMLParser):
    """A page's tags, attributes and text (the stylesheet left out), checked for balance as they are read."""

    VOID = {"meta", "br", "hr", "img", "link", "input", "wbr"}
    INLINE = {"p", "span", "a", "strong", "code", "summary", "h1", "h2", "h3", "title"}   # no block inside these
    BLOCK = {"div", "p", "pre", "ul", "li", "section", "nav", "details", "h1", "h2", "h3", "main"}

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.stack, self.tags, self.attrs, self.chunks, self.doctype = [], [], [], [], None
        self.feed(text)
        self.close()
        assert not self.stack, f"left open: {self.stack}"

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs
        if tag in self.BLOCK:
            inside = [t for t in self.stack if t in self.INLINE]
            assert not inside, f"<{tag}> inside <{inside[-1]}>"
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        assert tag in self.VOID, tag
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data):
        if self.stack[-1:] != ["style"]:
            self.chunks.append(data)

    @property
    def text(self):
        return "".join(self.chunks)


def well_formed(html):
    """The parsed page, after the checks every page must pass: balanced, no script, nothing loaded."""
    parsed = Page(html)
    assert parsed.doctype and parsed.doctype.lower() == "doctype html"
    assert parsed.tags[:2] == ["html", "head"] and parsed.tags.count("main") == 1
    assert "script" not in parsed.tags and "iframe" not in parsed.tags and "img" not in parsed.tags
    assert not [name for name, _ in parsed.attrs if name.startswith("on") or name in ("src", "srcset", "action")]
    assert all(value.startswith("#") for name, value in parsed.attrs if name == "href")
    return parsed


def suite_lines():
    """The distinctive lines of the hidden suites: long enough to be telling, and not an import or a docstring."""
    lines = set()
    for path in (ROOT / "autograder" / "suites").rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if len(line) > 25 and not line.startswith(("#", '"', "'", "import ", "from ")):
                lines.add(line)
    return lines


def own_cells(path):
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in nb["cells"])


# ----------------------------------------------------------------------------- from a real grading

def test_every_submission_gets_a_well_formed_page_with_the_scores_of_results_json(graded_class):
    _, out = graded_class
    for a in ASSIGNMENTS:
        parsed = well_formed(page(out, a))
        doc = json.loads((out / STUDENT / a / "results.json").read_text(encoding="utf-8"))
        assert f"{a}: feedback for {STUDENT}" in parsed.text
        assert f"Score: {fmt(doc['score'])} / {fmt(doc['extra_data']['max_score'])}" in parsed.text
        for t in doc["tests"]:
            assert t["name"].split(": ", 1)[1] in parsed.text
            assert f"({fmt(t['score'])} / {fmt(t['max_score'])})" in parsed.text


def test_the_page_never_shows_hidden_test_code(graded_class):
    base, out = graded_class
    lines = suite_lines()
    assert len(lines) > 100   # the filter leaves the suites' code, not nothing
    for a in ASSIGNMENTS:
        html = page(out, a)
        text = Page(html).text
        assert "BEGIN HIDDEN TESTS" not in html and "Traceback" not in text and 'File "' not in text
        own = own_cells(base / "submitted" / STUDENT / a / f"{a}.ipynb")
        leaked = [line for line in lines if line in text and line not in own]
        assert not leaked, (a, leaked[:3])


def test_the_page_shows_the_students_code_and_the_hint_of_a_failing_test(graded_class):
    _, out = graded_class
    for a, bug in WRONG.items():
        parsed = well_formed(page(out, a))
        for line in bug.source.splitlines():
            assert line in parsed.text, (a, line)
        assert bug.hint in parsed.text, a
        assert "✘" in parsed.text
    text = Page(page(out, A02)).text
    assert "def bn_param_count" in text            # the correct exercise's code is shown too
    walkthrough = Page(page(out, A03)).text
    assert all(f"{e.name} =" in walkthrough for e in exercises_of(A03) if e.kind == VALUE)   # each value's own cell


def test_hostile_code_and_answers_are_shown_as_text(graded_class):
    _, out = graded_class
    html = page(out, A01)
    parsed = well_formed(html)
    assert "<script" not in html.lower() and "<b>" not in html
    assert f"# {HOSTILE}" in parsed.text                                   # in the code cell
    assert f"Because <b>the test set</b> {HOSTILE} & more." in parsed.text  # in the written answer
    assert "graded by your instructor" in parsed.text and "answer_test_statistics" in parsed.text


def test_a_non_ascii_student_id_round_trips(graded_class):
    _, out = graded_class
    html = (out / STUDENT / A01 / FEEDBACK_HTML).read_bytes().decode("utf-8")
    assert '<meta charset="utf-8">' in html
    assert f"<title>{A01}: feedback for {STUDENT}</title>" in html and f"<h1>{A01}: feedback for {STUDENT}</h1>" in html


# ----------------------------------------------------------------------------- from records built by hand

def graded(path="/nowhere/02_bn_equations.ipynb", student="alice", outcomes=None, **kwargs):
    outcomes = outcomes or (
        Outcome("batchnorm_forward: shapes", "batchnorm_forward", 1.0, 1.0, "passed", ""),
        Outcome("batchnorm_forward: values", "batchnorm_forward", 0.0, 2.0, "failed", "Hint: average over axis 0"),
        Outcome("bn_param_count: counts", "bn_param_count", 2.0, 2.0, "passed", ""),
    )
    return Graded(Submission(student, A02, Path(path)), outcomes=outcomes, **kwargs)


def test_a_late_submission_shows_the_penalty_and_the_final_score_of_results_json():
    late = {"submitted": "2026-10-04 09:00:00 UTC", "due": "2026-10-02 17:00:00 UTC", "days_late": 2,
            "percent": 20.0, "penalty": 0.6, "raw_score": 3.0}
    g = graded(late=Lateness(**late))
    text = well_formed(feedback_html(g)).text
    final = results_json(g)["score"]
    assert final == pytest.approx(2.4)
    assert "Points from the tests: 3 / 5" in text
    assert ("Late: submitted 2026-10-04 09:00:00 UTC, due 2026-10-02 17:00:00 UTC: 2 days late, "
            "−20% = −0.6 points") in text
    assert f"Final score: {fmt(final)} / 5" in text
    one_day = well_formed(feedback_html(graded(late=Lateness(**{**late, "days_late": 1})))).text
    assert ": 1 day late, −20%" in one_day
    on_time = well_formed(feedback_html(graded())).text
    assert "Score: 3 / 5" in on_time and "Late" not in on_time and "Final score" not in on_time


@pytest.mark.parametrize("content", [None, "folder", b"", bytes(range(256)) * 4, b'{"cells": [', b"[1, 2]",
                                     b"[" * 100_000 + b"]" * 100_000,
                                     b'{"cells": [1, "x", {"cell_type": "code", "source": [1, 2]}]}'],
                         ids=["missing", "folder", "empty", "binary", "cut-short", "not-a-notebook", "deep",
                              "damaged-cells"])
def test_a_notebook_that_cannot_be_read_still_gives_a_page(tmp_path, content):
    path = tmp_path / f"{A02}.ipynb"
    if content == "folder":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    written = write_feedback_html(graded(path), tmp_path / "out")
    assert written == tmp_path / "out" / FEEDBACK_HTML and [p.name for p in written.parent.iterdir()] == [FEEDBACK_HTML]
    text = well_formed(written.read_text(encoding="utf-8")).text
    assert "Hint: average over axis 0" in text and "Score: 3 / 5" in text
    assert "could not be read" in text or "no cell batchnorm_forward was found" in text


def test_an_ungraded_notebook_shows_the_error_once_and_scores_zero():
    g = graded(error="02_bn_equations.ipynb is empty (0 bytes of notebook).",
               problems=("batchnorm_forward: <deleted>",))
    text = well_formed(feedback_html(g)).text
    assert "Your notebook could not be graded." in text and "is empty (0 bytes" in text
    assert "Score: 0 / 5" in text and "Hint: average" not in text and "Not graded" not in text
    assert "batchnorm_forward: <deleted>" in text


def test_every_student_controlled_text_is_escaped():
    g = graded(student="<b>x</b>", problems=(f"a cell {HOSTILE}",),
               outcomes=(Outcome(f"<i>{HOSTILE}</i>: <img src=x onerror=alert(2)>", f"<i>{HOSTILE}</i>", 0.0, 1.0,
                                 "failed", f"you wrote {HOSTILE} & \"quotes\""),))
    html = feedback_html(g)
    parsed = well_formed(html)
    assert "<b>" not in html and "<i>" not in html and "<script" not in html.lower()
    assert f"{A02}: feedback for <b>x</b>" in parsed.text
    assert f"a cell {HOSTILE}" in parsed.text and f"you wrote {HOSTILE} & \"quotes\"" in parsed.text
    assert "<img src=x onerror=alert(2)>" in parsed.text
    zoe = well_formed(feedback_html(graded(student="Zoë 李"))).text
    assert f"{A02}: feedback for Zoë 李" in zoe
