"""How the hidden suites turn what went wrong into points and words (grader side).

A test raises ``course_lib.compare.Mismatch`` for a wrong answer and the
sandbox raises ``StudentError`` when the student's code failed; ``render``
and ``student_error_text`` say either to the student, and ``score_cases``
gives part of a test's points for the cases that were right.
"""

from course_lib.compare import Mismatch, cut, shorten

from ..reports.limits import ERROR_QUOTE_CHARS, OUTPUT_CHARS

__all__ = ["render", "is_student_error", "student_error_text", "score_cases", "STUDENT_ERROR_KINDS"]

STUDENT_ERROR_KINDS = ("missing", "not_implemented", "raised", "timeout", "crashed", "unsupported")


def render(mismatch):
    """A Mismatch as a test's output: its message, then its hint."""
    return cut(mismatch.message + (f"\nHint: {mismatch.hint}" if mismatch.hint else ""), OUTPUT_CHARS)


def is_student_error(exc):
    """Whether ``exc`` is the sandbox's StudentError (the student's code failed, not the test)."""
    try:
        from autograder.sandbox import StudentError
    except ImportError:
        StudentError = None
    if StudentError is not None and isinstance(exc, StudentError):
        return True
    return type(exc).__name__ == "StudentError" and getattr(exc, "kind", None) in STUDENT_ERROR_KINDS


def student_error_text(exc):
    """What a StudentError means, for the student."""
    kind = getattr(exc, "kind", "raised")
    message = shorten(getattr(exc, "message", "") or "", ERROR_QUOTE_CHARS)
    if kind == "missing":
        return (message or "a function or variable this test needs is not defined") + \
            "\nHint: keep the names the notebook gives, and run your cells without errors"
    if kind == "not_implemented":
        return ("your function still raises NotImplementedError\n"
                "Hint: replace `raise NotImplementedError()` with your code")
    if kind == "timeout":
        return ("your code took too long and was stopped\n"
                "Hint: use numpy operations on whole arrays instead of Python loops over the entries, "
                "and look for a loop that never ends")
    if kind == "crashed":
        return ("your code stopped the process that runs it (sys.exit, os._exit, or it ran out of memory)"
                + (f": {message}" if message else ""))
    if kind == "unsupported":
        return f"your function {message}" if message else \
            "your function returned something that is not plain data: return numpy arrays, numbers or tuples"
    if message.startswith("the cell"):   # the cell failed when it was run, before any call
        hint = ("replace `raise NotImplementedError()` with your code" if "NotImplementedError" in message else
                "restart the kernel and run all cells: each must run without errors")
        return f"{message}\nHint: {hint}"
    return f"your code raised {message}" if message else "your code raised an exception"


def score_cases(partial, cases):
    """Run ``cases``, (label, check) pairs, and grade them together.

    Every case right: the test passes. None right: it fails with the first
    failure. Some right: it passes with that fraction of its points, and
    the message names the first case that was wrong.
    """
    failures = []
    for label, check in cases:
        try:
            check()
        except Exception as exc:   # only the student's mistakes count as a case's failure
            if not (isinstance(exc, Mismatch) or is_student_error(exc)):
                raise
            failures.append((label, exc))
    if not failures:
        return
    label, exc = failures[0]
    if isinstance(exc, Mismatch):
        first = Mismatch(f"for {label}: {exc.message}", exc.hint)
    else:
        first = Mismatch(f"for {label}: {student_error_text(exc)}")
    if len(failures) == len(cases):
        if not isinstance(exc, Mismatch) and len({student_error_text(e) for _, e in failures}) == 1:
            raise exc
        raise first
    right = len(cases) - len(failures)
    wrong = ", ".join(lab for lab, _ in failures)
    partial(right / len(cases), f"right for {right} of {len(cases)} cases; wrong for {wrong}.\n"
                                f"First wrong case, {render(first)}")
