"""What the grader's unit tests share: the course's notebooks, submissions written to disk, and grading them.

The run stage is always the stand-in of pipeline_fakes (made-up outcomes, no
sandbox, no suites), so the tests that grade through these helpers are about
discovery, validation, extraction, lateness, the pipeline, the reports and the
command line, not the suites, and stay fast. The fixtures built on them
(``tiny_class``, ``with_bob``) are in conftest.py.
"""

import json
import os
import stat
import threading
from pathlib import Path

import pytest

import pipeline_fakes
from autograder import cli, pipeline
from autograder.discover import discover
from autograder.stages.extract import exercise_ids
from course_lib.exercises import ASSIGNMENTS

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
A01, A02, A03 = ASSIGNMENTS[:3]
FULL = pipeline_fakes.POINTS * len(exercise_ids(A01))   # what the stand-in run stage gives the model solution
DUE = "2026-10-02 17:00 UTC"


# ------------------------------------------------------------------------- notebooks as dicts, graded in process

def solution_nb(assignment):
    """The model solution of ``assignment``, as a dict."""
    return json.loads((REPO / "solutions" / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8"))


def released(assignment):
    """The released notebook of ``assignment`` (the stubs), as a dict."""
    return json.loads((REPO / "notebooks" / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8"))


def submit(root, student, assignment, nb, name=None):
    """Write a notebook (dict, str or bytes) to root/student/assignment/name."""
    path = Path(root) / student / assignment / (name or f"{assignment}.ipynb")
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb, dict):
        nb = json.dumps(nb, indent=1)
    path.write_bytes(nb if isinstance(nb, bytes) else nb.encode("utf-8"))
    return path


def grade_class(root, out, **kwargs):
    """pipeline.grade_all of everything under ``root``, in this process unless ``workers`` says otherwise."""
    kwargs.setdefault("run_stage", pipeline_fakes.fake_run)
    kwargs.setdefault("fingerprint", "test-grader")
    return pipeline.grade_all(discover(root), out, kwargs.pop("workers", 0), **kwargs)


# ------------------------------------------------------------------------- files as text, graded by the command line

def solution(assignment):
    """The model solution of ``assignment``, as the text of its file."""
    return (SOLUTIONS / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8")


def put(folder, text, name):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def snapshot(root):
    """Every path under ``root`` without following links: a file's bytes, a link's target, a special file's kind."""
    seen = {}
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(top) / name
            mode = os.lstat(path).st_mode
            rel = path.relative_to(root).as_posix()
            if stat.S_ISLNK(mode):
                seen[rel] = ("link", os.readlink(path))
            elif stat.S_ISREG(mode):
                seen[rel] = path.read_bytes()
            elif not stat.S_ISDIR(mode):
                seen[rel] = ("special", stat.S_IFMT(mode))
    return seen


def grade(root, out, capsys, *extra):
    """(exit status, captured output) of ``python -m autograder grade root --out out *extra``, run in this process."""
    status = cli.main(["grade", str(root), "--out", str(out), "--workers", "0", "--quiet", *extra],
                      run_stage=pipeline_fakes.fake_run)
    return status, capsys.readouterr()


def results(out, student, assignment=A01):
    return json.loads((out / student / assignment / "results.json").read_text(encoding="utf-8"))


def graded_folders(out):
    return sorted(p.name for p in out.iterdir() if p.is_dir())


def config(tmp_path, text=None):
    """nbgrader_config.py in ``tmp_path`` with ``text`` after get_config().

    Without ``text``: A01 is due at DUE, and late work loses 10% a day, 50% at most.
    """
    if text is None:
        text = (f"c.LatePenalty.due = {{'{A01}': '{DUE}'}}\n"
                "c.LatePenalty.percent_per_day = 10\nc.LatePenalty.max_percent = 50\n")
    path = tmp_path / "nbgrader_config.py"
    path.write_text("c = get_config()\n" + text)
    return path


def promptly(call, *args, fifo):
    """call(*args), failing (not hanging) when it blocks on the named pipe ``fifo``."""
    done = {}
    thread = threading.Thread(target=lambda: done.setdefault("value", call(*args)), daemon=True)
    thread.start()
    thread.join(60)   # a guard against a hang, not a measure of speed
    if thread.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))   # a writer comes and goes: the reader gets EOF
        thread.join(10)
        pytest.fail(f"{call.__name__} blocked opening the named pipe {fifo.name}")
    return done["value"]


def deep(levels):
    """A notebook's bytes with a value nested ``levels`` lists deep."""
    return b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "x": ' + \
        b"[" * levels + b"]" * levels + b"}"
