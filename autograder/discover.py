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
is no assignment of the course, a student id that cannot be a file name or
could pass for another, a symbolic link).

A symbolic link inside SUBMITTED is never followed, whatever it points to (a
link to the instructor's solutions would grade the model solution): a student
or assignment folder, or a notebook, that is a link is not graded. Only what
the instructor names on the command line is taken as given.

One notebook file is also accepted. Its assignment is, in this order: the one
``--assignment`` given, its folder's name, its file name, or else the
assignment whose exercise grade_ids the notebook holds. Its student is the name
of the folder above an assignment folder (``submitted/alice/02_bn_equations/x.ipynb``
-> alice), else "student".
"""

import os
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import timezone
from pathlib import Path

from course_lib.exercises import ASSIGNMENTS, exercises_of

from .late import read_timestamp, parse_time, PolicyError, TIMESTAMP
from .records import Submission
from .safe_read import FILE, FOLDER, LINK, kind

__all__ = ["discover", "find", "Discovery", "notebook_in", "unsafe_id", "DiscoveryError"]

# Files nbgrader itself puts in a submission folder: not the student's extras.
NBGRADER_FILES = {TIMESTAMP, "submission_secret.txt"}
# nbgrader's exchange names a submission <student>+<assignment>+<timestamp>[+<random>].
INBOX_NAME = re.compile(r"^(?P<student>[^+]+)\+(?P<assignment>[^+]+)\+(?P<timestamp>[^+]+)(\+[^+]*)?$")
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_ID = 100
# Characters that show as nothing, or reorder what follows: with them one id can look like another.
INVISIBLE = {*map(chr, range(0x200B, 0x2010)), *map(chr, range(0x2060, 0x2065)), "\ufeff",
             *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)), "\u061c"}
# What a spreadsheet opening grades.csv may take for the start of a formula.


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
    if not root.is_dir():
        raise DiscoveryError(f"{root} is neither a notebook file nor a folder of submissions")
    name = root.name
    if root.is_symlink():   # named by the instructor: followed, once, here
        root = Path(os.path.realpath(root))
    if _is_inbox(root):
        return _from_inbox(root, assignments)
    found, notices = [], []
    if _is_student_folder(root):   # SUBMITTED/<student> given instead of SUBMITTED
        students = [(name, root)]
    else:
        folders, links = _entries(root)
        students = [(d.name, d) for d in folders]
        notices += [_link_notice(link.name) for link in links]
    for student, folder in students:
        problem = unsafe_id(student)
        if problem:
            notices.append(_unsafe_notice(Path(student), problem))
            continue
        folders, links = _entries(folder)
        notices += [_link_notice(f"{student}/{link.name}") for link in links]
        present = [d.name for d in folders]
        for extra in sorted(set(present) - set(ASSIGNMENTS)):
            notices.append(f"{student}/{extra}: not an assignment of this course (the assignments are "
                           f"{', '.join(ASSIGNMENTS)}); left in place, not graded")
        linked = {link.name for link in links}
        wanted = [a for a in assignments or [a for a in ASSIGNMENTS if a in present] if a not in linked]
        for assignment in wanted:
            sub, more = _submission(student, assignment, folder / assignment, f"{student}/{assignment}")
            notices += more
            if sub is not None:
                found.append(sub)
    return Discovery(found, tuple(notices))


def notebook_in(folder, assignment):
    """The notebook to grade in ``folder``: ``<assignment>.ipynb``, else the only one or the one saved last,
    else (no notebook) the folder.

    Nothing is followed: when ``folder`` or the notebook is a symbolic link,
    that link is returned, for the caller to refuse.
    """
    folder = Path(folder)
    named = folder / f"{assignment}.ipynb"
    if kind(folder.parent) == LINK:
        return folder.parent
    what = kind(folder)
    if what == LINK:
        return folder
    if what != FOLDER or kind(named) not in (None, FOLDER):
        return named
    notebooks = notebooks_in(folder)
    if notebooks:
        return max(notebooks, key=lambda p: (p.lstat().st_mtime, p.name))
    # no notebook file: a link or a special file named .ipynb is returned, to be refused as such
    others = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith(".") and kind(p) != FOLDER)
    return others[0] if others else folder


def unsafe_id(student):
    """Why ``student`` cannot be used as a file name everywhere the reports go, or None.

    Spaces and letters of any alphabet are fine; what breaks a path, a zip or
    another operating system is not, nor what would let one id pass for
    another (invisible characters) or run as a formula in a spreadsheet.
    """
    from .reports.csvsafe import FORMULA_START   # here: the reports import the stages, which import this module

    if not student:
        return "it is empty or starts or ends with a space"
    if student in (".", "..") or student[0] in ".-":
        return ("it starts with '.' or '-' (a hidden file, a command-line option, or for a spreadsheet "
                "the start of a formula)")
    if student.startswith(FORMULA_START):
        return (f"it starts with {student[0]!r}, which a spreadsheet reads as the start of a formula "
                "(grades.csv is opened in one)")
    if student.strip() != student:
        return "it is empty or starts or ends with a space"
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in student):
        return "it holds a control character or bytes that are not text"
    invisible = [ch for ch in student if ch in INVISIBLE or unicodedata.category(ch) in ("Cf", "Zl", "Zp")]
    if invisible:
        ch = invisible[0]
        return (f"it holds U+{ord(ch):04X} ({unicodedata.name(ch, 'a format character')}), a character that is "
                "invisible or reorders the text around it, so that one student's id could be shown as another's")
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


def _link_notice(where, graded=False):
    shown = where if where.isprintable() else repr(where)
    if graded:
        return f"{shown} is a symbolic link; not followed, left in place (the submission is graded without it)"
    return f"{shown} is a symbolic link; not followed, not graded, left in place"


def _submission(student, assignment, folder, where, when=None):
    """(A Submission for ``folder`` or None, the instructor's notices).

    The Submission has the time and what the student should know about the
    folder; None when its notebook is a symbolic link. ``when``: the time the
    exchange gave the submission, when timestamp.txt says none.
    """
    path = notebook_in(folder, assignment)
    is_dir = kind(folder) == FOLDER
    links = [f"{where}/{p.relative_to(folder).as_posix()}" for p in _links_below(folder)] if is_dir else []
    if kind(path) == LINK:   # the notebook: nothing of this submission is graded
        return None, [_link_notice(link) for link in links or [where]]
    notices = [_link_notice(link, graded=True) for link in links]
    timestamp, note = read_timestamp(folder) if is_dir else (None, None)
    if timestamp is None and when is not None:
        timestamp, note = when.astimezone(timezone.utc).isoformat(), None
    notes = [note] if note else []
    if is_dir and kind(path) == FILE:
        notebooks = notebooks_in(folder)
        if path.name != f"{assignment}.ipynb":
            notes.append(f"Your notebook is named {path.name!r}, not {assignment}.ipynb; it was graded all the "
                         f"same. Keep the released name, so nothing can be missed.")
        others = [p.name for p in notebooks if p != path]
        if others:
            notes.append(f"Your {assignment} folder holds {len(notebooks)} notebooks; {path.name} was graded "
                         f"(the released name, or else the one saved last). Not graded, kept: {', '.join(others)}.")
        extras = sorted(p.relative_to(folder).as_posix() for p in _files_below(folder)
                        if p.suffix != ".ipynb" and p.name not in NBGRADER_FILES)
        if extras:
            shown = ", ".join(extras[:10]) + (f" and {len(extras) - 10} more" if len(extras) > 10 else "")
            notes.append(f"Extra files in your submission were kept but not graded (only the notebook is): {shown}.")
    return Submission(student, assignment, path, timestamp=timestamp, notes=tuple(notes)), notices


def _is_inbox(root):
    dirs, _ = _entries(root)
    return bool(dirs) and all(INBOX_NAME.match(d.name) for d in dirs)


def _from_inbox(root, assignments):
    """nbgrader's exchange inbox: the latest submission per student and assignment counts."""
    entries, notices = {}, []
    folders, links = _entries(root)
    notices += [_link_notice(link.name) for link in links]
    for folder in sorted(folders):
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
        sub, more = _submission(student, assignment, folder, folder.name, when=moment)
        notices += more
        if sub is None:
            continue
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
    """The notebook files in ``folder``: regular files only, never a link ("._x.ipynb" files are macOS
    metadata, not notebooks; checkpoints live in a subfolder)."""
    return sorted(p for p in Path(folder).glob("*.ipynb") if kind(p) == FILE and not p.name.startswith("."))


def _entries(folder):
    """(the visible folders, the visible symbolic links) in ``folder``, sorted by name."""
    dirs, links = [], []
    for path in sorted(Path(folder).iterdir(), key=lambda p: p.name):
        if path.name.startswith("."):
            continue
        what = kind(path)
        if what == FOLDER:
            dirs.append(path)
        elif what == LINK:
            links.append(path)
    return dirs, links


def _walk(folder):
    """Every visible path below ``folder``, and its kind; links are not followed, hidden folders not entered."""
    for top, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(dirs + files):
            path = Path(top) / name
            if not name.startswith("."):
                yield path, kind(path)


def _links_below(folder):
    return [p for p, what in _walk(folder) if what == LINK]


def _files_below(folder):
    return [p for p, what in _walk(folder) if what == FILE]


def _is_student_folder(root):
    children, _ = _entries(root)
    return any(d.name in ASSIGNMENTS for d in children) and not any(
        kind(d / a) == FOLDER for d in children for a in ASSIGNMENTS)


def _single_notebook(path, assignments):
    if path.suffix != ".ipynb":
        raise DiscoveryError(f"{path} is not a notebook (.ipynb) nor a folder of submissions")
    folder = path.parent
    # named by the instructor: a link is followed, once, here; its own name and folder still tell the assignment
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    if assignments:
        if len(assignments) > 1:
            raise DiscoveryError(f"{path} is one notebook: give at most one --assignment")
        assignment = assignments[0]
    elif folder.name in ASSIGNMENTS:
        assignment = folder.name
    elif path.stem in ASSIGNMENTS:
        assignment = path.stem
    else:
        assignment = _assignment_from_grade_ids(target)
    student = folder.parent.name if folder.name in ASSIGNMENTS and folder.parent.name else "student"
    timestamp, note = read_timestamp(folder)
    return Submission(student, assignment, target, timestamp=timestamp, notes=(note,) if note else ())


def _assignment_from_grade_ids(path):
    """The assignment with the most exercise grade_ids in the notebook."""
    from .stages.validate import notebook_json   # the validate stage imports this module

    try:
        nb = notebook_json(path) or {}
        ids = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.get("cells", [])}
    except (AttributeError, TypeError):
        ids = set()
    counts = {a: sum(e.name in ids for e in exercises_of(a)) for a in ASSIGNMENTS}
    best = max(counts, key=counts.get)
    if counts[best] == 0:
        raise DiscoveryError(
            f"cannot tell which assignment {path} is: name its folder or the file after the assignment, "
            f"or give --assignment (one of {list(ASSIGNMENTS)})")
    return best
