"""Loading a student's functions from their earlier notebooks."""

import json
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_lib.checks import check_batchnorm_forward
from independent import fill_notebook
from course_lib.student import ExerciseNotReady, exercise_cells, load_exercises, notebook_path, student_bn_functions

ROOT = Path(__file__).resolve().parents[1]

GOOD_FORWARD = '''import numpy as np
from course_lib.bncache import BNCache

def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    return gamma * x_hat + beta, BNCache(x=x, x_hat=x_hat, mu=mu, var=var, inv_std=inv_std, gamma=gamma, eps=eps)
'''
BUGGY_FORWARD = GOOD_FORWARD.replace("x.var(axis=0)", "x.var(axis=0, ddof=1)")
STUB = "def batchnorm_forward(x, gamma, beta, eps=1e-5):\n    raise NotImplementedError()\n"


def write_notebook(folder, assignment, exercise_sources, extra=()):
    cells = [nbformat.v4.new_markdown_cell("# title")]
    cells += [nbformat.v4.new_code_cell(s) for s in extra]
    for i, s in enumerate(exercise_sources):
        cell = nbformat.v4.new_code_cell(s)
        grade_id = "batchnorm_forward" if "def batchnorm_forward" in s else f"ex{i}"
        cell.metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False, "grade_id": grade_id,
                                     "schema_version": 3}
        cells.append(cell)
    path = folder / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


@pytest.fixture
def course(tmp_path):
    (tmp_path / "06_experiments").mkdir()
    return tmp_path


def test_loads_a_finished_function_and_it_passes_its_check(course):
    write_notebook(course, "02_bn_equations", [GOOD_FORWARD])
    fns = load_exercises("02_bn_equations", ["batchnorm_forward"], start=course / "06_experiments")
    check_batchnorm_forward(fns["batchnorm_forward"], verbose=False)


def test_only_exercise_cells_run(course):
    # an ordinary cell that would fail (or print) is not executed
    write_notebook(course, "02_bn_equations", [GOOD_FORWARD], extra=["raise SystemExit('ordinary cell ran')"])
    load_exercises("02_bn_equations", ["batchnorm_forward"], start=course / "06_experiments")


def test_an_exercise_loads_with_the_helpers_it_uses_from_other_cells_as_the_grader_runs_it(course):
    helper = "def _moments(x):\n    return x.mean(axis=0), x.var(axis=0)\nraise SystemExit('a training run')\n"
    forward = GOOD_FORWARD.replace("    mu = x.mean(axis=0)\n    var = x.var(axis=0)\n", "    mu, var = _moments(x)\n")
    assert forward != GOOD_FORWARD
    write_notebook(course, "02_bn_equations", [forward], extra=[helper])
    fns = load_exercises("02_bn_equations", ["batchnorm_forward"], start=course / "06_experiments")
    check_batchnorm_forward(fns["batchnorm_forward"], verbose=False)


def test_a_failing_check_names_the_notebook_and_the_case(course):
    write_notebook(course, "02_bn_equations", [BUGGY_FORWARD])
    with pytest.raises(ExerciseNotReady) as info:
        load_exercises("02_bn_equations", ["batchnorm_forward"], start=course / "06_experiments")
    message = str(info.value)
    assert "batchnorm_forward in 02_bn_equations" in message and "variance 1" in message
    assert "fix batchnorm_forward until check_batchnorm_forward passes" in message


def test_check_false_loads_even_a_broken_function(course):
    write_notebook(course, "02_bn_equations", [BUGGY_FORWARD])
    fns = load_exercises("02_bn_equations", ["batchnorm_forward"], check=False, start=course / "06_experiments")
    assert callable(fns["batchnorm_forward"])


def test_an_unfinished_stub_is_reported_as_not_ready(course):
    write_notebook(course, "02_bn_equations", [STUB])
    with pytest.raises(ExerciseNotReady, match="is not written yet"):
        load_exercises("02_bn_equations", ["batchnorm_forward"], start=course / "06_experiments")


def test_a_cell_that_raises_does_not_hide_the_others(course):
    write_notebook(course, "02_bn_equations", ["raise NotImplementedError()", GOOD_FORWARD, "1/0"])
    assert load_exercises("02_bn_equations", ["batchnorm_forward"], start=course / "06_experiments")


def test_a_deleted_function_is_named(course):
    write_notebook(course, "02_bn_equations", ["x = 1"])
    with pytest.raises(ExerciseNotReady, match="defines no function batchnorm_forward"):
        load_exercises("02_bn_equations", ["batchnorm_forward"], start=course / "06_experiments")


def test_a_missing_notebook_says_where_it_looked(course):
    with pytest.raises(ExerciseNotReady, match="cannot find notebook 02_bn_equations"):
        load_exercises("02_bn_equations", start=course / "06_experiments")


def test_a_corrupt_notebook_is_reported(course):
    path = course / "02_bn_equations" / "02_bn_equations.ipynb"
    path.parent.mkdir()
    path.write_text("{not json")
    with pytest.raises(ExerciseNotReady, match="cannot read"):
        load_exercises("02_bn_equations", start=course / "06_experiments")


def test_unknown_assignment_and_misplaced_exercise_are_value_errors(course):
    with pytest.raises(ValueError, match="unknown assignment"):
        notebook_path("07_nothing", course)
    with pytest.raises(ValueError, match="written in 04_backprop"):
        load_exercises("02_bn_equations", ["batchnorm_backward"], start=course / "06_experiments")


def test_exercise_cells_accept_list_sources():
    nb = {"cells": [{"cell_type": "code", "source": ["a = 1\n", "b = 2\n"],
                     "metadata": {"nbgrader": {"solution": True}}},
                    {"cell_type": "markdown", "source": "x", "metadata": {"nbgrader": {"solution": True}}}]}
    assert exercise_cells(nb) == ["a = 1\nb = 2\n"]


def _student_tree(tmp_path):
    """The released notebooks with each exercise cell replaced by the instructor's."""
    tree = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", tree)
    for path in tree.glob("*/*.ipynb"):
        solution = json.loads((ROOT / "solutions" / path.parent.name / path.name).read_text())
        fill_notebook(path, {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in solution["cells"]
                             if c["metadata"].get("nbgrader", {}).get("solution")})
    return tree


def test_student_bn_functions_load_from_a_finished_student_tree(tmp_path):
    tree = _student_tree(tmp_path)
    fns = student_bn_functions(start=tree / "06_experiments")
    assert all(callable(f) for f in fns)


def test_student_bn_functions_stop_at_an_unfinished_notebook(tmp_path):
    tree = _student_tree(tmp_path)
    shutil.copy(ROOT / "notebooks" / "04_backprop" / "04_backprop.ipynb", tree / "04_backprop")
    with pytest.raises(ExerciseNotReady, match="batchnorm_backward_alt in 04_backprop"):
        student_bn_functions(start=tree / "06_experiments")


# ----------------------------------------------------------------------------- %%needs

def test_a_cell_that_needs_a_ready_function_runs_with_it(course):
    from course_lib.student import needs

    write_notebook(course, "02_bn_equations", [GOOD_FORWARD])
    namespace = {}
    skipped, value = needs("02_bn_equations: batchnorm_forward",
                           "import numpy as np\nx = np.arange(6.0).reshape(3, 2)\n"
                           "y, _ = batchnorm_forward(x, np.ones(2), np.zeros(2))\ny.mean()",
                           namespace, start=course / "05_inference")
    assert skipped is None and abs(value) < 1e-12 and "y" in namespace


def test_a_cell_that_needs_a_function_lends_it_and_gives_the_notebooks_own_back(course):
    """07 may hold its own batchnorm_forward: a cell that needs 02's sees 02's, and the notebook keeps its own."""
    from course_lib.student import needs

    write_notebook(course, "02_bn_equations", [GOOD_FORWARD])

    def own_forward(x, gamma, beta, eps=1e-5):
        return "the notebook's own", None

    namespace = {"batchnorm_forward": own_forward}
    skipped, value = needs("02_bn_equations: batchnorm_forward",
                           "import numpy as np\nwhose = batchnorm_forward(np.eye(2), np.ones(2), np.zeros(2))[0]\n"
                           "whose", namespace, start=course / "07_beyond_dense")
    assert skipped is None and isinstance(value, np.ndarray)   # the cell ran with 02's
    assert namespace["batchnorm_forward"] is own_forward and isinstance(namespace["whose"], np.ndarray)
    fresh = {}
    needs("02_bn_equations: batchnorm_forward", "pass", fresh, start=course / "07_beyond_dense")
    assert callable(fresh["batchnorm_forward"])   # a name the notebook did not have stays for later cells


def test_a_cell_that_needs_a_broken_function_is_skipped_with_what_to_fix(course):
    from course_lib.student import needs

    write_notebook(course, "02_bn_equations", [BUGGY_FORWARD])
    namespace = {}
    skipped, value = needs("02_bn_equations: batchnorm_forward", "ran = True", namespace,
                           start=course / "05_inference")
    assert "ran" not in namespace and value is None
    assert "needs batchnorm_forward from 02_bn_equations" in skipped
    assert "fix batchnorm_forward until check_batchnorm_forward passes" in skipped


def test_a_cell_ending_in_a_semicolon_shows_no_value(course):
    from course_lib.student import needs

    write_notebook(course, "02_bn_equations", [GOOD_FORWARD])
    assert needs("02_bn_equations: batchnorm_forward", "1 + 1;", {}, start=course / "05_inference") == (None, None)


@pytest.mark.parametrize("line, words", [
    ("", "takes the notebook and the functions"),
    ("02_bn_equations", "takes the notebook and the functions"),
    ("02_bn_equation: batchnorm_forward", "unknown notebook '02_bn_equation'"),
    ("02_bn_equations: batchnorm_backward", "has no exercise 'batchnorm_backward'"),
])
def test_a_wrong_needs_line_says_what_is_wrong(line, words):
    from course_lib.student import parse_needs

    with pytest.raises(ValueError, match=words):
        parse_needs(line)


def test_the_needs_magic_runs_in_a_kernel_and_skips_without_an_error(course):
    from test_notebook_runs import execute_nb

    write_notebook(course, "02_bn_equations", [BUGGY_FORWARD])
    (course / "05_inference").mkdir()
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%load_ext course_lib.student"),
        nbformat.v4.new_code_cell("%%needs 02_bn_equations: batchnorm_forward\nprint('ran')"),
        nbformat.v4.new_code_cell("print('next cell')"),
    ])
    executed = execute_nb(nb, course / "05_inference")
    text = ["".join(o.get("text", "") for o in c.outputs) for c in executed.cells]
    assert "Skipped: this cell needs batchnorm_forward" in text[1] and "ran" not in text[1]
    assert text[2] == "next cell\n"


def test_a_notebook_unchanged_since_it_was_checked_is_not_checked_again(course, monkeypatch):
    import course_lib.student as student

    write_notebook(course, "02_bn_equations", [GOOD_FORWARD])
    load_exercises("02_bn_equations", ["batchnorm_forward"], start=course / "06_experiments")
    monkeypatch.setattr(student, "_check", lambda *a: pytest.fail("checked again"))
    load_exercises("02_bn_equations", ["batchnorm_forward"], start=course / "06_experiments")
    write_notebook(course, "02_bn_equations", [BUGGY_FORWARD])
    with pytest.raises(pytest.fail.Exception, match="checked again"):
        load_exercises("02_bn_equations", ["batchnorm_forward"], start=course / "06_experiments")


def test_a_cell_that_needs_the_whole_batch_norm_names_the_first_function_to_fix(course):
    from course_lib.student import needs

    write_notebook(course, "02_bn_equations", [BUGGY_FORWARD])
    skipped, _ = needs("bn", "ran = True", {}, start=course / "06_experiments")
    assert skipped.startswith("Skipped: this cell needs your batch norm.")
    assert "fix batchnorm_forward until check_batchnorm_forward passes" in skipped
