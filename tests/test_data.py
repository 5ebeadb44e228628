"""Tests for course_lib.data: the synthetic data sets."""

import dataclasses

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from course_lib.data import (
    RED_HUE_RANGE,
    cgpa_iq_example,
    covariate_shift_data,
    make_circles_data,
)

SEEDS = range(5)


# --- circles ---------------------------------------------------------------

def test_circles_shapes_dtype_and_labels():
    X, y = make_circles_data(300, seed=1)
    assert X.shape == (300, 2) and y.shape == (300,)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert set(np.unique(y)) == {0.0, 1.0}
    assert y.sum() == 150
    # Class 1 is the inner circle.
    radius = np.linalg.norm(X, axis=1)
    assert radius[y == 1].mean() < radius[y == 0].mean()


def test_circles_default_size():
    X, y = make_circles_data()
    assert X.shape == (1000, 2) and y.shape == (1000,)


def test_circles_deterministic_per_seed():
    X1, y1 = make_circles_data(200, seed=3)
    X2, y2 = make_circles_data(200, seed=3)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    X3, _ = make_circles_data(200, seed=4)
    assert not np.array_equal(X1, X3)


# --- CGPA / IQ walkthrough -------------------------------------------------

def test_cgpa_iq_shapes_and_constants():
    ex = cgpa_iq_example()
    assert ex.X.shape == (4, 2) and ex.y.shape == (4,)
    assert ex.W.shape == (2, 2)
    assert ex.b.shape == ex.gamma.shape == ex.beta.shape == (2,)
    for arr in (ex.X, ex.y, ex.W, ex.b, ex.gamma, ex.beta):
        assert arr.dtype == np.float64
    assert ex.eps == 1e-5
    assert ex.feature_names == ("CGPA", "IQ")
    assert set(np.unique(ex.y)) == {0.0, 1.0}
    assert np.all((ex.X[:, 0] > 0) & (ex.X[:, 0] <= 10))  # 10-point CGPA


def test_cgpa_iq_hidden_columns_have_different_scales():
    ex = cgpa_iq_example()
    z = ex.X @ ex.W + ex.b
    mean, var = z.mean(axis=0), z.var(axis=0)
    # The hand-worked numbers quoted in the docstring.
    np.testing.assert_allclose(mean, [40.0, 2.0])
    np.testing.assert_allclose(var, [18.0625, 0.0625])
    assert np.sqrt(var[0]) > 10 * np.sqrt(var[1])
    assert abs(mean[0]) > 10 * abs(mean[1])
    # Neuron 1's spread comes mostly from IQ.
    iq_part = ex.X[:, 1] * ex.W[1, 0]
    cgpa_part = ex.X[:, 0] * ex.W[0, 0]
    assert iq_part.std() > 2 * cgpa_part.std()

    z_hat = (z - mean) / np.sqrt(var + ex.eps)
    np.testing.assert_allclose(z_hat.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(z_hat.var(axis=0), 1.0, rtol=1e-3)
    out = ex.gamma * z_hat + ex.beta
    np.testing.assert_allclose(
        out, [[0.41, 0.9], [-1.35, -2.3], [1.35, 3.3], [-0.41, 0.1]], atol=0.01
    )


def test_cgpa_iq_returns_fresh_copies():
    first = cgpa_iq_example()
    for field in ("X", "y", "W", "b", "gamma", "beta"):
        getattr(first, field)[...] = -7.0
    second = cgpa_iq_example()
    assert second.X[0, 0] == 8.0 and second.X[0, 1] == 110.0
    for field in ("X", "y", "W", "b", "gamma", "beta"):
        assert not np.any(getattr(second, field) == -7.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        second.eps = 0.1


# --- covariate shift -------------------------------------------------------

def _rose_rule(X):
    hue, roundness = X[:, 0], X[:, 1]
    return (roundness > 0.5 - 0.35 * np.sin(2 * np.pi * hue)).astype(float)


def test_shift_shapes_and_hue_ranges():
    split = covariate_shift_data(1000, seed=0)
    lo, hi = RED_HUE_RANGE
    for X, y in [
        (split.X_train, split.y_train),
        (split.X_test, split.y_test),
        (split.X_test_red, split.y_test_red),
    ]:
        assert X.shape == (1000, 2) and y.shape == (1000,)
        assert X.dtype == np.float64 and y.dtype == np.float64
        assert set(np.unique(y)) == {0.0, 1.0}
        assert np.all((X[:, 1] >= 0) & (X[:, 1] <= 1))
    for X in (split.X_train, split.X_test_red):
        assert np.all((X[:, 0] >= lo) & (X[:, 0] < hi))
    hue = split.X_test[:, 0]
    assert hue.min() < 0.05 and hue.max() > 0.95
    assert np.mean(hue >= hi) > 0.7  # most test flowers are not red
    assert len(split.feature_names) == 2 and split.description


def test_shift_same_labelling_rule_everywhere():
    split = covariate_shift_data(500, seed=2)
    for X, y in [
        (split.X_train, split.y_train),
        (split.X_test, split.y_test),
        (split.X_test_red, split.y_test_red),
    ]:
        assert np.array_equal(y, _rose_rule(X))


def test_shift_deterministic_per_seed():
    a = covariate_shift_data(100, seed=1)
    b = covariate_shift_data(100, seed=1)
    c = covariate_shift_data(100, seed=2)
    assert np.array_equal(a.X_train, b.X_train) and np.array_equal(a.X_test, b.X_test)
    assert not np.array_equal(a.X_train, c.X_train)


@pytest.mark.parametrize("seed", SEEDS)
def test_linear_model_fails_under_covariate_shift(seed):
    split = covariate_shift_data(seed=seed)
    model = LogisticRegression().fit(split.X_train, split.y_train)
    acc_red = model.score(split.X_test_red, split.y_test_red)
    acc_all = model.score(split.X_test, split.y_test)
    assert acc_red >= 0.9
    assert acc_all <= 0.7


# --- argument validation ---------------------------------------------------

BAD_N = [3, 0, -5, 2.5, "100", None, True]


@pytest.mark.parametrize("bad", BAD_N)
def test_circles_rejects_bad_n_samples(bad):
    with pytest.raises(ValueError, match="n_samples"):
        make_circles_data(bad)


@pytest.mark.parametrize("bad", BAD_N)
def test_shift_rejects_bad_n_samples(bad):
    with pytest.raises(ValueError, match="n_samples"):
        covariate_shift_data(bad)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"noise": -0.1}, "noise"),
        ({"noise": "a"}, "noise"),
        ({"factor": 0.0}, "factor"),
        ({"factor": 1.0}, "factor"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_circles_rejects_bad_keywords(kwargs, name):
    with pytest.raises(ValueError, match=name):
        make_circles_data(100, **kwargs)


def test_shift_rejects_bad_seed():
    with pytest.raises(ValueError, match="seed"):
        covariate_shift_data(100, seed="0")


def test_numpy_integers_are_accepted():
    X, _ = make_circles_data(np.int64(10), seed=np.int64(0))
    assert X.shape == (10, 2)
