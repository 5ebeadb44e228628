"""autograder/reports/: results.json, feedback.md, grades.csv and the summary.

Graded records built by hand, or a tiny class graded with the stand-in run
stage of tests/pipeline_fakes.py. feedback.html is tested in
test_feedback_html.py, and the size limits of every report in
test_report_bounds.py.
"""

import json
from pathlib import Path

import pipeline_fakes
from autograder import pipeline
from autograder.discover import discover
from autograder.records import Graded, Submission
from autograder.records import TestOutcome as Outcome   # "Test..." would look like a test class to pytest
from autograder.reports import feedback, summary
from autograder.reports.results import read_graded, results_json
from grading_helpers import A01, A02, grade_class, solution_nb, submit


def outcome(name, exercise, score, top, output=""):
    return Outcome(f"{exercise}: {name}", exercise, score, top, "passed" if score == top else "failed", output)


GRADED = Graded(Submission("alice", A02, Path("x")), outcomes=(
    outcome("shapes", "batchnorm_forward", 1.0, 1.0),
    outcome("values", "batchnorm_forward", 0.0, 2.5, "the mean is wrong\nHint: average over axis 0"),
    outcome("counts", "bn_param_count", 0.1 + 0.2, 0.5, "partly right"),
), problems=("bn_param_count: copied cell",), seconds=3.6)


# ----------------------------------------------------------------------------- results.json

def test_results_json_follows_gradescope_and_keeps_its_key_order():
    doc = results_json(GRADED)
    assert list(doc) == ["score", "execution_time", "output", "extra_data", "tests"]
    assert doc["score"] == 1.3 and doc["execution_time"] == 4
    assert doc["extra_data"]["max_score"] == 4.0 and doc["extra_data"]["problems"] == ["bn_param_count: copied cell"]
    assert "Score: 1.3 / 4" in doc["output"] and "copied cell" in doc["output"]
    for t in doc["tests"]:
        assert list(t) == ["name", "score", "max_score", "status", "output", "visibility", "extra_data"]
        assert t["status"] in ("passed", "failed") and t["visibility"] == "visible"
        assert isinstance(t["score"], float) and 0 <= t["score"] <= t["max_score"]
    assert json.loads(json.dumps(doc)) == doc


def test_results_json_of_an_error_scores_zero_and_says_what_to_fix():
    failed = Graded(GRADED.submission, outcomes=GRADED.outcomes, error="x.ipynb is empty. Submit it again.")
    doc = results_json(failed)
    assert doc["score"] == 0.0 and doc["extra_data"]["max_score"] == 4.0
    assert "could not be graded" in doc["output"] and "Submit it again" in doc["output"]
    assert [t["score"] for t in doc["tests"]] == [0.0, 0.0, 0.0]
    assert {t["status"] for t in doc["tests"]} == {"failed"}


def test_results_json_reads_back_into_the_same_record(tmp_path):
    from autograder.reports.results import write_results

    write_results(GRADED, tmp_path)
    back = read_graded(tmp_path / "results.json", GRADED.submission)
    assert back.outcomes == tuple(o.__class__(**{**o.__dict__, "score": round(o.score, 4)}) for o in GRADED.outcomes)
    assert back.problems == GRADED.problems and back.error is None


# ----------------------------------------------------------------------------- feedback.md

def test_feedback_shows_tests_points_outputs_and_problems():
    text = feedback.feedback_md(GRADED)
    assert text.startswith(f"# {A02}: feedback for alice")
    assert "**Score: 1.3 / 4**" in text
    assert "## batchnorm_forward: 1 / 3.5" in text
    assert "- ✔ shapes (1 / 1)" in text and "- ✘ values (0 / 2.5)" in text
    assert "Hint: average over axis 0" in text and "copied cell" in text
    failed = feedback.feedback_md(Graded(GRADED.submission, error="x.ipynb is empty."))
    assert "## Your notebook could not be graded" in failed and "x.ipynb is empty." in failed


# ----------------------------------------------------------------------------- grades.csv, summary

def test_grades_csv_has_a_row_per_student_and_empty_cells_for_missing_work(tiny_class, tmp_path):
    out = tmp_path / "out"
    grade_class(tiny_class, out)
    submit(tiny_class, "carol", A01, solution_nb(A01))   # graded in a second, restricted run
    pipeline.grade_all(discover(tiny_class, [A01]), out, 0, run_stage=pipeline_fakes.fake_run, fingerprint="t")
    lines = (out / "grades.csv").read_text().splitlines()
    assert lines == [
        f"student,{A01},{A02},late penalty,total",
        "alice,2,4,0,6",       # 01: standardize; 02: batchnorm_forward and bn_param_count, 2 points each
        "bob,0,0,0,0",         # stubs score 0; the cut-short notebook scores 0
        "carol,2,,0,2",        # no 02 at all: empty
    ]


def test_summary_lists_pass_rates_lowest_first_and_draws_a_figure(tiny_class, tmp_path):
    out = tmp_path / "out"
    grade_class(tiny_class, out)
    text = (out / "summary.md").read_text()
    assert "2 students, 4 graded notebooks, 1 that could not be graded." in text
    rates = [line for line in text.splitlines() if line.startswith("| ") and "%" in line]
    assert [r.split("|")[1].strip() for r in rates] == ["50%", "100%", "100%"]   # bob's 02 is not in the rates
    assert f"| {A02} | 2 | 1 | 2 | 2 | 4 |" in text
    assert (out / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    stats = summary.class_stats(out)
    assert stats.totals == {"alice": 6.0, "bob": 0.0} and stats.max_total == 6.0


def test_summary_png_draws_the_lowest_pass_rates_only_and_md_lists_every_test():
    """A course has over a hundred tests: the figure names the SHOWN_TESTS passed least, summary.md all of them."""
    import struct

    tests = {(A02, f"batchnorm_forward: test {i:03d}"): (i % 7, 10) for i in range(150)}
    stats = summary.ClassStats({"alice": 3.0, "bob": 5.0}, 8.0, {A02: ([3.0, 5.0], 0, 8.0)}, tests)
    png = summary.summary_png(stats)
    width, height = struct.unpack(">II", png[16:24])   # the PNG's IHDR
    assert height == round(100 * (0.22 * summary.SHOWN_TESTS + 1.5))
    assert sum("batchnorm_forward: test" in line for line in summary.summary_md(stats).splitlines()) == 150
