"""Inside Gradescope's container: grade the submitted notebook and write results.json, whatever happens.

    python -m autograder.gradescope.run ROOT [--user USER] [--timeout SECONDS]

run_autograder calls it with ROOT = /autograder, which holds source/ (the
zip, assignment.txt among it), submission/ (the student's files),
submission_metadata.json and results/. In order:

1. lock the folders (as root): source/ and submission/ 0700, results/ 0755,
   all root's, so that the student's code, run as USER, can neither read the
   grader and its reference nor write a result;
2. find the notebook: ``<assignment>.ipynb``, else the only ``.ipynb``, in
   submission/ or a folder below it; none or several scores 0, with a
   message that names what was found;
3. grade a private copy with ``python -m autograder grade`` in a child
   process, stopped after SECONDS, with the student's code run as USER;
4. write the grader's results.json to results/, with Gradescope's
   submission id; when step 3 left none (a crash, the time limit), one that
   says so and scores 0.
"""

import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..atomic import atomic_write_text

__all__ = ["main", "find_notebook", "lock", "ASSIGNMENT_FILE", "LOCKED"]

ASSIGNMENT_FILE = "assignment.txt"
USER_ENV = "AUTOGRADER_SANDBOX_USER"   # read by autograder.sandbox
LOCKED = {"source": 0o700, "submission": 0o700, "results": 0o755}
STATUSES = {"passed", "failed"}
VISIBILITIES = {"visible", "hidden", "after_due_date", "after_published"}
NOT_YOURS = "This is a fault of the grader, not of your work: please tell your instructor, who can grade it again."


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, metavar="ROOT", help="Gradescope's folder, /autograder")
    parser.add_argument("--user", default="", help="the user who runs the student's code (empty: this one)")
    parser.add_argument("--timeout", type=float, default=540.0, metavar="SECONDS", help="for the whole grading")
    args = parser.parse_args(argv)
    start = time.monotonic()
    try:
        doc = grade_submission(args.root, args.user.strip() or None, args.timeout)
    except Exception as err:   # the wrapper's own failure still gives Gradescope results
        doc = _fault(None, f"{type(err).__name__}: {err}")
    doc["execution_time"] = int(round(time.monotonic() - start))
    if not isinstance(doc.get("extra_data"), dict):
        doc["extra_data"] = {}
    doc["extra_data"]["gradescope"] = _metadata(args.root)
    atomic_write_text(args.root / "results" / "results.json",
                      json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    print(f"results.json written: score {doc['score']}, {len(doc.get('tests', []))} tests")
    return 0


def grade_submission(root, user, timeout):
    """The results.json document for the submission under ``root``."""
    assignment = (root / "source" / ASSIGNMENT_FILE).read_text(encoding="utf-8").strip()
    lock(root)
    notebook, problem = find_notebook(root / "submission", assignment)
    if notebook is None:
        return _zero(assignment, f"Your notebook could not be graded, so it scores 0: {problem}", problem)
    return _grade(root / "source", notebook, assignment, user, timeout)


def lock(root):
    """Make source/, submission/ and results/ root's, with the modes of LOCKED; nothing to do unless root."""
    if os.geteuid() != 0:
        print("not running as root: the folders keep their permissions", file=sys.stderr)
        return
    for name, mode in LOCKED.items():
        path = root / name
        path.mkdir(exist_ok=True)
        os.chown(path, 0, 0, follow_symlinks=False)
        os.chmod(path, mode)
    metadata = root / "submission_metadata.json"
    if metadata.is_file() and not metadata.is_symlink():
        os.chmod(metadata, 0o600)


def find_notebook(folder, assignment):
    """(the notebook to grade, None), or (None, why there is none to grade), for the student."""
    wanted = f"{assignment}.ipynb"
    found = _files(folder)
    notebooks = [p for p in found if p.suffix == ".ipynb"]
    named = [p for p in notebooks if p.name == wanted]
    if named:   # the one nearest the top: a copy deeper down is a backup
        depth = min(len(p.parts) for p in named)
        candidates = [p for p in named if len(p.parts) == depth]
    else:
        candidates = notebooks
    if len(candidates) == 1:
        return Path(folder) / candidates[0], None
    if not candidates:
        holds = f"it holds {_listing(found)}" if found else "it is empty"
        return None, f"no notebook was found in your submission ({holds}). Submit your {wanted}."
    return None, (f"your submission holds {len(candidates)} notebooks ({_listing(candidates)}), so the grader "
                  f"cannot tell which one to grade. Submit only your {wanted}.")


def _files(folder):
    """Every regular file under ``folder``, relative and sorted; hidden files, links and __MACOSX left out."""
    found = []
    for parent, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__MACOSX"]
        for name in files:
            path = Path(parent) / name
            if not name.startswith(".") and path.is_file() and not path.is_symlink():
                found.append(path.relative_to(folder))
    return sorted(found)


def _listing(paths, limit=10):
    names = [p.as_posix() for p in paths[:limit]]
    return ", ".join(names) + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def _grade(source, notebook, assignment, user, timeout):
    """Grade a copy of ``notebook`` with the grader's command line; its results.json document, or a fault."""
    with tempfile.TemporaryDirectory(prefix="gradescope-") as work:
        copy, out = Path(work) / f"{assignment}.ipynb", Path(work) / "out"
        shutil.copyfile(notebook, copy)
        env = {**os.environ, "PYTHONPATH": str(source)}
        env.pop(USER_ENV, None)
        if user:
            env[USER_ENV] = user
        command = [sys.executable, "-m", "autograder", "grade", str(copy), "--assignment", assignment,
                   "--workers", "0", "--out", str(out), "--quiet", "--no-summary"]
        proc = subprocess.Popen(command, cwd=source, env=env, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return _fault(assignment, f"grading did not finish within {timeout:g} seconds")
        reports = sorted(out.glob(f"*/{assignment}/results.json"))
        if len(reports) != 1:
            return _fault(assignment, f"the grader stopped (exit status {code}) without writing results")
        try:
            doc = json.loads(reports[0].read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            return _fault(assignment, f"the grader's results could not be read ({err})")
    problem = _invalid(doc)
    return _fault(assignment, f"the grader's results are not valid: {problem}") if problem else doc


def _invalid(doc):
    """What makes ``doc`` unfit for Gradescope, or None."""
    def number(x):
        return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)

    if not isinstance(doc, dict) or not number(doc.get("score")) or not isinstance(doc.get("tests"), list):
        return "no score or no tests"
    for test in doc["tests"]:
        if not (isinstance(test, dict) and isinstance(test.get("name"), str) and number(test.get("score"))
                and number(test.get("max_score")) and test.get("status") in STATUSES
                and test.get("visibility", "visible") in VISIBILITIES):
            return f"the test {test.get('name') if isinstance(test, dict) else test!r} is malformed"
    return None


def _zero(assignment, output, error):
    return {"score": 0.0, "execution_time": 0, "output": output,
            "extra_data": {"assignment": assignment, "error": error}, "tests": []}


def _fault(assignment, reason):
    print(f"grader fault: {reason}", file=sys.stderr)
    return _zero(assignment, f"Your notebook could not be graded, so it scores 0 for now: {reason}. {NOT_YOURS}",
                 reason)


def _metadata(root):
    """The submission's Gradescope id and time, from submission_metadata.json (empty when unreadable)."""
    try:
        meta = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
        return {"submission_id": meta.get("id"), "created_at": meta.get("created_at")}
    except (OSError, ValueError, AttributeError):
        return {}


if __name__ == "__main__":
    sys.exit(main())
