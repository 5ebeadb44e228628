"""Checks that fail with a message written for the student.

A hidden test raises ``Feedback(message, hint)``: what was wrong with the
answer, and how to go about fixing it. The runner shows exactly that, never
the test's code, a traceback or the reference arrays; a failed comparison
quotes the worst entry only. Whatever the student's code gave is quoted in a
few hundred characters at most (``shorten``, ``quote``), and a message and
its hint are cut to the limits of ``autograder.reports.limits``.
"""

import re

import numpy as np

from autograder.reports.limits import (ARRAY_CHARS, ERROR_QUOTE_CHARS, MESSAGE_CHARS, OUTPUT_CHARS, QUOTE_CHARS,
                                       cut, more)

__all__ = [
    "Feedback",
    "fmt",
    "fmt_pair",
    "expect",
    "as_array",
    "unpack",
    "expect_shape",
    "expect_dtype",
    "expect_close",
    "expect_unchanged",
    "expect_finite",
    "is_student_error",
    "student_error_text",
    "score_cases",
    "shorten",
    "quote",
    "STUDENT_ERROR_KINDS",
]

STUDENT_ERROR_KINDS = ("missing", "not_implemented", "raised", "timeout", "crashed", "unsupported")


class Feedback(AssertionError):
    """A failed hidden test: ``message`` says what was wrong, ``hint`` how to fix it (each cut to MESSAGE_CHARS)."""

    def __init__(self, message, hint=""):
        message, hint = cut(message, MESSAGE_CHARS), cut(hint, MESSAGE_CHARS)
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self):
        return cut(self.message + (f"\nHint: {self.hint}" if self.hint else ""), OUTPUT_CHARS)


def fmt(value):
    """A number or a small array, 4 significant digits; a large array is abbreviated, anything else quoted."""
    try:
        a = np.asarray(value)
    except Exception:
        return quote(value)
    if a.dtype.kind == "V":   # records and raw bytes: described, never printed
        return shorten(f"an array of shape {a.shape} and dtype {a.dtype}")
    if a.ndim == 0:
        try:
            return f"{float(a):.4g}"
        except (TypeError, ValueError):
            return quote(value)
    with np.printoptions(precision=4, suppress=False, threshold=6, edgeitems=2, linewidth=120):
        return cut(np.array2string(a, separator=", "), ARRAY_CHARS)


def quote(value, limit=QUOTE_CHARS):
    """``repr(value)`` of something the student's code gave, on one line, in ``limit`` characters at most."""
    rest = 0
    if isinstance(value, (str, bytes)) and len(value) > limit:
        value, rest = value[:limit], len(value) - limit   # only the start can be shown: only its repr is made
    try:
        text = repr(value)
    except Exception:
        text = f"a {type(value).__name__}"
    if not rest:
        return shorten(text, limit)
    line = " ".join(text.split())
    keep = max(0, limit - len(more(len(line) + rest)))
    return cut(line[:keep], limit) + more(len(line) - keep + rest)


def fmt_pair(got, expected):
    """Two numbers with just enough digits (4 to 12) to tell them apart."""
    for digits in range(4, 13):
        a, b = f"{float(got):.{digits}g}", f"{float(expected):.{digits}g}"
        if a != b:
            break
    return a, b


def expect(condition, message, hint=""):
    """Feedback(message, hint) unless ``condition`` holds."""
    if not condition:
        raise Feedback(message, hint)


def as_array(value, what):
    """``value`` as a numeric ndarray (its dtype kept), or Feedback saying what came back instead."""
    if value is None:
        raise Feedback(f"{what} is None", "did you forget a `return` statement?")
    if isinstance(value, (bool, np.bool_)):
        raise Feedback(f"{what} should be a numpy array of numbers, got a bool")
    try:
        a = np.asarray(value)
    except (TypeError, ValueError):
        a = None
    if a is None or a.dtype.kind not in "biuf":
        raise Feedback(f"{what} should be a numpy array of numbers, got {shorten(type(value).__name__)}",
                       "return a numpy array, e.g. np.array(...) or the result of numpy operations")
    return a


def unpack(result, names, what):
    """Split a returned tuple into its ``names``, or say how many parts were expected."""
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        got = f"a tuple of {len(result)}" if isinstance(result, (tuple, list)) else shorten(type(result).__name__)
        raise Feedback(f"{what} should return a tuple ({', '.join(names)}); it returned {got}",
                       f"end with `return {', '.join(names)}`")
    return tuple(result)


def expect_shape(got, shape, what, hint="check the axis of your sums and means: statistics are per column "
                                        "(axis=0), one value per feature"):
    """``got`` as an array of shape ``shape``, or Feedback."""
    a = as_array(got, what)
    if a.shape != tuple(shape):
        raise Feedback(f"{what} has shape {shorten(a.shape)}, expected {tuple(shape)}", hint)
    return a


def expect_dtype(got, dtype, what, hint=None):
    """Feedback unless ``got`` has ``dtype`` (e.g. float32 in, float32 out)."""
    a = as_array(got, what)
    dtype = np.dtype(dtype)
    if a.dtype != dtype:
        raise Feedback(f"{what} has dtype {shorten(a.dtype)}, expected {dtype}, the dtype of the input",
                       hint or f"work in the input's dtype: avoid np.asarray(..., dtype=float) or "
                               f"astype(np.float64), and keep eps a Python float")
    return a


def expect_finite(got, what, hint=""):
    a = as_array(got, what)
    if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
        bad = "NaN" if np.isnan(a).any() else "inf"
        raise Feedback(f"{what} contains {bad}", hint)
    return a


def _index(idx, what):
    if not idx:
        return what
    at = ", ".join(map(str, idx))
    return f"{what}[{at}]" if what.isidentifier() else f"{what}, entry [{at}],"


def _close(got, expected, rtol, atol):
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=rtol, atol=atol))


def expect_close(got, expected, what, hint="", *, rtol=1e-6, atol=1e-8, bugs=(), tolerate=()):
    """``got`` as an array close to ``expected`` (|got - expected| <= atol + rtol * |expected|), or Feedback.

    The message quotes the worst entry and how many entries are off, never
    the whole expected array. bugs: (hint, value) pairs, the outputs of
    known mistakes on the same input; when ``got`` matches one, its hint is
    the one shown. tolerate: outputs (or (hint, output) pairs) of mistakes
    that another test names and charges for; an answer matching one passes.
    """
    expected = np.asarray(expected, dtype=np.float64)
    got = expect_shape(got, expected.shape, what)
    g = got.astype(np.float64)
    if _close(g, expected, rtol, atol):
        return got
    for value in tolerate:
        value = value[1] if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) else value
        if _close(g, np.asarray(value, dtype=np.float64), rtol, atol):
            return got
    for bug_hint, value in bugs:
        bug = np.asarray(value, dtype=np.float64)
        if bug.shape == g.shape and not _close(bug, expected, rtol, atol) and _close(g, bug, rtol, atol):
            hint = bug_hint
            break
    if np.isnan(g).any() and not np.isnan(expected).any():
        raise Feedback(f"{what} contains NaN ({int(np.isnan(g).sum())} of {g.size} entries)", hint)
    off = ~np.isclose(g, expected, rtol=rtol, atol=atol)
    err = np.where(np.isnan(g), np.inf, np.abs(g - expected))
    idx = np.unravel_index(int(np.argmax(err)), g.shape) if g.ndim else ()
    where = _index(idx, what)
    count = f" ({int(off.sum())} of {g.size} entries are off)" if g.size > 1 else ""
    shown_got, shown_expected = fmt_pair(g[idx], expected[idx])
    raise Feedback(f"{where} is {shown_got}, expected {shown_expected}{count}", hint)


def expect_unchanged(before, after, what):
    """Feedback unless the input ``what`` is the same after the call as before it."""
    same = False
    try:
        a, b = np.asarray(before), np.asarray(after)
        same = a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))
    except (TypeError, ValueError):
        pass
    if not same:
        raise Feedback(f"your function changed its input {what}",
                       "compute new arrays instead of writing into the input: `x = x - mu`, not `x -= mu` "
                       "(likewise *=, /= and x[...] = on an input)")


def is_student_error(exc):
    """Whether ``exc`` is the sandbox's StudentError (the student's code failed, not the test)."""
    try:
        from autograder.sandbox import StudentError
    except ImportError:
        StudentError = None
    if StudentError is not None and isinstance(exc, StudentError):
        return True
    return type(exc).__name__ == "StudentError" and getattr(exc, "kind", None) in STUDENT_ERROR_KINDS


def shorten(text, limit=QUOTE_CHARS):
    """``text`` on one line (each run of spaces and line breaks made one space), in ``limit`` characters at most.

    Only the start of a long text is read, so a text of any size costs little.
    """
    text = text if isinstance(text, str) else str(text)
    words, size, end = [], -1, 0
    for match in re.finditer(r"\S+", text):
        words.append(match.group())
        size += 1 + len(words[-1])
        end = match.end()
        if size > limit:
            break
    line = " ".join(words)
    if size <= limit:
        return cut(line, limit)
    rest = len(text) - end   # not read: counted as it is
    keep = max(0, limit - len(more(len(line) + rest)))
    return cut(line[:keep], limit) + more(len(line) - keep + rest)


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
            if not (isinstance(exc, Feedback) or is_student_error(exc)):
                raise
            failures.append((label, exc))
    if not failures:
        return
    label, exc = failures[0]
    if isinstance(exc, Feedback):
        first = Feedback(f"for {label}: {exc.message}", exc.hint)
    else:
        first = Feedback(f"for {label}: {student_error_text(exc)}")
    if len(failures) == len(cases):
        if not isinstance(exc, Feedback) and len({student_error_text(e) for _, e in failures}) == 1:
            raise exc
        raise first
    right = len(cases) - len(failures)
    wrong = ", ".join(lab for lab, _ in failures)
    partial(right / len(cases), f"right for {right} of {len(cases)} cases; wrong for {wrong}.\n"
                                f"First wrong case, {first.render()}")
