"""autograder/stages/extract.py: the exercise cells of a notebook, found whatever the student did to them.

Reordered cells, lost metadata, a deleted, duplicated or renamed function,
IPython magics, the notebook of another assignment; and the exercise table
agrees with the solutions' cells.
"""

import copy
from pathlib import Path

import pytest

from autograder.records import Submission, Validated
from autograder.stages.extract import exercise_ids, extract
from course_lib.exercises import ASSIGNMENTS
from grading_helpers import A01, A02, A03, solution_nb


def extracted_from(nb, assignment=A02):
    return extract(Validated(Submission("s", assignment, Path("x.ipynb")), nb=nb))


def exercise_cell(nb, grade_id):
    return next(c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_extract_takes_exactly_the_exercise_cells(assignment):
    nb = solution_nb(assignment)
    ex = extracted_from(nb, assignment)
    assert ex.error is None and ex.problems == ()
    assert sorted(ex.cells) == sorted(exercise_ids(assignment))
    for grade_id, source in ex.cells.items():
        assert source == "".join(exercise_cell(nb, grade_id)["source"])
        assert ex.programs[grade_id][-1] == (f"<cell {grade_id}>", source)   # the cell runs last


def test_extract_is_robust_to_reordered_cells():
    nb = solution_nb(A03)
    shuffled = copy.deepcopy(nb)
    shuffled["cells"].reverse()
    assert extracted_from(shuffled, A03).cells == extracted_from(nb, A03).cells


def test_extract_falls_back_to_the_cell_defining_the_function_when_metadata_is_lost():
    nb = solution_nb(A02)
    del exercise_cell(nb, "batchnorm_forward")["metadata"]["nbgrader"]
    by_hand = solution_nb(A03)
    del exercise_cell(by_hand, "by_hand_var")["metadata"]["nbgrader"]
    ex, ex03 = extracted_from(nb), extracted_from(by_hand, A03)
    assert "def batchnorm_forward(" in ex.cells["batchnorm_forward"]
    assert "var_by_hand =" in ex03.cells["by_hand_var"]
    [problem] = ex.problems
    assert problem.startswith("batchnorm_forward:") and "lost its nbgrader metadata" in problem
    assert ex03.problems[0].startswith("by_hand_var:")


def test_extract_notes_a_deleted_cell_and_grades_the_rest():
    nb = solution_nb(A02)
    nb["cells"].remove(exercise_cell(nb, "bn_param_count"))
    ex = extracted_from(nb)
    assert set(ex.cells) == {"batchnorm_forward"} and ex.error is None
    assert "no function bn_param_count found" in ex.problems[0]


def test_extract_takes_the_last_of_duplicated_cells():
    nb = solution_nb(A02)
    cell = exercise_cell(nb, "bn_param_count")
    second = copy.deepcopy(cell)
    second["source"] = ["def bn_param_count(units):\n", "    return (4 * units, 2 * units, 2 * units)\n"]
    nb["cells"].append(second)
    ex = extracted_from(nb)
    assert ex.cells["bn_param_count"] == "".join(second["source"])
    assert any(p.startswith("bn_param_count:") and "2 cells" in p for p in ex.problems)


def test_extract_leaves_a_renamed_function_to_the_suite():
    nb = solution_nb(A02)
    cell = exercise_cell(nb, "bn_param_count")
    cell["source"] = "".join(cell["source"]).replace("def bn_param_count(", "def count_params(")
    ex = extracted_from(nb)
    assert "def count_params(" in ex.cells["bn_param_count"]
    [problem] = ex.problems
    assert "no function bn_param_count found" in problem and "count_params" in problem
    assert "keep the name the notebook gives" in problem


def test_extract_ignores_ipython_magics_only_when_they_break_the_cell():
    nb = solution_nb(A02)
    cell = exercise_cell(nb, "bn_param_count")
    cell["source"] = "%load_ext autoreload\n" + "".join(cell["source"])
    ex = extracted_from(nb)
    assert ex.cells["bn_param_count"].startswith("# (ignored by the grader) %load_ext")
    assert "IPython syntax" in ex.problems[0]


def test_extract_errors_on_a_notebook_of_another_assignment():
    ex = extracted_from(solution_nb(A01), A02)
    assert ex.cells == {} and "Is it the right notebook?" in ex.error


def test_every_exercise_cell_of_the_solutions_is_a_row_of_the_table():
    """The solution cells that define something are exactly the table's grade_ids, assignment by assignment."""
    for a in ASSIGNMENTS:
        nb = solution_nb(a)
        ids = [c["metadata"]["nbgrader"]["grade_id"] for c in nb["cells"]
               if c["cell_type"] == "code" and c.get("metadata", {}).get("nbgrader", {}).get("solution")]
        assert sorted(ids) == sorted(exercise_ids(a)), a
