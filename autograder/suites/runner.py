"""Run one assignment's hidden suite in the grader's process and turn it into TestOutcomes.

    run_suite("04_backprop", student) -> [TestOutcome, ...]

The suite is ``autograder/suites/<assignment>/test_<exercise>.py``. pytest
runs it in-process with a plugin defined here, not in a conftest (no
conftest is loaded at all), that provides the fixtures

    student   the sandboxed student code (see autograder.sandbox), one per session
    rng       a numpy Generator seeded from the test's own name, so a test's
              inputs do not depend on which tests ran before it
    partial   partial(fraction, message): award part of the test's points

and reads each test's ``@pytest.mark.points(p)``. A test that raises
``Mismatch`` or ``StudentError`` fails with that message; any other error
fails with a generic message, never with source code or a traceback. A test
that did not finish (an interrupted session) fails; it never passes.
"""

import contextlib
import hashlib
import os
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from autograder.records import TestOutcome
from course_lib.compare import Mismatch, shorten
from autograder.suites.scoring import is_student_error, render, student_error_text
from course_lib.exercises import EXERCISES

__all__ = ["run_suite", "suite_points", "suite_tests", "SUITES_DIR", "SuiteTest"]

SUITES_DIR = Path(__file__).resolve().parent

# Tests are reported in the table's order, which is the notebook's; files not in the table come first.
_NOTEBOOK_ORDER = {e.name: i for i, e in enumerate(EXERCISES)}

# pytest runs with no ini file, no conftest, no cache and no plugin it does not need;
# modules are imported once per process (importlib mode reuses sys.modules).
_UNNEEDED = ("cacheprovider", "terminal", "debugging", "unittest", "legacypath", "tmpdir", "monkeypatch",
             "pastebin", "junitxml", "doctest", "setuponly", "setupplan", "stepwise", "logging",
             "faulthandler", "subtests", "threadexception", "unraisableexception", "python_path")
_ARGS = ["--disable-plugin-autoload", "--noconftest", "--continue-on-collection-errors",
         "--import-mode=importlib", "--assert=plain", "--capture=sys", "-c", os.devnull,
         "-o", "python_files=test_*.py", "-o", "python_functions=test_*", "-o", "python_classes=",
         "-W", "ignore"] + [arg for name in _UNNEEDED for arg in ("-p", f"no:{name}")]

_INTERRUPTED = ("grading stopped before this test finished, so it earns no points; "
                "ask your instructor to grade your submission again")
_BROKEN = "the grader could not load its tests for this exercise; please tell your instructor"


class SuiteTest:
    """One collected hidden test: its node id, exercise, title and points."""

    __slots__ = ("nodeid", "exercise", "title", "points")

    def __init__(self, nodeid, exercise, title, points):
        self.nodeid, self.exercise, self.title, self.points = nodeid, exercise, title, points

    @property
    def name(self):
        return f"{self.exercise}: {self.title}"


def _seed(key):
    return int.from_bytes(hashlib.sha256(f"bn-course/suites/{key}".encode()).digest()[:8], "little")


def _rows(path):
    """The table's rows graded by the suite file ``path`` (several share one, e.g. the by-hand values)."""
    path = Path(str(path))
    return [e for e in EXERCISES if e.assignment == path.parent.name and e.suite_file == path.name]


def _exercise_of(path, test_name=""):
    """The exercise a test grades: the row of its file named in the test's name (the longest such name), else
    the file's first row, else the file's own name."""
    rows = _rows(path)
    named = [e for e in rows if e.grade_id in test_name or e.name in test_name]
    if named:
        return max(named, key=lambda e: len(e.grade_id)).name
    if rows:
        return rows[0].name
    stem = Path(str(path)).stem
    return stem[len("test_"):] if stem.startswith("test_") else stem


def _title(item):
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    lines = [line.strip() for line in doc.strip().splitlines()]
    return lines[0] if lines and lines[0] else item.name


def _points(item):
    marker = item.get_closest_marker("points")
    if marker is None or not marker.args:
        return 0.0
    return float(marker.args[0])


def describe_failure(exc):
    """The output a student reads for a test that failed with ``exc``: never code or a traceback."""
    if isinstance(exc, Mismatch):
        return render(exc)
    if is_student_error(exc):
        return student_error_text(exc)
    if isinstance(exc, (KeyboardInterrupt, SystemExit)) or type(exc).__name__ in ("Exit", "Interrupted"):
        return _INTERRUPTED
    if isinstance(exc, AssertionError) or type(exc).__name__ in ("Skipped", "XFailed", "Failed"):
        return ("the test could not check your answer: an internal check did not pass. "
                "Check that your function returns what the notebook asks for.")
    return (f"the test could not check your answer: {type(exc).__name__}: {shorten(exc, 200)}. "
            "Check that your function returns what the notebook asks for, with the shapes it gives.")


class _Plugin:
    """The fixtures, the points and the verdicts of one pytest session."""

    def __init__(self, student):
        self._student = student
        self.items = []          # SuiteTest, in collection order
        self.failures = {}       # nodeid -> first exception
        self.passed = set()      # nodeids whose call phase passed
        self.fractions = {}      # nodeid -> (fraction, [messages])
        self.broken = []         # (path, message) of files that could not be collected
        self.collected = False   # the session's collection finished: self.items is every test

    def pytest_configure(self, config):
        config.addinivalue_line("markers", "points(p): the points a test is worth")

    @pytest.fixture(scope="session")
    def student(self):
        if self._student is None:
            raise RuntimeError("no student code was given to this run")
        return self._student

    @pytest.fixture
    def rng(self, request):
        return np.random.default_rng(_seed(request.node.nodeid))

    @pytest.fixture
    def partial(self, request):
        nodeid = request.node.nodeid

        def record(fraction, message=""):
            fraction = min(1.0, max(0.0, float(fraction)))
            old, messages = self.fractions.get(nodeid, (1.0, []))
            self.fractions[nodeid] = (min(old, fraction), messages + ([message] if message else []))
        return record

    def pytest_collectreport(self, report):
        if report.failed:
            self.broken.append((report.nodeid, shorten(getattr(report, "longreprtext", ""), 200)))

    def pytest_collection_modifyitems(self, items):
        self.items = [SuiteTest(item.nodeid, _exercise_of(item.path, item.name), _title(item), _points(item))
                      for item in items]
        self.collected = True

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        """The report, without pytest's formatted traceback: nobody reads it, and it is most of the run time."""
        exc = call.excinfo.value if call.excinfo is not None else None
        if exc is None:
            outcome, longrepr = "passed", None
            if call.when == "call":
                self.passed.add(item.nodeid)
        elif isinstance(exc, pytest.skip.Exception):
            outcome, longrepr = "skipped", (str(item.path), 0, "skipped")
            self.failures.setdefault(item.nodeid, exc)
        else:
            outcome, longrepr = "failed", f"{type(exc).__name__} (see the test outcome)"
            self.failures.setdefault(item.nodeid, exc)
        return pytest.TestReport(item.nodeid, item.location, {}, outcome, longrepr, call.when,
                                 duration=call.duration, start=call.start, stop=call.stop)

    def outcome(self, test):
        if test.nodeid in self.failures:
            return TestOutcome(test.name, test.exercise, 0.0, test.points, "failed",
                               describe_failure(self.failures[test.nodeid]))
        if test.nodeid not in self.passed:
            return TestOutcome(test.name, test.exercise, 0.0, test.points, "failed", _INTERRUPTED)
        fraction, messages = self.fractions.get(test.nodeid, (1.0, []))
        status = "passed" if fraction >= 1.0 else "failed"
        score = round(test.points * fraction, 6)
        return TestOutcome(test.name, test.exercise, score, test.points, status, "\n".join(messages))


def _files(assignment, only):
    folder = SUITES_DIR / assignment
    if not assignment or "/" in assignment or assignment.startswith(".") or not folder.is_dir():
        raise ValueError(f"no hidden suite for assignment {assignment!r}")
    files = sorted(folder.glob("test_*.py"), key=lambda f: (_NOTEBOOK_ORDER.get(_exercise_of(f), -1), f.name))
    if only is not None:
        wanted = _wanted(only)
        names = {f: {e.name for e in _rows(f)} or {_exercise_of(f)} for f in files}
        known = set().union(*names.values())
        if wanted - known:
            raise ValueError(f"no hidden tests for {sorted(wanted - known)} in {assignment}; "
                             f"the exercises are {sorted(known)}")
        files = [f for f in files if names[f] & wanted]
    return [str(f) for f in files]


def _wanted(only):
    return {only} if isinstance(only, str) else set(only)


@contextlib.contextmanager
def _quiet():
    """Whatever pytest itself prints (usage errors, internal errors) does not reach the terminal."""
    out, err = sys.stdout, sys.stderr
    with open(os.devnull, "w") as sink:
        sys.stdout = sys.stderr = sink
        try:
            yield
        finally:
            sys.stdout, sys.stderr = out, err


def _pytest(files, plugin, extra=()):
    if not files:
        return 0
    try:
        with _quiet():
            return int(pytest.main(_ARGS + ["--rootdir", str(SUITES_DIR), *extra, *files], plugins=[plugin]))
    except KeyboardInterrupt:
        return int(pytest.ExitCode.INTERRUPTED)


@lru_cache(maxsize=None)
def _collected(assignment, only):
    plugin = _Plugin(None)
    status = _pytest(_files(assignment, only), plugin, ["--collect-only"])
    if status in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERRUPTED) \
            and not plugin.broken:
        raise RuntimeError(f"pytest could not collect the hidden suite of {assignment} (exit status {status})")
    return _only_these(plugin.items, only), tuple(plugin.broken)


def _only_these(tests, only):
    """The tests of the exercises in ``only`` (all when None): a file may grade several exercises."""
    return tuple(t for t in tests if only is None or t.exercise in _wanted(only))


def suite_tests(assignment, only=None):
    """The hidden tests of ``assignment`` (collected once per process), as SuiteTest records."""
    return _collected(assignment, _only_key(only))[0]


def suite_points(assignment):
    """The total points of the hidden suite of ``assignment``."""
    return float(sum(t.points for t in suite_tests(assignment)))


def _only_key(only):
    if only is None or isinstance(only, str):
        return only
    return tuple(sorted(only))


def run_suite(assignment, student, *, only=None):
    """Run the hidden suite of ``assignment`` against ``student``; one TestOutcome per test.

    only: an exercise name, or several, to run part of the suite.
    Tests are reported in the suite's order. A test that did not run to the
    end (the session was interrupted) is reported as failed.
    """
    key = _only_key(only)
    files = _files(assignment, key)
    plugin = _Plugin(student)
    _pytest(files, plugin)
    ran = _only_these(plugin.items, key)
    if plugin.collected:   # the run's own collection finished: it knows every test, run or not
        expected, broken = ran, tuple(plugin.broken)
    else:                  # stopped while collecting: the tests it would have run come from a collection of their own
        expected, broken = _collected(assignment, key)
    seen = {t.nodeid for t in ran}
    tests = list(ran) + [t for t in expected if t.nodeid not in seen]
    outcomes = [plugin.outcome(t) for t in tests]
    for nodeid, _ in plugin.broken or broken:   # a grader fault: visible, but it costs the student nothing
        exercise = _exercise_of(nodeid.split("::")[0])
        outcomes.append(TestOutcome(f"{exercise}: hidden tests", exercise, 0.0, 0.0, "failed", _BROKEN))
    return outcomes
