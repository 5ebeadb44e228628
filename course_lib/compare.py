"""The one vocabulary of checks, on both sides of the trust boundary.

The visible checks a student runs (``course_lib.checks``) and the hidden
suites of the grader (``autograder/suites``) compare answers with these
``expect_*`` helpers. Each raises ``Mismatch(message, hint)``: what was
wrong, and how to go about fixing it, written for the student; a failed
comparison quotes the worst entry and how many are off, never the whole
expected array. Whatever the student's code gave is quoted in a few hundred
characters at most (``shorten``, ``quote``, ``cut``).

One tolerance policy (``tolerance``) serves both sides: float64 answers
within rtol 1e-6 and atol 1e-8 of the reference, float32 ones within 2e-4
(each leaves room for any reasonable order of operations and still catches
every catalogued mistake), and numbers worked by hand within 0.011 of the
answer rounded to two decimals (``HAND_TOLERANCE``, ``hand_candidates``).

This module holds no reference and no hidden data: it ships to students.
"""

import re
from typing import NamedTuple

import numpy as np

__all__ = [
    "Mismatch", "Outcome", "Tol", "TOLERANCE", "HAND_TOLERANCE", "tolerance", "hand_rounded", "hand_candidates",
    "fmt", "fmt_pair", "expect", "as_array", "unpack", "expect_shape", "expect_dtype", "expect_close",
    "expect_unchanged", "expect_finite", "shorten", "quote", "cut", "more",
    "QUOTE_CHARS", "ARRAY_CHARS", "MESSAGE_CHARS", "DTYPE_HINT", "UNCHANGED_HINT",
]

# What a check quotes of the student's work.
QUOTE_CHARS = 300          # one value: a returned value's repr, a type or a dtype
ARRAY_CHARS = 1_000        # an array, printed abbreviated (a few entries at each end)
MESSAGE_CHARS = 2_000      # a check's message, and its hint


# The hints of the two properties every function exercise promises.
DTYPE_HINT = ("work in the input's dtype: avoid np.asarray(..., dtype=float) or astype(np.float64), "
              "and keep eps a Python float")
UNCHANGED_HINT = ("compute new arrays instead of writing into the input: `x = x - mu`, not `x -= mu` "
                  "(likewise *=, /= and x[...] = on an input)")


class Tol(NamedTuple):
    rtol: float
    atol: float


# The tolerance policy, per dtype of the answer: |got - expected| <= atol + rtol * |expected|.
TOLERANCE = {np.dtype(np.float64): Tol(rtol=1e-6, atol=1e-8), np.dtype(np.float32): Tol(rtol=2e-4, atol=2e-4)}
# Numbers worked by hand, to two decimals, each step from the rounded step before: an entry is right when it
# is within 0.011 of the answer rounded to two decimals (its own rounding, plus what its inputs carried).
HAND_TOLERANCE = Tol(rtol=0.0, atol=0.011)


def hand_rounded(value):
    """``value`` to 2 decimals, as text ("-0.00" is "0.00")."""
    text = f"{round(float(value), 2) + 0.0:.2f}"
    return "0.00" if text == "-0.00" else text


def hand_candidates(value):
    """The numbers of 2 decimals (as ``hand_rounded`` texts) within HAND_TOLERANCE of ``value``: a value
    worked by hand is right when the answer, rounded to 2 decimals, is one of them."""
    low = int(np.ceil(round((float(value) - HAND_TOLERANCE.atol) * 100, 6)))
    high = int(np.floor(round((float(value) + HAND_TOLERANCE.atol) * 100, 6)))
    return [hand_rounded(k / 100) for k in range(low, high + 1)]


def tolerance(dtype):
    """The Tol for answers of ``dtype``: float32's for float32 and smaller floats, else float64's."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f" and dtype.itemsize <= 4:
        return TOLERANCE[np.dtype(np.float32)]
    return TOLERANCE[np.dtype(np.float64)]


class Outcome(NamedTuple):
    """One case of a visible check: its name, whether it passed, and if not what differed and a hint."""

    name: str
    passed: bool
    detail: str = ""
    hint: str = ""


class Mismatch(AssertionError):
    """What a check found wrong: ``message`` says what, ``hint`` how to fix it (each cut to MESSAGE_CHARS)."""

    def __init__(self, message, hint=""):
        message, hint = cut(message, MESSAGE_CHARS), cut(hint, MESSAGE_CHARS)
        super().__init__(message)
        self.message = message
        self.hint = hint



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
    """Mismatch(message, hint) unless ``condition`` holds."""
    if not condition:
        raise Mismatch(message, hint)


def as_array(value, what):
    """``value`` as a numeric ndarray (its dtype kept), or Mismatch saying what came back instead."""
    if value is None:
        raise Mismatch(f"{what} is None", "did you forget a `return` statement?")
    if isinstance(value, (bool, np.bool_)):
        raise Mismatch(f"{what} should be a numpy array of numbers, got a bool")
    try:
        a = np.asarray(value)
    except (TypeError, ValueError):
        a = None
    if a is None or a.dtype.kind not in "biuf":
        raise Mismatch(f"{what} should be a numpy array of numbers, got {shorten(type(value).__name__)}",
                       "return a numpy array, e.g. np.array(...) or the result of numpy operations")
    return a


def unpack(result, names, what):
    """Split a returned tuple into its ``names``, or say how many parts were expected."""
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        got = f"a tuple of {len(result)}" if isinstance(result, (tuple, list)) else shorten(type(result).__name__)
        raise Mismatch(f"{what} should return a tuple ({', '.join(names)}); it returned {got}",
                       f"end with `return {', '.join(names)}`")
    return tuple(result)


def expect_shape(got, shape, what, hint="check the axis of your sums and means: statistics are per column "
                                        "(axis=0), one value per feature"):
    """``got`` as an array of shape ``shape``, or Mismatch."""
    a = as_array(got, what)
    if a.shape != tuple(shape):
        raise Mismatch(f"{what} has shape {shorten(a.shape)}, expected {tuple(shape)}", hint)
    return a


def expect_dtype(got, dtype, what, hint=None, why="the dtype of the input"):
    """Mismatch unless ``got`` has ``dtype`` (e.g. float32 in, float32 out); ``why`` says where it comes from."""
    a = as_array(got, what)
    dtype = np.dtype(dtype)
    if a.dtype != dtype:
        raise Mismatch(f"{what} has dtype {shorten(a.dtype)}, expected {dtype}, {why}", hint or DTYPE_HINT)
    return a


def expect_finite(got, what, hint=""):
    a = as_array(got, what)
    if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
        bad = "NaN" if np.isnan(a).any() else "inf"
        raise Mismatch(f"{what} contains {bad}", hint)
    return a


def _index(idx, what):
    if not idx:
        return what
    at = ", ".join(map(str, idx))
    return f"{what}[{at}]" if what.isidentifier() else f"{what}, entry [{at}],"


def _close(got, expected, rtol, atol):
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=rtol, atol=atol))


def expect_close(got, expected, what, hint="", *, rtol=1e-6, atol=1e-8, bugs=(), tolerate=()):
    """``got`` as an array close to ``expected`` (|got - expected| <= atol + rtol * |expected|), or Mismatch.

    The message quotes the worst entry and how many entries are off, never
    the whole expected array. bugs: (hint, value) pairs, the outputs of
    known mistakes on the same input; when ``got`` matches one, its hint is
    the one shown. tolerate: outputs (or (hint, output) pairs) of mistakes
    that another test names and charges for; an answer matching one passes.
    """
    expected = np.asarray(expected, dtype=np.float64)
    got = expect_shape(got, expected.shape, what)
    policy = tolerance(got.dtype)
    rtol = policy.rtol if rtol is None else rtol
    atol = policy.atol if atol is None else atol
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
        raise Mismatch(f"{what} contains NaN ({int(np.isnan(g).sum())} of {g.size} entries)", hint)
    off = ~np.isclose(g, expected, rtol=rtol, atol=atol)
    err = np.where(np.isnan(g), np.inf, np.abs(g - expected))
    idx = np.unravel_index(int(np.argmax(err)), g.shape) if g.ndim else ()
    where = _index(idx, what)
    count = f" ({int(off.sum())} of {g.size} entries are off)" if g.size > 1 else ""
    shown_got, shown_expected = fmt_pair(g[idx], expected[idx])
    raise Mismatch(f"{where} is {shown_got}, expected {shown_expected}{count}", hint)


def expect_unchanged(before, after, what):
    """Mismatch unless the input ``what`` is the same after the call as before it."""
    same = False
    try:
        a, b = np.asarray(before), np.asarray(after)
        same = a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))
    except (TypeError, ValueError):
        pass
    if not same:
        raise Mismatch(f"your function changed its input {what}", UNCHANGED_HINT)


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


def more(count):
    """The marker at the end of a cut text."""
    return f"… ({count} more characters)"


def cut(text, limit):
    """``text`` whole when it has at most ``limit`` characters, else its start and ``more(count)``, in
    ``limit`` characters at most: cutting a cut text again changes nothing. Always valid UTF-8."""
    text = text if isinstance(text, str) else str(text)
    if len(text) > limit:
        keep = max(0, limit - len(more(len(text))))
        text = text[:keep] + more(len(text) - keep)
    return _encodable(text)


def _encodable(text):
    """``text`` as valid UTF-8: a lone surrogate (from bytes that were not text) becomes U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text
