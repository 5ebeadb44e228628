"""A stand-in for the run stage, for the grader's unit tests: made-up outcomes, no sandbox, no suites.

Every graded cell gets one test worth 2 points, passed when the cell exists
and no longer raises NotImplementedError. Students named to misbehave make
the job misbehave: "crash*" kills the worker process, "raise*" makes the run
stage raise, "drop*" makes it return nothing.

It lives in a module of its own so that worker processes (spawned, not
forked) can unpickle it by name.
"""

import os

from autograder.records import Graded, TestOutcome
from autograder.stages.extract import exercise_ids

POINTS = 2.0


def fake_outcomes(extracted):
    outcomes = []
    for grade_id in exercise_ids(extracted.submission.assignment):
        source = extracted.cells.get(grade_id)
        if extracted.error is not None or source is None:
            status, output = "failed", f"no {grade_id} found"
        elif "NotImplementedError" in source:
            status, output = "failed", "your function still raises NotImplementedError\nHint: write it"
        else:
            status, output = "passed", ""
        outcomes.append(TestOutcome(f"{grade_id}: works on the examples", grade_id,
                                    POINTS if status == "passed" else 0.0, POINTS, status, output))
    return tuple(outcomes)


def fake_run(extracted, context):
    student = extracted.submission.student
    if student.startswith("crash"):
        os._exit(3)   # as a segfault or the OOM killer would: no exception, the process is gone
    if student.startswith("raise"):
        raise RuntimeError("the sandbox could not start")
    if student.startswith("drop"):
        return None
    assert os.path.isdir(context.workdir)
    return Graded(extracted.submission, fake_outcomes(extracted), error=extracted.error,
                  problems=extracted.problems, seconds=0.5)
