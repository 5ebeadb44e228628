"""The grading pipeline around the run stage: discover, validate, extract, reports, resume, the CLI.

The run stage is the stand-in of pipeline_fakes (made-up outcomes), so these
tests say nothing about the sandbox or the suites, and stay fast.
"""

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pipeline_fakes
from autograder import cli, pipeline
from autograder.atomic import atomic_write_text
from autograder.discover import DiscoveryError, discover
from autograder.records import Graded, Submission, Validated
from autograder.records import TestOutcome as Outcome   # "Test..." would look like a test class to pytest
from autograder.reports import feedback, summary
from autograder.reports.results import read_graded, results_json
from autograder.stages import validate as validate_stage
from autograder.stages.extract import exercise_ids, extract
from autograder.stages.validate import validate
from course_lib.exercises import ASSIGNMENTS, exercises_of

REPO = Path(__file__).resolve().parents[1]
A01, A02, A03 = ASSIGNMENTS[:3]


def solution(assignment):
    return json.loads((REPO / "solutions" / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8"))


def released(assignment):
    return json.loads((REPO / "notebooks" / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8"))


def put(root, student, assignment, nb, name=None):
    """Write a notebook (dict, str or bytes) to root/student/assignment/name."""
    path = Path(root) / student / assignment / (name or f"{assignment}.ipynb")
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb, dict):
        nb = json.dumps(nb, indent=1)
    path.write_bytes(nb if isinstance(nb, bytes) else nb.encode("utf-8"))
    return path


@pytest.fixture
def tiny_class(tmp_path):
    """alice: solutions to 01 and 02; bob: the released stubs of 01, and 02 cut short (invalid JSON)."""
    root = tmp_path / "submitted"
    put(root, "alice", A01, solution(A01))
    put(root, "alice", A02, solution(A02))
    put(root, "bob", A01, released(A01))
    put(root, "bob", A02, json.dumps(released(A02), indent=1)[:500])
    return root


def grade(root, out, **kwargs):
    kwargs.setdefault("run_stage", pipeline_fakes.fake_run)
    kwargs.setdefault("fingerprint", "test-grader")
    return pipeline.grade_all(discover(root), out, kwargs.pop("workers", 0), **kwargs)


def sub(path, assignment=A02, student="s"):
    return Submission(student, assignment, Path(path))


# ----------------------------------------------------------------------------- discover

def test_discover_finds_every_assignment_folder_sorted_and_ignores_the_rest(tmp_path):
    root = tmp_path / "submitted"
    put(root, "zoe", A02, solution(A02))
    put(root, "adam", A02, solution(A02), name="my work.ipynb")   # the single notebook, whatever its name
    put(root, "adam", A01, solution(A01))
    put(root, "adam", "notes", {"x": 1})                            # not an assignment
    put(root, ".hidden", A01, solution(A01))
    found = discover(root)
    assert [(s.student, s.assignment) for s in found] == [("adam", A01), ("adam", A02), ("zoe", A02)]
    assert found[1].path.name == "my work.ipynb"
    assert discover(root) == found


def test_discover_with_assignment_gives_a_missing_notebook_to_a_student_without_it(tmp_path):
    root = tmp_path / "submitted"
    put(root, "adam", A01, solution(A01))
    put(root, "zoe", A02, solution(A02))
    found = discover(root, [A02])
    assert [(s.student, s.assignment, s.path.exists()) for s in found] == [("adam", A02, False), ("zoe", A02, True)]
    assert "No notebook was submitted for 02_bn_equations" in validate(found[0]).error
    with pytest.raises(DiscoveryError, match="the assignments are"):
        discover(root, ["02"])


def test_discover_one_notebook_file(tmp_path):
    nb = put(tmp_path / "submitted", "carol", A03, solution(A03))
    assert discover(nb) == [Submission("carol", A03, nb)]
    loose = tmp_path / "download.ipynb"          # no telling name: the grade_ids say which assignment
    loose.write_text(json.dumps(solution(A02)))
    assert discover(loose) == [Submission("student", A02, loose)]
    assert discover(loose, [A01])[0].assignment == A01
    unknown = tmp_path / "other.ipynb"
    unknown.write_text(json.dumps({"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}))
    with pytest.raises(DiscoveryError, match="cannot tell which assignment"):
        discover(unknown)


def test_discover_accepts_one_students_folder(tmp_path):
    put(tmp_path, "dave", A01, solution(A01))
    found = discover(tmp_path / "dave")
    assert [(s.student, s.assignment) for s in found] == [("dave", A01)]


# ----------------------------------------------------------------------------- validate

def test_validate_reads_a_notebook_with_odd_metadata(tmp_path):
    nb = solution(A02)
    nb["metadata"]["some_extension"] = {"weird": [1, 2]}
    for cell in nb["cells"]:
        cell.pop("id", None)                     # nbformat 4.5 wants ids: harmless here
        cell["metadata"]["tags"] = "not-a-list"  # schema-invalid
    path = put(tmp_path, "s", A02, b"\xef\xbb\xbf" + json.dumps(nb).encode())   # and a byte-order mark
    validated = validate(sub(path))
    assert validated.error is None and len(validated.nb["cells"]) == len(nb["cells"])


@pytest.mark.parametrize("content, expected", [
    (b"", "is empty"),
    (b"   \n", "is empty"),
    (bytes(range(256)) * 4, "binary data"),
    ("{\"cells\": [], \"caf\xe9\": 1}".encode("latin-1"), "not UTF-8"),
    (b'{\n  "cells": [\n    {"cell_type": "code",,}\n  ]\n}', "not valid JSON (line 3"),
    (b'[1, 2, 3]', "not a notebook"),
    (b'{"metadata": {}, "nbformat": 4}', "not a notebook"),
    (b'{"worksheets": [], "nbformat": 3, "nbformat_minor": 0, "metadata": {}}',
     "saved in nbformat 3, an old notebook format the grader cannot read; open and save it in a current JupyterLab"),
    (b'{"cells": [{"cell_type": "code", "source": 3}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}',
     "cell 1 of"),
])
def test_validate_explains_a_bad_notebook(tmp_path, content, expected):
    path = put(tmp_path, "s", A02, content)
    validated = validate(sub(path))
    assert validated.nb is None
    assert expected in validated.error


def test_validate_refuses_a_notebook_over_20_mb(tmp_path):
    path = tmp_path / "big.ipynb"
    with open(path, "wb") as f:
        f.truncate(21 * 2**20)   # sparse: nothing is read, the size alone decides
    error = validate(sub(path)).error
    assert "21.0 MB; the limit is 20 MB" in error and "Clear Outputs" in error
    assert validate_stage.MAX_BYTES == 20 * 2**20


def test_validate_missing_none_or_several_notebooks(tmp_path):
    assert "No notebook was submitted" in validate(sub(tmp_path / "nope.ipynb")).error
    folder = tmp_path / "s" / A02
    folder.mkdir(parents=True)
    assert "No notebook (.ipynb) was found" in validate(sub(folder)).error
    put(tmp_path, "s", A02, solution(A02), name="a.ipynb")
    put(tmp_path, "s", A02, solution(A02), name="b.ipynb")
    b = folder / "b.ipynb"
    os.utime(b, (b.stat().st_atime, b.stat().st_mtime + 60))
    [found] = discover(tmp_path)
    assert found.path == b
    error = validate(found).error
    assert error is None   # of several, the one saved last is graded, and the student is told
    assert "holds 2 notebooks" in " ".join(found.notes) and "Not graded, kept: a.ipynb" in " ".join(found.notes)


# ----------------------------------------------------------------------------- extract

def extracted_from(nb, assignment=A02):
    return extract(Validated(Submission("s", assignment, Path("x.ipynb")), nb=nb))


def exercise_cell(nb, grade_id):
    return next(c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_extract_takes_exactly_the_exercise_cells(assignment):
    nb = solution(assignment)
    ex = extracted_from(nb, assignment)
    assert ex.error is None and ex.problems == ()
    assert sorted(ex.cells) == sorted(exercise_ids(assignment))
    for grade_id, source in ex.cells.items():
        assert source == "".join(exercise_cell(nb, grade_id)["source"])
        assert ex.programs[grade_id][-1] == (f"<cell {grade_id}>", source)   # the cell runs last


def test_extract_is_robust_to_reordered_cells():
    nb = solution(A03)
    shuffled = copy.deepcopy(nb)
    shuffled["cells"].reverse()
    assert extracted_from(shuffled, A03).cells == extracted_from(nb, A03).cells


def test_extract_falls_back_to_the_cell_defining_the_function_when_metadata_is_lost():
    nb = solution(A02)
    del exercise_cell(nb, "batchnorm_forward")["metadata"]["nbgrader"]
    by_hand = solution(A03)
    del exercise_cell(by_hand, "by_hand_var")["metadata"]["nbgrader"]
    ex, ex03 = extracted_from(nb), extracted_from(by_hand, A03)
    assert "def batchnorm_forward(" in ex.cells["batchnorm_forward"]
    assert "var_by_hand =" in ex03.cells["by_hand_var"]
    [problem] = ex.problems
    assert problem.startswith("batchnorm_forward:") and "lost its nbgrader metadata" in problem
    assert ex03.problems[0].startswith("by_hand_var:")


def test_extract_notes_a_deleted_cell_and_grades_the_rest():
    nb = solution(A02)
    nb["cells"].remove(exercise_cell(nb, "bn_param_count"))
    ex = extracted_from(nb)
    assert set(ex.cells) == {"batchnorm_forward"} and ex.error is None
    assert "no function bn_param_count found" in ex.problems[0]


def test_extract_takes_the_last_of_duplicated_cells():
    nb = solution(A02)
    cell = exercise_cell(nb, "bn_param_count")
    second = copy.deepcopy(cell)
    second["source"] = ["def bn_param_count(units):\n", "    return (4 * units, 2 * units, 2 * units)\n"]
    nb["cells"].append(second)
    ex = extracted_from(nb)
    assert ex.cells["bn_param_count"] == "".join(second["source"])
    assert any(p.startswith("bn_param_count:") and "2 cells" in p for p in ex.problems)


def test_extract_leaves_a_renamed_function_to_the_suite():
    nb = solution(A02)
    cell = exercise_cell(nb, "bn_param_count")
    cell["source"] = "".join(cell["source"]).replace("def bn_param_count(", "def count_params(")
    ex = extracted_from(nb)
    assert "def count_params(" in ex.cells["bn_param_count"]
    [problem] = ex.problems
    assert "no function bn_param_count found" in problem and "count_params" in problem
    assert "keep the name the notebook gives" in problem


def test_extract_ignores_ipython_magics_only_when_they_break_the_cell():
    nb = solution(A02)
    cell = exercise_cell(nb, "bn_param_count")
    cell["source"] = "%load_ext autoreload\n" + "".join(cell["source"])
    ex = extracted_from(nb)
    assert ex.cells["bn_param_count"].startswith("# (ignored by the grader) %load_ext")
    assert "IPython syntax" in ex.problems[0]


def test_extract_errors_on_a_notebook_of_another_assignment():
    ex = extracted_from(solution(A01), A02)
    assert ex.cells == {} and "Is it the right notebook?" in ex.error


# ----------------------------------------------------------------------------- reports

def outcome(name, exercise, score, top, output=""):
    return Outcome(f"{exercise}: {name}", exercise, score, top, "passed" if score == top else "failed", output)


GRADED = Graded(Submission("alice", A02, Path("x")), outcomes=(
    outcome("shapes", "batchnorm_forward", 1.0, 1.0),
    outcome("values", "batchnorm_forward", 0.0, 2.5, "the mean is wrong\nHint: average over axis 0"),
    outcome("counts", "bn_param_count", 0.1 + 0.2, 0.5, "partly right"),
), problems=("bn_param_count: copied cell",), seconds=3.6)


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


def test_feedback_shows_tests_points_outputs_and_problems():
    text = feedback.feedback_md(GRADED)
    assert text.startswith(f"# {A02}: feedback for alice")
    assert "**Score: 1.3 / 4**" in text
    assert "## batchnorm_forward: 1 / 3.5" in text
    assert "- ✔ shapes (1 / 1)" in text and "- ✘ values (0 / 2.5)" in text
    assert "Hint: average over axis 0" in text and "copied cell" in text
    failed = feedback.feedback_md(Graded(GRADED.submission, error="x.ipynb is empty."))
    assert "## Your notebook could not be graded" in failed and "x.ipynb is empty." in failed


def test_grades_csv_has_a_row_per_student_and_empty_cells_for_missing_work(tiny_class, tmp_path):
    out = tmp_path / "out"
    grade(tiny_class, out)
    put(tiny_class, "carol", A01, solution(A01))   # graded in a second, restricted run
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
    grade(tiny_class, out)
    text = (out / "summary.md").read_text()
    assert "2 students, 4 graded notebooks, 1 that could not be graded." in text
    rates = [line for line in text.splitlines() if line.startswith("| ") and "%" in line]
    assert [r.split("|")[1].strip() for r in rates] == ["50%", "100%", "100%"]   # bob's 02 is not in the rates
    assert f"| {A02} | 2 | 1 | 2 | 2 | 4 |" in text
    assert (out / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    stats = summary.class_stats(out)
    assert stats.totals == {"alice": 6.0, "bob": 0.0} and stats.max_total == 6.0


# ----------------------------------------------------------------------------- resume, atomic writes

def test_a_second_run_skips_up_to_date_submissions_and_regrades_a_changed_one(tiny_class, tmp_path):
    out, calls = tmp_path / "out", []

    def counting_run(extracted, context):
        calls.append((extracted.submission.student, extracted.submission.assignment))
        return pipeline_fakes.fake_run(extracted, context)

    first = grade(tiny_class, out, run_stage=counting_run)
    assert len(calls) == 4 and not any(g.resumed for g in first)
    stamp = json.loads((out / "alice" / A01 / ".stamp.json").read_text())
    assert stamp == {"notebook_sha256": pipeline.notebook_digest(tiny_class / "alice" / A01 / f"{A01}.ipynb"),
                     "grader": "test-grader", "late": [None, None], "notes": []}

    calls.clear()
    second = grade(tiny_class, out, run_stage=counting_run)
    assert calls == [] and all(g.resumed for g in second)
    assert [(g.score, g.error) for g in second] == [(g.score, g.error) for g in first]

    put(tiny_class, "bob", A02, released(A02))            # bob fixes his notebook
    third = grade(tiny_class, out, run_stage=counting_run)
    assert calls == [("bob", A02)]
    assert [g.resumed for g in third] == [True, True, True, False] and third[3].error is None

    calls.clear()
    grade(tiny_class, out, run_stage=counting_run, fingerprint="a changed grader")
    assert len(calls) == 4


def test_a_grader_fault_is_reported_but_not_stamped_so_the_next_run_retries(tiny_class, tmp_path):
    out = tmp_path / "out"

    def broken_run(extracted, context):
        raise RuntimeError("no sandbox today")

    graded = grade(tiny_class, out, run_stage=broken_run)
    assert all("fault of the grader" in g.error and "no sandbox today" in g.error for g in graded)
    assert not (out / "alice" / A01 / ".stamp.json").exists()
    assert json.loads((out / "alice" / A01 / "results.json").read_text())["score"] == 0.0
    again = grade(tiny_class, out)
    assert not any(g.resumed for g in again) and again[0].error is None


def test_atomic_write_keeps_the_old_file_when_a_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "results.json"
    atomic_write_text(path, "old")

    def crash(*args):
        raise KeyboardInterrupt   # the run is stopped between writing and renaming

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(path, "new" * 1000)
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["results.json"]


def test_atomic_write_keeps_the_old_file_when_the_process_is_killed_mid_write(tmp_path):
    path = tmp_path / "results.json"
    atomic_write_text(path, "old")
    killed = subprocess.run([sys.executable, "-c", (
        "import os, sys\n"
        "from autograder import atomic\n"
        "os.fsync = lambda fd: os._exit(9)\n"    # die with the new data written but not yet renamed
        f"atomic.atomic_write_text({str(path)!r}, 'new' * 100000)\n")], cwd=REPO)
    assert killed.returncode == 9
    assert path.read_text() == "old"


# ----------------------------------------------------------------------------- workers, CLI, exit codes

def test_workers_survive_a_crashing_and_a_raising_job(tiny_class, tmp_path):
    put(tiny_class, "crash", A01, solution(A01))      # its job kills its worker process
    put(tiny_class, "raiser", A01, solution(A01))     # its run stage raises
    put(tiny_class, "drop", A01, solution(A01))       # its run stage returns nothing
    out = tmp_path / "out"
    seen = []
    graded = grade(tiny_class, out, workers=2, progress=seen.append)
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


def test_cli_grades_a_tiny_class(tiny_class, tmp_path, capsys):
    out = tmp_path / "out"
    status = cli.main(["grade", str(tiny_class), "--out", str(out), "--workers", "0", "--quiet"],
                      run_stage=pipeline_fakes.fake_run)
    captured = capsys.readouterr()
    assert status == 1   # bob's 02 could not be graded; everything else was
    assert captured.out.splitlines() == [
        "student   01     02  total",
        "alice      2      4      6",
        "bob        0  error      0",
        "(out of)   2      4      6",
    ]
    assert f"not graded: bob/{A02}: {A02}.ipynb is not valid JSON" in captured.err
    for name in ("grades.csv", "summary.md", "summary.png", f"alice/{A02}/results.json", f"bob/{A01}/feedback.md"):
        assert (out / name).is_file()


def test_cli_exit_status_is_0_when_every_notebook_was_graded(tiny_class, tmp_path, capsys):
    put(tiny_class, "bob", A02, released(A02))
    args = ["grade", str(tiny_class), "--out", str(tmp_path / "out"), "--workers", "0"]
    assert cli.main(args, run_stage=pipeline_fakes.fake_run) == 0
    assert "4 notebooks: 4 graded, 0 up to date" in capsys.readouterr().err
    assert cli.main(args, run_stage=pipeline_fakes.fake_run) == 0
    assert "0 graded, 4 up to date" in capsys.readouterr().err


def test_cli_assignment_restricts_and_reports_missing_notebooks(tiny_class, tmp_path, capsys):
    args = ["grade", str(tiny_class), "--out", str(tmp_path / "out"), "--workers", "0", "--assignment", A03]
    assert cli.main(args, run_stage=pipeline_fakes.fake_run) == 1
    err = capsys.readouterr().err
    assert f"not graded: alice/{A03}: No notebook was submitted for {A03}" in err


def test_cli_usage_errors_exit_2(tiny_class, tmp_path, capsys):
    out = str(tmp_path / "out")
    assert cli.main(["grade", str(tiny_class), "--out", out, "--assignment", "02_bn"]) == 2
    err = capsys.readouterr().err
    assert "unknown assignment 02_bn" in err and ", ".join(ASSIGNMENTS) in err
    assert cli.main(["grade", str(tmp_path / "nowhere"), "--out", out]) == 2
    assert cli.main(["grade", str(tiny_class)]) == 2                      # --out is required
    (tmp_path / "empty").mkdir()
    assert cli.main(["grade", str(tmp_path / "empty"), "--out", out]) == 2
    assert "no submissions found" in capsys.readouterr().err


def test_python_m_autograder_usage_error(tmp_path):
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path), "--out", str(tmp_path / "o"),
                           "--assignment", "nope"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 2 and "the assignments are" in done.stderr and done.stdout == ""


def test_every_exercise_cell_of_the_solutions_is_a_row_of_the_table():
    """The solution cells that define something are exactly the table's grade_ids, assignment by assignment."""
    for a in ASSIGNMENTS:
        nb = solution(a)
        ids = [c["metadata"]["nbgrader"]["grade_id"] for c in nb["cells"]
               if c["cell_type"] == "code" and c.get("metadata", {}).get("nbgrader", {}).get("solution")]
        assert sorted(ids) == sorted(exercise_ids(a)), a
