"""Submissions crafted against the grader: each is refused with a clear message, and nothing is followed or lost.

A symbolic link anywhere in SUBMITTED (into the instructor's solutions, say),
a pipe, socket or device in place of a notebook or of timestamp.txt, a
notebook too big or nested too deep to parse, a student id that passes for
another or runs as a spreadsheet formula, and a submission time that cannot
be read, which must not count as on time. The run stage is the pipeline
tests' stand-in (tests/pipeline_fakes.py).
"""

import csv
import io
import json
import os
import socket
import stat
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import pipeline_fakes
from autograder import cli, pipeline
from autograder.discover import discover, DiscoveryError, find, notebook_in, unsafe_id
from autograder.late import LatePolicy, lateness, read_timestamp
from autograder.records import Submission
from autograder.reports import submission_folder
from autograder.stages import validate as validate_stage
from autograder.stages.validate import validate
from autograder.stages.extract import exercise_ids
from course_lib.exercises import ASSIGNMENTS

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
A01, A02 = ASSIGNMENTS[:2]
FULL = pipeline_fakes.POINTS * len(exercise_ids(A01))   # what the stand-in run stage gives the model solution
DUE = "2026-10-02 17:00 UTC"


def solution(assignment):
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
    status = cli.main(["grade", str(root), "--out", str(out), "--workers", "0", "--quiet", *extra],
                      run_stage=pipeline_fakes.fake_run)
    return status, capsys.readouterr()


def results(out, student, assignment=A01):
    return json.loads((out / student / assignment / "results.json").read_text(encoding="utf-8"))


def config(tmp_path, percent_per_day=10, max_percent=50):
    path = tmp_path / "nbgrader_config.py"
    path.write_text(f"c = get_config()\nc.LatePenalty.due = {{'{A01}': '{DUE}'}}\n"
                    f"c.LatePenalty.percent_per_day = {percent_per_day}\nc.LatePenalty.max_percent = {max_percent}\n")
    return path


def graded_folders(out):
    return sorted(p.name for p in out.iterdir() if p.is_dir())


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


# ----------------------------------------------------------------------------- symbolic links

@pytest.fixture
def with_bob(tmp_path):
    """submitted/ with bob's honest submission, so that a class run always has one to grade."""
    root = tmp_path / "submitted"
    put(root / "bob" / A01, solution(A01), f"{A01}.ipynb")
    return root


def test_a_student_folder_that_is_a_link_into_the_solutions_is_not_graded(tmp_path, capsys, with_bob):
    root = with_bob
    os.symlink(SOLUTIONS, root / "mallory")   # SOLUTIONS/<assignment>/<assignment>.ipynb: a student's layout
    before = snapshot(root)
    found = find(root)
    assert [s.student for s in found.submissions] == ["bob"]
    assert found.notices == ("mallory is a symbolic link; not followed, not graded, left in place",)
    status, captured = grade(root, tmp_path / "out", capsys)
    assert status == 0, captured.err
    assert "not graded: mallory is a symbolic link; not followed, not graded" in captured.err
    assert "mallory is a symbolic link" in (tmp_path / "out" / cli.NOTICES).read_text()
    assert graded_folders(tmp_path / "out") == ["bob"]
    assert snapshot(root) == before and (root / "mallory").is_symlink()


@pytest.mark.parametrize("restricted", [False, True])
def test_an_assignment_folder_that_is_a_link_is_not_graded(tmp_path, capsys, with_bob, restricted):
    root = with_bob
    (root / "mallory").mkdir()
    os.symlink(SOLUTIONS / A01, root / "mallory" / A01)
    found = find(root, [A01] if restricted else None)
    assert [s.student for s in found.submissions] == ["bob"]
    assert found.notices == (f"mallory/{A01} is a symbolic link; not followed, not graded, left in place",)
    status, captured = grade(root, tmp_path / "out", capsys, *(["--assignment", A01] if restricted else []))
    assert status == 0, captured.err
    assert graded_folders(tmp_path / "out") == ["bob"]


@pytest.mark.parametrize("name", [f"{A01}.ipynb", "my work.ipynb"])
def test_a_notebook_that_is_a_link_is_not_graded_and_the_link_is_left(tmp_path, capsys, with_bob, name):
    root = with_bob
    folder = root / "mallory" / A01
    folder.mkdir(parents=True)
    os.symlink(SOLUTIONS / A01 / f"{A01}.ipynb", folder / name)
    before = snapshot(root)
    found = find(root)
    assert [s.student for s in found.submissions] == ["bob"]
    assert found.notices == (f"mallory/{A01}/{name} is a symbolic link; not followed, not graded, left in place",)
    status, captured = grade(root, tmp_path / "out", capsys)
    assert status == 0, captured.err
    assert graded_folders(tmp_path / "out") == ["bob"]
    assert snapshot(root) == before


def test_in_the_exchange_inbox_links_are_not_followed(tmp_path, capsys):
    inbox = tmp_path / "inbound"
    stamp = "2026-10-01 09:00:00.000000 UTC"
    put(inbox / f"bob+{A01}+{stamp}+abc", solution(A01), f"{A01}.ipynb")
    os.symlink(SOLUTIONS / A01, inbox / f"mallory+{A01}+{stamp}+abc")
    (inbox / f"eve+{A01}+{stamp}+abc").mkdir()
    os.symlink(SOLUTIONS / A01 / f"{A01}.ipynb", inbox / f"eve+{A01}+{stamp}+abc" / f"{A01}.ipynb")
    found = find(inbox)
    assert [s.student for s in found.submissions] == ["bob"]
    assert sorted(found.notices) == [
        f"eve+{A01}+{stamp}+abc/{A01}.ipynb is a symbolic link; not followed, not graded, left in place",
        f"mallory+{A01}+{stamp}+abc is a symbolic link; not followed, not graded, left in place"]
    status, captured = grade(inbox, tmp_path / "out", capsys)
    assert status == 0, captured.err
    assert graded_folders(tmp_path / "out") == ["bob"]


def test_what_the_instructor_names_may_be_a_link(tmp_path, capsys, with_bob):
    link = tmp_path / "this-term"
    os.symlink(with_bob, link)                      # SUBMITTED itself
    assert [s.student for s in discover(link)] == ["bob"]
    alone = tmp_path / "bob-link"
    os.symlink(with_bob / "bob", alone)             # one student's folder
    assert [(s.student, s.assignment) for s in discover(alone)] == [("bob-link", A01)]
    notebook = tmp_path / f"{A01}.ipynb"
    os.symlink(with_bob / "bob" / A01 / f"{A01}.ipynb", notebook)   # one notebook: followed, as asked
    [sub] = discover(notebook)
    assert validate(sub).error is None
    download = tmp_path / "download.ipynb"      # no telling name: the grade_ids of the target say which
    os.symlink(with_bob / "bob" / A01 / f"{A01}.ipynb", download)
    assert [(s.assignment, validate(s).error) for s in discover(download)] == [(A01, None)]


def test_a_notebook_swapped_for_a_link_after_discovery_is_refused_when_read(tmp_path):
    folder = tmp_path / "submitted" / "mallory" / A01
    put(folder, "{}", f"{A01}.ipynb")
    [sub] = discover(tmp_path / "submitted")
    sub.path.unlink()
    os.symlink(SOLUTIONS / A01 / f"{A01}.ipynb", sub.path)
    validated = validate(sub)
    assert validated.nb is None
    assert "is a symbolic link, not a notebook file; the grader does not follow links" in validated.error


def test_a_roster_students_folder_that_is_a_link_is_not_looked_into(tmp_path):
    root = tmp_path / "submitted"
    root.mkdir()
    os.symlink(SOLUTIONS, root / "mallory")
    path = notebook_in(root / "mallory" / A01, A01)
    assert path == root / "mallory"
    assert "is a symbolic link" in validate(Submission("mallory", A01, path)).error


def test_a_timestamp_that_is_a_link_is_not_followed(tmp_path, capsys):
    folder = tmp_path / "submitted" / "mallory" / A01
    put(folder, solution(A01), f"{A01}.ipynb")
    early = put(tmp_path / "elsewhere", "2026-09-01 09:00:00.000000 UTC", "timestamp.txt")
    os.symlink(early, folder / "timestamp.txt")
    stamp, note = read_timestamp(folder)
    assert stamp is None and "it is a symbolic link, not a file" in note
    found = find(tmp_path / "submitted")
    assert found.notices == (f"mallory/{A01}/timestamp.txt is a symbolic link; not followed, left in place "
                             "(the submission is graded without it)",)
    status, captured = grade(tmp_path / "submitted", tmp_path / "out", capsys, "--config", str(config(tmp_path)))
    assert status == 0, captured.err
    doc = results(tmp_path / "out", "mallory")
    assert doc["extra_data"]["late"]["percent"] == 50 and doc["score"] == FULL / 2


# ----------------------------------------------------------------------------- pipes, sockets, devices

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


def test_a_named_pipe_for_a_timestamp_is_refused_without_blocking(tmp_path, capsys):
    folder = tmp_path / "submitted" / "mallory" / A01
    put(folder, solution(A01), f"{A01}.ipynb")
    fifo = folder / "timestamp.txt"
    os.mkfifo(fifo)
    stamp, note = promptly(read_timestamp, folder, fifo=fifo)
    assert stamp is None and "timestamp.txt could not be read (it is a named pipe, not a file)" in note
    status, captured = promptly(grade, tmp_path / "submitted", tmp_path / "out", capsys, "--config",
                                str(config(tmp_path)), fifo=fifo)
    assert status == 0, captured.err
    doc = results(tmp_path / "out", "mallory")
    assert doc["extra_data"]["late"]["percent"] == 50 and "it is a named pipe" in doc["output"]


def test_a_named_pipe_named_on_the_command_line_is_a_usage_error(tmp_path, capsys):
    fifo = tmp_path / "submitted"
    os.mkfifo(fifo)
    with pytest.raises(DiscoveryError, match="neither a notebook file nor a folder of submissions"):
        find(fifo)


# ----------------------------------------------------------------------------- too big, too deep

def deep(levels):
    return b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "x": ' + \
        b"[" * levels + b"]" * levels + b"}"


def test_a_notebook_nested_too_deep_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    import nbformat

    def never(*args, **kwargs):
        raise AssertionError("nbformat was given a notebook nested too deep")

    monkeypatch.setattr(nbformat, "reads", never)
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


def test_a_loose_notebook_nested_too_deep_is_a_clear_usage_error(tmp_path):
    loose = tmp_path / "download.ipynb"
    loose.write_bytes(deep(100_000))
    with pytest.raises(DiscoveryError, match="cannot tell which assignment"):
        discover(loose)


# ----------------------------------------------------------------------------- student ids

@pytest.mark.parametrize("student, code", [
    ("ali\u200bce", "U+200B"),      # zero-width space
    ("ali\u200dce", "U+200D"),      # zero-width joiner
    ("alice\u2060", "U+2060"),      # word joiner
    ("\ufeffalice", "U+FEFF"),      # byte-order mark
    ("\u202eecila", "U+202E"),      # right-to-left override: shows as "alice"
    ("ali\u2066ce", "U+2066"),      # left-to-right isolate
    ("ali\u061cce", "U+061C"),      # Arabic letter mark
    ("ali\u00adce", "U+00AD"),      # soft hyphen: category Cf, shown as nothing
])
def test_an_id_with_an_invisible_or_reordering_character_is_refused(tmp_path, capsys, student, code):
    problem = unsafe_id(student)
    assert problem and code in problem and "could be shown as another's" in problem
    root = tmp_path / "submitted"
    put(root / student / A01, solution(A01), f"{A01}.ipynb")
    put(root / "alice" / A01, solution(A01), f"{A01}.ipynb")
    before = snapshot(root)
    status, captured = grade(root, tmp_path / "out", capsys)
    assert status == 0, captured.err
    assert "this student id cannot be used as a file name" in captured.err and code in captured.err
    assert graded_folders(tmp_path / "out") == ["alice"]
    assert snapshot(root) == before


@pytest.mark.parametrize("student", ["=HYPERLINK(A1)", "+1", "@SUM(A1)", "\tx", "\rx"])
def test_an_id_a_spreadsheet_would_run_as_a_formula_is_refused(tmp_path, capsys, student):
    problem = unsafe_id(student)
    assert problem and f"it starts with {student[0]!r}, which a spreadsheet reads as the start of a formula" in problem
    if student[0] in "\t\r":
        return   # a control character: not a folder name this test can rely on everywhere
    root = tmp_path / "submitted"
    put(root / student / A01, solution(A01), f"{A01}.ipynb")
    put(root / "bob" / A01, solution(A01), f"{A01}.ipynb")
    status, captured = grade(root, tmp_path / "out", capsys)
    assert status == 0 and "spreadsheet" in captured.err
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "grades.csv").read_text(encoding="utf-8"))))
    assert [r["student"] for r in rows] == ["bob"]


@pytest.mark.parametrize("student", ["a+b", "x=y", "a-b", "o'brien", "Zoë 李", "José García", "Ada@home"])
def test_ids_that_only_hold_such_characters_inside_are_still_graded(tmp_path, capsys, student):
    assert unsafe_id(student) is None
    root = tmp_path / "submitted"
    put(root / student / A01, solution(A01), f"{A01}.ipynb")
    status, captured = grade(root, tmp_path / "out", capsys)
    assert status == 0, captured.err
    assert results(tmp_path / "out", student)["extra_data"]["student"] == student


# ----------------------------------------------------------------------------- an unknown submission time

@pytest.mark.parametrize("stamp", [None, "yesterday-ish", "\xff\xfe garbage"])
def test_with_a_due_date_an_unknown_time_gets_the_largest_penalty_and_says_so(tmp_path, capsys, stamp):
    folder = tmp_path / "submitted" / "bob" / A01
    put(folder, solution(A01), f"{A01}.ipynb")
    if stamp is not None:
        put(folder, stamp, "timestamp.txt")
    out = tmp_path / "out"
    status, captured = grade(tmp_path / "submitted", out, capsys, "--config", str(config(tmp_path)))
    assert status == 0, captured.err
    doc = results(out, "bob")
    late = doc["extra_data"]["late"]
    assert (late["percent"], late["penalty"], late["raw_score"], doc["score"]) == (50, FULL / 2, FULL, FULL / 2)
    assert late["status"] == "unknown time" and late["due"] == "2026-10-02 17:00:00 UTC"
    said = ("timestamp.txt is missing or unreadable, so the maximum late penalty (50%) was applied; "
            "ask your instructor if you submitted on time")
    assert late["message"] == said
    assert said in doc["output"] and said in (out / "bob" / A01 / "feedback.md").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8"))))
    assert (rows[0][A01], rows[0]["late penalty"]) == (f"{FULL / 2:g}", f"{FULL / 2:g}")
    if stamp is not None:
        assert "time of this submission is unknown" in doc["output"]
    again = pipeline.grade_all(discover(tmp_path / "submitted"), out, 0, run_stage=pipeline_fakes.fake_run,
                               policy=LatePolicy(due={A01: datetime(2026, 10, 2, 17, tzinfo=timezone.utc)},
                                                 percent_per_day=10, max_percent=50))
    assert [g.resumed for g in again] == [True] and again[0].penalty == FULL / 2   # the stamp is deterministic


def test_without_a_due_date_an_unknown_time_changes_nothing(tmp_path, capsys):
    put(tmp_path / "submitted" / "bob" / A02, solution(A02), f"{A02}.ipynb")   # the due date is A01's
    status, captured = grade(tmp_path / "submitted", tmp_path / "out", capsys, "--config", str(config(tmp_path)))
    assert status == 0, captured.err
    assert results(tmp_path / "out", "bob", A02)["extra_data"]["late"] is None


def test_the_largest_penalty_is_the_policys_own():
    due = datetime(2026, 10, 2, 17, tzinfo=timezone.utc)
    capped = lateness(LatePolicy(due={A01: due}, percent_per_day=10, max_percent=35), A01, None, 10.0)
    assert (capped.percent, capped.penalty, capped.days_late) == (35, 3.5, 4)   # as late as it counts
    assert lateness(LatePolicy(due={A01: due}, percent_per_day=10), A01, "not a time", 10.0).percent == 100
    nothing = lateness(LatePolicy(due={A01: due}, percent_per_day=0), A01, None, 10.0)
    assert (nothing.percent, nothing.penalty) == (0, 0)   # late work costs nothing under this policy


def test_in_the_exchange_inbox_the_folders_time_is_the_stamp(tmp_path, capsys):
    inbox = tmp_path / "inbound"
    on_time = datetime(2026, 10, 2, 16, 0, tzinfo=timezone.utc)
    name = f"bob+{A01}+{on_time:%Y-%m-%d %H:%M:%S.%f UTC}+abc"
    put(inbox / name, solution(A01), f"{A01}.ipynb")
    put(inbox / name, "garbled", "timestamp.txt")
    [sub] = discover(inbox)
    assert sub.timestamp == on_time.isoformat() and sub.notes == ()
    status, captured = grade(inbox, tmp_path / "out", capsys, "--config", str(config(tmp_path)))
    assert status == 0, captured.err
    assert results(tmp_path / "out", "bob")["extra_data"]["late"] is None
    late = on_time + timedelta(days=1, hours=2)
    put(inbox / f"bob+{A01}+{late:%Y-%m-%d %H:%M:%S.%f UTC}+def", solution(A01), f"{A01}.ipynb")
    grade(inbox, tmp_path / "out", capsys, "--config", str(config(tmp_path)))
    assert results(tmp_path / "out", "bob")["extra_data"]["late"]["days_late"] == 2
