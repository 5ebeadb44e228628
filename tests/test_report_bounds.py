"""The reports stay small and inert whatever the student's values, code, files and id.

A value the student's code returns is quoted in a few hundred characters;
each test output, problem and name is cut with a marker; each report file
has a size limit and says when it was cut; the code on feedback.html is cut
(and coloured only within a budget); feedback.md shows the student's text
as text; grades.csv never holds a formula. Graded records are built by hand.
"""

import csv
import html
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from autograder.records import Graded, Submission
from autograder.records import TestOutcome as Outcome   # "Test..." would look like a test class to pytest
from autograder.reports.feedback import FEEDBACK, feedback_md, write_feedback
from autograder.reports.feedback_html import CODE_CUT, FEEDBACK_HTML, feedback_html, write_feedback_html
from autograder.reports.grades import grades_csv
from autograder.reports.limits import (ANSWERS, CODE_CHARS, ERROR_QUOTE_CHARS, FEEDBACK_HTML_BYTES,
                                       FEEDBACK_MD_BYTES, NAME_CHARS, OUTPUT_CHARS, PROBLEM_CHARS, PROBLEMS,
                                       QUOTE_CHARS, RESULTS_BYTES)
from autograder.reports.results import RESULTS, read_graded, results_text, write_results
from autograder.stages.extract import extract
from autograder.stages.validate import validate
from course_lib.compare import Mismatch, fmt, quote, shorten
from autograder.suites.scoring import render, student_error_text
from course_lib.exercises import ASSIGNMENTS

from independent import CELLS, fill_notebook
from test_feedback_html import well_formed

ROOT = Path(__file__).resolve().parents[1]
A01, A02 = ASSIGNMENTS[:2]
BIG = "x" * 4_000_000                  # what a student's function returned: 4 MB
CUT = "more characters)"               # the end of the marker of every cut text


def write_reports(g, folder):
    """results.json, feedback.md and feedback.html of ``g`` in ``folder``."""
    for write in (write_results, write_feedback, write_feedback_html):
        write(g, folder)
    return folder


def outcome(title, output, exercise="batchnorm_forward", score=0.0):
    return Outcome(f"{exercise}: {title}", exercise, score, 1.0, "passed" if score else "failed", output)


def graded(outcomes=(), student="alice", path="/nowhere/02_bn_equations.ipynb", **kwargs):
    outcomes = outcomes or (outcome("values", "Hint: average over axis 0"),)
    return Graded(Submission(student, A02, Path(path)), outcomes=tuple(outcomes), **kwargs)


def graded_notebook(path):
    """A Graded record of the notebook at ``path`` carrying its cells and answers, as the run stage hands it on."""
    ex = extract(validate(Submission("alice", A02, Path(path))))
    return graded(path=path, cells=ex.cells, answers=ex.answers, notebook_read=ex.read)


# ----------------------------------------------------------------------------- at the source: the suites' messages

def test_the_suites_quote_a_few_hundred_characters_of_any_student_value():
    quoted = quote(BIG)
    assert len(quoted) <= QUOTE_CHARS and quoted.startswith("'xxx") and quoted.endswith(CUT)
    shown = shorten(BIG + " tail")
    assert len(shown) <= QUOTE_CHARS and shown.endswith(CUT)
    assert shorten("a  short\n\nmessage") == "a short message"       # short texts are only put on one line
    void = fmt(np.zeros(3, dtype="V2000000"))                        # a 40-byte dtype, 6 MB of bytes
    assert len(void) <= QUOTE_CHARS and "V2000000" in void
    assert len(fmt(np.zeros((), dtype="V2000000"))) <= QUOTE_CHARS
    failed = Mismatch(f"you returned {BIG!r}", hint=BIG)
    assert len(render(failed)) <= OUTPUT_CHARS and render(failed).endswith(CUT)

    class StudentError(Exception):
        kind, message = "raised", f"ValueError: {BIG}"

    said = student_error_text(StudentError())
    assert said.startswith("your code raised ValueError: xxx") and said.endswith(CUT)
    assert len(said) <= len("your code raised ") + ERROR_QUOTE_CHARS


# ----------------------------------------------------------------------------- in the reports: each quoted value

def test_every_student_text_is_cut_in_results_json_feedback_md_and_feedback_html(tmp_path):
    g = graded(outcomes=(outcome("values", f"you returned {BIG!r}\ud800"),
                         outcome("shapes", "\n".join([BIG] * 3))),
               student="s" * 100_000, problems=tuple(f"{i}: your file {BIG}.ipynb" for i in range(100)))
    folder = write_reports(g, tmp_path / "out")
    assert sum(p.stat().st_size for p in folder.iterdir()) < 500_000   # 12 MB before the limits
    doc = json.loads((folder / RESULTS).read_text(encoding="utf-8"))
    outputs = [t["output"] for t in doc["tests"]]
    assert all(len(o) <= OUTPUT_CHARS and o.endswith(CUT) for o in outputs)
    assert outputs[0].startswith("you returned 'xxx") and "\ud800" not in outputs[0]   # still valid UTF-8
    extra = doc["extra_data"]
    assert len(extra["student"]) <= NAME_CHARS and extra["student"].endswith(CUT)
    assert len(extra["problems"]) == PROBLEMS and extra["problems"][-1] == f"… and {100 - PROBLEMS + 1} more"
    assert all(len(p) <= PROBLEM_CHARS for p in extra["problems"])
    assert len(doc["output"]) <= OUTPUT_CHARS + PROBLEMS * (PROBLEM_CHARS + 2) + 100
    md = (folder / FEEDBACK).read_text(encoding="utf-8")
    assert "you returned 'xxx" in md and CUT in md and "and 71 more" in md
    text = well_formed((folder / FEEDBACK_HTML).read_text(encoding="utf-8")).text
    assert "you returned 'xxx" in text and CUT in text and "and 71 more" in text
    back = read_graded(folder / RESULTS, g.submission)   # a resumed run writes the same file again
    assert results_text(back) == (folder / RESULTS).read_text(encoding="utf-8")


def test_an_error_and_a_long_file_name_are_cut_too():
    name = "n" * 50_000 + ".ipynb"
    g = graded(path=f"/nowhere/{name}", error=f"{name} is not a notebook: {BIG}")
    doc = json.loads(results_text(g))
    assert len(doc["extra_data"]["error"]) <= OUTPUT_CHARS and doc["extra_data"]["error"].endswith(CUT)
    assert len(feedback_md(g)) < 20_000
    page = feedback_html(g)
    assert len(page) < 40_000 and CUT in well_formed(page).text


# ----------------------------------------------------------------------------- the size of each file

def test_each_report_stays_under_its_size_and_says_it_was_cut(tmp_path):
    wide = "😀" * OUTPUT_CHARS   # 4 bytes each in UTF-8: 16 KB per test
    g = graded(outcomes=[outcome(f"test {i}", f"{i}: {wide}") for i in range(200)])
    folder = write_reports(g, tmp_path / "out")
    results = (folder / RESULTS).read_bytes()
    assert len(results) <= RESULTS_BYTES
    doc = json.loads(results)
    assert len(doc["tests"]) == 200 and doc["output"].startswith("This report was shortened to stay under 1 MiB")
    md = (folder / FEEDBACK).read_bytes()
    assert len(md) <= FEEDBACK_MD_BYTES and "shortened to stay under 1 MiB" in md.decode("utf-8")
    assert md.decode("utf-8").count("- ✘ test ") == 200
    page = (folder / FEEDBACK_HTML).read_bytes()
    assert len(page) <= FEEDBACK_HTML_BYTES
    text = well_formed(page.decode("utf-8")).text
    assert "shortened to stay under 2 MiB" in text and text.count("✘") == 200


# ----------------------------------------------------------------------------- the student's code on feedback.html

@pytest.fixture
def notebook(tmp_path):
    """Notebook 02 with the correct cells, to be changed by the test."""
    path = tmp_path / A02 / f"{A02}.ipynb"
    path.parent.mkdir()
    shutil.copy(ROOT / "notebooks" / A02 / f"{A02}.ipynb", path)
    fill_notebook(path, CELLS)
    return path


def test_a_15_mb_cell_gives_a_page_of_bounded_size_with_the_start_of_the_code_and_a_cut_notice(notebook):
    filler = "# " + "<x>&" * 100 + "\n"
    fill_notebook(notebook, {"batchnorm_forward": CELLS["batchnorm_forward"] + filler * 38_000})
    assert notebook.stat().st_size > 15_000_000
    page = feedback_html(graded_notebook(notebook))
    assert len(page.encode("utf-8")) <= 500_000
    parsed = well_formed(page)
    assert "def batchnorm_forward" in parsed.text and "<x>&" in parsed.text
    assert f"{38_000 * len(filler) + len(CELLS['batchnorm_forward']) - 20_000:,} {CODE_CUT}" in parsed.text
    assert '<span class="k">def</span>' in page   # the part shown is still coloured


def test_the_code_and_answers_on_one_page_are_bounded_in_all(notebook):
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    released = sum(str(c["metadata"].get("nbgrader", {}).get("grade_id")).startswith("answer_") for c in nb["cells"])
    nb["cells"] += [{"cell_type": "markdown", "metadata": {"nbgrader": {"grade_id": f"answer_{i}"}},
                     "source": f"answer {i}: " + "<b>&</b>" * 2_500} for i in range(ANSWERS + 20)]
    notebook.write_text(json.dumps(nb), encoding="utf-8")
    page = feedback_html(graded_notebook(notebook))
    parsed = well_formed(page)
    answers = [chunk for chunk in parsed.chunks if chunk.startswith("answer ")]
    assert 0 < sum(map(len, answers)) <= CODE_CHARS and len(answers) <= ANSWERS
    assert f"{released + 20} more written answers are not shown" in parsed.text and CODE_CUT in parsed.text
    assert "<b>" not in page


# ----------------------------------------------------------------------------- feedback.md shows text as text

HOSTILE_ID = "<script>alert(1)</script>](javascript:alert(2)) `x` *y* &lt;"
HOSTILE_FILE = "a\n# Injected\n\n<img src=x onerror=alert(3)>[click](javascript:alert(4))``` ~~z~~ | q.ipynb"


def rendered(markdown, renderer):
    """The HTML a Markdown viewer makes of ``markdown`` (raw HTML allowed, as on most viewers)."""
    if renderer == "markdown-it":
        markdown_it = pytest.importorskip("markdown_it")
        return markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)
    mistune = pytest.importorskip("mistune")
    return mistune.html(markdown)


@pytest.mark.parametrize("renderer", ["markdown-it", "mistune"])
def test_feedback_md_shows_the_students_id_file_names_and_errors_as_text(renderer):
    note = f"Your notebook is named {HOSTILE_FILE!r}, not {A02}.ipynb; it was graded all the same."
    g = graded(student=HOSTILE_ID, problems=(note, f"batchnorm_forward: {HOSTILE_FILE}"),
               outcomes=(outcome("values", f"you returned {HOSTILE_FILE}"),))
    md = feedback_md(g)
    out = rendered(md, renderer)
    assert "<script" not in out and "<img" not in out and "<a " not in out and 'href="javascript' not in out
    assert "<em>" not in out and "<del>" not in out and "<table>" not in out
    assert out.count("<h1>") == 1 and out.count("<h2>") == 2                 # no heading was injected
    assert html.escape(f"{A02}: feedback for {HOSTILE_ID}", quote=False) in out.replace("&quot;", '"')
    one_line = " ".join(HOSTILE_FILE.split("\n")).replace("  ", " ")
    assert html.escape(one_line, quote=False) in out.replace("&quot;", '"')
    failed = rendered(feedback_md(graded(error=f"{HOSTILE_FILE} is not a notebook.")), renderer)
    assert "<img" not in failed and 'href="javascript' not in failed and failed.count("<h2>") == 2
    assert html.escape(HOSTILE_FILE.split("\n")[2], quote=False) in failed   # in a code block, as written


# ----------------------------------------------------------------------------- grades.csv holds no formula

FORMULAS = ['=HYPERLINK("https:x.example","click")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\r=1+1"]


def test_grades_csv_shows_ids_and_folder_names_a_spreadsheet_would_run_as_text(tmp_path):
    out = tmp_path / "out"
    for student in [*FORMULAS, "bob", "o'brien-smith"]:
        write_results(Graded(Submission(student, A01, Path("x")), outcomes=(outcome("t", "", "standardize", 1.0),)),
                      out / student / A01)
    write_results(Graded(Submission("bob", "=1+1", Path("x")), outcomes=(outcome("t", "", "standardize", 1.0),)),
                  out / "bob" / "=1+1")
    rows = list(csv.reader(io.StringIO(grades_csv(out), newline="")))
    assert rows[0] == ["student", A01, "'=1+1", "late penalty", "total"]
    assert len(rows) == 1 + len(FORMULAS) + 2   # a line break in an id starts no row
    ids = {row[0] for row in rows[1:]}
    assert ids == {"'" + f.replace("\r", " ") for f in FORMULAS} | {"bob", "o'brien-smith"}
    for row in rows[1:]:
        assert [float(cell) for cell in row[1:] if cell] in ([1.0, 0.0, 1.0], [1.0, 1.0, 0.0, 2.0])
