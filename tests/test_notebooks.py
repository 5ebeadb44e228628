"""The six notebooks: structure, release, and what a student receives.

Running them is in test_notebook_runs.py; here everything is static or a
release into a temporary folder.
"""

import ast
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from course_lib.checks._data import arrays, data
from course_lib.exercises import ASSIGNMENTS, EXERCISES, FUNCTION, VALUE, exercises_of
from course_lib.student import exercise_cells

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS, RELEASED = ROOT / "solutions", ROOT / "notebooks"

# Modules and names that hold a reference implementation of an exercise.
REFERENCE_MODULES = {"course_lib." + e.reference.split(":")[0] for e in EXERCISES}
REFERENCE_NAMES = {e.name for e in EXERCISES} | {"REFERENCE_BN", "bn", "rs"}


def load(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def source(cell):
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def nbmeta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def solution_nb(a):
    return load(SOLUTIONS / a / f"{a}.ipynb")


def released_nb(a):
    return load(RELEASED / a / f"{a}.ipynb")


@pytest.fixture(scope="module")
def fresh_release(tmp_path_factory):
    into = tmp_path_factory.mktemp("release")
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "release.py"), "--into", str(into)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    return into


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_assignment_folder_holds_only_its_notebook(assignment):
    # nbgrader releases every other file in the folder to students
    for tree in (SOLUTIONS, RELEASED):
        files = sorted(p.name for p in (tree / assignment).iterdir())
        assert files == [f"{assignment}.ipynb"], f"{tree.name}/{assignment} holds {files}"


@pytest.mark.parametrize("tree", ["solutions", "notebooks"])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebooks_are_stored_without_outputs(tree, assignment):
    nb = load(ROOT / tree / assignment / f"{assignment}.ipynb")
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None, f"cell {i} has outputs"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_has_not_drifted(assignment, fresh_release):
    fresh = load(fresh_release / assignment / f"{assignment}.ipynb")
    assert fresh == released_nb(assignment), (
        f"notebooks/{assignment} differs from a fresh release of solutions/{assignment}: "
        "run `make release` and commit the result")


def _solution_lines(nb):
    """Every non-trivial line inside a solution region, and every model answer's lines."""
    lines = set()
    for cell in nb["cells"]:
        text, meta = source(cell), nbmeta(cell)
        if cell["cell_type"] == "markdown" and meta.get("solution"):
            lines |= {ln.strip() for ln in text.splitlines() if len(ln.strip()) > 12}
        inside = False
        for ln in text.splitlines():
            if "### BEGIN SOLUTION" in ln:
                inside = True
            elif "### END SOLUTION" in ln:
                inside = False
            elif inside and len(ln.strip()) > 12 and not ln.strip().startswith("#"):
                lines.add(ln.strip())
    return lines


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_contains_no_solution(assignment):
    text = "\n".join(source(c) for c in released_nb(assignment)["cells"])
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "MARK SCHEME"):
        assert marker not in text
    leaked = [ln for ln in _solution_lines(solution_nb(assignment)) if ln in text]
    assert not leaked, f"solution lines left in the release: {leaked[:5]}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebooks_hold_no_hidden_tests(assignment):
    for cell in solution_nb(assignment)["cells"]:
        assert "HIDDEN TESTS" not in source(cell), "hidden suites live in autograder/, never in a notebook"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_written_answers_are_released_blank(assignment):
    solution, released = solution_nb(assignment), released_nb(assignment)
    answers = [c for c in solution["cells"] if c["cell_type"] == "markdown" and nbmeta(c).get("solution")]
    released_ids = {nbmeta(c).get("grade_id"): c for c in released["cells"]}
    for cell in answers:
        meta = nbmeta(cell)
        assert meta.get("grade") and meta.get("points", 0) > 0, f"answer {meta.get('grade_id')} has no points"
        assert source(released_ids[meta["grade_id"]]) == "YOUR ANSWER HERE"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_release_keeps_no_quoted_numbers_metadata(assignment):
    """A model answer's quotes ("text": "a factor of 40") would hand the student its numbers."""
    kept = [i for i, c in enumerate(released_nb(assignment)["cells"])
            if {"quotes", "given"} & set(c.get("metadata", {}))]
    assert not kept, f"cells {kept} of the released notebook keep the quotes or given metadata"


def _imports(code):
    """(module, names) for every import in a cell; IPython magics are skipped."""
    code = "\n".join(ln for ln in code.splitlines() if not ln.lstrip().startswith(("%", "!")))
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom):
            yield node.module or "", {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, set()


@pytest.mark.parametrize("tree", ["solutions", "notebooks"])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebooks_import_no_reference_implementation(tree, assignment):
    nb = load(ROOT / tree / assignment / f"{assignment}.ipynb")
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        for module, names in _imports(source(cell)):
            assert module not in REFERENCE_MODULES, f"imports {module}"
            if module.startswith("course_lib"):
                assert not names & REFERENCE_NAMES, f"imports {names & REFERENCE_NAMES} from {module}"
            if module == "course_lib":
                assert not names & {m.split(".")[-1] for m in REFERENCE_MODULES}


def _cells_by_id(nb):
    return {nbmeta(c)["grade_id"]: (i, c) for i, c in enumerate(nb["cells"]) if nbmeta(c).get("grade_id")}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_exercise_is_followed_by_its_visible_check(assignment):
    nb = solution_nb(assignment)
    cells = _cells_by_id(nb)
    for e in exercises_of(assignment):
        assert e.grade_id in cells, f"no exercise cell with grade_id {e.grade_id!r}"
        i, cell = cells[e.grade_id]
        meta = nbmeta(cell)
        assert meta["solution"] and not meta.get("grade") and not meta.get("locked")
        j, check = cells[f"check_{e.grade_id}"]
        cmeta = nbmeta(check)
        assert cmeta["grade"] and cmeta["locked"] and not cmeta.get("solution") and cmeta["points"] > 0
        assert f"check_{e.name}({e.name})" in source(check)
        between = [c for c in nb["cells"][i + 1:j] if c["cell_type"] == "code"]
        assert not between, f"code between {e.name} and its check"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_regions_sit_only_in_solution_cells(assignment):
    for cell in solution_nb(assignment)["cells"]:
        if "BEGIN SOLUTION" in source(cell):
            assert nbmeta(cell).get("solution"), f"solution region outside a solution cell: {source(cell)[:80]}"


def _contract_params(signature):
    inside = signature.split("(", 1)[1].split(")", 1)[0]
    return [p.split("=")[0].strip() for p in inside.split(",") if p.strip()]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercise_cells_define_the_contract(assignment):
    namespace = {}
    for code in exercise_cells(solution_nb(assignment)):
        exec(compile(code, assignment, "exec"), namespace)
    for e in exercises_of(assignment):
        if e.kind == VALUE:   # a value: the solution assigns it, with the shape its signature states
            assert np.shape(namespace[e.name]) == ast.literal_eval(e.signature.rsplit("shape ", 1)[1]), e.name
            continue
        fn = namespace[e.name]
        params = list(inspect.signature(fn).parameters)
        assert params == _contract_params(e.signature), f"{e.name}{inspect.signature(fn)} != {e.signature}"


def _valid_args(name):
    """Arguments that the exercise accepts, from the check data."""
    if name in ("batchnorm_forward",):
        d = arrays(data(name))
        return d["x"], d["gamma"], d["beta"]
    if name == "standardize":
        return (arrays(data(name))["X"],)
    if name == "bn_param_count":
        return (3,)
    if name == "dense_forward":
        d = arrays(data(name))
        return d["X"], d["W"], d["b"]
    if name == "hidden_layer_forward":
        d = arrays(data(name))["notes"]
        return d["X"], d["W"], d["b"], d["gamma"], d["beta"], "before"
    if name.startswith("batchnorm_backward"):
        from course_lib.bncache import BNCache
        main = arrays(data("batchnorm_backward"))["cases"]["main"]
        return main["dout"], BNCache(**main["cache"])
    if name == "update_running_stats":
        d = arrays(data(name))
        return d["running_mean"], d["running_var"], d["batch_mean"], d["batch_var"]
    if name == "batchnorm_inference":
        d = arrays(data(name))
        return d["x"], d["gamma"], d["beta"], d["running_mean"], d["running_var"]
    if name == "epochs_to_reach":
        return [0.5, 0.7], 0.6
    if name in ("spatial_batchnorm_forward", "layernorm_forward"):
        d = arrays(data(name))
        return d["x"], d["gamma"], d["beta"]
    if name == "spatial_batchnorm_backward":
        from course_lib.bncache import BNCache
        main = arrays(data(name))["main"]
        return main["dout"], BNCache(**main["cache"])
    if name == "layernorm_backward":
        from course_lib.bncache import LNCache
        main = arrays(data(name))["main"]
        return main["dout"], LNCache(**main["cache"])
    if name == "groupnorm_forward":
        return np.ones((2, 4, 3, 3)), np.ones(4), np.zeros(4), 2
    if name == "fold_batchnorm":
        d = arrays(data(name))["trained"]
        return d["W"], d["b"], d["gamma"], d["beta"], d["running_mean"], d["running_var"]
    raise KeyError(name)


@pytest.mark.parametrize("exercise", [e.name for e in EXERCISES if e.kind == FUNCTION])
def test_released_stub_raises_not_implemented(exercise):
    e = next(x for x in EXERCISES if x.name == exercise)
    namespace = {}
    for code in exercise_cells(released_nb(e.assignment)):
        try:
            exec(compile(code, e.assignment, "exec"), namespace)
        except NotImplementedError:
            pass   # a top-level stub (the hand-worked numbers)
    with pytest.raises(NotImplementedError):
        namespace[exercise](*_valid_args(exercise))


@pytest.mark.parametrize("e", [e for e in EXERCISES if e.kind == VALUE], ids=lambda e: e.name)
def test_hand_worked_cells_are_released_as_stubs(e):
    cells = _cells_by_id(released_nb(e.assignment))
    _, cell = cells[e.grade_id]
    with pytest.raises(NotImplementedError):
        exec(compile(source(cell), e.grade_id, "exec"), {"np": np})
    _, check = cells[f"check_{e.grade_id}"]
    assert source(check).strip() == f"check_{e.name}({e.name})"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebook_opens_with_learning_objectives_and_has_a_figure(assignment):
    nb = solution_nb(assignment)
    first = "\n".join(source(c) for c in nb["cells"][:3] if c["cell_type"] == "markdown")
    assert "Learning objectives" in first
    code = "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "code")
    assert re.search(r"plt\.|plot_|\.subplots\(|\.figure\(", code), "no figure"
