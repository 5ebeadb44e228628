"""A released notebook's own exercises run and check whatever state the earlier notebooks are in.

05_inference uses the student's batchnorm_forward from 02_bn_equations. A student whose 02 still
has a bug must be able to do and check 05's own exercises: the cells that need 02 say what to fix
and are skipped, and nothing fails. Its bridge to Keras and PyTorch runs where they are installed,
and elsewhere says how to install them.
"""

import shutil

import nbformat
import pytest

from examples.cells import BUGGY, CORRECT
from independent import fill_notebook
from test_notebook_runs import ROOT, errors, execute, text_of

OWN_EXERCISES = ("update_running_stats", "batchnorm_inference")
NEEDS_02 = "%%needs 02_bn_equations: batchnorm_forward"
# Run first in the kernel: importing torch or keras then fails as where they are not installed. (A
# sys.modules entry set to None would also stop the import, but scipy reads sys.modules["torch"].)
BLOCK_FRAMEWORKS = """
import sys


class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("torch", "keras"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


assert not {"torch", "keras"} & set(sys.modules)
sys.meta_path.insert(0, NotInstalled())
"""


def released_05(tmp_path, batchnorm_forward, first_cell=None):
    """The released 02 and 05 side by side, 02 with batchnorm_forward as given, 05 with its exercises done."""
    tree = tmp_path / "notebooks"
    for assignment in ("02_bn_equations", "05_inference"):
        shutil.copytree(ROOT / "notebooks" / assignment, tree / assignment)
    fill_notebook(tree / "02_bn_equations" / "02_bn_equations.ipynb", {"batchnorm_forward": batchnorm_forward})
    path = tree / "05_inference" / "05_inference.ipynb"
    fill_notebook(path, {name: CORRECT[name] for name in OWN_EXERCISES})
    if first_cell:
        nb = nbformat.read(path, as_version=4)
        nb.cells.insert(0, nbformat.v4.new_code_cell(first_cell))
        nbformat.write(nb, path)
    return path


def check_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("check_")]


def assert_runs_and_checks(nb):
    failures = [(i, o.ename, o.evalue[:300]) for i, o in errors(nb)]
    assert not failures, f"05 fails: {failures}"
    checks = check_cells(nb)
    assert len(checks) == len(OWN_EXERCISES)
    assert all("Well done!" in text_of(c) for c in checks), [text_of(c) for c in checks]


def test_a_bug_in_02_leaves_05s_exercises_and_checks_running(tmp_path):
    buggy = BUGGY["batchnorm_forward"]
    assert buggy != CORRECT["batchnorm_forward"] and "(n - 1)" in buggy   # the variance divides by N - 1
    nb = execute(released_05(tmp_path, buggy), allow_errors=True)
    assert_runs_and_checks(nb)
    needing = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(NEEDS_02)]
    assert len(needing) >= 5
    for cell in needing:
        said = text_of(cell)
        assert said.startswith("Skipped") and "fix batchnorm_forward" in said and "02_bn_equations" in said, said
        assert not any(o.output_type == "display_data" for o in cell.outputs)


def test_with_pytorch_and_keras_a_correct_bn_gives_their_numbers(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    nb = execute(released_05(tmp_path, CORRECT["batchnorm_forward"]), allow_errors=True)
    assert_runs_and_checks(nb)
    said = "".join(text_of(c) for c in nb.cells if c.cell_type == "code")
    assert "Skipped" not in said
    assert "each framework gives your numbers within 1e-5: True" in said


def test_without_pytorch_and_keras_the_bridge_says_how_to_install_them(tmp_path):
    nb = execute(released_05(tmp_path, CORRECT["batchnorm_forward"], BLOCK_FRAMEWORKS), allow_errors=True)
    assert_runs_and_checks(nb)
    said = "".join(text_of(c) for c in nb.cells if c.cell_type == "code")
    assert "pip install torch keras" in said
    assert "Skipped: PyTorch and Keras are not installed" in said
    assert "gives your numbers" not in said
