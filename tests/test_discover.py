"""autograder/discover.py: which submissions there are, and what the instructor and the student are told about each.

Folders of students and assignments, nbgrader's exchange inbox, one student's
folder or one notebook; an unknown assignment, odd or unsafe student ids, two
submissions from one student, a renamed notebook, extra files; and
submissions crafted against the grader: symbolic links anywhere in
SUBMITTED, a named pipe on the command line, a loose notebook nested too
deep. Each case gets a clear message, and nothing is followed or lost. Where
a class is graded, the run stage is the stand-in of tests/pipeline_fakes.py.
"""

import csv
import io
import json
import os
from datetime import datetime, timedelta, timezone

import pytest

from autograder import cli
from autograder.discover import DiscoveryError, discover, find, notebook_in, unsafe_id
from autograder.records import Submission
from autograder.stages.validate import validate
from grading_helpers import (A01, A02, A03, REPO, SOLUTIONS, deep, grade, graded_folders, put, results, snapshot,
                             solution, solution_nb, submit)


# ----------------------------------------------------------------------------- folders, one student, one notebook

def test_discover_finds_every_assignment_folder_sorted_and_ignores_the_rest(tmp_path):
    root = tmp_path / "submitted"
    submit(root, "zoe", A02, solution_nb(A02))
    submit(root, "adam", A02, solution_nb(A02), name="my work.ipynb")   # the single notebook, whatever its name
    submit(root, "adam", A01, solution_nb(A01))
    submit(root, "adam", "notes", {"x": 1})                               # not an assignment
    submit(root, ".hidden", A01, solution_nb(A01))
    found = discover(root)
    assert [(s.student, s.assignment) for s in found] == [("adam", A01), ("adam", A02), ("zoe", A02)]
    assert found[1].path.name == "my work.ipynb"
    assert discover(root) == found


def test_discover_with_assignment_gives_a_missing_notebook_to_a_student_without_it(tmp_path):
    root = tmp_path / "submitted"
    submit(root, "adam", A01, solution_nb(A01))
    submit(root, "zoe", A02, solution_nb(A02))
    found = discover(root, [A02])
    assert [(s.student, s.assignment, s.path.exists()) for s in found] == [("adam", A02, False), ("zoe", A02, True)]
    assert "No notebook was submitted for 02_bn_equations" in validate(found[0]).error
    with pytest.raises(DiscoveryError, match="the assignments are"):
        discover(root, ["02"])


def test_discover_one_notebook_file(tmp_path):
    nb = submit(tmp_path / "submitted", "carol", A03, solution_nb(A03))
    assert discover(nb) == [Submission("carol", A03, nb)]
    loose = tmp_path / "download.ipynb"          # no telling name: the grade_ids say which assignment
    loose.write_text(json.dumps(solution_nb(A02)))
    assert discover(loose) == [Submission("student", A02, loose)]
    assert discover(loose, [A01])[0].assignment == A01
    unknown = tmp_path / "other.ipynb"
    unknown.write_text(json.dumps({"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}))
    with pytest.raises(DiscoveryError, match="cannot tell which assignment"):
        discover(unknown)


def test_discover_accepts_one_students_folder(tmp_path):
    submit(tmp_path, "dave", A01, solution_nb(A01))
    found = discover(tmp_path / "dave")
    assert [(s.student, s.assignment) for s in found] == [("dave", A01)]


# ----------------------------------------------------------------------------- unknown assignment

def test_a_folder_that_is_no_assignment_is_reported_and_left_alone(tmp_path, capsys):
    root = tmp_path / "submitted"
    put(root / "alice" / A01, solution(A01), f"{A01}.ipynb")
    put(root / "alice" / "07_dropout", solution(A01), "07_dropout.ipynb")
    before = snapshot(root)
    found = find(root)
    assert [(s.student, s.assignment) for s in found.submissions] == [("alice", A01)]
    assert len(found.notices) == 1 and "alice/07_dropout: not an assignment of this course" in found.notices[0]
    status, captured = grade(root, tmp_path / "out", capsys)
    assert status == 0
    assert "not graded: alice/07_dropout: not an assignment" in captured.err
    assert "07_dropout" in (tmp_path / "out" / cli.NOTICES).read_text()
    assert snapshot(root) == before


# ----------------------------------------------------------------------------- student ids

@pytest.mark.parametrize("student", ["José García", "Zoë 李", "o'brien", "a+b", "ALICE"])
def test_ids_with_spaces_and_letters_of_any_alphabet_are_graded(tmp_path, capsys, student):
    root = tmp_path / "submitted"
    put(root / student / A01, solution(A01), f"{A01}.ipynb")
    status, captured = grade(root, tmp_path / "out", capsys)
    assert status == 0, captured.err
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "grades.csv").read_text(encoding="utf-8"))))
    assert [r["student"] for r in rows] == [student] and rows[0][A01] == "2"
    doc = json.loads((tmp_path / "out" / student / A01 / "results.json").read_text(encoding="utf-8"))
    assert doc["extra_data"]["student"] == student


@pytest.mark.parametrize("student, why", [
    ("-rf", "starts with '.' or '-'"),
    ("tab\there", "control character"),
    ("a:b", "holds :"),
    ("back\\slash", "holds \\"),
    ("CON", "Windows reserves"),
    ("x" * 101, "longer than 100 bytes"),
    ("trailing ", "starts or ends with a space"),
])
def test_an_id_that_cannot_be_a_file_name_gets_a_clear_message_and_is_kept(tmp_path, capsys, student, why):
    assert why in unsafe_id(student)
    root = tmp_path / "submitted"
    put(root / student / A01, solution(A01), f"{A01}.ipynb")
    put(root / "bob" / A01, solution(A01), f"{A01}.ipynb")
    before = snapshot(root)
    status, captured = grade(root, tmp_path / "out", capsys)
    assert status == 0
    assert "this student id cannot be used as a file name" in captured.err and why in captured.err
    assert [p.name for p in (tmp_path / "out").iterdir() if p.is_dir()] == ["bob"]
    assert snapshot(root) == before


def test_an_id_that_is_not_text_is_reported_not_crashed_on(tmp_path, capsys):
    root = tmp_path / "submitted"
    raw = os.fsdecode(b"caf\xe9")                 # Latin-1 bytes in a UTF-8 file system
    put(root / raw / A01, solution(A01), f"{A01}.ipynb")
    found = find(root)
    assert found.submissions == [] and "control character or bytes that are not text" in found.notices[0]


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


# ----------------------------------------------------------------------------- several submissions

def inbox_name(student, assignment, moment):
    return f"{student}+{assignment}+{moment.strftime('%Y-%m-%d %H:%M:%S.%f UTC')}+abc123"


def test_in_the_exchange_inbox_the_latest_of_two_submissions_counts_and_both_are_kept(tmp_path, capsys):
    inbox = tmp_path / "inbound"
    first = datetime(2026, 10, 1, 9, 0, tzinfo=timezone.utc)
    second = first + timedelta(hours=5)
    stub = (REPO / "notebooks" / A01 / f"{A01}.ipynb").read_text(encoding="utf-8")
    put(inbox / inbox_name("alice", A01, second), solution(A01), f"{A01}.ipynb")
    put(inbox / inbox_name("alice", A01, first), stub, f"{A01}.ipynb")
    put(inbox / inbox_name("bob", A01, first), solution(A01), f"{A01}.ipynb")
    before = snapshot(inbox)
    [alice, bob] = find(inbox).submissions
    assert alice.path.parent.name == inbox_name("alice", A01, second)
    assert alice.timestamp == second.isoformat()
    assert "submitted 01_covariate_shift 2 times; the latest (2026-10-01 14:00:00 UTC) was graded" in alice.notes[0]
    assert "(2026-10-01 09:00:00 UTC) are kept, not graded" in alice.notes[0]
    assert bob.notes == ()
    status, _ = grade(inbox, tmp_path / "out", capsys)
    assert status == 0
    doc = json.loads((tmp_path / "out" / "alice" / A01 / "results.json").read_text())
    assert doc["score"] == 2 and "2 times" in doc["output"]
    assert snapshot(inbox) == before


def test_of_several_notebooks_in_one_folder_the_released_name_counts(tmp_path):
    folder = tmp_path / "submitted" / "alice" / A01
    put(folder, solution(A01), f"{A01}.ipynb")
    put(folder, solution(A01), f"{A01}-Copy1.ipynb")
    [sub] = find(tmp_path / "submitted").submissions
    assert sub.path.name == f"{A01}.ipynb"
    assert any(f"Not graded, kept: {A01}-Copy1.ipynb" in n for n in sub.notes)


# ----------------------------------------------------------------------------- renamed notebook, extra files

def test_a_renamed_notebook_is_graded_and_the_student_is_told(tmp_path, capsys):
    root = tmp_path / "submitted"
    put(root / "alice" / A01, solution(A01), "my work (final).ipynb")
    status, _ = grade(root, tmp_path / "out", capsys)
    assert status == 0
    doc = json.loads((tmp_path / "out" / "alice" / A01 / "results.json").read_text())
    assert doc["score"] == 2
    assert "named 'my work (final).ipynb', not 01_covariate_shift.ipynb; it was graded all the same" in doc["output"]


def test_extra_files_are_kept_and_named_but_not_graded(tmp_path, capsys):
    folder = tmp_path / "submitted" / "alice" / A01
    put(folder, solution(A01), f"{A01}.ipynb")
    put(folder, "x = 1\n", "scratch.py")
    put(folder / "data", "a,b\n", "mine.csv")
    put(folder, "2026-10-01 09:00:00.000000 UTC", "timestamp.txt")       # nbgrader's own: not an extra
    put(folder / ".ipynb_checkpoints", "{}", f"{A01}-checkpoint.ipynb")  # hidden: not an extra
    before = snapshot(tmp_path / "submitted")
    status, _ = grade(tmp_path / "submitted", tmp_path / "out", capsys)
    assert status == 0
    feedback = (tmp_path / "out" / "alice" / A01 / "feedback.md").read_text()
    assert "Extra files in your submission were kept but not graded (only the notebook is): data/mine.csv, " \
           "scratch.py." in feedback
    assert snapshot(tmp_path / "submitted") == before


# ----------------------------------------------------------------------------- symbolic links

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


def test_a_roster_students_folder_that_is_a_link_is_not_looked_into(tmp_path):
    root = tmp_path / "submitted"
    root.mkdir()
    os.symlink(SOLUTIONS, root / "mallory")
    path = notebook_in(root / "mallory" / A01, A01)
    assert path == root / "mallory"
    assert "is a symbolic link" in validate(Submission("mallory", A01, path)).error


# ----------------------------------------------------------------------------- not a folder of submissions

def test_a_named_pipe_named_on_the_command_line_is_a_usage_error(tmp_path, capsys):
    fifo = tmp_path / "submitted"
    os.mkfifo(fifo)
    with pytest.raises(DiscoveryError, match="neither a notebook file nor a folder of submissions"):
        find(fifo)


def test_a_loose_notebook_nested_too_deep_is_a_clear_usage_error(tmp_path):
    loose = tmp_path / "download.ipynb"
    loose.write_bytes(deep(100_000))
    with pytest.raises(DiscoveryError, match="cannot tell which assignment"):
        discover(loose)
