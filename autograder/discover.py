"""Find the submissions: a folder laid out like nbgrader's ``submitted/``, or one notebook.

``SUBMITTED/<student>/<assignment>/<notebook>.ipynb``. The notebook is
``<assignment>.ipynb``; when that name is absent, the single ``.ipynb`` in the
folder. When the folder holds none or several, the submission's path is the
folder itself and validation explains what is wrong.

One notebook file is also accepted. Its assignment is, in this order: the one
``--assignment`` given, its folder's name, its file name, or else the
assignment whose exercise grade_ids the notebook holds. Its student is the name
of the folder above an assignment folder (``submitted/alice/02_bn_equations/x.ipynb``
-> alice), else "student".
"""

import json
from pathlib import Path

from course_lib.exercises import ASSIGNMENTS, exercises_of

from .records import Submission

__all__ = ["discover", "notebook_in", "DiscoveryError"]


class DiscoveryError(ValueError):
    """SUBMITTED cannot be read as submissions (a usage error, not a student's)."""


def discover(submitted, assignments=None):
    """The submissions under ``submitted``, sorted by student, then in course order.

    assignments: restrict to these ids; a student without that assignment's
    folder then gets a Submission whose notebook is missing. Without it, every
    assignment folder found is taken and other folders are ignored.
    """
    root = Path(submitted)
    if not root.exists():
        raise DiscoveryError(f"{root} does not exist")
    if assignments is not None:
        unknown = [a for a in assignments if a not in ASSIGNMENTS]
        if unknown:
            raise DiscoveryError(f"unknown assignment {unknown[0]!r}; the assignments are {list(ASSIGNMENTS)}")
        assignments = [a for a in ASSIGNMENTS if a in assignments]
    if root.is_file():
        return [_single_notebook(root, assignments)]
    if _is_student_folder(root):   # SUBMITTED/<student> given instead of SUBMITTED
        students = [root]
    else:
        students = sorted((d for d in root.iterdir() if _visible_dir(d)), key=lambda d: d.name)
    found = []
    for student in students:
        wanted = assignments or [a for a in ASSIGNMENTS if (student / a).is_dir()]
        for assignment in wanted:
            found.append(Submission(student.name, assignment, notebook_in(student / assignment, assignment)))
    return found


def notebook_in(folder, assignment):
    """The notebook to grade in ``folder``: ``<assignment>.ipynb``, else the only one, else the folder."""
    folder = Path(folder)
    named = folder / f"{assignment}.ipynb"
    if named.is_file() or not folder.is_dir():
        return named
    notebooks = notebooks_in(folder)
    return notebooks[0] if len(notebooks) == 1 else folder


def notebooks_in(folder):
    # "._x.ipynb" files are macOS metadata, not notebooks; checkpoints live in a subfolder
    return sorted(p for p in Path(folder).glob("*.ipynb") if p.is_file() and not p.name.startswith("."))


def _visible_dir(path):
    return path.is_dir() and not path.name.startswith(".")


def _is_student_folder(root):
    children = [d for d in root.iterdir() if _visible_dir(d)]
    return any(d.name in ASSIGNMENTS for d in children) and not any(
        (d / a).is_dir() for d in children for a in ASSIGNMENTS)


def _single_notebook(path, assignments):
    if path.suffix != ".ipynb":
        raise DiscoveryError(f"{path} is not a notebook (.ipynb) nor a folder of submissions")
    folder = path.parent
    if assignments:
        if len(assignments) > 1:
            raise DiscoveryError(f"{path} is one notebook: give at most one --assignment")
        assignment = assignments[0]
    elif folder.name in ASSIGNMENTS:
        assignment = folder.name
    elif path.stem in ASSIGNMENTS:
        assignment = path.stem
    else:
        assignment = _assignment_from_grade_ids(path)
    student = folder.parent.name if folder.name in ASSIGNMENTS and folder.parent.name else "student"
    return Submission(student, assignment, path)


def _assignment_from_grade_ids(path):
    """The assignment with the most exercise grade_ids in the notebook."""
    try:
        nb = json.loads(path.read_bytes().decode("utf-8-sig"))
        ids = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.get("cells", [])}
    except (OSError, ValueError, AttributeError, TypeError):
        ids = set()
    counts = {a: sum(e.name in ids for e in exercises_of(a)) for a in ASSIGNMENTS}
    best = max(counts, key=counts.get)
    if counts[best] == 0:
        raise DiscoveryError(
            f"cannot tell which assignment {path} is: name its folder or the file after the assignment, "
            f"or give --assignment (one of {list(ASSIGNMENTS)})")
    return best
