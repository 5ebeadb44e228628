"""Faults of the machine or of the grader are never charged to the student, and never stamped as final."""

import functools
import json
import os
import resource

import numpy as np
import pytest

from autograder import pipeline
from autograder.records import FAULT, Submission
from autograder.sandbox import Limits, Sandbox, SandboxSetupError, StudentError
from autograder.stages.run import run as run_stage
from test_sandbox_attacks import REPO, _notebook


def test_a_sandbox_that_cannot_start_is_the_graders_fault():
    with Sandbox({"f": "def f():\n    return 1\n"}, limits=Limits(memory_bytes=40 << 20)) as sb:
        with pytest.raises(SandboxSetupError, match="did not start"):
            sb.call("f")
        assert sb.fault is not None
        with pytest.raises(SandboxSetupError):
            sb.call("f")   # once broken, never a StudentError


def test_running_out_of_descriptors_in_the_grader_is_the_graders_fault():
    with Sandbox({"f": "def f(x):\n    return x + 1\n"}, limits=Limits()) as sb:
        assert sb.call("f", np.ones(2)).sum() == 4
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        taken = {int(fd) for fd in os.listdir("/proc/self/fd")}
        lowest_free = min(set(range(len(taken) + 2)) - taken)
        resource.setrlimit(resource.RLIMIT_NOFILE, (lowest_free, hard))   # the next descriptor cannot be had
        try:
            with pytest.raises(SandboxSetupError) as info:
                sb.call("f", np.ones(2))
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        assert not isinstance(info.value, StudentError) and sb.fault is not None


def test_a_fault_is_not_stamped_and_the_next_run_grades_again(tmp_path):
    solution = json.loads((REPO / "solutions" / "02_bn_equations" / "02_bn_equations.ipynb").read_text())
    right = next("".join(c["source"]) for c in solution["cells"]
                 if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "batchnorm_forward")
    folder = tmp_path / "submitted" / "alice" / "02_bn_equations"
    _notebook(folder, right)
    subs = [Submission("alice", "02_bn_equations", folder / "02_bn_equations.ipynb")]
    out = tmp_path / "out"
    broken = functools.partial(run_stage, limits=Limits(memory_bytes=40 << 20))
    first = pipeline.grade_all(subs, out, workers=0, run_stage=broken)
    assert first[0].error.startswith(FAULT) and "did not start" in first[0].error
    assert not (out / "alice" / "02_bn_equations" / pipeline.STAMP).exists()
    second = pipeline.grade_all(subs, out, workers=0)
    assert second[0].error is None and second[0].score == second[0].max_score > 0
    assert (out / "alice" / "02_bn_equations" / pipeline.STAMP).exists()


def _one_student(tmp_path):
    solution = json.loads((REPO / "solutions" / "02_bn_equations" / "02_bn_equations.ipynb").read_text())
    right = next("".join(c["source"]) for c in solution["cells"]
                 if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "batchnorm_forward")
    _notebook(tmp_path / "submitted" / "alice" / "02_bn_equations", right)
    return tmp_path / "submitted"


def _grade_cli(submitted, out, *extra):
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "AUTOGRADER_ISOLATION"}
    return subprocess.run([sys.executable, "-m", "autograder", "grade", str(submitted), "--out", str(out),
                           "--workers", "1", "--quiet", *extra], capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=300)


def test_the_grader_says_once_which_isolation_it_uses(tmp_path):
    done = _grade_cli(_one_student(tmp_path), tmp_path / "out")
    assert done.returncode == 0, done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("isolation: ")]
    assert len(lines) == 1 and lines[0].split(":")[1].strip() in ("namespaces", "seccomp"), done.stderr
    doc = json.loads((tmp_path / "out" / "alice" / "02_bn_equations" / "results.json").read_text())
    assert doc["extra_data"]["isolation"] == lines[0].split(":")[1].strip()
    assert "without OS isolation" not in (tmp_path / "out" / "alice" / "02_bn_equations" / "feedback.md").read_text()


def test_every_report_of_a_run_without_isolation_says_so(tmp_path):
    out = tmp_path / "out"
    done = _grade_cli(_one_student(tmp_path), out, "--isolation", "none")
    assert done.returncode == 0, done.stderr
    assert "isolation: none: NO OS ISOLATION" in done.stderr
    folder = out / "alice" / "02_bn_equations"
    doc = json.loads((folder / "results.json").read_text())
    assert doc["extra_data"]["isolation"] == "none" and "without OS isolation" in doc["output"]
    for name in ("feedback.md", "feedback.html"):
        assert "without OS isolation" in (folder / name).read_text(), name
    assert "without OS isolation" in (out / "summary.md").read_text()


def test_an_isolation_this_machine_cannot_give_is_a_usage_error(tmp_path):
    done = _grade_cli(_one_student(tmp_path), tmp_path / "out", "--isolation", "bogus")
    assert done.returncode == 2 and "invalid choice" in done.stderr
