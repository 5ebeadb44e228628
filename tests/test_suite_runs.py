"""autograder/suites/runner.py: a session stopped while collecting.

A notebook's hidden suite runs in one pytest session, which collects it too
(tests/test_suites.py counts the sessions). A session stopped before its
collection finished still reports every test of the suite, failed, from a
collection of its own.
"""

import pytest

from autograder.sandbox.inprocess import InProcessStudent
from autograder.suites import runner
from autograder.suites.runner import run_suite, suite_tests
from independent import CELLS as INDEPENDENT

A01 = "01_covariate_shift"


@pytest.fixture
def sessions(monkeypatch):
    """Every pytest session the runner starts, as the list of its extra arguments; no collection is cached."""
    runner._collected.cache_clear()
    started, real = [], runner._pytest

    def counting(files, plugin, extra=()):
        started.append(list(extra))
        return real(files, plugin, extra)

    monkeypatch.setattr(runner, "_pytest", counting)
    yield started
    runner._collected.cache_clear()


def test_a_session_stopped_while_collecting_fails_every_test_of_the_suite(sessions, monkeypatch):
    real = runner._pytest

    def stopped_before_collecting(files, plugin, extra=()):
        if not extra:   # the run: stopped before its collection ends
            return int(pytest.ExitCode.INTERRUPTED)
        return real(files, plugin, extra)

    monkeypatch.setattr(runner, "_pytest", stopped_before_collecting)
    outcomes = run_suite(A01, InProcessStudent(INDEPENDENT))
    assert len(outcomes) == len(suite_tests(A01)) > 0
    assert all(o.status == "failed" and o.score == 0 and "grading stopped" in o.output for o in outcomes)
