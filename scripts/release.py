"""Release the student notebooks: solutions/<id>/<id>.ipynb -> notebooks/<id>/<id>.ipynb.

    python scripts/release.py                 # all six, into notebooks/, then the student bundle
    python scripts/release.py --into DIR      # somewhere else (the drift test uses this); no bundle
    python scripts/release.py 02_bn_equations
    python scripts/release.py --bundle-into DIR   # the student bundle into DIR instead of build/

A release into notebooks/ is followed by the student bundle (scripts/bundle.py):
build/student-bundle/ and build/student-bundle.zip, made from notebooks/ and
the student side of course_lib. A release elsewhere makes a bundle only when
given --bundle-into; --no-bundle skips it.

Runs ``nbgrader generate_assignment`` from the repository root, where
nbgrader_config.py lives, without touching a gradebook. nbgrader deletes an
assignment's release folder before it writes it and leaves it deleted when
it fails, so each assignment is released into a scratch folder first and
moved into place only once it succeeded: a failed release loses nothing.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from course_lib.exercises import ASSIGNMENTS

from bundle import build_and_report

ROOT = Path(__file__).resolve().parents[1]


class ReleaseError(RuntimeError):
    pass


def _nbgrader():
    exe = Path(sys.executable).with_name("nbgrader")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "nbgrader"]


def release_one(assignment, into):
    """Release one assignment into ``into/<assignment>/``; raise ReleaseError with nbgrader's words."""
    source = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
    if not source.is_file():
        raise ReleaseError(f"{assignment}: no instructor notebook at {source.relative_to(ROOT)}")
    with tempfile.TemporaryDirectory(prefix="release-") as scratch:
        cmd = _nbgrader() + ["generate_assignment", assignment, "--force", "--no-db",
                             f"--CourseDirectory.release_directory={scratch}", "--log-level=WARN"]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        produced = Path(scratch) / assignment
        if done.returncode != 0 or not (produced / f"{assignment}.ipynb").is_file():
            raise ReleaseError(f"{assignment}: nbgrader generate_assignment failed:\n{done.stdout}{done.stderr}")
        target = Path(into) / assignment
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(produced, target)
    strip_instructor_metadata(target / f"{assignment}.ipynb")
    return target / f"{assignment}.ipynb"


# The numbers a cell's prose quotes and the expressions that compute them (tests/quotes.py): a model
# answer's quotes would hand the student its numbers.
INSTRUCTOR_METADATA = ("quotes", "given")


def strip_instructor_metadata(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for key in INSTRUCTOR_METADATA:
            cell.metadata.pop(key, None)
    nbformat.write(nb, path)


def release(assignments=ASSIGNMENTS, into=ROOT / "notebooks"):
    """Release each assignment; returns the written notebook paths."""
    Path(into).mkdir(parents=True, exist_ok=True)
    return [release_one(a, into) for a in assignments]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS), metavar="ID")
    parser.add_argument("--into", default=str(ROOT / "notebooks"), help="release folder (default: notebooks/)")
    parser.add_argument("--bundle-into", metavar="DIR",
                        help="where the student bundle goes (default: build/, for a release into notebooks/)")
    parser.add_argument("--no-bundle", action="store_true", help="release the notebooks only")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.assignments) - set(ASSIGNMENTS))
    if unknown:
        parser.error(f"unknown assignment(s) {unknown}; the assignments are {list(ASSIGNMENTS)}")
    try:
        for path in release(args.assignments, args.into):
            print(f"released {path}")
    except ReleaseError as err:
        print(f"release failed: {err}", file=sys.stderr)
        return 1
    bundle_into = args.bundle_into
    if bundle_into is None and Path(args.into).resolve() == ROOT / "notebooks":
        bundle_into = ROOT / "build"
    if bundle_into is None or args.no_bundle:
        return 0
    return build_and_report(bundle_into, args.into)


if __name__ == "__main__":
    sys.exit(main())
