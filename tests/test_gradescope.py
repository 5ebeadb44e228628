"""The Gradescope autograder: the zip, and run_autograder in a fake /autograder.

The zip is built, unpacked into ``<tmp>/autograder/source`` the way Gradescope
does, and ``run_autograder`` is run against submissions laid out as Gradescope
lays them out. setup.sh's apt and pip cannot run here; its text is checked.
As root, the student's code runs as ``nobody``; the checks that need another
user are skipped otherwise.
"""

import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

import jsonschema
import numpy
import pytest

from autograder.gradescope import main
from autograder.gradescope.build import RUNTIME
from autograder.gradescope.run import LOCKED, USER_ENV as RUN_USER_ENV
from autograder.sandbox import USER_ENV, Limits, Sandbox, SandboxSetupError

from independent import CELLS, fill_notebook

REPO = Path(__file__).resolve().parents[1]

ASSIGNMENT, OTHER = "02_bn_equations", "04_backprop"
AS_ROOT = os.geteuid() == 0
NOT_ROOT = "only root can run the student's code as another user"
SANDBOX_USER = "nobody"

VISIBILITY = {"enum": ["visible", "hidden", "after_due_date", "after_published"]}
# Gradescope's results.json (https://gradescope-autograders.readthedocs.io/en/latest/specs/), with the
# fields this grader always writes made required.
RESULTS_SCHEMA = {
    "type": "object",
    "required": ["score", "execution_time", "output", "tests"],
    "properties": {
        "score": {"type": "number", "minimum": 0},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string", "minLength": 1},
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "score", "max_score", "status", "output", "visibility"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "score": {"type": "number", "minimum": 0},
                "max_score": {"type": "number", "minimum": 0},
                "status": {"enum": ["passed", "failed"]},
                "output": {"type": "string"},
                "visibility": VISIBILITY,
                "number": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "extra_data": {"type": "object"},
            },
        }},
    },
}
# As Gradescope writes /autograder/submission_metadata.json.
METADATA = {
    "id": 123456,
    "created_at": "2026-03-01T14:22:32.365935-08:00",
    "assignment": {"due_date": "2026-03-08T23:00:00.000000-08:00", "group_size": None, "group_submission": False,
                   "id": 25828, "course_id": 1234, "late_due_date": None,
                   "release_date": "2026-03-01T00:00:00.000000-08:00", "title": "BN equations", "total_points": "8.0"},
    "submission_method": "upload",
    "users": [{"email": "student@example.com", "id": 1234, "name": "Student User"}],
    "previous_submissions": [],
}
# An exercise cell that tries to get at the grader, then reports what happened through its own failure.
CHEAT = '''import os

ROOT = __ROOT__
tried = []
for what, attempt in (
        ("read", lambda: open(ROOT + "/source/course_lib/batchnorm.py").read()),
        ("list", lambda: os.listdir(ROOT + "/source")),
        ("write", lambda: open(ROOT + "/results/results.json", "w").write('{"score": 1000, "tests": []}')),
        ("mknod", lambda: os.mknod(ROOT + "/results/planted"))):   # no audit event: only the OS can refuse it
    try:
        attempt()
        tried.append(what + "=done")
    except Exception as err:
        tried.append(what + "=" + type(err).__name__)
tried.append("uid=" + str(os.getuid()))
REPORT = " ".join(tried)


def bn_param_count(units):
    raise RuntimeError(REPORT)
'''


def check_results(doc):
    """A results.json Gradescope accepts, with every score within its bounds."""
    jsonschema.validate(doc, RESULTS_SCHEMA)
    for test in doc["tests"]:
        assert test["score"] <= test["max_score"], test
    if doc["tests"]:
        assert doc["score"] <= sum(t["max_score"] for t in doc["tests"]) + 1e-9


def unpack(zip_path, dest):
    """Unzip keeping the modes, as Gradescope's unzip does."""
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            zf.extract(info, dest)
            os.chmod(dest / info.filename, (info.external_attr >> 16) & 0o777 or 0o644)


def notebook(path, cells=CELLS, assignment=ASSIGNMENT):
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "notebooks" / assignment / f"{assignment}.ipynb", path)
    fill_notebook(path, cells)
    return path


def _can_run(python, user):
    probe = f"import sys; sys.path.extend({[str(Path(numpy.__file__).parents[1])]!r}); import numpy"
    try:
        return subprocess.run([python, "-I", "-c", probe], user=user, cwd="/", capture_output=True,
                              timeout=60).returncode == 0
    except OSError:
        return False


# -- fixtures -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def zips(tmp_path_factory):
    out = tmp_path_factory.mktemp("zips")
    assert main([ASSIGNMENT, OTHER, "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def runner():
    """(AUTOGRADER_PYTHON, AUTOGRADER_SANDBOX_USER, why the student's code is not run as another user).

    The sandbox user must be able to run the grader's Python. When the project's
    is out of its reach (a Python installed under /root), a throwaway venv of the
    system's Python of the same version, borrowing the project's packages, stands in.
    """
    if not AS_ROOT:
        yield sys.executable, "", NOT_ROOT
        return
    if _can_run(sys.executable, SANDBOX_USER):
        yield sys.executable, SANDBOX_USER, None
        return
    system = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    if not (system.exists() and _can_run(str(system), SANDBOX_USER)):
        yield sys.executable, "", (f"{SANDBOX_USER} cannot run {sys.executable} nor {system} with the project's "
                                   "packages (a folder above them is closed to other users)")
        return
    shared = Path(tempfile.mkdtemp(prefix="gradescope-python-", dir="/tmp"))
    try:
        shared.chmod(0o755)
        subprocess.run([str(system), "-m", "venv", "--without-pip", str(shared)], check=True, timeout=120)
        site = shared / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
        (site / "project.pth").write_text(str(Path(numpy.__file__).parents[1]) + "\n")
        python = str(shared / "bin" / "python")
        if _can_run(python, SANDBOX_USER):
            yield python, SANDBOX_USER, None
        else:
            yield sys.executable, "", f"{SANDBOX_USER} cannot run {sys.executable} nor {python}"
    finally:
        shutil.rmtree(shared, ignore_errors=True)


@pytest.fixture
def base(tmp_path):
    """Where /autograder goes: as root, a folder every user may pass through, so that only the
    permissions run_autograder sets keep the student's code out."""
    if not AS_ROOT:
        yield tmp_path
        return
    path = Path(tempfile.mkdtemp(prefix="gradescope-test-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def autograder_root(base, zips, assignment=ASSIGNMENT):
    """``base/autograder`` laid out as Gradescope lays out /autograder, before the submission arrives."""
    root = base / "autograder"
    for name in ("source", "submission", "results"):
        (root / name).mkdir(parents=True)
    (root / "results").chmod(0o777)   # open to all: only run_autograder's lock keeps the student out
    unpack(zips / f"{assignment}.zip", root / "source")
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission_metadata.json").write_text(json.dumps(METADATA))
    return root


def run_autograder(root, runner, **env):
    python, user, _ = runner
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": python, USER_ENV: user, **env}
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    doc = json.loads((root / "results" / "results.json").read_text())
    check_results(doc)
    return doc, done


# -- the zip ------------------------------------------------------------------------------------

def test_the_zip_holds_the_scripts_the_grader_and_one_suite(zips):
    with zipfile.ZipFile(zips / f"{ASSIGNMENT}.zip") as zf:
        infos = {i.filename: i for i in zf.infolist()}
        assert zf.read("assignment.txt").decode().strip() == ASSIGNMENT
    names = list(infos)
    assert {"setup.sh", "run_autograder", "requirements.txt", "assignment.txt"} <= set(names)
    assert any(n.startswith("autograder/sandbox/") for n in names) and "course_lib/bncache.py" in names
    assert any(n.startswith(f"autograder/suites/{ASSIGNMENT}/test_") for n in names)
    assert not [n for n in names if n.startswith("autograder/suites/") and n.count("/") > 2
                and not n.startswith(f"autograder/suites/{ASSIGNMENT}/")]
    assert all(n.split("/")[0] in ("autograder", "course_lib") for n in names if "/" in n)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or "/." in n or n.startswith(".")]
    assert (infos["run_autograder"].external_attr >> 16) & 0o777 == 0o755
    assert (infos["setup.sh"].external_attr >> 16) & 0o777 == 0o755
    assert (infos["course_lib/bncache.py"].external_attr >> 16) & 0o777 == 0o644


def test_the_zip_is_the_same_bytes_when_built_again(zips, tmp_path):
    assert main([ASSIGNMENT, "--out", str(tmp_path)]) == 0
    again = (tmp_path / f"{ASSIGNMENT}.zip").read_bytes()
    assert again == (zips / f"{ASSIGNMENT}.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / f"{ASSIGNMENT}.zip") as zf:
        names = zf.namelist()
        assert names == sorted(names) and {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_requirements_pin_the_installed_versions_of_what_grading_needs(zips):
    with zipfile.ZipFile(zips / f"{ASSIGNMENT}.zip") as zf:
        lines = [ln for ln in zf.read("requirements.txt").decode().splitlines() if ln and not ln.startswith("#")]
    pinned = dict(ln.split("==") for ln in lines)
    assert len(pinned) == len(lines) and all(re.fullmatch(r"[a-z0-9-]+", n) for n in pinned)
    for name, version in pinned.items():
        assert metadata.version(name) == version, name
    assert {"numpy", "nbformat", "pytest", "tqdm"} <= set(pinned)
    assert not {"torch", "keras", "jupyterlab", "notebook", "nbgrader", "scikit-learn", "bn-course"} & set(pinned)


def test_the_requirements_are_enough_to_grade(zips, tmp_path):
    """Grade with every installed package outside requirements.txt hidden, as on Gradescope."""
    with zipfile.ZipFile(zips / f"{ASSIGNMENT}.zip") as zf:
        allowed = {ln.split("==")[0] for ln in zf.read("requirements.txt").decode().splitlines()
                   if ln and not ln.startswith("#")} | {"bn-course"}   # this project, shipped as source
    hide = '''import importlib.abc, importlib.metadata, re, runpy, sys
allowed = set(sys.argv[1].split(","))
owners = importlib.metadata.packages_distributions()
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        dists = {re.sub(r"[-_.]+", "-", d).lower() for d in owners.get(name.partition(".")[0], ())}
        if dists and not dists & allowed:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Hide())
sys.argv = ["autograder", *sys.argv[2:]]
runpy.run_module("autograder", run_name="__main__", alter_sys=True)
'''
    nb = notebook(tmp_path / f"{ASSIGNMENT}.ipynb")
    done = subprocess.run([sys.executable, "-c", hide, ",".join(sorted(allowed)), "grade", str(nb), "--assignment",
                           ASSIGNMENT, "--workers", "0", "--out", str(tmp_path / "out"), "--quiet"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads((tmp_path / "out" / "student" / ASSIGNMENT / "results.json").read_text())
    assert doc["tests"] and doc["score"] == sum(t["max_score"] for t in doc["tests"]), doc["output"]
    assert set(RUNTIME) <= {n.lower() for n in allowed}


def test_setup_sh_installs_python_the_requirements_and_a_user_without_login(zips, tmp_path):
    unpack(zips / f"{ASSIGNMENT}.zip", tmp_path)
    setup, run = (tmp_path / "setup.sh").read_text(), (tmp_path / "run_autograder").read_text()
    for script in ("setup.sh", "run_autograder"):
        done = subprocess.run(["bash", "-n", str(tmp_path / script)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    assert setup.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in setup
    assert re.search(r"apt-get install -y .*python3 python3-pip", setup)
    assert re.search(r"pip install [^\n]*(\\\n[^\n]*)?-r requirements\.txt", setup)
    assert re.search(r"useradd [^\n]*--shell /usr/sbin/nologin student", setup)
    assert 'AUTOGRADER_SANDBOX_USER-student' in run   # the user setup.sh makes
    assert "torch" not in setup and "cuda" not in setup.lower()


def test_an_unknown_assignment_is_a_usage_error(tmp_path, capsys):
    assert main(["99_nope", "--out", str(tmp_path)]) == 2
    assert "unknown assignment 99_nope" in capsys.readouterr().err
    assert main(["--out", str(tmp_path)]) == 2   # neither assignments nor --all
    assert not list(tmp_path.iterdir())


# -- run_autograder -------------------------------------------------------------------------------

def test_a_correct_notebook_scores_full_marks(base, zips, runner):
    root = autograder_root(base, zips)
    notebook(root / "submission" / f"{ASSIGNMENT}.ipynb")
    doc, _ = run_autograder(root, runner)
    assert doc["tests"] and all(t["status"] == "passed" for t in doc["tests"]), doc["output"]
    assert doc["score"] == sum(t["max_score"] for t in doc["tests"]) > 0
    assert doc["extra_data"]["gradescope"] == {"submission_id": METADATA["id"], "created_at": METADATA["created_at"]}
    if AS_ROOT:
        for name, mode in LOCKED.items():
            st = (root / name).stat()
            assert (st.st_mode & 0o777, st.st_uid) == (mode, 0), name


def test_a_renamed_notebook_in_a_folder_is_graded(base, zips, runner):
    root = autograder_root(base, zips)
    notebook(root / "submission" / "my work" / "Copy of batchnorm.ipynb")
    (root / "submission" / "my work" / ".ipynb_checkpoints").mkdir()
    notebook(root / "submission" / "my work" / ".ipynb_checkpoints" / "old-checkpoint.ipynb", cells={})
    doc, _ = run_autograder(root, runner)
    assert doc["score"] == sum(t["max_score"] for t in doc["tests"]) > 0, doc["output"]


def test_no_notebook_scores_zero_and_says_what_was_found(base, zips, runner):
    root = autograder_root(base, zips)
    (root / "submission" / "answers.py").write_text("x = 1\n")
    (root / "submission" / "notes.txt").write_text("see the notebook\n")
    doc, _ = run_autograder(root, runner)
    assert doc["score"] == 0 and doc["tests"] == []
    assert "no notebook was found" in doc["output"] and "answers.py, notes.txt" in doc["output"]
    assert f"{ASSIGNMENT}.ipynb" in doc["output"]


def test_two_notebooks_score_zero_and_are_named(base, zips, runner):
    root = autograder_root(base, zips)
    notebook(root / "submission" / "a.ipynb")
    notebook(root / "submission" / "b" / "b.ipynb")
    doc, _ = run_autograder(root, runner)
    assert doc["score"] == 0 and "2 notebooks (a.ipynb, b/b.ipynb)" in doc["output"]


def test_the_grader_crashing_still_writes_results(base, zips, runner):
    root = autograder_root(base, zips)
    notebook(root / "submission" / f"{ASSIGNMENT}.ipynb")
    # the zip's own code is what runs: break it, and the grading stops without a report
    (root / "source" / "autograder" / "__main__.py").write_text("import os\nos._exit(3)\n")
    doc, _ = run_autograder(root, runner)
    assert doc["score"] == 0 and "exit status 3" in doc["output"] and "fault of the grader" in doc["output"]


def test_running_out_of_time_still_writes_results(base, zips, runner):
    root = autograder_root(base, zips)
    notebook(root / "submission" / f"{ASSIGNMENT}.ipynb")
    doc, _ = run_autograder(root, runner, AUTOGRADER_TIMEOUT="0.2")
    assert doc["score"] == 0 and "did not finish within 0.2 seconds" in doc["output"]


def test_a_python_that_cannot_start_still_leaves_results(base, zips, runner):
    root = autograder_root(base, zips)
    notebook(root / "submission" / f"{ASSIGNMENT}.ipynb")
    doc, done = run_autograder(root, runner, AUTOGRADER_PYTHON=str(base / "no-such-python"))
    assert doc["score"] == 0 and "could not start" in doc["output"] and "wrote no results" in done.stderr


@pytest.fixture(params=["auto", "seccomp"])
def cheated(request, base, zips, runner):
    """A notebook whose bn_param_count cell goes after the grader's files, graded in the strongest isolation
    here and in the fallback without namespaces; and the honest score."""
    from autograder.sandbox.isolation import works

    if request.param != "auto" and not works(request.param):
        pytest.skip(f"the isolation {request.param!r} does not work on this machine")
    root = autograder_root(base, zips)
    cells = {**CELLS, "bn_param_count": CHEAT.replace("__ROOT__", repr(str(root)))}
    notebook(root / "submission" / f"{ASSIGNMENT}.ipynb", cells)
    doc, _ = run_autograder(root, runner, AUTOGRADER_ISOLATION=request.param)
    outputs = [t["output"] for t in doc["tests"] if t["name"].startswith("bn_param_count:")]
    report = re.search(r"read=\S+ list=\S+ write=\S+ mknod=\S+ uid=\d+", outputs[0]).group(0)
    return root, doc, dict(item.split("=") for item in report.split())


def test_a_cheating_notebook_gains_nothing_and_results_json_is_ours(cheated):
    root, doc, tried = cheated
    assert tried["read"] != "done" and tried["list"] != "done" and tried["write"] != "done", tried
    assert doc["extra_data"]["assignment"] == ASSIGNMENT and doc["extra_data"]["gradescope"]["submission_id"]
    by_exercise = {}
    for t in doc["tests"]:
        by_exercise.setdefault(t["name"].split(":")[0], []).append(t)
    assert all(t["status"] == "passed" for t in by_exercise["batchnorm_forward"])
    assert all(t["score"] == 0 for t in by_exercise["bn_param_count"])
    assert doc["score"] == sum(t["max_score"] for t in by_exercise["batchnorm_forward"])


@pytest.mark.skipif(not AS_ROOT, reason=NOT_ROOT + ", and the grader's own user may write its results")
def test_the_student_cannot_write_the_results_folder_even_where_the_audit_hook_is_blind(cheated, runner):
    if runner[2]:   # the child runs as the grader's own user, who may write its results
        pytest.skip(runner[2])
    root, _, tried = cheated
    assert tried["mknod"] == "PermissionError"
    assert sorted(p.name for p in (root / "results").iterdir()) == ["results.json"]


def test_the_students_code_runs_as_an_unprivileged_user(cheated, runner):
    if runner[2]:
        pytest.skip(runner[2])
    assert int(cheated[2]["uid"]) == pwd.getpwnam(SANDBOX_USER).pw_uid != 0


# -- the sandbox's user --------------------------------------------------------------------------

def test_the_sandbox_names_a_user_it_cannot_become():
    with pytest.raises(SandboxSetupError, match="does not exist"):
        Sandbox({}, limits=Limits(user="no-such-user-here"))
    assert RUN_USER_ENV == USER_ENV   # run_autograder's setting reaches the sandbox


def test_the_sandbox_refuses_another_user_unless_root(runner):
    python, user, _ = runner
    check = ("from autograder.sandbox import Limits, Sandbox, SandboxSetupError\n"
             "try:\n    Sandbox({}, limits=Limits(user='root'))\nexcept SandboxSetupError as err:\n    print(err)\n")
    if AS_ROOT:
        if not user:
            pytest.skip(runner[2])
        done = subprocess.run([python, "-c", check], user=SANDBOX_USER, cwd=REPO, capture_output=True, text=True,
                              env={"PATH": "/usr/bin:/bin"}, timeout=120)
    else:
        done = subprocess.run([python, "-c", check], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert "only when the grader runs as root" in done.stdout, done.stderr


def test_the_os_keeps_the_child_out_of_a_root_folder_whatever_the_user(runner, base):
    """mknod raises no audit event; the operating system refuses it, with or without a named sandbox user
    (without one, a root grader's child runs as a fresh uid of its own)."""
    python, user, why = runner
    if why:
        pytest.skip(why)
    folder = base / "root-only"
    folder.mkdir(mode=0o755)
    check = f'''import json, os
from autograder.sandbox import Limits, Sandbox
cell = "import os\\ndef f(path):\\n    try:\\n        os.mknod(path)\\n        return 'done', os.getuid()\\n" \\
       "    except OSError as err:\\n        return type(err).__name__, os.getuid()\\n"
seen = {{}}
for user in ("", {user!r}):
    with Sandbox({{"f": cell}}, limits=Limits(user=user)) as sb:
        seen[user or "grader"] = sb.call("f", {str(folder)!r} + "/by-" + (user or "grader"))
print(json.dumps(seen))
'''
    done = subprocess.run([python, "-c", check], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout)
    assert seen["grader"][0] in ("PermissionError", "FileNotFoundError") and seen["grader"][1] != 0
    assert not (folder / "by-grader").exists()
    assert seen[user][0] in ("PermissionError", "FileNotFoundError") and not (folder / f"by-{user}").exists()
    assert seen[user][1] == pwd.getpwnam(user).pw_uid
