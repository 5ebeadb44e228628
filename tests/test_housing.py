"""Tests for course_lib.housing: the shipped California Housing copy."""

import gzip
import hashlib
import os
import shutil

import numpy as np
import pytest
from sklearn.datasets import fetch_california_housing

from course_lib import housing
from course_lib.housing import (
    CAL_HOUSING_SHA256,
    FEATURE_NAMES,
    load_california_housing,
    raw_housing,
    seed_sklearn_cache,
)

N = 20640


@pytest.fixture(scope="module")
def seeded_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("sklearn_data")
    seed_sklearn_cache(home)
    return home


def test_shipped_file_has_expected_sha256():
    compressed = housing._data_file().read_bytes()
    assert hashlib.sha256(gzip.decompress(compressed)).hexdigest() == CAL_HOUSING_SHA256


def test_raw_housing_shape_and_known_first_row():
    raw = raw_housing()
    assert raw.shape == (N, 9)
    assert raw.dtype == np.float64
    # First line of the file.
    expected = [-122.23, 37.88, 41.0, 880.0, 129.0, 322.0, 126.0, 8.3252, 452600.0]
    assert np.array_equal(raw[0], expected)
    assert not np.isnan(raw).any()


def _use_copy(monkeypatch, path):
    monkeypatch.setattr(housing, "_data_file", lambda: path)


def test_corrupt_gzip_stream_raises_value_error(tmp_path, monkeypatch):
    data = bytearray(housing._data_file().read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the deflate stream, not the header
    bad = tmp_path / "cal_housing.data.gz"
    bad.write_bytes(bytes(data))
    _use_copy(monkeypatch, bad)
    with pytest.raises(ValueError, match="corrupt"):
        raw_housing()


def test_changed_content_fails_sha256_check(tmp_path, monkeypatch):
    # A well-formed gzip whose content differs by one digit: only the sha256
    # check can catch this.
    content = bytearray(gzip.decompress(housing._data_file().read_bytes()))
    i = content.index(b"452600")
    content[i] = ord("9")
    bad = tmp_path / "cal_housing.data.gz"
    bad.write_bytes(gzip.compress(bytes(content)))
    _use_copy(monkeypatch, bad)
    with pytest.raises(ValueError, match="sha256"):
        raw_housing()
    with pytest.raises(ValueError, match="corrupt"):
        load_california_housing()


def test_load_matches_sklearn_bit_for_bit(seeded_home):
    X, y = load_california_housing()
    X_ref, y_ref = fetch_california_housing(
        data_home=seeded_home, download_if_missing=False, return_X_y=True
    )
    assert X.dtype == X_ref.dtype == np.float64
    assert y.dtype == y_ref.dtype == np.float64
    assert np.array_equal(X, X_ref)
    assert np.array_equal(y, y_ref)
    # array_equal treats -0.0 == 0.0; compare the raw bytes too.
    assert X.tobytes() == np.ascontiguousarray(X_ref).tobytes()
    assert y.tobytes() == y_ref.tobytes()


def test_features_derived_from_raw_columns():
    raw = raw_housing()
    lon, lat, age, rooms, beds, pop, households, income, value = raw.T
    X, y = load_california_housing()
    assert X.shape == (N, 8) and y.shape == (N,)
    assert len(FEATURE_NAMES) == 8
    col = {name: X[:, j] for j, name in enumerate(FEATURE_NAMES)}
    assert np.array_equal(col["MedInc"], income)
    assert np.array_equal(col["HouseAge"], age)
    assert np.array_equal(col["AveRooms"], rooms / households)
    assert np.array_equal(col["AveBedrms"], beds / households)
    assert np.array_equal(col["Population"], pop)
    assert np.array_equal(col["AveOccup"], pop / households)
    assert np.array_equal(col["Latitude"], lat)
    assert np.array_equal(col["Longitude"], lon)
    assert np.array_equal(y, value / 100000.0)
    assert y.min() == pytest.approx(0.14999)
    assert y.max() == pytest.approx(5.00001)


def test_feature_names_match_sklearn(seeded_home):
    bunch = fetch_california_housing(data_home=seeded_home, download_if_missing=False)
    assert tuple(bunch.feature_names) == FEATURE_NAMES


def test_fetch_fails_offline_before_seeding_and_works_after(tmp_path):
    home = tmp_path / "empty_home"
    home.mkdir()
    with pytest.raises(OSError):
        fetch_california_housing(data_home=home, download_if_missing=False)
    path = seed_sklearn_cache(home)
    assert path == home / "cal_housing_py3.pkz"
    X, y = fetch_california_housing(
        data_home=home, download_if_missing=False, return_X_y=True
    )
    assert X.shape == (N, 8) and y.shape == (N,)
    # Nothing but the cache file is left behind (no temp files).
    assert sorted(p.name for p in home.iterdir()) == ["cal_housing_py3.pkz"]


def test_seed_is_idempotent(seeded_home):
    path = seeded_home / "cal_housing_py3.pkz"
    before = (path.read_bytes(), os.stat(path).st_mtime_ns)
    assert seed_sklearn_cache(seeded_home) == path
    assert (path.read_bytes(), os.stat(path).st_mtime_ns) == before


def test_seed_replaces_a_broken_cache(tmp_path, seeded_home):
    home = tmp_path / "home"
    home.mkdir()
    (home / "cal_housing_py3.pkz").write_bytes(b"truncated")
    path = seed_sklearn_cache(str(home))
    assert path.read_bytes() == (seeded_home / "cal_housing_py3.pkz").read_bytes()


def test_seed_default_home_honours_env(tmp_path, monkeypatch, seeded_home):
    env_home = tmp_path / "env_home"
    env_home.mkdir()
    # A valid cache is already there, so this only checks where it looks.
    shutil.copy(seeded_home / "cal_housing_py3.pkz", env_home)
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(env_home))
    assert seed_sklearn_cache() == env_home / "cal_housing_py3.pkz"


@pytest.mark.parametrize("bad", [42, 1.5, b"bytes", ["dir"]])
def test_seed_rejects_bad_data_home(bad):
    with pytest.raises(ValueError, match="data_home"):
        seed_sklearn_cache(bad)
