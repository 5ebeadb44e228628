"""docs/adding-an-exercise.md, done: a toy exercise registered from a fixture, graded end to end.

A copy of the project gets exactly what the guide lists, and nothing else:
the table row, the reference, the visible check, the hidden-suite file and
the mistake entry. The copy's grader then grades a notebook holding the new
exercise (full marks when right; the mistake's hint, and points lost on that
exercise alone, when wrong), and its self-check checks it.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
A01 = "01_covariate_shift"

ROW = '''    _function("center", "01_covariate_shift", "center(X) -> X_centered", "centering:center", 1.0,
              ("row_means",)),
'''
REFERENCE = '''"""Reference of the toy exercise center."""

import numpy as np

__all__ = ["center"]


def center(X):
    """X minus the mean of each column. X: (N, D) -> (N, D)."""
    X = np.asarray(X, dtype=float)
    return X - X.mean(axis=0)
'''
MISTAKE = '''    Mistake("center", "row_means", "subtract the mean of each column (axis=0), not of each row",
            "import numpy as np\\n\\n\\ndef center(X):\\n    X = np.asarray(X, dtype=float)\\n"
            "    return X - X.mean(axis=1, keepdims=True)\\n",
            "test_center_subtracts_the_column_means"),
'''
CHECK = '''"""Visible check of the toy exercise center."""

import numpy as np

from ..compare import expect_close, expect_shape
from ._data import hint
from ._report import Case, run_check

__all__ = ["check_center"]

X = np.array([[1.0, 2.0, 9.0], [3.0, 6.0, 1.0]])
X_CENTERED = np.array([[-1.0, -2.0, 4.0], [1.0, 2.0, -4.0]])
ROW_MEANS = np.array([[-3.0, -2.0, 5.0], [-0.3333333333333335, 2.6666666666666665, -2.3333333333333335]])


def check_center(center, verbose=True):
    """Check ``center(X) -> X_centered``; print a report, raise CheckFailed if wrong."""

    def shape(fn):
        expect_shape(fn(X.copy()), X.shape, "X_centered")

    def values(fn):
        expect_close(fn(X.copy()), X_CENTERED, "X_centered", bugs=[(hint("center", "row_means"), ROW_MEANS)])

    return run_check("center", center, [Case("has the shape of X", shape),
                                         Case("subtracts the column means", values)], verbose)
'''
SUITE = '''"""Hidden tests of the toy exercise center(X) -> X_centered, 1 point."""

import pytest

from autograder.suites import mistakes
from course_lib.centering import center as reference
from course_lib.compare import expect_close, expect_shape


@pytest.mark.points(0.5)
def test_center_keeps_the_shape(student, rng):
    """X_centered has the shape of X"""
    X = rng.standard_normal((7, 3))
    expect_shape(student.call("center", X), X.shape, "X_centered")


@pytest.mark.points(0.5)
def test_center_subtracts_the_column_means(student, rng):
    """X_centered is X minus the mean of each column"""
    X = rng.standard_normal((7, 3)) + 5.0
    known = mistakes.outputs("center", ("row_means",), X)
    expect_close(student.call("center", X), reference(X), "X_centered", bugs=mistakes.pick(known))
'''
RIGHT = "import numpy as np\n\ndef center(X):\n    X = np.asarray(X, dtype=float)\n    return X - X.mean(axis=0)\n"


def _add(path, text, after=None):
    source = path.read_text(encoding="utf-8")
    if after is None:
        path.write_text(source + text, encoding="utf-8")
    else:
        assert after in source, f"{path} has no {after!r}"
        path.write_text(source.replace(after, after + text, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the project with the toy exercise added, as docs/adding-an-exercise.md says."""
    root = tmp_path_factory.mktemp("project")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("course_lib", "autograder", "solutions", "tests"):
        shutil.copytree(REPO / folder, root / folder, ignore=ignore)
    lib = root / "course_lib"
    # 1. the table row
    _add(lib / "exercises.py", ROW, after='("ddof1", "std_positive")),\n')
    # 2. the reference
    (lib / "centering.py").write_text(REFERENCE, encoding="utf-8")
    # 3. the mistake entry, then the check data rebuilt from the catalogue (its hints)
    _add(lib / "mistakes.py", MISTAKE, after="MISTAKES = (\n")
    done = in_copy(root, "tests/build_check_data.py")
    assert done.returncode == 0, done.stderr
    # 4. the visible check
    (lib / "checks" / "centering.py").write_text(CHECK, encoding="utf-8")
    _add(lib / "checks" / "__init__.py", "from .centering import check_center  # noqa: E402,F401\n")
    # 5. the hidden suite
    (root / "autograder" / "suites" / A01 / "test_center.py").write_text(SUITE, encoding="utf-8")
    return root


def notebook(root, student, source):
    """The solution of notebook 01 with a cell for center holding ``source``."""
    nb = json.loads((REPO / "solutions" / A01 / f"{A01}.ipynb").read_text(encoding="utf-8"))
    nb["cells"].append({"cell_type": "code", "execution_count": None, "outputs": [], "source": source,
                        "metadata": {"nbgrader": {"grade_id": "center", "solution": True, "grade": False,
                                                  "locked": False, "schema_version": 3}}})
    path = root / "submitted" / student / A01 / f"{A01}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def in_copy(root, *args):
    env = {**os.environ, "PYTHONPATH": str(root), "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, *args], cwd=root, env=env, capture_output=True, text=True, timeout=600)


def test_a_toy_exercise_added_as_the_guide_says_is_graded_end_to_end(project):
    notebook(project, "right", RIGHT)
    wrong = notebook(project, "wrong", RIGHT.replace("X.mean(axis=0)", "X.mean(axis=1, keepdims=True)"))
    done = in_copy(project, "-m", "autograder", "grade", "submitted", "--out", "out", "--quiet")
    assert done.returncode == 0, done.stderr
    right = json.loads((project / "out" / "right" / A01 / "results.json").read_text())
    wrong_doc = json.loads((project / "out" / "wrong" / A01 / "results.json").read_text())
    center = [t for t in right["tests"] if t["extra_data"]["exercise"] == "center"]
    assert len(center) == 2 and all(t["score"] == t["max_score"] for t in center)
    assert right["score"] == right["extra_data"]["max_score"] == 5.0   # standardize's 4 points and center's 1
    lost = {t["extra_data"]["exercise"] for t in wrong_doc["tests"] if t["score"] < t["max_score"]}
    assert lost == {"center"}
    [named] = [t for t in wrong_doc["tests"] if t["name"].startswith("center: X_centered is X minus")]
    assert named["score"] == 0 and "subtract the mean of each column (axis=0), not of each row" in named["output"]

    check = in_copy(project, "-m", "course_lib.selfcheck", str(wrong))
    assert check.returncode == 1 and "center:" in check.stdout, check.stdout + check.stderr
    assert "subtract the mean of each column (axis=0), not of each row" in check.stdout
