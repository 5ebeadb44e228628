"""Our grades, in nbgrader's course folder: gradebook.db, autograded/ and feedback/.

    python -m autograder grade submitted --out graded --gradebook

After this, nbgrader's own tools see what our grader decided:

- ``gradebook.db``: each check cell's ``auto_score`` is the score of its
  exercise, each notebook's ``late_submission_penalty`` is our penalty, and
  the submission's time is nbgrader's stamp. ``nbgrader export`` then writes
  the same scores as ``grades.csv``. Written answers are left "needs manual
  grading", for formgrader.
- ``autograded/<student>/<assignment>/``: the submitted notebook with its
  locked cells restored by nbgrader's ``OverwriteCells``, which formgrader shows
  when the written answers are graded by hand.
- ``feedback/<student>/<assignment>/<assignment>.html``: our feedback, with
  the stamp and secret ``nbgrader release_feedback`` needs to hand it back.

The assignment's cells come from nbgrader itself: when the gradebook does not
know an assignment yet, ``nbgrader generate_assignment`` is run on it (into a
scratch folder, so ``notebooks/`` is left alone), exactly as an instructor
would. Everything is written in this one process: SQLite takes one writer.
"""

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from datetime import datetime, timezone
from pathlib import Path

from course_lib.exercises import exercises_of

from .late import TIMESTAMP, LatePolicy
from .safe_read import read_regular
from .stages.validate import MAX_BYTES

__all__ = ["record", "roster", "GradebookError", "cell_scores"]

SECRET = "submission_secret.txt"


class GradebookError(RuntimeError):
    """The course folder cannot take the grades (an instructor's error, explained)."""


def cell_scores(graded):
    """{grade_id of a check cell: points} for one Graded record (0 everywhere when it could not be graded)."""
    assignment = graded.submission.assignment
    by_exercise = {}
    for o in graded.outcomes:
        by_exercise.setdefault(o.exercise, []).append(o)
    failed = graded.error is not None
    return {f"check_{e.grade_id}": 0.0 if failed else sum(o.score for o in by_exercise.get(e.name, ()))
            for e in exercises_of(assignment)}


def record(graded_list, out, course_root=".", policy=None, log=print):
    """Write ``graded_list`` (autograder Graded records) into the nbgrader course at ``course_root``.

    out: the grader's report folder (for the feedback HTML).
    Returns the number of submissions recorded.
    """
    root = Path(course_root).resolve()
    if not (root / "nbgrader_config.py").is_file():
        raise GradebookError(f"{root} has no nbgrader_config.py: give the course folder to --gradebook")
    policy = policy or LatePolicy()
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    with _tools_on_path():
        return _record(graded_list, Path(out), root, policy, db_url, log)


def roster(course_root="."):
    """The student ids in the course's gradebook.db (``nbgrader db student add``); none without one."""
    db = Path(course_root).resolve() / "gradebook.db"
    if not db.is_file():
        return []
    from nbgrader.api import Gradebook

    with _tools_on_path(), Gradebook(f"sqlite:///{db}") as gb:
        return sorted(student.id for student in gb.students)


@contextlib.contextmanager
def _tools_on_path():
    """nbgrader's Gradebook runs the ``alembic`` command it was installed with: find it beside this Python.

    nbgrader's own add_submission also trips SQLAlchemy's "not in session" warnings; they are its, not ours.
    """
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved])
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*not in session.*")
            yield
    finally:
        os.environ["PATH"] = saved


def _record(graded_list, out, root, policy, db_url, log):
    from nbgrader.api import Gradebook, MissingEntry

    assignments = sorted({g.submission.assignment for g in graded_list})
    with Gradebook(db_url) as gb:
        missing = [a for a in assignments if not _known(gb, a, MissingEntry)]
    for a in missing:
        _generate(root, a, log)
    with Gradebook(db_url) as gb:
        for a in assignments:
            due = policy.due.get(a)
            gb.update_or_create_assignment(a, duedate=due.astimezone(timezone.utc).replace(tzinfo=None)
                                           if due else None)
        for g in graded_list:
            _record_one(gb, g, MissingEntry)
    for g in graded_list:
        _lay_out(root, out, g, db_url)
    return len(graded_list)


def _known(gb, assignment, MissingEntry):
    try:
        return any(nb.name == assignment for nb in gb.find_assignment(assignment).notebooks)
    except MissingEntry:
        return False


def _generate(root, assignment, log):
    """nbgrader's own generate_assignment, which puts the assignment's cells into gradebook.db."""
    if not (root / "solutions" / assignment / f"{assignment}.ipynb").is_file():
        raise GradebookError(f"solutions/{assignment}/{assignment}.ipynb is missing in {root}: the gradebook needs "
                             "the instructor's notebook to know the assignment's cells")
    log(f"gradebook: adding {assignment} with nbgrader generate_assignment")
    nbgrader = Path(sys.executable).with_name("nbgrader")
    command = [str(nbgrader)] if nbgrader.exists() else [sys.executable, "-m", "nbgrader"]
    with tempfile.TemporaryDirectory(prefix="gradebook-release-", dir=root) as scratch:
        done = subprocess.run(
            [*command, "generate_assignment", assignment, "--force", "--log-level=WARN",
             f"--CourseDirectory.release_directory={Path(scratch).name}"],
            cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise GradebookError(f"nbgrader generate_assignment {assignment} failed:\n{done.stderr[-2000:]}")


def _record_one(gb, graded, MissingEntry):
    sub = graded.submission
    gb.update_or_create_student(sub.student)
    kwargs = {}
    if sub.timestamp:
        kwargs["timestamp"] = datetime.fromisoformat(sub.timestamp).astimezone(timezone.utc).replace(tzinfo=None)
    submission = gb.update_or_create_submission(sub.assignment, sub.student, **kwargs)
    scores = cell_scores(graded)
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            if grade.name in scores:
                grade.auto_score = min(scores[grade.name], grade.max_score)
                grade.needs_manual_grade = grade.manual_score is not None   # a hand grade over ours: review it
            elif graded.error is not None and grade.manual_score is None:
                grade.auto_score = 0.0          # nothing to grade by hand in a notebook we could not read
                grade.needs_manual_grade = False
        notebook.late_submission_penalty = graded.penalty if graded.error is None else 0.0
    gb.db.commit()


def _lay_out(root, out, graded, db_url):
    """autograded/ for formgrader, feedback/ for nbgrader release_feedback."""
    sub = graded.submission
    path = Path(sub.path)
    folder = path.parent
    autograded = root / "autograded" / sub.student / sub.assignment
    submitted = _small_regular(path, MAX_BYTES)
    if submitted is not None:
        autograded.mkdir(parents=True, exist_ok=True)
        try:
            nb = _restored(submitted, sub.assignment, db_url)
        except Exception:   # an unreadable notebook: formgrader shows what was submitted
            (autograded / f"{sub.assignment}.ipynb").write_bytes(submitted)
        else:
            import nbformat

            nbformat.write(nb, str(autograded / f"{sub.assignment}.ipynb"))
        stamp = _small_regular(folder / TIMESTAMP)
        if stamp is not None:
            (autograded / TIMESTAMP).write_bytes(stamp)
    html = out / sub.student / sub.assignment / "feedback.html"
    stamp, secret = _small_regular(folder / TIMESTAMP), _small_regular(folder / SECRET)
    if html.is_file() and stamp is not None and secret is not None:
        feedback = root / "feedback" / sub.student / sub.assignment
        feedback.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(html, feedback / f"{sub.assignment}.html")
        (feedback / TIMESTAMP).write_bytes(stamp)
        (feedback / SECRET).write_bytes(secret)


def _small_regular(path, limit=4096):
    """The bytes of nbgrader's small file ``path`` in the student's folder; None for a link, a pipe or anything
    but a short regular file (such a file is never copied, and so never handed back by release_feedback)."""
    try:
        data = read_regular(path, limit)
    except OSError:
        return None
    return data if len(data) <= limit else None


def _restored(data, assignment, db_url):
    """The submitted notebook (its bytes) with its locked cells put back as released (nbgrader's OverwriteCells)."""
    import nbformat
    from nbgrader.preprocessors import OverwriteCells

    nb = nbformat.reads(data.decode("utf-8-sig"), as_version=4)
    resources = {"nbgrader": {"db_url": db_url, "assignment": assignment, "notebook": assignment}}
    nb, _ = OverwriteCells(add_missing_cells=True).preprocess(nb, resources)
    return nb
