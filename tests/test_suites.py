"""Testing the hidden suites: the reference scores full marks, the stubs score zero,
and each known mistake loses the points of the test that names it.

Student code runs through ``InProcessStudent``, which converts values exactly
as the sandbox does, without its process boundary.
"""

import json
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from autograder import records
from autograder.sandbox import StudentError
from autograder.sandbox.inprocess import InProcessStudent
from autograder.suites import runner
from course_lib.compare import Mismatch, expect_close
from autograder.suites.scoring import render, score_cases
from autograder.suites.runner import SUITES_DIR, run_suite, suite_points, suite_tests
from course_lib.exercises import ASSIGNMENTS, EXERCISES

from course_lib import mistakes
from course_lib.exercises import exercise
from independent import CELLS as INDEPENDENT

ROOT = Path(__file__).resolve().parents[1]
TRACEBACK_SIGNS = ("Traceback", 'File "', "line ", "def ", "assert ", "student.call", "expect_close", "np.")


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@lru_cache(maxsize=None)
def notebook(kind, assignment):
    return json.loads((ROOT / kind / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8"))


def cells(kind, assignment):
    """grade_id -> source of the solution cells of a notebook (solutions/ or the released notebooks/)."""
    out = {}
    for cell in notebook(kind, assignment)["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution") and cell["cell_type"] == "code":
            out[meta["grade_id"]] = _source(cell)
    return out


def check_points(assignment):
    """exercise -> points of the notebook's check cells (check_<grade_id of the exercise's cell>)."""
    points, by_grade_id = {}, {e.grade_id: e.name for e in EXERCISES if e.assignment == assignment}
    for cell in notebook("solutions", assignment)["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        grade_id = meta.get("grade_id", "")
        if meta.get("grade") and grade_id.startswith("check_"):
            name = by_grade_id[grade_id[len("check_"):]]
            points[name] = points.get(name, 0) + meta["points"]
    return points


def grade(assignment, sources, **kw):
    student = InProcessStudent(sources)
    try:
        return run_suite(assignment, student, **kw)
    finally:
        student.close()


def short(outcome):
    return outcome.name.split(": ", 1)[1]


def function_name(nodeid):
    return nodeid.rsplit("::", 1)[1]


# ---- the suites' shape -------------------------------------------------------------------------

def test_every_exercise_has_a_suite_file():
    for e in EXERCISES:
        assert (SUITES_DIR / e.assignment / e.suite_file).is_file(), e.name


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_points_per_exercise_are_the_tables(assignment):
    got = {}
    for t in suite_tests(assignment):
        got[t.exercise] = got.get(t.exercise, 0) + t.points
    assert got == pytest.approx({e.name: e.points for e in EXERCISES if e.assignment == assignment})


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_points_per_exercise_are_the_notebooks_check_points(assignment):
    got = {}
    for t in suite_tests(assignment):
        got[t.exercise] = got.get(t.exercise, 0) + t.points
    assert got == pytest.approx(check_points(assignment))
    assert suite_points(assignment) == pytest.approx(sum(check_points(assignment).values()))


def test_points_per_suite():
    assert {a: suite_points(a) for a in ASSIGNMENTS} == {
        "01_covariate_shift": 4.0, "02_bn_equations": 8.0, "03_cgpa_iq_walkthrough": 11.0,
        "04_backprop": 15.0, "05_inference": 8.0, "06_experiments": 3.0, "07_beyond_dense": 21.0}
    by_hand = [t for t in suite_tests("03_cgpa_iq_walkthrough") if t.exercise.endswith("_by_hand")]
    assert [t.points for t in by_hand] == [1.0] * 6
    backward_by_hand = [t.exercise for t in suite_tests("04_backprop") if t.exercise.endswith("_by_hand")]
    assert backward_by_hand == ["dbeta_by_hand", "dgamma_by_hand", "dx_by_hand"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_tests_are_named_after_their_exercise_and_property_with_a_title(assignment):
    for t in suite_tests(assignment):
        name = function_name(t.nodeid)
        prefix = f"test_{exercise(t.exercise).grade_id}_"   # a value's tests are named after its cell
        assert name.startswith(prefix) and len(name) > len(prefix) + 10, name
        assert t.points > 0, name
        assert t.title and t.title != name and "\n" not in t.title, name
        assert not t.title.startswith(t.exercise), f"{name}: the title repeats the exercise"


# ---- reference, independent solutions and stubs --------------------------------------------------

@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_solutions_score_full_marks(assignment):
    outcomes = grade(assignment, cells("solutions", assignment))
    failed = [(o.name, o.output) for o in outcomes if o.status != "passed" or o.score != o.max_score]
    assert not failed
    assert sum(o.score for o in outcomes) == pytest.approx(suite_points(assignment))


def test_independent_solutions_score_full_marks():
    student = InProcessStudent(INDEPENDENT)
    for assignment in ASSIGNMENTS:
        outcomes = run_suite(assignment, student)
        failed = [(o.name, o.output) for o in outcomes if o.score != o.max_score]
        assert not failed, assignment


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_stubs_score_zero_without_errors_in_the_runner(assignment):
    outcomes = grade(assignment, cells("notebooks", assignment))
    assert outcomes and all(isinstance(o, records.TestOutcome) for o in outcomes)
    assert sum(o.score for o in outcomes) == 0
    for o in outcomes:
        assert o.status == "failed"
        assert "NotImplementedError" in o.output, (o.name, o.output)
        assert "could not check" not in o.output and "grading stopped" not in o.output


# ---- known mistakes ------------------------------------------------------------------------------

# The eight mistakes the course must name, each costing the points of the test that names it.
REQUIRED = (("batchnorm_backward", "no_mean_path"), ("batchnorm_backward", "no_var_path"),
            ("batchnorm_backward", "no_gamma"), ("batchnorm_forward", "ddof1"), ("batchnorm_forward", "axis1"),
            ("batchnorm_forward", "in_place"), ("update_running_stats", "swapped"),
            ("batchnorm_inference", "batch_stats"))


def test_the_required_mistakes_are_catalogued_with_a_test_that_names_them():
    """Each is then graded by tests/test_mistakes.py: it costs the points of the test that names it."""
    for key in REQUIRED:
        assert mistakes.mistake(*key).test, key


# ---- what the student reads ----------------------------------------------------------------------

class Failing:
    """A student whose every call fails with one kind of StudentError."""

    inputs_after = ()

    def __init__(self, kind, message):
        self.error = StudentError(kind, message)

    def call(self, name, *args, **kwargs):
        raise self.error

    def value(self, name, cell=None):
        raise self.error


@pytest.mark.parametrize("kind, message, shown", [
    ("missing", "no batchnorm_inference is defined: keep the name the notebook gives it", "no batchnorm_inference"),
    ("not_implemented", "NotImplementedError: ", "still raises NotImplementedError"),
    ("raised", "ValueError: operands could not be broadcast together", "your code raised ValueError: operands"),
    ("timeout", "the call took more than 20 s", "took too long"),
    ("crashed", "the process exited with status 3", "stopped the process"),
    ("unsupported", "returned an object of type Foo; return numpy arrays", "returned an object of type Foo"),
])
def test_student_errors_become_messages_for_the_student(kind, message, shown):
    outcomes = run_suite("05_inference", Failing(kind, message))
    assert outcomes and all(o.status == "failed" and o.score == 0 for o in outcomes)
    for o in outcomes:
        assert shown in o.output, o.output
        assert not any(sign in o.output for sign in TRACEBACK_SIGNS), o.output


def test_a_wrong_answer_shows_the_worst_entry_not_the_expected_array():
    rng = np.random.default_rng(0)
    expected = rng.standard_normal((50, 4))
    got = expected.copy()
    got[17, 2] += 0.5
    with pytest.raises(Mismatch) as info:
        expect_close(got, expected, "out", "a hint")
    message = render(info.value)
    assert "out[17, 2]" in message and "1 of 200 entries are off" in message and "Hint: a hint" in message
    assert len(re.findall(r"-?\d+\.\d+", message)) <= 2


def test_an_error_in_the_test_itself_is_reported_without_code():
    out = runner.describe_failure(AssertionError("assert np.allclose(out, expected)\n where out = array([1, 2])"))
    assert out.startswith("the test could not check your answer") and "allclose" not in out
    out = runner.describe_failure(ValueError("operands could not be broadcast together with shapes (4,3) (5,)"))
    assert out.startswith("the test could not check your answer: ValueError: operands")


def test_partial_credit_per_case():
    recorded = []

    def fail():
        raise Mismatch("out is wrong", "a hint")

    score_cases(lambda fraction, message: recorded.append((fraction, message)),
                [("N = 2", lambda: None), ("N = 3", fail), ("N = 64", lambda: None), ("N = 4096", lambda: None)])
    [(fraction, message)] = recorded
    assert fraction == 0.75 and "wrong for N = 3" in message and "a hint" in message
    with pytest.raises(Mismatch, match="for N = 2: out is wrong"):
        score_cases(lambda *a: None, [("N = 2", fail)])


def test_run_suite_prints_nothing(capfd):
    run_suite("06_experiments", InProcessStudent(INDEPENDENT))
    run_suite("06_experiments", Failing("not_implemented", "NotImplementedError: "))
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_an_interrupted_session_fails_the_tests_that_did_not_finish():
    class Interrupted(InProcessStudent):
        calls = 0

        def call(self, name, *args, **kwargs):
            self.calls += 1
            if self.calls == 2:   # the second test's first call
                raise KeyboardInterrupt
            return super().call(name, *args, **kwargs)

    outcomes = run_suite("01_covariate_shift", Interrupted(INDEPENDENT))
    assert len(outcomes) == len(suite_tests("01_covariate_shift"))
    assert outcomes[0].status == "passed"
    assert all(o.status == "failed" and o.score == 0 and "grading stopped" in o.output for o in outcomes[1:])


def test_inputs_depend_on_the_test_not_on_the_order_tests_run_in():
    class Recording(InProcessStudent):
        def __init__(self, cells):
            super().__init__(cells)
            self.seen = []

        def call(self, name, *args, **kwargs):
            if name == "batchnorm_backward_alt":
                self.seen.append(b"".join(np.ascontiguousarray(a).tobytes() for a in args[:1]))
            return super().call(name, *args, **kwargs)

    alone, together = Recording(INDEPENDENT), Recording(INDEPENDENT)
    run_suite("04_backprop", alone, only="batchnorm_backward_alt")
    run_suite("04_backprop", together)
    assert alone.seen and alone.seen == together.seen


def test_only_runs_the_named_exercises():
    outcomes = run_suite("04_backprop", InProcessStudent(INDEPENDENT), only="batchnorm_backward")
    assert {o.exercise for o in outcomes} == {"batchnorm_backward"}
    with pytest.raises(ValueError, match="no hidden tests"):
        run_suite("04_backprop", InProcessStudent(INDEPENDENT), only="batchnorm_forward")
    with pytest.raises(ValueError, match="no hidden suite"):
        run_suite("07_nothing", InProcessStudent(INDEPENDENT))


def test_run_suite_is_one_pytest_session_per_notebook_which_collects_the_suite(monkeypatch):
    # The overhead itself is measured by bench/grader_speed.py, not by a timed test. A session stopped while
    # collecting is in tests/test_suite_runs.py.
    calls, real = [], runner._pytest
    monkeypatch.setattr(runner, "_pytest", lambda files, plugin, extra=(): calls.append(tuple(extra))
                        or real(files, plugin, extra))
    runner._collected.cache_clear()
    student = Failing("not_implemented", "NotImplementedError: ")
    for assignment in ASSIGNMENTS:
        run_suite(assignment, student)
        run_suite(assignment, student)
    assert calls == [()] * (2 * len(ASSIGNMENTS))


def test_a_suite_file_that_cannot_load_is_reported_and_the_others_still_run(tmp_path, monkeypatch):
    folder = tmp_path / "99_broken"
    folder.mkdir()
    (folder / "test_good.py").write_text(
        'import pytest\n\n\n@pytest.mark.points(2)\ndef test_good_calls_the_student(student):\n'
        '    """calls the student"""\n    student.call("good")\n')
    (folder / "test_bad.py").write_text("this is not python\n")
    monkeypatch.setattr(runner, "SUITES_DIR", tmp_path)
    outcomes = run_suite("99_broken", Failing("not_implemented", "NotImplementedError: "))
    good = [o for o in outcomes if o.exercise == "good"]
    bad = [o for o in outcomes if o.exercise == "bad"]
    assert [(o.name, o.max_score, o.status) for o in good] == [("good: calls the student", 2.0, "failed")]
    assert "NotImplementedError" in good[0].output
    assert len(bad) == 1 and bad[0].max_score == 0 and "could not load" in bad[0].output


# ---- notebook 07 --------------------------------------------------------------------------------

FORWARDS_07 = ("spatial_batchnorm_forward", "layernorm_forward")
BACKWARDS_07 = ("spatial_batchnorm_backward", "layernorm_backward")


def test_a_forward_still_a_stub_costs_the_backward_suites_of_07_nothing():
    """The backward suites build their caches with the reference forward pass."""
    stub = "def {0}(*args, **kwargs):\n    raise NotImplementedError()\n"
    student = InProcessStudent({**INDEPENDENT, **{name: stub.format(name) for name in FORWARDS_07}})
    outcomes = run_suite("07_beyond_dense", student)
    backward = [o for o in outcomes if o.exercise in BACKWARDS_07]
    assert backward and all(o.score == o.max_score for o in backward), [o.output for o in backward if o.score < 1]
    assert all(o.score == 0 for o in outcomes if o.exercise in FORWARDS_07)


def test_the_groupnorm_suite_leaves_the_cache_to_the_student():
    own_cache = INDEPENDENT["groupnorm_forward"].replace(
        "return out, (x_hat, 1 / np.stack(stds, axis=1), gamma, G, eps)", "return out, (G, eps)")
    assert own_cache != INDEPENDENT["groupnorm_forward"]
    outcomes = run_suite("07_beyond_dense", InProcessStudent({**INDEPENDENT, "groupnorm_forward": own_cache}),
                         only="groupnorm_forward")
    assert outcomes and all(o.score == o.max_score for o in outcomes)


def test_a_layernorm_cache_with_inv_std_of_shape_n_is_told_keepdims():
    flat = INDEPENDENT["layernorm_forward"].replace("LNCache(x_hat=x_hat, inv_std=inv_std,",
                                                    "LNCache(x_hat=x_hat, inv_std=inv_std.ravel(),")
    assert flat != INDEPENDENT["layernorm_forward"]
    outcomes = run_suite("07_beyond_dense", InProcessStudent({**INDEPENDENT, "layernorm_forward": flat}),
                         only="layernorm_forward")
    lost = [o for o in outcomes if o.score < o.max_score]
    assert [short(o) for o in lost] == ["the cache is an LNCache holding x_hat (N, D), inv_std (N, 1), gamma and eps"]
    assert "keepdims=True" in lost[0].output


@pytest.mark.parametrize("body", ["return None", "return None, None", "return None, None, None"])
def test_an_answer_of_nothing_earns_nothing_in_07(body):
    """Not even the points for leaving the inputs unchanged: those go with a right answer."""
    from course_lib.exercises import exercises_of

    cells = {e.grade_id: f"def {e.name}(*args, **kwargs):\n    {body}\n" for e in exercises_of("07_beyond_dense")}
    outcomes = run_suite("07_beyond_dense", InProcessStudent(cells))
    assert outcomes and sum(o.score for o in outcomes) == 0, [o.name for o in outcomes if o.score]
    assert not [o.output for o in outcomes if "could not check" in o.output]


@pytest.mark.parametrize("body", [
    "return np.random.standard_normal(np.shape(x)).astype(np.asarray(x).dtype), None",
    "out, cache = right(x, gamma, beta, eps)\n    return out + np.random.standard_normal(), cache",
], ids=["noise", "right_plus_noise"])
def test_an_output_that_changes_on_every_call_earns_nothing_on_layernorm(body):
    """Only the catalogued running-statistics mistake (one affine map of x shared by every entry) is let through
    by the tests that do not name it; other output that changes from call to call is just wrong. (The shape of
    out, and a cache that is right, still earn their own tests' points.)"""
    right = INDEPENDENT["layernorm_forward"].replace("def layernorm_forward(", "def right(")
    cell = f"{right}\n\ndef layernorm_forward(x, gamma, beta, eps=1e-5):\n    {body}\n"
    outcomes = run_suite("07_beyond_dense", InProcessStudent({**INDEPENDENT, "layernorm_forward": cell}),
                         only="layernorm_forward")
    about_out = [o for o in outcomes if "returns (out, cache)" not in o.name and "the cache is" not in o.name]
    assert len(about_out) == 7 and all(o.score == 0 for o in about_out), [(o.name, o.score) for o in about_out]
