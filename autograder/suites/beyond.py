"""Inputs and helpers shared by the hidden suites of notebook 07_beyond_dense (grader side only).

Feature maps are (N, C, H, W) with each channel on its own scale and
offset, so that statistics over the wrong axes show. ``known`` gives the
catalogued mistakes' outputs on a test's own input; a test passes those it
names to ``expect_close(bugs=...)`` and those other tests name to
``tolerate=...``, so that a mistake costs the test that names it and "out is
right", not more.
"""

import numpy as np

from autograder.suites import mistakes
from course_lib.compare import expect_unchanged

__all__ = ["maps", "map_layouts", "known", "bugs", "tolerated", "matches", "unchanged"]


def maps(rng, N, C, H, W, dtype=np.float64):
    """(x, gamma, beta): x (N, C, H, W), each channel with its own scale in [0.5, 4] and offset in [-3, 3]."""
    scale = rng.uniform(0.5, 4.0, (1, C, 1, 1))
    offset = rng.uniform(-3.0, 3.0, (1, C, 1, 1))
    x = rng.standard_normal((N, C, H, W)) * scale + offset
    gamma, beta = rng.uniform(0.5, 2.0, C), rng.uniform(-1.0, 1.0, C)
    return x.astype(dtype), gamma.astype(dtype), beta.astype(dtype)


def map_layouts(a):
    """(label, array) pairs: the values of the 4-D ``a`` in memory layouts other than C order."""
    a = np.asarray(a)
    wide = np.zeros(a.shape[:2] + (2 * a.shape[2], a.shape[3]), a.dtype)
    wide[:, :, ::2] = a
    out = [("every other row of a taller map, x[:, :, ::2]", wide[:, :, ::2]),
           ("a channels-last array seen as (N, C, H, W), x = y.transpose(0, 3, 1, 2)",
            np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)),
           ("an array in Fortran (column-major) order", np.asfortranarray(a)),
           ("a view with its samples reversed, x = y[::-1]", np.ascontiguousarray(a[::-1])[::-1])]
    for _, view in out:
        assert np.array_equal(view, a)
    return out


def known(exercise, names, *args):
    """{name: the whole result} of the catalogued mistakes ``names`` of ``exercise`` on ``args``."""
    return {name: result for name, (_, result) in mistakes.outputs(exercise, names, *args).items()}


def bugs(exercise, results, part=None):
    """(hint, output) pairs for expect_close(bugs=...) from ``known``'s results; part: one element of each."""
    return [(mistakes.hint(exercise, name), r if part is None else r[part]) for name, r in results.items()]


def tolerated(results, names, part=None):
    """The outputs of the mistakes ``names`` among ``results``, for expect_close(tolerate=...)."""
    return [results[n] if part is None else results[n][part] for n in names if n in results]


def matches(got, outputs, rtol=1e-6, atol=1e-8):
    """Whether ``got`` equals one of ``outputs`` (same shape, within the tolerance)."""
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    for value in outputs:
        v = np.asarray(value, dtype=np.float64)
        if v.shape == g.shape and np.allclose(g, v, rtol=rtol, atol=atol):
            return True
    return False


def unchanged(names, before, after):
    """Mismatch unless every input is as it was before the call."""
    for name, b, a in zip(names, before, after):
        expect_unchanged(b, a, name)
