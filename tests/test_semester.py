"""A semester's assignment, end to end, with nbgrader's own commands and a real exchange.

The instructor releases 02_bn_equations into a temporary exchange; students
fetch it, fill it in and submit it as themselves (``USER``); the instructor
collects, grades with our grader into nbgrader's gradebook, releases the
feedback, and exports. In the class:

    alice          submits twice, a wrong version and then a right one: the latest counts
    José García    an id with a space and a non-ASCII letter, on time
    bob            right, but submits after the deadline: the late penalty applies
    mallory        tries to cheat: she earns what her code earns
    carol          on the roster, fetches the assignment and never submits

Everything runs in a temporary course folder (a copy of nbgrader_config.py,
solutions/ and notebooks/), so the repository is never written.
"""

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from examples.cells import BUGGY, CORRECT, MALICIOUS

ROOT = Path(__file__).resolve().parents[1]
A = "02_bn_equations"
COURSE_ID = "bn-course"
BIN = Path(sys.executable).parent
JOSE = "José García"

pytestmark = pytest.mark.skipif(not (BIN / "nbgrader").exists(), reason="nbgrader is not installed beside pytest")


def run(args, cwd, user, home, check=True):
    env = {**os.environ, "USER": user, "LOGNAME": user, "HOME": str(home),
           "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")])}
    env.pop("JUPYTER_CONFIG_DIR", None)
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def fill(path, cells):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") in cells:
            cell["source"] = cells[cell["metadata"]["nbgrader"]["grade_id"]]
    path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="module")
def semester(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("semester")
    course, exchange = tmp / "course", tmp / "exchange"
    course.mkdir()
    exchange.mkdir(mode=0o777)
    os.chmod(exchange, 0o777)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions", course / "solutions")
    shutil.copytree(ROOT / "notebooks", course / "notebooks")
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
    teacher = tmp / "homes" / "teacher"
    teacher.mkdir(parents=True)

    def instructor(*args, check=True):
        return run([str(BIN / args[0]), *args[1:]], course, "teacher", teacher, check)

    def student(user, *args):
        home = tmp / "homes" / user
        home.mkdir(parents=True, exist_ok=True)
        # nbgrader takes the id from the OS account; --student stands in for one account per student
        who = [f"--student={user}"] if args[0] in ("submit", "fetch_feedback") else []
        return run([str(BIN / "nbgrader"), *args, *who, f"--course={COURSE_ID}", f"--Exchange.root={exchange}"],
                   home, user, home)

    instructor("nbgrader", "db", "student", "add", "carol")   # the roster knows carol
    instructor("nbgrader", "release_assignment", A)

    def fetch_fill_submit(user, cells):
        home = tmp / "homes" / user
        if not (home / A).exists():
            student(user, "fetch_assignment", A)
        fill(home / A / f"{A}.ipynb", cells)
        student(user, "submit", A)

    fetch_fill_submit("alice", BUGGY)
    time.sleep(1.1)                       # nbgrader's stamps have whole-second folder names
    fetch_fill_submit("alice", CORRECT)
    fetch_fill_submit(JOSE, CORRECT)
    fetch_fill_submit("mallory", MALICIOUS)
    student("carol", "fetch_assignment", A)
    due = datetime.now(timezone.utc)
    time.sleep(1.1)
    fetch_fill_submit("bob", CORRECT)     # one second late

    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write(f"c.LatePenalty.due = {{{A!r}: {due.strftime('%Y-%m-%d %H:%M:%S.%f UTC')!r}}}\n"
                "c.LatePenalty.percent_per_day = 10\nc.LatePenalty.max_percent = 50\n")

    instructor("nbgrader", "collect", A)
    graded = instructor("python", "-m", "autograder", "grade", "submitted", "--out", "graded", "--gradebook",
                        "--workers", "2", check=False)
    instructor("nbgrader", "release_feedback", A)
    student("alice", "fetch_feedback", A)
    instructor("nbgrader", "export")
    return {"course": course, "exchange": exchange, "tmp": tmp, "graded": graded, "due": due}


def grades_csv(semester):
    return {row["student"]: row for row in csv.DictReader(io.StringIO(
        (semester["course"] / "graded" / "grades.csv").read_text(encoding="utf-8")))}


def export_csv(semester):
    return {row["student_id"]: row for row in csv.DictReader(io.StringIO(
        (semester["course"] / "grades.csv").read_text(encoding="utf-8")))}


def test_the_grader_grades_everyone_collected_and_the_roster(semester):
    done = semester["graded"]
    # exit 1 says some notebook could not be graded: here, only carol's, which does not exist
    assert done.returncode == 1, done.stderr
    not_graded = [line for line in done.stderr.splitlines() if line.startswith("not graded:")]
    assert not_graded == [f"not graded: carol/{A}: No notebook was submitted for {A} (expected {A}/{A}.ipynb)."]
    assert set(grades_csv(semester)) == {"alice", "bob", "carol", JOSE, "mallory"}


def test_the_latest_of_two_submissions_counts_and_both_are_kept(semester):
    assert grades_csv(semester)["alice"][A] == "8"      # the right one, not the N - 1 one
    inbound = [p.name for p in (semester["exchange"] / COURSE_ID / "inbound").iterdir()]
    assert sum(name.startswith(f"alice+{A}+") for name in inbound) == 2


def test_an_id_with_a_space_and_an_accent_is_graded_like_any_other(semester):
    assert grades_csv(semester)[JOSE][A] == "8"
    assert (semester["course"] / "graded" / JOSE / A / "feedback.html").is_file()
    assert export_csv(semester)[JOSE]["score"] == "8.0"


def test_late_work_is_decided_by_nbgraders_stamp_and_penalised(semester):
    row = grades_csv(semester)["bob"]
    assert (row[A], row["late penalty"]) == ("7.2", "0.8")   # 8 points, 1 day late at 10% a day
    results = json.loads((semester["course"] / "graded" / "bob" / A / "results.json").read_text())
    late = results["extra_data"]["late"]
    assert (late["days_late"], late["percent"], results["score"]) == (1, 10.0, 7.2)
    stamp = (semester["course"] / "submitted" / "bob" / A / "timestamp.txt").read_text()
    assert late["submitted"][:19] == stamp[:19]
    assert "1 day late" in (semester["course"] / "graded" / "bob" / A / "feedback.md").read_text()
    assert grades_csv(semester)["alice"]["late penalty"] == "0"


def test_a_missing_student_scores_zero_everywhere(semester):
    assert grades_csv(semester)["carol"][A] == "0"
    assert export_csv(semester)["carol"]["score"] == "0.0"
    results = json.loads((semester["course"] / "graded" / "carol" / A / "results.json").read_text())
    assert "No notebook was submitted" in results["output"]


def test_the_cheat_earns_nothing_her_code_does_not(semester):
    assert grades_csv(semester)["mallory"][A] == "0"
    assert export_csv(semester)["mallory"]["score"] == "0.0"


def test_nbgrader_export_shows_the_same_scores_as_grades_csv(semester):
    ours, theirs = grades_csv(semester), export_csv(semester)
    assert set(theirs) == set(ours)
    for student, row in ours.items():
        assert float(theirs[student]["score"]) == pytest.approx(float(row[A])), student
        assert float(theirs[student]["late_submission_penalty"]) == pytest.approx(float(row["late penalty"]))
    assert theirs["bob"]["timestamp"] != ""


def test_written_answers_stay_for_formgrader(semester):
    from nbgrader.api import Gradebook

    env_path = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(BIN), env_path])
    try:
        with Gradebook(f"sqlite:///{semester['course'] / 'gradebook.db'}") as gb:
            grades = {g.name: g for g in gb.find_submission_notebook(A, A, "alice").grades}
            assert {n for n, g in grades.items() if g.needs_manual_grade} == {"answer_constant_feature",
                                                                              "answer_batch_mean"}
            assert grades["check_batchnorm_forward"].auto_score == 6
            assert grades["check_bn_param_count"].auto_score == 2
    finally:
        os.environ["PATH"] = env_path
    autograded = semester["course"] / "autograded" / "alice" / A / f"{A}.ipynb"
    assert "def batchnorm_forward" in autograded.read_text(encoding="utf-8")   # formgrader shows her notebook


def test_feedback_goes_back_through_the_exchange_without_hidden_tests(semester):
    fetched = list((semester["tmp"] / "homes" / "alice" / A / "feedback").glob(f"*/{A}.html"))
    assert len(fetched) == 1
    page = fetched[0].read_text(encoding="utf-8")
    assert "8" in page and "batchnorm_forward" in page
    suites = ROOT / "autograder" / "suites" / A
    for test_file in suites.glob("test_*.py"):
        for line in test_file.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if len(line) > 30 and not line.startswith(("#", "\"", "import", "from")):
                assert line not in page, f"hidden test code in the feedback: {line}"


def test_grading_again_keeps_the_hand_grades_and_agrees_with_export(semester):
    """Last in the module: it changes the gradebook. A hand grade survives a re-run of the grader."""
    from nbgrader.api import Gradebook

    course = semester["course"]
    env_path = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(BIN), env_path])
    try:
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            answer = gb.find_grade("answer_batch_mean", A, A, "alice")
            answer.manual_score = 2.0
            gb.db.commit()
    finally:
        os.environ["PATH"] = env_path
    teacher = semester["tmp"] / "homes" / "teacher"
    run([str(BIN / "python"), "-m", "autograder", "grade", "submitted", "--out", "graded", "--gradebook",
         "--quiet"], course, "teacher", teacher, check=False)
    run([str(BIN / "nbgrader"), "export"], course, "teacher", teacher)
    theirs = export_csv(semester)
    assert float(theirs["alice"]["score"]) == 8 + 2          # our 8 and the hand-graded 2
    assert float(theirs["bob"]["score"]) == pytest.approx(7.2)
