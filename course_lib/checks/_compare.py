"""Comparisons that fail with a message a student can act on."""

import numpy as np

from ._report import Mismatch

__all__ = ["as_array", "expect_shape", "expect_close", "expect_unchanged", "unpack", "fmt"]


def fmt(a):
    """A short rendering of a number or array, 4 significant digits."""
    with np.printoptions(precision=4, suppress=True, threshold=12, edgeitems=3):
        return np.array2string(np.asarray(a), separator=", ") if np.ndim(a) else f"{float(a):.4g}"


def as_array(value, what):
    """``value`` as a float ndarray, or a Mismatch that says what came back instead."""
    if value is None:
        raise Mismatch(f"{what} is None", "did you forget a `return` statement?")
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise Mismatch(f"{what} should be a numpy array of numbers, got {type(value).__name__}") from None
    return a


def unpack(result, names, what="your function"):
    """Split a returned tuple into its parts, or say how many parts were expected."""
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        got = f"a tuple of {len(result)}" if isinstance(result, (tuple, list)) else type(result).__name__
        raise Mismatch(f"{what} should return a tuple ({', '.join(names)}); it returned {got}",
                       f"end with `return {', '.join(names)}`")
    return result


def expect_shape(a, shape, what):
    a = as_array(a, what)
    if a.shape != tuple(shape):
        raise Mismatch(f"{what} has shape {a.shape}, expected {tuple(shape)}",
                       "check the axis of your sums and means: statistics are per column (axis=0)")
    return a


def _worst(a, b):
    diff = np.abs(a - b)
    diff = np.where(np.isnan(diff), np.inf, diff)
    return np.unravel_index(int(np.argmax(diff)), a.shape) if a.ndim else ()


def _is_close(got, expected, atol, rtol):
    return got.shape == expected.shape and bool(np.allclose(got, expected, atol=atol, rtol=rtol))


def expect_close(got, expected, what, *, atol=1e-6, rtol=1e-5, bugs=(), hint=""):
    """Mismatch unless ``got`` is close to ``expected``.

    bugs: (hint, value) pairs, the outputs of known mistakes on the same
    input; when ``got`` matches one, its hint is the one shown.
    """
    expected = np.asarray(expected, dtype=float)
    got = expect_shape(got, expected.shape, what)
    if _is_close(got, expected, atol, rtol):
        return got
    if np.isnan(got).any() and not np.isnan(expected).any():
        detail = f"{what} contains NaN: {fmt(got)}"
    else:
        idx = _worst(got, expected)
        at = ", ".join(map(str, idx))
        where = what if not idx else f"{what}[{at}]" if what.isidentifier() else f"{what}, entry [{at}],"
        detail = f"{where} is {fmt(got[idx])}, expected {fmt(expected[idx])}"
    for bug_hint, value in bugs:
        if _is_close(got, np.asarray(value, dtype=float), atol, rtol):
            raise Mismatch(detail, bug_hint)
    raise Mismatch(detail, hint)


def expect_unchanged(before, after, what):
    if not np.array_equal(np.asarray(before), np.asarray(after), equal_nan=True):
        raise Mismatch(f"your function changed its input {what}",
                       "compute new arrays instead of writing into the input (avoid `-=`, `*=`, `x[...] =` on it)")
