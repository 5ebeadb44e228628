"""Inputs shared by the hidden suites (grader side only); their tolerances are course_lib.compare's policy.

Every generator takes the test's ``rng`` fixture, so a test's inputs depend
on its own name only.
"""

import numpy as np

from course_lib.compare import tolerance

__all__ = ["SIZES", "tol", "bn_batch", "offset_batch", "layouts"]

# Batch sizes every "several N" test runs: the smallest batch BN allows, an odd
# one, a usual one and a large one; D varies with N so that no shape is square.
SIZES = ((2, 3), (3, 5), (64, 7), (4096, 6))


def tol(dtype):
    """The policy's tolerances for outputs computed from inputs of ``dtype``, as expect_close's keywords."""
    return tolerance(dtype)._asdict()


def bn_batch(rng, N, D, dtype=np.float64):
    """(x, gamma, beta): features on different scales and offsets, gamma in [0.5, 2], beta in [-1, 1]."""
    x = rng.standard_normal((N, D)) * rng.uniform(0.5, 5.0, D) + rng.uniform(-3.0, 3.0, D)
    gamma = rng.uniform(0.5, 2.0, D)
    beta = rng.uniform(-1.0, 1.0, D)
    return x.astype(dtype), gamma.astype(dtype), beta.astype(dtype)


def offset_batch(rng, N, D):
    """Columns far from zero with small spread, e.g. 1e4 + 0.01 * noise.

    mean(x**2) - mean(x)**2 loses all its digits here (it may even come out
    negative); the two-pass mean((x - mu)**2) does not.
    """
    offsets = np.array([1e4, -3e4, 1e5, 2.5e4, -1e4, 5e4])[:D] if D <= 6 else rng.uniform(-1e5, 1e5, D)
    spread = np.array([0.01, 0.1, 0.05, 0.02, 1.0, 0.03])[:D] if D <= 6 else rng.uniform(0.01, 1.0, D)
    return offsets + spread * rng.standard_normal((N, D))


def layouts(a):
    """(label, array) pairs: ``a``'s values in memory layouts other than C order.

    The sandbox hands the student these exact layouts, so a function that
    assumes contiguous memory (``x.reshape``, ``x.view``, writes through
    ``x.ravel()``) shows it here.
    """
    a = np.asarray(a)
    out = []
    if a.ndim == 2:
        wide = np.zeros((a.shape[0], 2 * a.shape[1]), a.dtype)
        wide[:, ::2] = a
        out.append(("every other column of a wider array, x[:, ::2]", wide[:, ::2]))
        out.append(("an array in Fortran (column-major) order", np.asfortranarray(a)))
        out.append(("a transposed view, x = y.T", np.ascontiguousarray(a.T).T))
        out.append(("a view with its rows reversed, x = y[::-1]", np.ascontiguousarray(a[::-1])[::-1]))
    else:
        wide = np.zeros(2 * a.shape[0], a.dtype)
        wide[::2] = a
        out.append(("every other entry of a longer array, z[::2]", wide[::2]))
        out.append(("a reversed view, z = y[::-1]", np.ascontiguousarray(a[::-1])[::-1]))
    for label, view in out:
        assert np.array_equal(view, a)
    return out
