"""The example class written out: <into>/<student>/<assignment>/<assignment>.ipynb.

Each student's notebooks are the released ones (notebooks/) with their
exercise cells filled from ``cells``, so the class is built fresh from what
is released instead of being stored twice.
"""

import copy
import json
import shutil
from pathlib import Path

from course_lib.exercises import ASSIGNMENTS

from .cells import STUDENTS

__all__ = ["SUBMITTED", "fill", "filled_text", "student_notebook", "build", "write"]

ROOT = Path(__file__).resolve().parents[1]
SUBMITTED = ROOT / "build" / "examples" / "submitted"


def fill(nb, cells):
    """A copy of the notebook dict ``nb`` whose cells with a grade_id in ``cells`` hold ``cells[grade_id]``."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in cells:
            cell["source"] = cells[grade_id]
    return nb


def filled_text(nb, cells):
    """``fill(nb, cells)`` as the text of a notebook file."""
    return json.dumps(fill(nb, cells), indent=1, ensure_ascii=False) + "\n"


def student_notebook(assignment, cells):
    """The released notebook of ``assignment`` with ``cells`` (grade_id -> source) filled in, as text."""
    nb = json.loads((ROOT / "notebooks" / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8"))
    return filled_text(nb, cells)


def build():
    """{relative path: text} of the whole example class."""
    return {f"{student}/{a}/{a}.ipynb": student_notebook(a, cells)
            for student, cells in STUDENTS.items() for a in ASSIGNMENTS}


def write(into=SUBMITTED):
    """Write the class under ``into`` (emptied first); returns (into, number of notebooks)."""
    into = Path(into)
    if into.exists():
        shutil.rmtree(into)
    files = build()
    for rel, text in files.items():
        path = into / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return into, len(files)
