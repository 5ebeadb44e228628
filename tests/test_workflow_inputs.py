"""The instructor's workflow on bad input: each case gets a clear message, and nothing is lost.

An unknown assignment, odd or unsafe student ids, two submissions from one
student, a renamed notebook, extra files; and the late-penalty settings,
right and wrong. The run stage is the pipeline tests' stand-in
(tests/pipeline_fakes.py), so these tests are about discovery, lateness and
the reports, not the suites.
"""

import csv
import io
import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import pipeline_fakes
from autograder import cli, pipeline
from autograder.discover import find, unsafe_id
from autograder.late import LatePolicy, PolicyError, lateness, load_policy, parse_time, read_timestamp
from course_lib.exercises import ASSIGNMENTS

REPO = Path(__file__).resolve().parents[1]
A01, A02 = ASSIGNMENTS[:2]


def solution(assignment):
    return (REPO / "solutions" / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8")


def put(folder, text, name):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def snapshot(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def grade(root, out, capsys, *extra):
    status = cli.main(["grade", str(root), "--out", str(out), "--workers", "0", "--quiet", *extra],
                      run_stage=pipeline_fakes.fake_run)
    return status, capsys.readouterr()


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


def test_grading_only_an_unknown_assignment_is_a_usage_error(tmp_path, capsys):
    root = tmp_path / "submitted"
    put(root / "alice" / A01, solution(A01), f"{A01}.ipynb")
    status, captured = grade(root, tmp_path / "out", capsys, "--assignment", "07_dropout")
    assert status == 2 and "unknown assignment 07_dropout" in captured.err


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


# ----------------------------------------------------------------------------- late work

def test_parse_time_reads_nbgraders_stamp_iso_and_zone_names():
    assert parse_time("2026-10-02 16:59:58.123456 UTC") == datetime(2026, 10, 2, 16, 59, 58, 123456, timezone.utc)
    assert parse_time("2026-10-02T17:00:00+02:00") == datetime(2026, 10, 2, 15, 0, tzinfo=timezone.utc)
    assert parse_time("2026-10-02 17:00:00 Europe/Paris") == datetime(2026, 10, 2, 15, 0, tzinfo=timezone.utc)
    assert parse_time("2026-10-02 17:00") == datetime(2026, 10, 2, 17, 0, tzinfo=timezone.utc)
    with pytest.raises(PolicyError, match="unknown time zone 'Mars/Olympus'"):
        parse_time("2026-10-02 17:00 Mars/Olympus")
    with pytest.raises(PolicyError, match="is not a date and time"):
        parse_time("next friday")


@pytest.mark.parametrize("after, days, percent", [
    (timedelta(minutes=-1), None, None),          # early
    (timedelta(minutes=10), None, None),          # within the grace
    (timedelta(minutes=16), 1, 10.0),             # a part of a day counts as a day
    (timedelta(days=1, minutes=16), 2, 20.0),
    (timedelta(days=30), 30, 50.0),               # capped
])
def test_lateness_counts_started_days_after_the_grace_and_caps(after, days, percent):
    due = datetime(2026, 10, 2, 17, 0, tzinfo=timezone.utc)
    policy = LatePolicy(due={A01: due}, percent_per_day=10, max_percent=50, grace_minutes=15)
    late = lateness(policy, A01, (due + after).isoformat(), raw_score=4.0)
    if days is None:
        assert late is None
    else:
        assert (late.days_late, late.percent, late.penalty) == (days, percent, 4.0 * percent / 100)
    assert lateness(policy, A02, (due + after).isoformat(), 4.0) is None   # no due date: never late
    assert lateness(policy, A02, None, 4.0) is None                       # not even without a stamp
    unknown = lateness(policy, A01, None, 4.0)                            # no stamp: the largest penalty
    assert (unknown.percent, unknown.penalty, unknown.status) == (50.0, 2.0, "unknown time")


def config(tmp_path, text):
    path = tmp_path / "nbgrader_config.py"
    path.write_text("c = get_config()\n" + text)
    return path


def test_the_policy_is_read_from_nbgrader_config(tmp_path):
    policy = load_policy(config(tmp_path, f"c.LatePenalty.due = {{'{A01}': '2026-10-02 17:00 UTC'}}\n"
                                          "c.LatePenalty.percent_per_day = 5\nc.LatePenalty.max_percent = 20\n"))
    assert policy.percent_per_day == 5 and policy.max_percent == 20 and policy.due[A01].hour == 17
    assert load_policy(tmp_path / "absent.py") == LatePolicy()
    assert load_policy(REPO / "nbgrader_config.py").due == {}


@pytest.mark.parametrize("text, message", [
    ("c.LatePenalty.due = {'07_dropout': '2026-10-02 17:00'}\n", "'07_dropout', which is not an assignment"),
    (f"c.LatePenalty.due = {{'{A01}': 'soon'}}\n", "is not a date and time"),
    ("c.LatePenalty.percent_per_day = -5\n", "percent_per_day must be a number >= 0"),
    ("c.LatePenalty.max_percent = 150\n", "at most 100"),
    ("c.LatePenalty.percent_per_dya = 5\n", "unknown setting c.LatePenalty.percent_per_dya"),
    ("c.LatePenalty.due = ['x']\n", "must be a dict"),
    ("this is not python\n", "could not be read"),
])
def test_a_wrong_policy_is_a_usage_error_before_anything_is_graded(tmp_path, capsys, text, message):
    with pytest.raises(PolicyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_policy(config(tmp_path, text))
    root = tmp_path / "submitted"
    put(root / "alice" / A01, solution(A01), f"{A01}.ipynb")
    status, captured = grade(root, tmp_path / "out", capsys, "--config", str(tmp_path / "nbgrader_config.py"))
    assert status == 2 and message.split("'")[0] in captured.err and not (tmp_path / "out").exists()


def test_an_unreadable_stamp_is_an_unknown_time_and_said(tmp_path):
    put(tmp_path, "yesterday-ish", "timestamp.txt")
    stamp, note = read_timestamp(tmp_path)
    assert stamp is None and "timestamp.txt could not be read" in note and "time of this submission is unknown" in note


def test_the_penalty_shows_in_results_feedback_and_grades_csv_and_regrades_when_the_policy_changes(tmp_path, capsys):
    root = tmp_path / "submitted"
    folder = root / "bob" / A01
    put(folder, solution(A01), f"{A01}.ipynb")
    put(folder, "2026-10-04 18:00:00.000000 UTC", "timestamp.txt")        # 2 days and 1 hour late
    cfg = config(tmp_path, f"c.LatePenalty.due = {{'{A01}': '2026-10-02 17:00 UTC'}}\n"
                           "c.LatePenalty.percent_per_day = 10\n")
    status, captured = grade(root, tmp_path / "out", capsys, "--config", str(cfg))
    assert status == 0, captured.err
    doc = json.loads((tmp_path / "out" / "bob" / A01 / "results.json").read_text())
    assert (doc["score"], doc["extra_data"]["raw_score"], doc["extra_data"]["late"]["days_late"]) == (1.4, 2, 3)
    assert "3 days late, -30% = -0.6 points" in (tmp_path / "out" / "bob" / A01 / "feedback.md").read_text()
    assert "3 days late" in (tmp_path / "out" / "bob" / A01 / "feedback.html").read_text()
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "grades.csv").read_text())))
    assert (rows[0][A01], rows[0]["late penalty"], rows[0]["total"]) == ("1.4", "0.6", "1.4")
    cfg.write_text(cfg.read_text().replace("= 10", "= 5"))                  # the policy changes: regraded
    grade(root, tmp_path / "out", capsys, "--config", str(cfg))
    assert json.loads((tmp_path / "out" / "bob" / A01 / "results.json").read_text())["score"] == 1.7
