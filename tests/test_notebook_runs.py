"""Running the notebooks in fresh kernels, as an instructor and as a student."""

from contextlib import contextmanager
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course_lib.exercises import ASSIGNMENTS
import quotes
from independent import CELLS, fill_notebook

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 600   # per cell; the whole course runs in well under this (bench/notebooks.py)


def execute(path, allow_errors=False):
    """Run a notebook top to bottom in a fresh kernel, in its own folder; returns the executed notebook."""
    with inline_figures():
        return execute_nb(nbformat.read(path, as_version=4), Path(path).parent, allow_errors)


def execute_nb(nb, folder, allow_errors=False):
    """Run the notebook nb in a fresh kernel with folder as its working directory; returns nb, executed."""
    NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3", allow_errors=allow_errors,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb


@contextmanager
def inline_figures():
    """Kernels draw inline, as in JupyterLab: the Agg backend the test run uses is not passed on."""
    saved = os.environ.pop("MPLBACKEND", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["MPLBACKEND"] = saved


def errors(nb):
    return [(i, o) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for o in c.get("outputs", []) if o.output_type == "error"]


def text_of(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def solution_run(request):
    """(source notebook, executed copy) of a solution notebook, run once for all the tests below.

    The kernel inherits MPLBACKEND=Agg from the test run, a backend that shows nothing by itself, so
    the figures the tests find are the ones the notebook shows under any backend. The copy carries
    the cells that compute the values its prose quotes (tests/quotes.py).
    """
    path = ROOT / "solutions" / request.param / f"{request.param}.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert os.environ.get("MPLBACKEND") == "Agg"
    return nb, execute_nb(quotes.instrument(nb), path.parent)


def test_solution_notebook_runs_top_to_bottom_quietly(solution_run):
    _, nb = solution_run
    stderr = [(i, o.text[:200]) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not stderr, f"output on stderr (nbgrader zeroes such cells; students read it as an error): {stderr}"
    passed = [text_of(c) for c in nb.cells if _grade_id(c).startswith("check_")]
    assert passed and all("Well done!" in t for t in passed)


def test_every_number_the_prose_quotes_is_what_the_notebook_computes(solution_run):
    source, executed = solution_run
    problems = quotes.compare(source, executed)
    assert not problems, "\n".join(f"cell {i}: {message}" for i, message in problems)


FIGURE_CALLS = re.compile(r"plt\.subplots\(|plt\.figure\(|\bplot_\w*\(")


def test_every_figure_shows_whatever_the_backend(solution_run):
    _, nb = solution_run
    drawing = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and _draws(c.source)]
    blank = [i for i in drawing if not any("image/png" in o.get("data", {}) for o in nb.cells[i].outputs)]
    assert drawing, "this notebook draws no figure"
    assert not blank, f"cells {blank} draw a figure that does not show (is %matplotlib inline missing?)"


def _draws(source):
    """Whether a cell calls a plotting function outside the functions it defines."""
    top, in_def = [], False
    for line in source.splitlines():
        if line.startswith(("def ", "class ")):
            in_def = True
        elif line and not line[0].isspace():
            in_def = False
        if not in_def:
            top.append(line)
    return any(FIGURE_CALLS.search(line) for line in top)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_number_in_the_prose_is_quoted_or_given(assignment):
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    problems = quotes.lint(nb)
    assert not problems, "\n".join(f"cell {i}: {message}" for i, message in problems)


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


@pytest.fixture(scope="module")
def released_tree(tmp_path_factory):
    tree = tmp_path_factory.mktemp("student") / "notebooks"
    shutil.copytree(ROOT / "notebooks", tree)
    return tree


def test_released_notebook_runs_until_the_first_exercise(released_tree):
    path = released_tree / "02_bn_equations" / "02_bn_equations.ipynb"
    nb = execute(path, allow_errors=True)
    first_exercise = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution"))
    first_error, output = errors(nb)[0]
    assert first_error > first_exercise, "a cell before the first exercise fails in the released notebook"
    assert output.ename == "CheckFailed"
    assert "still raises NotImplementedError" in text_of(nb.cells[first_error])


def test_a_buggy_student_sees_the_hint_in_the_check_cell(released_tree):
    path = released_tree / "02_bn_equations" / "02_bn_equations.ipynb"
    buggy = CELLS["batchnorm_forward"].replace("/ n\n    inv_std", "/ (n - 1)\n    inv_std")
    assert buggy != CELLS["batchnorm_forward"]
    fill_notebook(path, {"batchnorm_forward": buggy})
    executed = execute(path, allow_errors=True)
    check = next(c for c in executed.cells if _grade_id(c) == "check_batchnorm_forward")
    assert "not N - 1" in text_of(check)
    assert any(o.output_type == "error" and o.ename == "CheckFailed" for o in check.outputs)


@pytest.fixture(scope="module")
def independent_tree(tmp_path_factory):
    tree = tmp_path_factory.mktemp("independent") / "notebooks"
    shutil.copytree(ROOT / "notebooks", tree)
    for path in tree.glob("*/*.ipynb"):
        fill_notebook(path, CELLS)
    return tree


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_notebook_runs_with_an_independent_correct_answer(assignment, independent_tree):
    nb = execute(independent_tree / assignment / f"{assignment}.ipynb", allow_errors=True)
    failures = [(i, o.ename, o.evalue[:300]) for i, o in errors(nb)]
    assert not failures, f"{assignment} fails with a correct answer written independently: {failures}"
