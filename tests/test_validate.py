"""autograder/stages/validate.py: a notebook is read, or the student is told what to fix.

Odd metadata is read; an empty, binary, cut-short or old-format notebook, one
over the size limit, a missing one or several in one folder each get a clear
message. A notebook swapped for a symbolic link, a named pipe, socket or
device in its place, and JSON nested too deep for the parser are refused
without blocking or following anything, and are the student's error, final
(not retried as a fault of the grader). Where a class is graded, the run
stage is the stand-in of tests/pipeline_fakes.py.
"""

import json
import os
import socket
import stat
from pathlib import Path

import pytest

import pipeline_fakes
from autograder import pipeline
from autograder.discover import discover
from autograder.records import Submission
from autograder.reports import submission_folder
from autograder.stages import validate as validate_stage
from autograder.stages.validate import validate
from grading_helpers import (A01, A02, FULL, SOLUTIONS, deep, grade, promptly, put, results, solution, solution_nb,
                             submit)


def sub(path, assignment=A02, student="s"):
    return Submission(student, assignment, Path(path))


# ----------------------------------------------------------------------------- what a notebook holds

def test_validate_reads_a_notebook_with_odd_metadata(tmp_path):
    nb = solution_nb(A02)
    nb["metadata"]["some_extension"] = {"weird": [1, 2]}
    for cell in nb["cells"]:
        cell.pop("id", None)                     # nbformat 4.5 wants ids: harmless here
        cell["metadata"]["tags"] = "not-a-list"  # schema-invalid
    path = submit(tmp_path, "s", A02, b"\xef\xbb\xbf" + json.dumps(nb).encode())   # and a byte-order mark
    validated = validate(sub(path))
    assert validated.error is None and len(validated.nb["cells"]) == len(nb["cells"])


@pytest.mark.parametrize("content, expected", [
    (b"", "is empty"),
    (b"   \n", "is empty"),
    (bytes(range(256)) * 4, "binary data"),
    ("{\"cells\": [], \"caf\xe9\": 1}".encode("latin-1"), "not UTF-8"),
    (b'{\n  "cells": [\n    {"cell_type": "code",,}\n  ]\n}', "not valid JSON (line 3"),
    (b'[1, 2, 3]', "not a notebook"),
    (b'{"metadata": {}, "nbformat": 4}', "not a notebook"),
    (b'{"worksheets": [], "nbformat": 3, "nbformat_minor": 0, "metadata": {}}',
     "saved in nbformat 3, an old notebook format the grader cannot read; open and save it in a current JupyterLab"),
    (b'{"cells": [{"cell_type": "code", "source": 3}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}',
     "cell 1 of"),
])
def test_validate_explains_a_bad_notebook(tmp_path, content, expected):
    path = submit(tmp_path, "s", A02, content)
    validated = validate(sub(path))
    assert validated.nb is None
    assert expected in validated.error


def test_validate_refuses_a_notebook_over_20_mb(tmp_path):
    path = tmp_path / "big.ipynb"
    with open(path, "wb") as f:
        f.truncate(21 * 2**20)   # sparse: nothing is read, the size alone decides
    error = validate(sub(path)).error
    assert "21.0 MB; the limit is 20 MB" in error and "Clear Outputs" in error
    assert validate_stage.MAX_BYTES == 20 * 2**20


def test_validate_missing_none_or_several_notebooks(tmp_path):
    assert "No notebook was submitted" in validate(sub(tmp_path / "nope.ipynb")).error
    folder = tmp_path / "s" / A02
    folder.mkdir(parents=True)
    assert "No notebook (.ipynb) was found" in validate(sub(folder)).error
    submit(tmp_path, "s", A02, solution_nb(A02), name="a.ipynb")
    submit(tmp_path, "s", A02, solution_nb(A02), name="b.ipynb")
    b = folder / "b.ipynb"
    os.utime(b, (b.stat().st_atime, b.stat().st_mtime + 60))
    [found] = discover(tmp_path)
    assert found.path == b
    error = validate(found).error
    assert error is None   # of several, the one saved last is graded, and the student is told
    assert "holds 2 notebooks" in " ".join(found.notes) and "Not graded, kept: a.ipynb" in " ".join(found.notes)


# ----------------------------------------------------------------------------- links, pipes, sockets, devices

def test_a_notebook_swapped_for_a_link_after_discovery_is_refused_when_read(tmp_path):
    folder = tmp_path / "submitted" / "mallory" / A01
    put(folder, "{}", f"{A01}.ipynb")
    [sub] = discover(tmp_path / "submitted")
    sub.path.unlink()
    os.symlink(SOLUTIONS / A01 / f"{A01}.ipynb", sub.path)
    validated = validate(sub)
    assert validated.nb is None
    assert "is a symbolic link, not a notebook file; the grader does not follow links" in validated.error


def test_a_named_pipe_for_a_notebook_is_refused_without_blocking(tmp_path, capsys, with_bob):
    root = with_bob
    folder = root / "mallory" / A01
    folder.mkdir(parents=True)
    fifo = folder / f"{A01}.ipynb"
    os.mkfifo(fifo)
    error = promptly(validate, Submission("mallory", A01, fifo), fifo=fifo).error
    assert error == (f"{A01}.ipynb is not a notebook file: it is a named pipe, which the grader does not read. "
                     "Submit the .ipynb file that JupyterLab saves.")
    status, captured = promptly(grade, root, tmp_path / "out", capsys, fifo=fifo)
    assert status == 1
    assert "it is a named pipe" in results(tmp_path / "out", "mallory")["output"]
    assert results(tmp_path / "out", "bob")["score"] == FULL
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def _socket(path):
    server = socket.socket(socket.AF_UNIX)
    server.bind(path.name)   # relative: a socket's path is limited to about 100 bytes
    return server


def _device(path):
    try:
        os.mknod(path.name, stat.S_IFCHR | 0o600, os.makedev(1, 3))   # what /dev/null is
    except (PermissionError, AttributeError):
        pytest.skip("making a device file needs privileges this test does not have")


@pytest.mark.parametrize("make, kind", [(_socket, "a socket"), (_device, "a device")])
def test_a_socket_or_device_for_a_notebook_is_refused(tmp_path, monkeypatch, make, kind):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / f"{A01}.ipynb"
    keep = make(path)
    try:
        error = validate(Submission("mallory", A01, path)).error
    finally:
        if keep is not None:
            keep.close()
    assert f"it is {kind}, which the grader does not read" in error


# ----------------------------------------------------------------------------- too big, too deep

def test_a_notebook_nested_too_deep_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the parser was given a notebook nested too deep")

    monkeypatch.setattr(validate_stage.json, "loads", never)
    path = put(tmp_path / "mallory", "", f"{A01}.ipynb")
    path.write_bytes(deep(100_000))
    error = validate(Submission("mallory", A01, path)).error
    assert error.startswith(f"{A01}.ipynb is malformed: its JSON is nested 100001 levels deep, and a notebook is "
                            "never nested more than 100")


def test_brackets_inside_strings_are_no_nesting(tmp_path):
    nb = json.loads(solution(A01))
    nb["cells"][0]["source"] = ["[" * 5000 + '{"\\" ' + "{" * 5000]   # text, and an escaped quote
    path = put(tmp_path / "alice", json.dumps(nb), f"{A01}.ipynb")
    assert validate(Submission("alice", A01, path)).error is None
    assert validate_stage.nesting_depth(b'{"a": "\\\\"}[[') == 2   # an escaped backslash ends no string early


@pytest.mark.parametrize("content, expected", [
    (deep(100_000), "is nested 100001 levels deep"),
    (b'{"cells": [], "nbformat": 4, "x": ' + b"7" * 5000 + b"}", "is malformed: its JSON cannot be read"),
])
def test_a_notebook_that_would_break_the_parser_is_the_students_error_and_final(tmp_path, content, expected):
    path = put(tmp_path / "submitted" / "mallory" / A01, "", f"{A01}.ipynb")
    path.write_bytes(content)
    [sub] = discover(tmp_path / "submitted")
    out = tmp_path / "out"
    [graded] = pipeline.grade_student([sub], out, run_stage=pipeline_fakes.fake_run, fingerprint="t")
    assert expected in graded.error and "fault of the grader" not in graded.error
    assert (submission_folder(out, sub) / pipeline.STAMP).is_file()   # not retried forever


def test_a_notebook_over_the_size_limit_is_the_students_error_and_final(tmp_path, monkeypatch):
    monkeypatch.setattr(validate_stage, "MAX_BYTES", 2**20)
    path = put(tmp_path / "submitted" / "mallory" / A01, solution(A01), f"{A01}.ipynb")
    with open(path, "ab") as f:
        f.write(b" " * 2**20)
    [sub] = discover(tmp_path / "submitted")
    out = tmp_path / "out"
    [graded] = pipeline.grade_student([sub], out, run_stage=pipeline_fakes.fake_run, fingerprint="t")
    assert "MB; the limit is 1 MB" in graded.error and "Clear Outputs" in graded.error
    assert (submission_folder(out, sub) / pipeline.STAMP).is_file()


# ----------------------------------------------------------------------------- nbformat's verdicts, without nbformat

def _nbformat_reads(text):
    """What the stage asked of nbformat before it checked the JSON itself: a notebook nbformat's reader takes."""
    import warnings

    import nbformat

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
        except Exception:
            return False
    return not nb.get("nbformat", 0) < 4


_VALUES = [None, True, False, 0, 1, 3, 4, 4.0, 5, -1, "", "4", "x", [], ["a"], [1], [[]], {}, {"a": 1},
           {"a": [1]}, {"text/plain": ["a", "b"]}]


def _damaged_notebooks():
    """A solution notebook with a code cell holding outputs and a markdown cell with an attachment, then each
    place nbformat's reader looks at replaced by each kind of JSON value, or deleted."""
    nb = solution_nb(A01)
    code = {"cell_type": "code", "execution_count": 1, "id": "c1", "metadata": {}, "source": ["x = 1\n"],
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["a\n", "b\n"]},
                        {"output_type": "execute_result", "execution_count": 1, "metadata": {},
                         "data": {"text/plain": ["1"]}}]}
    text = {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": "![a](attachment:a.png)",
            "attachments": {"a.png": {"image/png": "iVBORw0KGgo="}}}
    nb["cells"] += [code, text]
    yield "as saved", nb
    places = {
        "nbformat": lambda n: n, "nbformat_minor": lambda n: n, "metadata": lambda n: n,
        "cell metadata": lambda n: n["cells"][-2], "id": lambda n: n["cells"][-2],
        "outputs": lambda n: n["cells"][-2], "attachments": lambda n: n["cells"][-1],
        "a.png": lambda n: n["cells"][-1]["attachments"],
        "output_type": lambda n: n["cells"][-2]["outputs"][0], "text": lambda n: n["cells"][-2]["outputs"][0],
        "data": lambda n: n["cells"][-2]["outputs"][1], "output": lambda n: n["cells"][-2],
    }
    for place, parent in places.items():
        key = {"cell metadata": "metadata", "output": "outputs"}.get(place, place)
        for value in [..., *_VALUES]:
            damaged = json.loads(json.dumps(nb))
            if place == "output":   # one output of each kind of value
                if value is ...:
                    continue
                value = [value]
            if value is ...:
                parent(damaged).pop(key)
            else:
                parent(damaged)[key] = value
            yield f"{place} = {'deleted' if value is ... else json.dumps(value)}", damaged
    for minor in (4, 5):   # an id that is a list or an object matters from nbformat 4.5 on
        for value in ([1], {"a": 1}, 7):
            damaged = json.loads(json.dumps(nb))
            damaged["nbformat_minor"] = minor
            damaged["cells"][-1]["id"] = value
            yield f"nbformat_minor {minor}, id = {json.dumps(value)}", damaged


def test_validate_refuses_exactly_what_nbformats_reader_refuses(tmp_path):
    disagree = []
    for i, (what, nb) in enumerate(_damaged_notebooks()):
        text = json.dumps(nb)
        path = submit(tmp_path / str(i), "s", A01, text.encode())
        ours = validate(sub(path, A01)).error is None
        if ours != _nbformat_reads(text):
            disagree.append(f"{what}: ours {'reads' if ours else 'refuses'} it")
    assert not disagree, disagree
