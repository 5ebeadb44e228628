"""``python -m course_lib.selfcheck``: the public checks on a student's notebook, one line per exercise.

Student notebooks are the released ones with cells pasted in (tests/independent.py),
checked in a temporary folder; the student's code runs in a child process.
"""

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_lib import checks
from course_lib.exercises import ASSIGNMENTS, EXERCISES, exercises_of
from course_lib.selfcheck import main, plan, read_notebook
from independent import CELLS, fill_notebook

ROOT = Path(__file__).resolve().parents[1]
RELEASED = ROOT / "notebooks"
WALKTHROUGH = "03_cgpa_iq_walkthrough"
INSTRUCTOR = "graded by your instructor"

# What the student bundle lacks: the reference implementations and the grader.
FORBIDDEN = sorted({"course_lib." + e.reference.split(":")[0] for e in EXERCISES}
                   | {f"course_lib.{m}" for m in ("batchnorm", "normalize", "layers", "running_stats", "train",
                                                  "modules")} | {"autograder"})


def checked_names(assignment):
    """The labels of the exercises of an assignment (the table's rows), as the report names them."""
    return [e.name for e in exercises_of(assignment)]


def student(folder, assignment, cells=None):
    """The released notebook of ``assignment`` under ``folder``, with ``cells`` (grade_id -> source) pasted in."""
    path = folder / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(RELEASED / assignment / f"{assignment}.ipynb", path)
    if cells:
        fill_notebook(path, cells)
    return path


def check(capsys, *argv):
    """(exit status, stdout lines, stderr) of the self-check."""
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out.splitlines(), err


def line_of(lines, label):
    found = [line.strip() for line in lines if line.strip()[2:].startswith(f"{label}:")]
    assert len(found) == 1, f"no single line for {label} in:\n" + "\n".join(lines)
    return found[0]


# -- whole courses ------------------------------------------------------------------------------

def test_released_stubs_are_not_started_through_the_real_command_line(tmp_path):
    for assignment in ASSIGNMENTS:
        student(tmp_path, assignment)
    run = subprocess.run([sys.executable, "-m", "course_lib.selfcheck", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    for assignment in ASSIGNMENTS:
        for label in checked_names(assignment):
            assert line_of(lines, label) == f"\u2026 {label}: not started (still raises NotImplementedError)"
    total = sum(len(checked_names(a)) for a in ASSIGNMENTS)
    assert f"{len(ASSIGNMENTS)} notebooks: 0 of {total} checks pass." in lines
    assert "hidden tests check more" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_correct_cells_pass_every_exercise_and_step(tmp_path, capsys):
    for assignment in ASSIGNMENTS:
        student(tmp_path, assignment, CELLS)
    answer = tmp_path / "02_bn_equations" / "02_bn_equations.ipynb"
    nb = json.loads(answer.read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "answer_constant_feature":
            cell["source"] = "Its variance is 0, so x_hat is 0 and the output is beta."
    answer.write_text(json.dumps(nb))

    status, lines, err = check(capsys, tmp_path)

    assert status == 0, "\n".join(lines)
    for assignment in ASSIGNMENTS:
        for label in checked_names(assignment):
            assert line_of(lines, label).startswith(f"\u2714 {label}: all "), label
    assert line_of(lines, "answer_constant_feature") == "\u270e answer_constant_feature: written \u2014 " + INSTRUCTOR
    assert line_of(lines, "answer_batch_mean") == "\u270e answer_batch_mean: still empty \u2014 " + INSTRUCTOR
    assert any(line.strip().startswith("All 8 checks pass.") for line in lines)   # notebook 03: 6 steps, 2 exercises
    assert err == ""


# -- one notebook, partly right -----------------------------------------------------------------

def test_n_minus_1_variance_fails_with_the_biased_variance_hint(tmp_path, capsys):
    buggy = CELLS["batchnorm_forward"].replace("/ n\n    inv_std", "/ (n - 1)\n    inv_std")
    assert buggy != CELLS["batchnorm_forward"]
    path = student(tmp_path, "02_bn_equations", {**CELLS, "batchnorm_forward": buggy})

    status, lines, _ = check(capsys, path)

    assert status == 1
    forward = line_of(lines, "batchnorm_forward")
    assert forward.startswith("\u2718 batchnorm_forward: '") and " fails \u2014 " in forward
    hint = forward.split("hint: ", 1)[1]
    assert "biased" in hint and "N" in hint
    assert line_of(lines, "bn_param_count").startswith("\u2714 bn_param_count: all ")
    assert lines[-3].startswith("  1 of 2 checks pass; fix batchnorm_forward first.")


def test_a_syntax_error_is_one_line_with_the_line_of_the_cell(tmp_path, capsys):
    broken = CELLS["batchnorm_forward"].replace("    mu = np.sum(x, axis=0) / n", "    mu = np.sum(x, axis=0 / n")
    assert broken != CELLS["batchnorm_forward"]
    line = broken.splitlines().index("    mu = np.sum(x, axis=0 / n") + 1
    path = student(tmp_path, "02_bn_equations", {**CELLS, "batchnorm_forward": broken})

    status, lines, _ = check(capsys, path)

    assert status == 1
    forward = line_of(lines, "batchnorm_forward")
    assert forward.startswith("\u2718 batchnorm_forward: your cell raises SyntaxError")
    assert f"(line {line} of the cell)" in forward or f"(line {line + 1} of the cell)" in forward
    assert line_of(lines, "bn_param_count").startswith("\u2714")
    assert "Traceback" not in "\n".join(lines)


def test_a_name_error_names_the_line_and_shows_it(tmp_path, capsys):
    path = student(tmp_path, "02_bn_equations",
                   {**CELLS, "bn_param_count": "units_per_layer = layer_units * 2\n" + CELLS["bn_param_count"]})

    _, lines, _ = check(capsys, path)

    text = "\n".join(lines)
    assert ("\u2718 bn_param_count: your cell raises NameError: name 'layer_units' is not defined "
            "(line 1 of the cell)") in text
    assert "line 1: units_per_layer = layer_units * 2" in text


def test_an_endless_loop_is_stopped_and_the_report_still_printed(tmp_path, capsys):
    path = student(tmp_path, WALKTHROUGH, {**CELLS, "by_hand_var": "while True:\n    pass\n"})

    status, lines, _ = check(capsys, path, "--timeout", 3)

    assert status == 1
    assert line_of(lines, "z_by_hand").startswith("\u2714")
    assert line_of(lines, "mu_by_hand").startswith("\u2714")
    assert line_of(lines, "var_by_hand").startswith("\u2718 var_by_hand: still running after 3 s, so it was stopped")
    for label in ("z_hat_by_hand", "y_by_hand", "a_by_hand", "dense_forward", "hidden_layer_forward"):
        assert "not checked" in line_of(lines, label)
    assert "  2 of 8 checks pass; fix var_by_hand first." in "\n".join(lines)


@pytest.mark.parametrize("ending, said", [
    ("import os\nos._exit(0)\n", "exited with status 0"),
    ("import ctypes\nctypes.string_at(0)\n", "crashed with SIGSEGV"),
])
def test_a_cell_that_ends_python_is_reported_and_the_rest_still_checked(tmp_path, capsys, ending, said):
    path = student(tmp_path, "02_bn_equations", {**CELLS, "batchnorm_forward": ending + CELLS["batchnorm_forward"]})

    status, lines, _ = check(capsys, path)

    assert status == 1
    forward = line_of(lines, "batchnorm_forward")
    assert forward.startswith("\u2718 batchnorm_forward: your code ended the check's process") and said in forward
    assert line_of(lines, "bn_param_count").startswith("\u2714 bn_param_count: all ")


def test_a_deleted_exercise_cell_is_reported_missing(tmp_path, capsys):
    path = student(tmp_path, "02_bn_equations", CELLS)
    nb = json.loads(path.read_text())
    nb["cells"] = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != "bn_param_count"]
    path.write_text(json.dumps(nb))

    status, lines, _ = check(capsys, path)

    assert status == 1
    assert "no exercise cell with grade_id 'bn_param_count'" in line_of(lines, "bn_param_count")


# -- which assignment, and usage errors ---------------------------------------------------------

def test_the_assignment_comes_from_the_cells_when_the_name_does_not_say(tmp_path, capsys):
    path = tmp_path / "my copy.ipynb"
    shutil.copy(RELEASED / "05_inference" / "05_inference.ipynb", path)
    fill_notebook(path, CELLS)

    status, lines, _ = check(capsys, path)
    assert status == 0 and lines[0].startswith("05_inference (")

    status, lines, _ = check(capsys, path, "--assignment", "04_backprop")   # the wrong one: its cells are missing
    assert status == 1 and "no exercise cell with grade_id 'batchnorm_backward'" in "\n".join(lines)


def unknown_notebook(tmp_path):
    path = tmp_path / "notes.ipynb"
    path.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return [path]


@pytest.mark.parametrize("argv, said", [
    (lambda tmp: [tmp / "missing.ipynb"], "cannot find"),
    (lambda tmp: [tmp / "notes.txt"], "is not a notebook"),
    (lambda tmp: [tmp / "broken.ipynb"], "is not valid notebook JSON"),
    (lambda tmp: [tmp / "broken.ipynb", "--assignment", "07_transformers"], "unknown assignment '07_transformers'"),
    (unknown_notebook, "cannot tell which assignment"),
], ids=["missing", "txt", "broken-json", "unknown-assignment", "no-assignment"])
def test_usage_errors_exit_2_with_one_line(tmp_path, capsys, argv, said):
    (tmp_path / "notes.txt").write_text("my notes")
    (tmp_path / "broken.ipynb").write_text('{"cells": [')

    status, lines, err = check(capsys, *argv(tmp_path))

    assert status == 2
    assert lines == []
    assert len(err.strip().splitlines()) == 1 and said in err and "Traceback" not in err


def test_a_usage_error_through_the_real_command_line(tmp_path):
    (tmp_path / "broken.ipynb").write_text("not json at all")
    run = subprocess.run([sys.executable, "-m", "course_lib.selfcheck", str(tmp_path / "broken.ipynb")], cwd=ROOT,
                         capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert run.returncode == 2
    assert run.stdout == "" and len(run.stderr.strip().splitlines()) == 1
    assert "is not valid notebook JSON" in run.stderr


# -- the same checks as the notebook, and nothing the bundle lacks ------------------------------

@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_notebooks_check_cells_call_the_checks_the_selfcheck_runs(assignment):
    nb = read_notebook(RELEASED / assignment / f"{assignment}.ipynb")
    calls = {}
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        if grade_id.startswith("check_"):
            (statement,) = ast.parse("".join(cell["source"])).body
            call = statement.value
            calls[grade_id[len("check_"):]] = (call.func.id, [ast.literal_eval(a) if isinstance(a, ast.Constant)
                                                               else a.id for a in call.args])
    items, missing = plan(nb, assignment)
    assert missing == []
    code_items = [i for i in items if i.kind != "answer"]
    assert sorted(calls) == sorted(i.grade_id for i in code_items)
    for item in code_items:
        func, args = calls[item.grade_id]
        assert (func, args) == (f"check_{item.name}", [item.name])
        assert callable(getattr(checks, func))


def test_the_selfcheck_imports_no_reference_and_no_grader(tmp_path):
    for assignment in ASSIGNMENTS:
        student(tmp_path, assignment, CELLS)
    script = (
        "import json, sys\n"
        "from course_lib.selfcheck import main\n"
        f"status = main([{str(tmp_path)!r}])\n"
        f"forbidden = {FORBIDDEN!r}\n"
        "loaded = [m for m in sys.modules if any(m == f or m.startswith(f + '.') for f in forbidden)]\n"
        "print(json.dumps({'status': status, 'loaded': loaded}))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                         encoding="utf-8", timeout=120, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.splitlines()[-1])
    assert result == {"status": 0, "loaded": []}
