"""autograder/late.py: the late-penalty policy, the submission's time, and the penalty in the reports.

The policy is read from nbgrader_config.py, right and wrong; nbgrader's
timestamp.txt, or the exchange inbox folder's time, says when work was
submitted. A stamp that cannot be read (missing, garbled, a symbolic link, a
named pipe) is an unknown time, which must not count as on time. The run
stage is the stand-in of tests/pipeline_fakes.py.
"""

import csv
import io
import json
import os
from datetime import datetime, timedelta, timezone

import pytest

import pipeline_fakes
from autograder import pipeline
from autograder.discover import discover, find
from autograder.late import LatePolicy, PolicyError, lateness, load_policy, parse_time, read_timestamp
from grading_helpers import A01, A02, FULL, REPO, config, grade, promptly, put, results, solution


# ----------------------------------------------------------------------------- times and the penalty

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


def test_the_largest_penalty_is_the_policys_own():
    due = datetime(2026, 10, 2, 17, tzinfo=timezone.utc)
    capped = lateness(LatePolicy(due={A01: due}, percent_per_day=10, max_percent=35), A01, None, 10.0)
    assert (capped.percent, capped.penalty, capped.days_late) == (35, 3.5, 4)   # as late as it counts
    assert lateness(LatePolicy(due={A01: due}, percent_per_day=10), A01, "not a time", 10.0).percent == 100
    nothing = lateness(LatePolicy(due={A01: due}, percent_per_day=0), A01, None, 10.0)
    assert (nothing.percent, nothing.penalty) == (0, 0)   # late work costs nothing under this policy


# ----------------------------------------------------------------------------- the policy

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


# ----------------------------------------------------------------------------- the submission's time

def test_an_unreadable_stamp_is_an_unknown_time_and_said(tmp_path):
    put(tmp_path, "yesterday-ish", "timestamp.txt")
    stamp, note = read_timestamp(tmp_path)
    assert stamp is None and "timestamp.txt could not be read" in note and "time of this submission is unknown" in note


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


# ----------------------------------------------------------------------------- in the reports

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
