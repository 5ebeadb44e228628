"""Find the submissions: a folder laid out like nbgrader's ``submitted/``, its exchange inbox, or one notebook.

``SUBMITTED/<student>/<assignment>/<notebook>.ipynb``. The notebook is
``<assignment>.ipynb``; when that name is absent, the single ``.ipynb`` in the
folder, or of several the one saved last. When the folder holds none, the
submission's path is the folder itself and validation explains what is wrong.
nbgrader's ``timestamp.txt`` beside the notebook is the submission time.

nbgrader's exchange inbox is read too: ``SUBMITTED/<student>+<assignment>+<timestamp>[+<random>]/``.
When a student submitted an assignment several times, the latest counts.

Nothing is ever moved or deleted. What was passed over, and why, is said:
to the student in ``Submission.notes`` (a renamed notebook, extra files, an
earlier submission), to the instructor in ``Discovery.notices`` (a folder that
is no assignment of the course, a student id that cannot be a file name).

One notebook file is also accepted. Its assignment is, in this order: the one
``--assignment`` given, its folder's name, its file name, or else the
assignment whose exercise grade_ids the notebook holds. Its student is the name
of the folder above an assignment folder (``submitted/alice/02_bn_equations/x.ipynb``
-> alice), else "student".
"""

import json
import os
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

from course_lib.exercises import ASSIGNMENTS, exercises_of

from .late import read_timestamp, parse_time, PolicyError, TIMESTAMP
from .records import Submission

__all__ = ["discover", "find", "Discovery", "notebook_in", "unsafe_id", "DiscoveryError"]

# Files nbgrader itself puts in a submission folder: not the student's extras.
NBGRADER_FILES = {TIMESTAMP, "submission_secret.txt"}
# nbgrader's exchange names a submission <student>+<assignment>+<timestamp>[+<random>].
INBOX_NAME = re.compile(r"^(?P<student>[^+]+)\+(?P<assignment>[^+]+)\+(?P<timestamp>[^+]+)(\+[^+]*)?$")
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_ID = 100


@dataclass(frozen=True)
class Discovery:
    """The submissions to grade, and the instructor's notices about what was not taken."""

    submissions: list
    notices: tuple = ()


class DiscoveryError(ValueError):
    """SUBMITTED cannot be read as submissions (a usage error, not a student's)."""


def discover(submitted, assignments=None):
    """The submissions under ``submitted``, sorted by student, then in course order (see ``find``)."""
    return find(submitted, assignments).submissions


def find(submitted, assignments=None) -> Discovery:
    """The submissions under ``submitted`` and the notices, sorted by student, then in course order.

    assignments: restrict to these ids; a student without that assignment's
    folder then gets a Submission whose notebook is missing. Without it, every
    assignment folder found is taken, and any other folder gets a notice.
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
        return Discovery([_single_notebook(root, assignments)])
    if _is_inbox(root):
        return _from_inbox(root, assignments)
    if _is_student_folder(root):   # SUBMITTED/<student> given instead of SUBMITTED
        students = [root]
    else:
        students = sorted((d for d in root.iterdir() if _visible_dir(d)), key=lambda d: d.name)
    found, notices = [], []
    for student in students:
        problem = unsafe_id(student.name)
        if problem:
            notices.append(_unsafe_notice(student, problem))
            continue
        present = [d.name for d in student.iterdir() if _visible_dir(d)]
        for name in sorted(set(present) - set(ASSIGNMENTS)):
            notices.append(f"{student.name}/{name}: not an assignment of this course (the assignments are "
                           f"{', '.join(ASSIGNMENTS)}); left in place, not graded")
        wanted = assignments or [a for a in ASSIGNMENTS if a in present]
        for assignment in wanted:
            found.append(_submission(student.name, assignment, student / assignment))
    return Discovery(found, tuple(notices))


def notebook_in(folder, assignment):
    """The notebook to grade in ``folder``: ``<assignment>.ipynb``, else the only one or the one saved last,
    else (no notebook) the folder."""
    folder = Path(folder)
    named = folder / f"{assignment}.ipynb"
    if named.is_file() or not folder.is_dir():
        return named
    notebooks = notebooks_in(folder)
    if not notebooks:
        return folder
    return max(notebooks, key=lambda p: (p.stat().st_mtime, p.name))


def unsafe_id(student):
    """Why ``student`` cannot be used as a file name everywhere the reports go, or None.

    Spaces and letters of any alphabet are fine; what breaks a path, a zip or
    another operating system is not.
    """
    if not student or student.strip() != student:
        return "it is empty or starts or ends with a space"
    if student in (".", "..") or student[0] in ".-":
        return "it starts with '.' or '-'"
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in student):
        return "it holds a control character or bytes that are not text"
    bad = sorted(set(student) & set('/\\:*?"<>|'))
    if bad:
        return f"it holds {' '.join(bad)}"
    if student.rstrip(".").upper().split(".")[0] in WINDOWS_RESERVED:
        return "it is a name Windows reserves"
    if student.endswith("."):
        return "it ends with '.'"
    if len(student.encode("utf-8", "surrogateescape")) > MAX_ID:
        return f"it is longer than {MAX_ID} bytes"
    return None


def _unsafe_notice(folder, problem):
    return (f"{os.fsdecode(folder.name)!r}: this student id cannot be used as a file name ({problem}); its "
            "submissions are left in place, not graded. Rename the folder to the student's id and grade again.")


def _submission(student, assignment, folder):
    """A Submission for ``folder``, with its time and what the student should know about the folder."""
    path = notebook_in(folder, assignment)
    timestamp, note = read_timestamp(folder) if folder.is_dir() else (None, None)
    notes = [note] if note else []
    if folder.is_dir() and path.is_file():
        notebooks = notebooks_in(folder)
        if path.name != f"{assignment}.ipynb":
            notes.append(f"Your notebook is named {path.name!r}, not {assignment}.ipynb; it was graded all the "
                         f"same. Keep the released name, so nothing can be missed.")
        others = [p.name for p in notebooks if p != path]
        if others:
            notes.append(f"Your {assignment} folder holds {len(notebooks)} notebooks; {path.name} was graded "
                         f"(the released name, or else the one saved last). Not graded, kept: {', '.join(others)}.")
        extras = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                        if p.is_file() and p.suffix != ".ipynb" and p.name not in NBGRADER_FILES
                        and not any(part.startswith(".") for part in p.relative_to(folder).parts))
        if extras:
            shown = ", ".join(extras[:10]) + (f" and {len(extras) - 10} more" if len(extras) > 10 else "")
            notes.append(f"Extra files in your submission were kept but not graded (only the notebook is): {shown}.")
    return Submission(student, assignment, path, timestamp=timestamp, notes=tuple(notes))


def _is_inbox(root):
    dirs = [d for d in root.iterdir() if _visible_dir(d)]
    return bool(dirs) and all(INBOX_NAME.match(d.name) for d in dirs)


def _from_inbox(root, assignments):
    """nbgrader's exchange inbox: the latest submission per student and assignment counts."""
    entries, notices = {}, []
    for folder in sorted(d for d in root.iterdir() if _visible_dir(d)):
        m = INBOX_NAME.match(folder.name)
        student, assignment = m["student"], m["assignment"]
        problem = unsafe_id(student)
        if problem:
            notices.append(_unsafe_notice(Path(student), problem) + f" (in {folder.name})")
            continue
        if assignment not in ASSIGNMENTS:
            notices.append(f"{folder.name}: {assignment!r} is not an assignment of this course; left in place, "
                           "not graded")
            continue
        if assignments and assignment not in assignments:
            continue
        try:
            moment = parse_time(m["timestamp"], "the submission time")
        except PolicyError as err:
            notices.append(f"{folder.name}: {err}; left in place, not graded")
            continue
        entries.setdefault((student, assignment), []).append((moment, folder))
    found = []
    for (student, assignment), tries in entries.items():
        tries.sort()
        moment, folder = tries[-1]
        sub = _submission(student, assignment, folder)
        if sub.timestamp is None:
            sub = replace(sub, timestamp=moment.isoformat())
        if len(tries) > 1:
            earlier = ", ".join(t.strftime("%Y-%m-%d %H:%M:%S UTC") for t, _ in tries[:-1])
            sub = replace(sub, notes=sub.notes + (
                f"You submitted {assignment} {len(tries)} times; the latest ({moment:%Y-%m-%d %H:%M:%S UTC}) was "
                f"graded. The earlier ones ({earlier}) are kept, not graded.",))
        found.append(sub)
    if assignments:
        students = sorted({s for s, _ in entries})
        found += [Submission(s, a, root / f"{s}+{a}" / f"{a}.ipynb") for s in students for a in assignments
                  if (s, a) not in entries]
    order = {a: i for i, a in enumerate(ASSIGNMENTS)}
    found.sort(key=lambda s: (s.student, order[s.assignment]))
    return Discovery(found, tuple(notices))


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
    timestamp, note = read_timestamp(folder)
    return Submission(student, assignment, path, timestamp=timestamp, notes=(note,) if note else ())


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
