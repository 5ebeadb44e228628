"""The student bundle: nothing of the instructor's in it, and it works on its own.

scripts/bundle.py builds it (``make release`` runs it). Here it is built into
a temporary folder and unzipped; its files are searched for the reference
solutions, solution regions and hidden tests; then it is used from a fresh
virtual environment that sees the project's third-party packages but not the
project's own course_lib, as a student's would.
"""

import ast
import hashlib
import importlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sysconfig
import textwrap
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

import bundle as bundler   # scripts/bundle.py: scripts/ is on pytest's pythonpath (pyproject.toml)
from course_lib.exercises import ASSIGNMENTS, EXERCISES, FUNCTION, VALUE
from independent import CELLS, fill_notebook

ROOT = Path(__file__).resolve().parents[1]
SUITES = ROOT / "autograder" / "suites"

MARKERS = ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "### BEGIN")
# Reference lines a student-side module may share without giving a solution away:
# argument checks, error handling, shape unpacking, making an argument an array and returning a name.
GENERIC = re.compile(r"check_|^raise |^if |^(\w+, )*\w+ = \w+\.shape$|^(?P<arg>\w+) = np\.asarray\((?P=arg)\)$|^return \w+$")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The bundle built from notebooks/, and the folder its zip unzips to."""
    bundle = bundler.build_bundle(tmp_path_factory.mktemp("build"))
    unzipped = tmp_path_factory.mktemp("unzipped")
    with zipfile.ZipFile(bundle.archive) as archive:
        archive.extractall(unzipped)
    return bundle, unzipped / bundler.NAME


def files_of(root):
    return sorted(p.relative_to(root).as_posix() for p in Path(root).rglob("*") if p.is_file())


def texts_of(root):
    """path -> the file's text (a notebook: its cells' sources); binary files are left out."""
    texts = {}
    for rel in files_of(root):
        try:
            text = (Path(root) / rel).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if rel.endswith(".ipynb"):
            text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"]) + "\n" + text
        texts[rel] = text
    return texts


def _code(line):
    return line.split("#")[0].strip()


def reference_of(e):
    module, function = e.reference.split(":")
    return getattr(importlib.import_module(f"course_lib.{module}"), function)


def distinctive_lines(fn, e=None):
    """The lines of fn's body that give its solution away: no docstring, comment, check or error handling.

    For a value worked by hand (``e`` a VALUE row), the lines of its reference module that compute it.
    """
    if e is not None and e.kind == VALUE:
        module, name = e.reference.split(":")
        source = inspect.getsource(importlib.import_module(f"course_lib.{module}"))
        return {_code(line) for line in source.splitlines() if line.startswith(f"{name} = ")}
    source = textwrap.dedent(inspect.getsource(fn))
    node = ast.parse(source).body[0]
    body = node.body[1:] if ast.get_docstring(node) is not None else node.body
    lines = {_code(line) for line in source.splitlines()[body[0].lineno - 1:node.end_lineno]}
    return {line for line in lines if len(line) >= 6 and not GENERIC.search(line)}


def leaked_lines(root, e):
    """(file, line) for each distinctive line of e's reference found in a file under root."""
    wanted = distinctive_lines(reference_of(e), e)
    return sorted((rel, line) for rel, text in texts_of(root).items()
                  for line in wanted & {_code(t) for t in text.splitlines()})


def hidden_test_names():
    return sorted({name for p in SUITES.rglob("*.py")
                   for name in re.findall(r"^def (test_\w+)", p.read_text(encoding="utf-8"), re.MULTILINE)})


def instructor_traces(root):
    """(file, why) for solution markers, hidden test names and copies of suite files under root."""
    names, found = hidden_test_names(), []
    suites = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in SUITES.rglob("*") if p.is_file()}
    for rel in files_of(root):
        if hashlib.sha256((Path(root) / rel).read_bytes()).hexdigest() in suites:
            found.append((rel, "a copy of a hidden suite's file"))
    for rel, text in texts_of(root).items():
        found += [(rel, marker) for marker in MARKERS if marker in text]
        found += [(rel, name) for name in names if name in text]
    return found


# -- what the bundle holds ---------------------------------------------------------------------------


def test_the_zip_unzips_to_the_folder_and_is_reproducible(built, tmp_path):
    bundle, unzipped = built
    assert files_of(unzipped) == files_of(bundle.folder) and len(files_of(unzipped)) == bundle.files
    for rel in files_of(unzipped):
        assert (unzipped / rel).read_bytes() == (bundle.folder / rel).read_bytes(), rel
    with zipfile.ZipFile(bundle.archive) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    again = bundler.build_bundle(tmp_path)
    assert again.archive.read_bytes() == bundle.archive.read_bytes()


def test_the_bundle_holds_what_a_student_needs(built):
    _, root = built
    files = set(files_of(root))
    needed = {"README.md", "pyproject.toml", ".gitignore", "course_lib/selfcheck.py", "course_lib/cells.py",
              "course_lib/checks/expected.json", "course_lib/datasets/cal_housing.data.gz",
              "course_lib/student.py", "course_lib/exercises.py", "course_lib/model.py", "course_lib/train.py"}
    needed |= {f"notebooks/{a}/{a}.ipynb" for a in ASSIGNMENTS}
    assert needed <= files, sorted(needed - files)
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    deps = {re.match(r"[\w.\-]+", d).group(0) for d in project["dependencies"]}
    assert {"numpy", "matplotlib", "scikit-learn", "nbgrader", "jupyterlab"} <= deps and "pytest" not in deps
    readme = (root / "README.md").read_text()
    assert "jupyter lab notebooks" in readme and "python -m course_lib.selfcheck notebooks/" in readme


def test_the_bundle_holds_nothing_of_the_instructors(built):
    _, root = built
    files = files_of(root)
    assert {f.split("/")[0] for f in files} <= {"notebooks", "course_lib", "README.md",
                                                "pyproject.toml", ".gitignore", "nbgrader_config.py"}
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]
    for e in EXERCISES:
        assert f"course_lib/{e.reference.split(':')[0]}.py" not in files


@pytest.mark.parametrize("name", [e.name for e in EXERCISES])
def test_no_reference_solution_in_any_file(built, name):
    e = next(x for x in EXERCISES if x.name == name)
    assert distinctive_lines(reference_of(e), e), "nothing to search for: the search would pass vacuously"
    assert not leaked_lines(built[1], e)


def test_no_solution_region_hidden_test_or_suite_file(built):
    assert hidden_test_names()
    assert not instructor_traces(built[1])


def test_the_leak_searches_find_a_planted_leak(tmp_path):
    for e in EXERCISES:
        reference = reference_of(e) if e.kind == FUNCTION else importlib.import_module(
            "course_lib." + e.reference.split(":")[0])
        (tmp_path / f"{e.name}.py").write_text(inspect.getsource(reference))
    assert all(leaked_lines(tmp_path, e) for e in EXERCISES)
    suite_file = next(SUITES.rglob("test_*.py"))
    shutil.copy(suite_file, tmp_path / "copied.py")
    nb = json.loads((ROOT / "solutions" / "02_bn_equations" / "02_bn_equations.ipynb").read_text())
    (tmp_path / "nb.ipynb").write_text(json.dumps(nb))
    found = {why for _, why in instructor_traces(tmp_path)}
    assert {"a copy of a hidden suite's file", "BEGIN SOLUTION"} <= found


def test_the_builder_refuses_to_write_a_leaking_bundle(tmp_path, monkeypatch):
    monkeypatch.setattr(bundler, "COURSE_LIB", bundler.COURSE_LIB + ("batchnorm.py",))
    suite_file = next(SUITES.rglob("test_*.py")).relative_to(ROOT)
    monkeypatch.setattr(bundler, "STUDENT_FILES", {**bundler.STUDENT_FILES,
                                                   f"../../{suite_file.as_posix()}": "extra/suite.py"})
    with pytest.raises(bundler.BundleError) as err:
        bundler.build_bundle(tmp_path)
    message = str(err.value)
    assert "course_lib/batchnorm.py: is a reference module" in message
    assert "defines the reference function(s) batchnorm_backward" in message
    assert "extra/suite.py: comes from the hidden suites" in message
    assert list(tmp_path.iterdir()) == []


def test_the_builder_finds_solution_regions():
    source = ROOT / "solutions" / "02_bn_equations" / "02_bn_equations.ipynb"
    leaks = bundler.find_leaks([bundler.Entry("notebooks/x.ipynb", source.read_bytes(), source)])
    assert ("notebooks/x.ipynb", "contains 'BEGIN SOLUTION'") in leaks


# -- the bundle on its own, in a fresh virtual environment -------------------------------------------


@pytest.fixture(scope="module")
def clean_python(tmp_path_factory):
    """A fresh venv's python whose third-party packages are the project venv's, without the project itself.

    A .pth line naming a folder adds the folder to sys.path without reading the
    .pth files inside it, so the project's editable install of course_lib is not seen.
    """
    env = tmp_path_factory.mktemp("venv")
    venv.create(env, with_pip=False, symlinks=os.name != "nt")
    python = env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    ours = sysconfig.get_paths()
    Path(site, "project-packages.pth").write_text("\n".join(sorted({ours["purelib"], ours["platlib"]})) + "\n")
    return python


def run_in(python, root, args, cwd=None, timeout=300):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "VIRTUAL_ENV", "PYTHONPATH")}
    env.update(PYTHONPATH=str(root), MPLBACKEND="Agg", PYTHONNOUSERSITE="1", PYTHONDONTWRITEBYTECODE="1",
               PATH=f"{Path(python).parent}{os.pathsep}{env.get('PATH', '')}")
    return subprocess.run([str(python), *args], cwd=cwd or root, env=env, capture_output=True, text=True,
                          timeout=timeout)


IMPORTS = '''
import importlib, json, sys
import course_lib
import course_lib.checks, course_lib.data, course_lib.experiments, course_lib.model, course_lib.plots
import course_lib.student, course_lib.train
refused = {}
for ref in sys.argv[1:]:
    module, function = ref.split(":")
    try:
        getattr(importlib.import_module("course_lib." + module), function)
    except (ImportError, AttributeError) as err:
        refused[ref] = type(err).__name__
try:
    import autograder
    grader = autograder.__file__
except ImportError:
    grader = None
print(json.dumps({"course_lib": course_lib.__file__, "autograder": grader, "refused": refused}))
'''


def test_course_lib_is_the_bundles_and_holds_no_reference(built, clean_python):
    root = built[1]
    refs = sorted({e.reference for e in EXERCISES})
    done = run_in(clean_python, root, ["-c", IMPORTS, *refs])
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert Path(seen["course_lib"]) == root / "course_lib" / "__init__.py"
    assert seen["autograder"] is None   # the grader stays with the course staff
    assert sorted(seen["refused"]) == refs


RUN_PREFIXES = '''
import json, sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

PROBE = "import sys, course_lib; print(sys.prefix); print(course_lib.__file__)"
results = {}
for path in map(Path, sys.argv[1:]):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    first = next((i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution")),
                 len(nb.cells))
    nb.cells = [nbformat.v4.new_code_cell(PROBE)] + nb.cells[:first]
    client = NotebookClient(nb, kernel_name="python3", timeout=300,
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
        error = None
    except CellExecutionError as err:
        error = [err.ename, str(err.evalue)]
    probe = "".join(o.get("text", "") for o in nb.cells[0].get("outputs", [])).split()
    results[str(path)] = {"probe": probe, "error": error, "cells": first}
print(json.dumps(results))
'''


def run_prefixes(python, root, notebooks, tmp_path):
    script = tmp_path / "run_prefixes.py"
    script.write_text(RUN_PREFIXES)
    done = run_in(python, root, [str(script), *map(str, notebooks)], timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def finished(built, tmp_path_factory):
    """A copy of the bundle whose exercises a student has finished (answers written apart from the reference)."""
    root = tmp_path_factory.mktemp("student") / bundler.NAME
    shutil.copytree(built[1], root)
    for a in ASSIGNMENTS:
        fill_notebook(root / "notebooks" / a / f"{a}.ipynb", CELLS)
    return root


def test_every_notebook_runs_up_to_its_first_exercise(built, finished, clean_python, tmp_path):
    """As released, every notebook runs up to its first exercise, even before the earlier notebooks'
    exercises are done (the cells that need them say so and are skipped); with them done, too."""
    fresh = run_prefixes(clean_python, built[1], [built[1] / "notebooks" / a / f"{a}.ipynb" for a in ASSIGNMENTS],
                         tmp_path)
    done = run_prefixes(clean_python, finished, [finished / "notebooks" / a / f"{a}.ipynb" for a in ASSIGNMENTS],
                        tmp_path)
    for root, results in ((built[1], fresh), (finished, done)):
        for path, result in results.items():
            # the kernel is the fresh venv's python, importing the bundle's course_lib
            assert result["probe"] == [str(Path(clean_python).parent.parent),
                                       str(root / "course_lib" / "__init__.py")], result["probe"]
            assert result["cells"] > 1, path
    for a in ASSIGNMENTS:
        assert done[str(finished / "notebooks" / a / f"{a}.ipynb")]["error"] is None, a
        assert fresh[str(built[1] / "notebooks" / a / f"{a}.ipynb")]["error"] is None, a


DEFAULTS = '''
import json
from course_lib.experiments import circles_experiment
from course_lib.model import circles_model
from course_lib.modules import BatchNorm

from course_lib.convnet import digits_convnet

model = circles_model(True, seed=0)
fns = next(layer for layer in model.layers if isinstance(layer, BatchNorm)).fns
runs = circles_experiment(True, seeds=[0], epochs=3, threshold=0.0)
conv = {norm: digits_convnet(norm).layers[1] for norm in ("bn", "ln", "gn")}
conv_fns = {"spatial_forward": conv["bn"].fwd, "spatial_backward": conv["bn"].bwd, "spatial_inference": conv["bn"].inf,
            "layernorm_forward": conv["ln"].fwd, "layernorm_backward": conv["ln"].bwd,
            "groupnorm_forward": conv["gn"].fwd}
print(json.dumps({field: getattr(fns, field).__code__.co_filename for field in fns._fields}
                 | {name: fn.__code__.co_filename for name, fn in conv_fns.items()}
                 | {"reach": runs[0].epochs_to_threshold}))
'''


def test_models_and_experiments_default_to_the_students_functions(finished, clean_python):
    done = run_in(clean_python, finished, ["-c", DEFAULTS])
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen.pop("reach") == 1   # the student's epochs_to_reach, from notebook 06
    expected = {"forward": "02_bn_equations", "backward": "04_backprop", "inference": "05_inference",
                "update": "05_inference", "spatial_inference": "05_inference",
                **{name: "07_beyond_dense" for name in ("spatial_forward", "spatial_backward", "layernorm_forward",
                                                       "layernorm_backward", "groupnorm_forward")}}
    assert {field: Path(f).stem for field, f in seen.items()} == expected


def test_the_self_check_runs_in_the_bundle(built, clean_python):
    root = built[1]
    done = run_in(clean_python, root, ["-m", "course_lib.selfcheck", "notebooks/02_bn_equations/02_bn_equations.ipynb"])
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "batchnorm_forward" in done.stdout
