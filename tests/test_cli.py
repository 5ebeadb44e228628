"""autograder/cli.py: python -m autograder grade, its table, its messages and its exit status.

The run stage is the stand-in of tests/pipeline_fakes.py.
"""

import subprocess
import sys

import pipeline_fakes
from autograder import cli
from course_lib.exercises import ASSIGNMENTS
from grading_helpers import A01, A02, A03, REPO, grade, put, released, solution, submit


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
    submit(tiny_class, "bob", A02, released(A02))
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


def test_grading_only_an_unknown_assignment_is_a_usage_error(tmp_path, capsys):
    root = tmp_path / "submitted"
    put(root / "alice" / A01, solution(A01), f"{A01}.ipynb")
    status, captured = grade(root, tmp_path / "out", capsys, "--assignment", "07_dropout")
    assert status == 2 and "unknown assignment 07_dropout" in captured.err


def test_python_m_autograder_usage_error(tmp_path):
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path), "--out", str(tmp_path / "o"),
                           "--assignment", "nope"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 2 and "the assignments are" in done.stderr and done.stdout == ""


CHECK = """import sys
from autograder.cli import main
status = main(["check", *sys.argv[1:]])
print("imported:", sorted(m for m in sys.modules if m.startswith("autograder") or m in ("nbformat", "matplotlib")))
sys.exit(status)
"""


def test_check_is_the_self_check_without_the_graders_imports():
    """`python -m autograder check NOTEBOOK` answers a student as `python -m course_lib.selfcheck` does, and
    imports none of the grader's pipeline, nbformat or matplotlib: it must answer in well under a second."""
    right = subprocess.run([sys.executable, "-c", CHECK, str(REPO / "solutions" / A02 / f"{A02}.ipynb")],
                           cwd=REPO, capture_output=True, text=True, timeout=300)
    assert right.returncode == 0, right.stdout + right.stderr
    assert "batchnorm_forward" in right.stdout and "public checks only" in right.stdout
    imported = right.stdout.rsplit("imported:", 1)[1]
    assert "autograder.pipeline" not in imported and "nbformat" not in imported and "matplotlib" not in imported
    stub = subprocess.run([sys.executable, "-m", "autograder", "check", str(REPO / "notebooks" / A02 / f"{A02}.ipynb")],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert stub.returncode == 1 and "batchnorm_forward: not started" in stub.stdout, stub.stdout + stub.stderr
    missing = subprocess.run([sys.executable, "-m", "autograder", "check", "no_such.ipynb"], cwd=REPO,
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and missing.stderr.startswith("python -m autograder check: error:")
