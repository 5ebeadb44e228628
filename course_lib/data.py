"""Small synthetic data sets used throughout the course.

* :func:`make_circles_data` -- two concentric circles, the "difficult" data set
  that a linear model cannot separate and a small network can.
* :func:`cgpa_iq_example` -- the four-student batch of the hand-worked Batch
  Normalization walkthrough (2 features, a hidden layer of 2 neurons).
* :func:`covariate_shift_data` -- the "rose detector trained on red roses only"
  example of covariate shift.

Every array is float64; N = samples, D = features.
"""

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

__all__ = [
    "CgpaIqExample",
    "RED_HUE_RANGE",
    "ShiftSplit",
    "cgpa_iq_example",
    "covariate_shift_data",
    "make_circles_data",
]

# Hue runs along the spectrum, 0 = deep red ... 1 = violet, so "red" is one
# contiguous interval at the start rather than wrapping around a colour wheel.
RED_HUE_RANGE = (0.0, 0.2)

_MIN_SAMPLES = 4


def _check_n_samples(n_samples):
    # bool is an Integral subclass, but True/False as a sample count is a bug.
    if not isinstance(n_samples, Integral) or isinstance(n_samples, bool):
        raise ValueError(
            f"n_samples must be an int >= {_MIN_SAMPLES}, got {n_samples!r}"
        )
    if n_samples < _MIN_SAMPLES:
        raise ValueError(f"n_samples must be >= {_MIN_SAMPLES}, got {n_samples}")
    return int(n_samples)


def _check_seed(seed):
    if not isinstance(seed, Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return int(seed)


def _check_real(name, value, low, high, *, low_closed):
    ok = isinstance(value, Real) and not isinstance(value, bool)
    if ok:
        ok = (value >= low if low_closed else value > low) and value < high
    if not ok:
        left = "[" if low_closed else "("
        raise ValueError(
            f"{name} must be a number in {left}{low}, {high}), got {value!r}"
        )
    return float(value)


def make_circles_data(n_samples=1000, *, noise=0.1, factor=0.5, seed=0):
    """Two noisy concentric circles (inner circle = class 1).

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of points N (at least 4), split evenly between circles.
    noise : float, default=0.1
        Standard deviation of the Gaussian noise added to each point.
    factor : float, default=0.5
        Radius of the inner circle relative to the outer one, in (0, 1).
    seed : int, default=0
        Seed; the same seed always gives the same data.

    Returns
    -------
    X : ndarray of shape (N, 2), float64
        Point coordinates.
    y : ndarray of shape (N,), float64
        Labels, 0.0 (outer circle) or 1.0 (inner circle).
    """
    n_samples = _check_n_samples(n_samples)
    noise = _check_real("noise", noise, 0.0, np.inf, low_closed=True)
    factor = _check_real("factor", factor, 0.0, 1.0, low_closed=False)
    seed = _check_seed(seed)
    from sklearn.datasets import make_circles   # here: importing scikit-learn takes over a second

    X, y = make_circles(
        n_samples=n_samples, noise=noise, factor=factor, random_state=seed
    )
    # float labels so they feed straight into a sigmoid / BCE loss.
    return X.astype(np.float64), y.astype(np.float64)


@dataclass(frozen=True, eq=False)
class CgpaIqExample:
    """The hand-worked Batch Normalization example: a batch of 4 students.

    Attributes
    ----------
    X : ndarray of shape (4, 2)
        Inputs, columns (CGPA on a 10-point scale, IQ).
    y : ndarray of shape (4,)
        1.0 if the student was placed, else 0.0.
    W : ndarray of shape (2, 2)
        Hidden-layer weights, ``W[d, j]`` connects feature d to neuron j.
    b : ndarray of shape (2,)
        Hidden-layer biases.
    gamma : ndarray of shape (2,)
        Batch Normalization scale, one per neuron.
    beta : ndarray of shape (2,)
        Batch Normalization shift, one per neuron.
    eps : float
        The epsilon added to the variance.
    feature_names : tuple of str
        ``("CGPA", "IQ")``.
    """

    X: np.ndarray
    y: np.ndarray
    W: np.ndarray
    b: np.ndarray
    gamma: np.ndarray
    beta: np.ndarray
    eps: float = 1e-5
    feature_names: tuple = ("CGPA", "IQ")


def cgpa_iq_example():
    """Return a fresh copy of the CGPA/IQ walkthrough numbers.

    The numbers are chosen so every step can be done by hand: neuron 1 is
    CGPA + 0.3 IQ + 0.75 and neuron 2 is 0.4 CGPA - 0.01 IQ - 0.05, and their
    batch statistics come out round. Neuron 1 is dominated by IQ and lives on
    a scale more than ten times larger than neuron 2: the imbalance Batch
    Normalization removes. (The answers are for notebook 03 to find.)

    Returns
    -------
    CgpaIqExample
        New arrays on every call, so a caller may modify them freely.
    """
    return CgpaIqExample(
        X=np.array([[8.0, 110.0], [6.5, 90.0], [9.0, 120.0], [7.5, 100.0]]),
        y=np.array([1.0, 0.0, 1.0, 0.0]),
        W=np.array([[1.0, 0.4], [0.3, -0.01]]),
        b=np.array([0.75, -0.05]),
        gamma=np.array([1.0, 2.0]),
        beta=np.array([0.0, 0.5]),
    )


@dataclass(frozen=True, eq=False)
class ShiftSplit:
    """Train/test splits whose input distributions differ (covariate shift).

    Attributes
    ----------
    X_train : ndarray of shape (N_tr, 2)
        Training flowers, red hues only.
    y_train : ndarray of shape (N_tr,)
        1.0 = rose, 0.0 = not a rose.
    X_test : ndarray of shape (N_te, 2)
        Test flowers of every hue.
    y_test : ndarray of shape (N_te,)
        Labels of ``X_test``.
    X_test_red : ndarray of shape (N_red, 2)
        Held-out flowers from the training distribution (red hues only).
    y_test_red : ndarray of shape (N_red,)
        Labels of ``X_test_red``.
    feature_names : tuple of str
        ``("hue", "petal_roundness")``.
    description : str
        One paragraph describing the data.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    X_test_red: np.ndarray
    y_test_red: np.ndarray
    feature_names: tuple
    description: str


def _rose_boundary(hue):
    # A sine wave over the spectrum: nearly a straight line inside the red
    # band, so a linear model fits it there, but it turns round outside it,
    # so the line learnt on red flowers extrapolates badly.
    return 0.5 - 0.35 * np.sin(2.0 * np.pi * hue)


def _flowers(rng, n, hue_low, hue_high):
    hue = rng.uniform(hue_low, hue_high, size=n)
    roundness = rng.uniform(0.0, 1.0, size=n)
    X = np.column_stack([hue, roundness])
    # One labelling rule for every flower: P(y | x) never changes, only P(x).
    y = (roundness > _rose_boundary(hue)).astype(np.float64)
    return X, y


_DESCRIPTION = (
    "Synthetic flowers with two features in [0, 1]: hue along the spectrum "
    "(0 = deep red ... 1 = violet) and petal roundness. A flower is a rose iff "
    "roundness > 0.5 - 0.35 sin(2 pi hue), for every hue. The training split "
    "and X_test_red hold red flowers only (hue in [0, 0.2)); X_test holds "
    "flowers of all hues. Same labelling rule, different input distribution: "
    "covariate shift."
)


def covariate_shift_data(n_samples=2000, *, seed=0):
    """The "rose detector trained on red roses only" covariate-shift data.

    Parameters
    ----------
    n_samples : int, default=2000
        Number of flowers in each of the three splits (at least 4).
    seed : int, default=0
        Seed; the same seed always gives the same splits.

    Returns
    -------
    ShiftSplit
        ``X_train`` (N, 2) and ``X_test_red`` (N, 2) drawn from red hues,
        ``X_test`` (N, 2) drawn from all hues, with labels of shape (N,),
        where N = ``n_samples``. Features are (hue, petal_roundness).
    """
    n_samples = _check_n_samples(n_samples)
    rng = np.random.default_rng(_check_seed(seed))
    X_train, y_train = _flowers(rng, n_samples, *RED_HUE_RANGE)
    X_test_red, y_test_red = _flowers(rng, n_samples, *RED_HUE_RANGE)
    X_test, y_test = _flowers(rng, n_samples, 0.0, 1.0)
    return ShiftSplit(
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        X_test_red=X_test_red,
        y_test_red=y_test_red,
        feature_names=("hue", "petal_roundness"),
        description=_DESCRIPTION,
    )
