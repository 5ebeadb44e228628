"""The grader end to end, through its command line: solutions, stubs, and the example class."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_lib.exercises import ASSIGNMENTS, EXERCISES, exercises_of
from examples.classroom import write

ROOT = Path(__file__).resolve().parents[1]


def grade(submitted, out, *extra):
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submitted), "--out", str(out),
                           "--workers", "2", "--quiet", *extra], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)
    return done


def class_of(tmp_path, tree, student):
    """A submitted/ folder holding one student whose notebooks are ``tree``'s."""
    submitted = tmp_path / "submitted"
    for a in ASSIGNMENTS:
        (submitted / student / a).mkdir(parents=True)
        shutil.copy(ROOT / tree / a / f"{a}.ipynb", submitted / student / a)
    return submitted


def results(out, student):
    return {a: json.loads((out / student / a / "results.json").read_text()) for a in ASSIGNMENTS}


def test_the_solutions_score_full_marks(tmp_path):
    done = grade(class_of(tmp_path, "solutions", "instructor"), tmp_path / "out")
    assert done.returncode == 0, done.stderr
    for a, r in results(tmp_path / "out", "instructor").items():
        failed = [t["name"] for t in r["tests"] if t["status"] != "passed"]
        assert r["score"] == sum(t["max_score"] for t in r["tests"]) and not failed, (a, failed)


def test_the_released_stubs_score_zero_without_a_crash(tmp_path):
    done = grade(class_of(tmp_path, "notebooks", "blank"), tmp_path / "out")
    assert done.returncode == 0, done.stderr
    for a, r in results(tmp_path / "out", "blank").items():
        assert r["score"] == 0 and r["tests"], a
        assert all("not written yet" in t["output"] or "NotImplementedError" in t["output"] or
                   "no " in t["output"] for t in r["tests"]), a


@pytest.fixture(scope="module")
def example_class(tmp_path_factory):
    base = tmp_path_factory.mktemp("examples")
    submitted, _ = write(base / "submitted")
    done = grade(submitted, base / "out")
    return base / "out", done


def test_example_class_grades_and_the_cheater_gains_nothing(example_class):
    out, done = example_class
    assert done.returncode == 0, done.stderr
    grades = {row.split(",")[0]: row.split(",") for row in (out / "grades.csv").read_text().splitlines()}
    total = grades["student"].index("total")
    full = sum(e.points for e in EXERCISES)
    assert float(grades["alice"][total]) == full
    assert 0.5 * full < float(grades["bob"][total]) < full
    mallory = results(out, "mallory")
    # every cheat scores zero on its exercise; only the honest hand-worked numbers earn points
    for a, exercise in (("02_bn_equations", "batchnorm_forward"), ("02_bn_equations", "bn_param_count"),
                        ("04_backprop", "batchnorm_backward"), ("04_backprop", "batchnorm_backward_alt"),
                        ("05_inference", "update_running_stats"), ("06_experiments", "epochs_to_reach"),
                        ("07_beyond_dense", "groupnorm_forward")):
        tests = [t for t in mallory[a]["tests"] if t["name"].startswith(exercise + ":")]
        assert tests and all(t["score"] == 0 for t in tests), (exercise, tests)


def test_feedback_never_shows_hidden_test_code(example_class):
    out, _ = example_class
    suites = "\n".join(p.read_text() for p in (ROOT / "autograder" / "suites").rglob("test_*.py"))
    code_lines = {ln.strip() for ln in suites.splitlines() if len(ln.strip()) > 30 and not ln.strip().startswith(("#", '"'))}
    for path in list(out.rglob("results.json")) + list(out.rglob("feedback.md")):
        text = path.read_text()
        assert "Traceback" not in text and 'File "' not in text, path
        leaked = [ln for ln in code_lines if ln in text]
        assert not leaked, (path, leaked[:3])


def test_test_names_start_with_their_exercise(example_class):
    out, _ = example_class
    allowed = {e.name for a in ASSIGNMENTS for e in exercises_of(a)}
    for path in out.rglob("results.json"):
        for t in json.loads(path.read_text())["tests"]:
            assert t["name"].split(":")[0] in allowed and ": " in t["name"], t["name"]
            assert set(t) >= {"name", "score", "max_score", "status", "output", "visibility"}


def test_bad_notebooks_get_a_message_and_the_class_is_still_graded(tmp_path):
    submitted = class_of(tmp_path, "solutions", "good")
    bad = submitted / "broken"
    for a in ASSIGNMENTS:
        (bad / a).mkdir(parents=True)
    (bad / "01_covariate_shift" / "01_covariate_shift.ipynb").write_text('{"nbformat": 3, "nbformat_minor": 0, "worksheets": []}')
    (bad / "02_bn_equations" / "02_bn_equations.ipynb").write_text('{"cells": [')
    (bad / "03_cgpa_iq_walkthrough" / "03_cgpa_iq_walkthrough.ipynb").write_bytes(b"")
    (bad / "04_backprop" / "04_backprop.ipynb").write_bytes(bytes(range(256)) * 10)
    shutil.copy(ROOT / "solutions" / "05_inference" / "05_inference.ipynb", bad / "05_inference")
    # 06: no notebook at all
    done = grade(submitted, tmp_path / "out")
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    good = results(tmp_path / "out", "good")
    assert all(r["score"] == r["extra_data"]["max_score"] for r in good.values())
    broken = {a: json.loads((tmp_path / "out" / "broken" / a / "results.json").read_text()) for a in ASSIGNMENTS}
    assert broken["05_inference"]["score"] == broken["05_inference"]["extra_data"]["max_score"]
    for a, words in (("01_covariate_shift", "nbformat 3"), ("02_bn_equations", "JSON"), ("03_cgpa_iq_walkthrough", "empty"),
                     ("04_backprop", "notebook"), ("06_experiments", "notebook")):
        assert broken[a]["score"] == 0 and words in broken[a]["output"], (a, broken[a]["output"])
