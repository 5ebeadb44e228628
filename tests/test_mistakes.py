"""The mistake catalogue (course_lib/mistakes.py) graded on both sides of the trust boundary.

For each exercise, the solution and every catalogued mistake go through the
visible check (in this process, as the notebook's check cell runs it) and
the hidden suite (through InProcessStudent, which converts values as the
sandbox does). The two give the same verdict: both pass, or both fail with
the mistake's own hint; and a mistake costs points on its own exercise only.
"""

import json
from functools import lru_cache
from pathlib import Path

import pytest

from autograder.sandbox.inprocess import InProcessStudent
from autograder.suites.runner import run_suite, suite_tests
from course_lib import checks, mistakes
from course_lib.exercises import EXERCISES, FUNCTION, exercise

ROOT = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=None)
def solution_cells(assignment):
    nb = json.loads((ROOT / "solutions" / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8"))
    return {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"]) for c in nb["cells"]
            if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("solution")}


def visible(e, source):
    """(passed, the report) of check_<name> on what ``source`` defines."""
    namespace = {}
    exec(compile(source, f"<cell {e.grade_id}>", "exec"), namespace)
    try:
        getattr(checks, f"check_{e.name}")(namespace[e.name], verbose=False)
    except checks.CheckFailed as failed:
        return False, failed.report.render()
    return True, ""


def hidden(e, source):
    """{test function name: TestOutcome} of the assignment's suite with ``source`` in e's cell."""
    student = InProcessStudent({**solution_cells(e.assignment), e.grade_id: source})
    outcomes = run_suite(e.assignment, student)
    return {t.nodeid.rsplit("::", 1)[1]: o for t, o in zip(suite_tests(e.assignment), outcomes)}


def test_the_table_and_the_catalogue_list_the_same_mistakes():
    assert {(e.name, n) for e in EXERCISES for n in e.mistakes} == {(m.exercise, m.name) for m in mistakes.MISTAKES}


@pytest.mark.parametrize("e", EXERCISES, ids=lambda e: e.name)
def test_the_solution_passes_both_sides(e):
    source = solution_cells(e.assignment)[e.grade_id]
    assert visible(e, source) == (True, "")
    lost = [o.name for o in hidden(e, source).values() if o.score < o.max_score]
    assert not lost


@pytest.mark.parametrize("m", mistakes.MISTAKES, ids=lambda m: f"{m.exercise}-{m.name}")
def test_a_mistake_fails_both_sides_with_its_own_hint_and_costs_no_other_exercise(m):
    e = exercise(m.exercise)
    passed, report = visible(e, m.source)
    assert not passed and m.hint in report, f"the visible check of {e.name}:\n{report}"

    by_test = hidden(e, m.source)
    lost = {name: o for name, o in by_test.items() if o.score < o.max_score}
    assert lost, f"no hidden test of {e.name} catches {m.name}"
    assert {o.exercise for o in lost.values()} == {e.name}, "the mistake costs points on another exercise"
    assert any(m.hint in o.output for o in lost.values()), [o.output for o in lost.values()]
    if m.test:   # the test that names it: all its points (a value's: its entries' share), and only the tests named
        named = by_test[m.test]
        assert named.status == "failed" and m.hint in named.output, named.output
        assert named.score == 0.0 if e.kind == FUNCTION else named.score < named.max_score
        assert set(lost) <= {m.test, *m.also}, f"{m.name} also loses {sorted(set(lost) - {m.test, *m.also})}"


# The mistakes notebook 07 must name (its issue's list), each with the hidden test that charges it.
REQUIRED_07 = (("spatial_batchnorm_forward", "per_sample"), ("spatial_batchnorm_forward", "hw_only"),
               ("spatial_batchnorm_forward", "no_transpose"), ("spatial_batchnorm_backward", "no_transpose"),
               ("layernorm_forward", "running_stats"), ("layernorm_forward", "batch_axis"),
               ("groupnorm_forward", "strided_groups"), ("fold_batchnorm", "bias_no_mean"))


@pytest.mark.parametrize("key", REQUIRED_07, ids="-".join)
def test_notebook_07s_required_mistakes_are_catalogued_with_the_test_that_names_them(key):
    m = mistakes.mistake(*key)
    assert m.test.startswith(f"test_{key[0]}_") and key[1] in exercise(key[0]).mistakes
