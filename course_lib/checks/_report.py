"""Running a visible check: cases, outcomes, and the report a student reads.

A check is a list of cases, each a short description and a function that
calls the student's code and raises ``course_lib.compare.Mismatch`` (what
was wrong, and a hint) when the answer is off. All cases run, so the report shows the whole
picture, and the first failure is marked as the one to fix first.
"""

from dataclasses import dataclass

import numpy as np

from ..compare import Mismatch, Outcome

__all__ = ["Case", "Report", "CheckFailed", "run_check"]

PASS, FAIL = "\u2714", "\u2718"


@dataclass(frozen=True)
class Case:
    name: str          # what a passing function does, e.g. "uses the biased variance"
    test: object       # test(fn) -> None, raises Mismatch
    hint: str = ""     # shown when the case fails without a hint of its own


@dataclass(frozen=True)
class Report:
    title: str
    outcomes: tuple

    @property
    def passed(self):
        return all(o.passed for o in self.outcomes)

    @property
    def first_failure(self):
        return next((o for o in self.outcomes if not o.passed), None)

    def render(self):
        n_ok = sum(o.passed for o in self.outcomes)
        lines = [f"Checking {self.title}"]
        first = self.first_failure
        for o in self.outcomes:
            lines.append(f"  {PASS if o.passed else FAIL} {o.name}")
            if not o.passed:
                lines.extend(f"      {line}" for line in o.detail.splitlines())
                if o.hint:
                    lines.extend(f"      hint: {line}" for line in o.hint.splitlines())
                if o is first and n_ok + 1 < len(self.outcomes):
                    lines.append("      (fix this one first: later failures often have the same cause)")
        if first is None:
            lines.append(f"All {len(self.outcomes)} checks passed. Well done!")
        else:
            lines.append(f"{n_ok} of {len(self.outcomes)} checks passed.")
        return "\n".join(lines)


class CheckFailed(AssertionError):
    """A visible check did not pass; ``report`` holds every outcome."""

    def __init__(self, report):
        failed = len(report.outcomes) - sum(o.passed for o in report.outcomes)
        super().__init__(f"{report.title}: {failed} of {len(report.outcomes)} checks failed "
                         f"(first: {report.first_failure.name})")
        self.report = report

    def _render_traceback_(self):   # IPython prints this instead of a traceback
        return [f"CheckFailed: {self}. See the report above."]


NOT_IMPLEMENTED = ("your function still raises NotImplementedError",
                   "replace `raise NotImplementedError()` with your code, then run the cell again")


def _outcome(case, fn):
    try:
        case.test(fn)
    except Mismatch as m:
        return Outcome(case.name, False, m.message, m.hint or case.hint)
    except NotImplementedError:
        return Outcome(case.name, False, *NOT_IMPLEMENTED)
    except Exception as err:   # a crash in the student's code is reported, never raised through
        where = _student_frame(err)
        return Outcome(case.name, False, f"your code raised {type(err).__name__}: {err}{where}", case.hint)
    return Outcome(case.name, True)


def _student_frame(err):
    """' (line L of your cell)' for the deepest frame outside course_lib, if any."""
    tb, line = err.__traceback__, None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if "course_lib" not in filename.replace("\\", "/").split("/")[-3:-1] and "numpy" not in filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return "" if line is None else f" (line {line} of your function's cell)"


def run_check(title, fn, cases, verbose=True):
    """Run every case on ``fn``; print the report; raise CheckFailed unless all pass."""
    if not callable(fn):
        outcomes = (Outcome("is a function", False, f"expected a function, got {type(fn).__name__}",
                            "pass the function itself, e.g. check_x(x), not check_x(x(...))"),)
    else:
        with np.errstate(all="ignore"):
            outcomes = tuple(_outcome(case, fn) for case in cases)
        if all(o.detail == NOT_IMPLEMENTED[0] for o in outcomes):   # an untouched stub: one line, not a list
            outcomes = (Outcome("is implemented", False, *NOT_IMPLEMENTED),)
    report = Report(title, outcomes)
    if verbose:
        print(report.render())
    if not report.passed:
        raise CheckFailed(report)
