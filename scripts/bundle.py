"""Build the student bundle: build/student-bundle/ and build/student-bundle.zip.

    python scripts/bundle.py                              # notebooks/ -> build/
    python scripts/bundle.py --notebooks DIR --out DIR

``make release`` builds it after releasing the notebooks (scripts/release.py).
A student unzips it, or pushes it as their repository, installs it in a
virtual environment and works in JupyterLab: see bundle_files/README.md.

What goes in is an allowlist: the released notebooks, the student side of
course_lib (its data and public checks included), the files of
scripts/bundle_files/ and a pyproject.toml whose dependencies are the
project's own. The modules that hold the exercises' reference solutions
(named by course_lib/exercises.py), the hidden suites, solutions/, tests/
and the rest stay out. Every file is searched for leaks before anything is
written, and the build stops with a BundleError naming the file if it finds
one. The zip is reproducible: sorted entries, fixed timestamps and modes.
"""

import argparse
import hashlib
import json
import re
import shutil
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from course_lib.exercises import ASSIGNMENTS, EXERCISES, FUNCTION

ROOT = Path(__file__).resolve().parents[1]

NAME = "student-bundle"
FILES = ROOT / "scripts" / "bundle_files"
SUITES = ROOT / "autograder" / "suites"

# The student side of course_lib, as paths and globs under course_lib/: every
# module the notebooks, models, training loop and checks import, and nothing
# else. Not fast_batchnorm.py and fast_layernorm.py (with _parallel.py) either,
# the references written for speed. The reference modules (exercises.EXERCISES) are left
# out whole, and find_leaks refuses any file that is one or defines one.
COURSE_LIB = (
    "__init__.py", "_validate.py", "beyond.py", "bncache.py", "bnfunctions.py", "cells.py", "claims.py",
    "compare.py", "conv.py", "conventions.py", "convnet.py", "data.py", "defaults.py", "exercises.py",
    "experiments.py", "gradcheck.py", "history.py", "housing.py", "interactive.py", "layers.py", "losses.py",
    "model.py", "modules.py", "optim.py", "selfcheck.py", "student.py", "train.py", "datasets/*", "plots/*.py", "checks/*.py", "checks/expected.json",
)
# scripts/bundle_files/<source> -> its path in the bundle.
STUDENT_FILES = {
    "README.md": "README.md",
    "gitignore": ".gitignore",
    "nbgrader_config.py": "nbgrader_config.py",
}
# The project's own test runner: the bundle has no tests.
DEV_ONLY = {"pytest"}
# What only an instructor's file holds: nbgrader's solution and hidden-test regions.
MARKERS = (b"BEGIN SOLUTION", b"BEGIN HIDDEN TESTS")
SKIPPED = {"__pycache__", ".ipynb_checkpoints"}

REFERENCE_MODULES = {f"course_lib/{e.reference.split(':')[0]}.py" for e in EXERCISES}
REFERENCE_FUNCTIONS = sorted({e.reference.split(":")[1] for e in EXERCISES if e.kind == FUNCTION})
_DEFINES_REFERENCE = re.compile(rf"^[ \t]*def[ \t]+({'|'.join(REFERENCE_FUNCTIONS)})[ \t]*\(", re.MULTILINE)
_EPOCH = (1980, 1, 1, 0, 0, 0)


class BundleError(RuntimeError):
    pass


@dataclass(frozen=True)
class Entry:
    """One file of the bundle: its path there (posix), its bytes, and the file it came from (None if generated)."""

    path: str
    data: bytes
    source: Path | None


@dataclass(frozen=True)
class Bundle:
    folder: Path
    archive: Path
    files: int


def _tree(folder):
    """The files under folder, sorted, without caches and checkpoints."""
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and not SKIPPED & set(p.relative_to(folder).parts) and p.suffix != ".pyc")


def _read(source, path):
    return Entry(path, source.read_bytes(), source)


def notebook_entries(notebooks):
    """Every file of each released assignment folder, notebooks/<id>/..."""
    entries = []
    for assignment in ASSIGNMENTS:
        folder = Path(notebooks) / assignment
        if not (folder / f"{assignment}.ipynb").is_file():
            raise BundleError(f"no released notebook {folder / (assignment + '.ipynb')}: run scripts/release.py first")
        entries += [_read(p, f"notebooks/{p.relative_to(notebooks).as_posix()}") for p in _tree(folder)]
    return entries


def course_lib_entries():
    lib = ROOT / "course_lib"
    entries = []
    for pattern in COURSE_LIB:
        found = sorted(p for p in lib.glob(pattern) if p.is_file())
        if not found:
            raise BundleError(f"course_lib/{pattern} is in the bundle's allowlist but does not exist")
        entries += [_read(p, f"course_lib/{p.relative_to(lib).as_posix()}") for p in found]
    return entries


def student_pyproject():
    """The student's pyproject.toml: the project's version, Python and runtime dependencies."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = [d for d in project["dependencies"] if re.match(r"[A-Za-z0-9_.\-]+", d).group(0).lower() not in DEV_ONLY]
    text = (FILES / "pyproject.toml.in").read_text(encoding="utf-8")
    text = (text.replace("@VERSION@", project["version"])
                .replace("@REQUIRES_PYTHON@", project["requires-python"])
                .replace("@DEPENDENCIES@", "\n".join(f"    {json.dumps(d)}," for d in deps)))
    return Entry("pyproject.toml", text.encode("utf-8"), None)


def collect(notebooks=ROOT / "notebooks"):
    """Every file of the bundle, sorted by path."""
    entries = notebook_entries(notebooks) + course_lib_entries() + [student_pyproject()]
    entries += [_read(FILES / source, path) for source, path in STUDENT_FILES.items()]
    paths = [e.path for e in entries]
    if len(set(paths)) != len(paths):
        raise BundleError(f"two files for the same bundle path: {sorted(p for p in paths if paths.count(p) > 1)}")
    return sorted(entries, key=lambda e: e.path)


def find_leaks(entries):
    """(path, why) for every file that must not reach a student."""
    suite_digests = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in _tree(SUITES)} if SUITES.is_dir() else {}
    leaks = []
    for e in entries:
        if e.path in REFERENCE_MODULES:
            leaks.append((e.path, "is a reference module"))
        if e.source is not None and SUITES in e.source.resolve().parents:
            leaks.append((e.path, "comes from the hidden suites, autograder/suites/"))
        twin = suite_digests.get(hashlib.sha256(e.data).hexdigest())
        if twin is not None:
            leaks.append((e.path, f"is a copy of the hidden suites' {twin.relative_to(ROOT)}"))
        leaks += [(e.path, f"contains {m.decode()!r}") for m in MARKERS if m in e.data]
        if e.path.endswith(".py"):
            defined = sorted(set(_DEFINES_REFERENCE.findall(e.data.decode("utf-8", "replace"))))
            if defined:
                leaks.append((e.path, f"defines the reference function(s) {', '.join(defined)}"))
    return leaks


def write_zip(entries, path):
    """A reproducible zip: the entries under NAME/, sorted, with a fixed date and modes."""
    with zipfile.ZipFile(path, "w") as archive:
        for e in sorted(entries, key=lambda e: e.path):
            info = zipfile.ZipInfo(f"{NAME}/{e.path}", date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3   # unix, so that the mode below is read
            info.external_attr = 0o100644 << 16
            archive.writestr(info, e.data, compresslevel=9)


def build_bundle(out=ROOT / "build", notebooks=ROOT / "notebooks"):
    """Write out/student-bundle/ and out/student-bundle.zip from the released notebooks; returns a Bundle.

    Raises BundleError, having written nothing, when a file is missing or would leak.
    """
    entries = collect(Path(notebooks))
    leaks = find_leaks(entries)
    if leaks:
        listed = "\n".join(f"  {path}: {why}" for path, why in leaks)
        raise BundleError(f"refusing to write the student bundle, {len(leaks)} file(s) would leak:\n{listed}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    folder, archive = out / NAME, out / f"{NAME}.zip"
    # Staged beside the target and moved into place: a failed build leaves the last bundle whole.
    with tempfile.TemporaryDirectory(dir=out, prefix=f".{NAME}-") as scratch:
        staged = Path(scratch) / NAME
        for e in entries:
            target = staged / e.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(e.data)
        write_zip(entries, Path(scratch) / "bundle.zip")
        if folder.exists():
            shutil.rmtree(folder)
        staged.rename(folder)
        (Path(scratch) / "bundle.zip").replace(archive)
    return Bundle(folder, archive, len(entries))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebooks", default=str(ROOT / "notebooks"),
                        help="the released notebooks (default: notebooks/)")
    parser.add_argument("--out", default=str(ROOT / "build"), help="where the bundle goes (default: build/)")
    args = parser.parse_args(argv)
    return build_and_report(args.out, args.notebooks)


def build_and_report(out, notebooks):
    """Build the bundle and say where it went, or why not; returns an exit status."""
    try:
        bundle = build_bundle(out, notebooks)
    except BundleError as err:
        print(f"student bundle failed: {err}", file=sys.stderr)
        return 1
    print(f"bundled {bundle.files} files into {bundle.folder} and {bundle.archive}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
