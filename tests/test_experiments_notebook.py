"""The released 06 beside a broken 02: the student's own exercise and its check still run.

Notebook 06 trains its models on the student's batch norm from 02, 04 and 05.
A bug there must not stop 06 at its first cell: the cells that need the batch
norm start with ``%%needs bn`` and are skipped, saying what to fix.
"""

import shutil
from pathlib import Path

import pytest

from independent import CELLS, fill_notebook
from test_notebook_runs import errors, execute, text_of

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "06_experiments"
N_MINUS_ONE = CELLS["batchnorm_forward"].replace("/ n\n    inv_std", "/ (n - 1)\n    inv_std")


@pytest.fixture(scope="module")
def run_beside_broken_02(tmp_path_factory):
    """The released course with every exercise answered, 02's batchnorm_forward with the N - 1 bug; 06 executed."""
    assert N_MINUS_ONE != CELLS["batchnorm_forward"]
    tree = tmp_path_factory.mktemp("broken_02") / "notebooks"
    shutil.copytree(ROOT / "notebooks", tree)
    for path in tree.glob("*/*.ipynb"):
        fill_notebook(path, {**CELLS, "batchnorm_forward": N_MINUS_ONE})
    return execute(tree / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", allow_errors=True)


def test_released_06_runs_without_error_beside_a_broken_02(run_beside_broken_02):
    failures = [(i, o.ename, o.evalue[:300]) for i, o in errors(run_beside_broken_02)]
    assert not failures, f"06 fails when 02 is broken: {failures}"


def test_the_exercise_of_06_is_checked_beside_a_broken_02(run_beside_broken_02):
    check = next(c for c in run_beside_broken_02.cells
                 if c.metadata.get("nbgrader", {}).get("grade_id") == "check_epochs_to_reach")
    assert "Well done!" in text_of(check)


def test_the_cells_that_need_bn_are_skipped_and_name_what_to_fix(run_beside_broken_02):
    needing = [c for c in run_beside_broken_02.cells if c.cell_type == "code" and c.source.startswith("%%needs bn")]
    assert len(needing) >= 10
    for cell in needing:
        text = text_of(cell)
        assert text.startswith("Skipped:"), f"a %%needs cell ran, or said nothing: {cell.source[:80]!r}"
        assert "batchnorm_forward" in text and "02_bn_equations" in text and "check_batchnorm_forward" in text
    # Cells that do not need the batch norm still run: the housing data, the diverging plain network.
    ran = [text_of(c) for c in run_beside_broken_02.cells if c.cell_type == "code" and "%%needs" not in c.source]
    assert any("districts" in t for t in ran) and any("without BN, raw X:" in t for t in ran)
