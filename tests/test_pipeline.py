"""autograder/pipeline.py: resume stamps, faults of the grader, and worker processes.

The run stage is the stand-in of tests/pipeline_fakes.py (made-up outcomes),
so these tests say nothing about the sandbox or the suites, and stay fast.
"""

import json

import pipeline_fakes
from autograder import pipeline
from grading_helpers import A01, A02, grade_class, released, solution_nb, submit


# ----------------------------------------------------------------------------- resume

def test_a_second_run_skips_up_to_date_submissions_and_regrades_a_changed_one(tiny_class, tmp_path):
    out, calls = tmp_path / "out", []

    def counting_run(extracted, context):
        calls.append((extracted.submission.student, extracted.submission.assignment))
        return pipeline_fakes.fake_run(extracted, context)

    first = grade_class(tiny_class, out, run_stage=counting_run)
    assert len(calls) == 4 and not any(g.resumed for g in first)
    stamp = json.loads((out / "alice" / A01 / ".stamp.json").read_text())
    assert stamp == {"notebook_sha256": pipeline.notebook_digest(tiny_class / "alice" / A01 / f"{A01}.ipynb"),
                     "grader": "test-grader", "late": [None, None], "notes": []}

    calls.clear()
    second = grade_class(tiny_class, out, run_stage=counting_run)
    assert calls == [] and all(g.resumed for g in second)
    assert [(g.score, g.error) for g in second] == [(g.score, g.error) for g in first]

    submit(tiny_class, "bob", A02, released(A02))            # bob fixes his notebook
    third = grade_class(tiny_class, out, run_stage=counting_run)
    assert calls == [("bob", A02)]
    assert [g.resumed for g in third] == [True, True, True, False] and third[3].error is None

    calls.clear()
    grade_class(tiny_class, out, run_stage=counting_run, fingerprint="a changed grader")
    assert len(calls) == 4


def test_a_grader_fault_is_reported_but_not_stamped_so_the_next_run_retries(tiny_class, tmp_path):
    out = tmp_path / "out"

    def broken_run(extracted, context):
        raise RuntimeError("no sandbox today")

    graded = grade_class(tiny_class, out, run_stage=broken_run)
    assert all("fault of the grader" in g.error and "no sandbox today" in g.error for g in graded)
    assert not (out / "alice" / A01 / ".stamp.json").exists()
    assert json.loads((out / "alice" / A01 / "results.json").read_text())["score"] == 0.0
    again = grade_class(tiny_class, out)
    assert not any(g.resumed for g in again) and again[0].error is None


# ----------------------------------------------------------------------------- workers

def test_workers_survive_a_crashing_and_a_raising_job(tiny_class, tmp_path):
    submit(tiny_class, "crash", A01, solution_nb(A01))      # its job kills its worker process
    submit(tiny_class, "raiser", A01, solution_nb(A01))     # its run stage raises
    submit(tiny_class, "drop", A01, solution_nb(A01))       # its run stage returns nothing
    out = tmp_path / "out"
    seen = []
    graded = grade_class(tiny_class, out, workers=2, progress=seen.append)
    by = {(g.submission.student, g.submission.assignment): g for g in graded}
    assert by[("alice", A02)].score == 4.0 and by[("alice", A02)].error is None
    assert by[("bob", A02)].error and "not valid JSON" in by[("bob", A02)].error
    assert "grading process died" in by[("crash", A01)].error
    assert "the sandbox could not start" in by[("raiser", A01)].error
    assert "returned no result" in by[("drop", A01)].error
    assert sum(seen) == len(graded) == 7
    assert all(o.output == "" for g in graded for o in g.outcomes)   # the parent keeps summaries only
    assert "Hint: write it" in (out / "bob" / A01 / "results.json").read_text()
    assert json.loads((out / "crash" / A01 / "results.json").read_text())["score"] == 0.0


def test_no_summary_writes_the_reports_and_grades_but_no_class_summary(tiny_class, tmp_path, capsys):
    """One student's container (Gradescope's) has no class to sum up, and the figure would cost it a second."""
    from autograder import cli

    out = tmp_path / "out"
    cli.main(["grade", str(tiny_class), "--out", str(out), "--workers", "0", "--quiet", "--no-summary"],
             run_stage=pipeline_fakes.fake_run)
    assert (out / "grades.csv").is_file() and (out / "alice" / A02 / "results.json").is_file()
    assert not (out / "summary.md").exists() and not (out / "summary.png").exists()
