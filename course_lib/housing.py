"""The California Housing data set, loaded offline from the copy shipped in
``course_lib/datasets``.

:func:`load_california_housing` returns exactly (bit for bit) what
``sklearn.datasets.fetch_california_housing(return_X_y=True)`` returns, and
:func:`seed_sklearn_cache` lets that scikit-learn function itself run without a
download. N = 20640 districts, D = 8 features.
"""

import gzip
import hashlib
import io
import os
import tempfile
import zlib
from importlib import resources
from pathlib import Path

import joblib
import numpy as np

__all__ = [
    "CAL_HOUSING_SHA256",
    "FEATURE_NAMES",
    "load_california_housing",
    "raw_housing",
    "seed_sklearn_cache",
]

CAL_HOUSING_SHA256 = "d3d8a1a722ae78f91134862727d27a70b1415e7d512a89140406248687f4b902"

FEATURE_NAMES = (
    "MedInc",
    "HouseAge",
    "AveRooms",
    "AveBedrms",
    "Population",
    "AveOccup",
    "Latitude",
    "Longitude",
)

_N_ROWS = 20640

# scikit-learn's cache layout (sklearn/datasets/_california_housing.py): the
# archive is parsed once, its columns reordered to (target, features...) and
# the result joblib-dumped under this name (``_pkl_filepath`` adds "_py3").
_SKLEARN_CACHE_NAME = "cal_housing_py3.pkz"
_SKLEARN_COLUMNS = [8, 7, 2, 3, 4, 5, 6, 1, 0]
_SKLEARN_COMPRESS = 6


def _data_file():
    """The shipped gzip file, as a Traversable (a Path for ordinary installs)."""
    return resources.files("course_lib").joinpath("datasets", "cal_housing.data.gz")


def raw_housing():
    """The raw California Housing table, in file column order.

    The sha256 of the uncompressed file is checked against
    :data:`CAL_HOUSING_SHA256` before parsing.

    Returns
    -------
    ndarray of shape (20640, 9), float64
        Columns: longitude, latitude, housingMedianAge, totalRooms,
        totalBedrooms, population, households, medianIncome, medianHouseValue.

    Raises
    ------
    ValueError
        If the shipped file is not a readable gzip file or its content does
        not have the expected sha256.
    """
    source = _data_file()
    try:
        raw = gzip.decompress(source.read_bytes())
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(
            f"California Housing data file {source} is corrupt (not valid gzip: {exc}); "
            "reinstall course_lib"
        ) from exc
    digest = hashlib.sha256(raw).hexdigest()
    if digest != CAL_HOUSING_SHA256:
        raise ValueError(
            f"California Housing data file {source} is corrupt: sha256 of its "
            f"content is {digest}, expected {CAL_HOUSING_SHA256}; reinstall course_lib"
        )
    # Same parser and call as scikit-learn, so every float is parsed identically.
    table = np.loadtxt(io.BytesIO(raw), delimiter=",")
    if table.shape != (_N_ROWS, 9):  # pragma: no cover - guarded by the sha256
        raise ValueError(f"unexpected table shape {table.shape}")
    return table


def _sklearn_reordered():
    """The (20640, 9) array scikit-learn caches: target first, then features."""
    return raw_housing()[:, _SKLEARN_COLUMNS]


def load_california_housing():
    """California Housing features and target, as scikit-learn defines them.

    Returns
    -------
    X : ndarray of shape (20640, 8), float64
        Columns :data:`FEATURE_NAMES`: MedInc, HouseAge,
        AveRooms (= totalRooms / households), AveBedrms (= totalBedrooms /
        households), Population, AveOccup (= population / households),
        Latitude, Longitude.
    y : ndarray of shape (20640,), float64
        Median house value in units of 100,000 dollars (0.14999 .. 5.00001).

    Notes
    -----
    The arithmetic repeats ``fetch_california_housing`` step by step, in the
    same order, so the result is bit-identical to it. ``X`` is returned as a
    C-contiguous array rather than scikit-learn's strided view; the values are
    the same.
    """
    cal_housing = _sklearn_reordered()
    target, data = cal_housing[:, 0], cal_housing[:, 1:]
    # In-place divisions and their order follow scikit-learn exactly: column 5
    # (households) must still be raw when columns 2 and 3 are divided by it.
    data[:, 2] /= data[:, 5]
    data[:, 3] /= data[:, 5]
    data[:, 5] = data[:, 4] / data[:, 5]
    target = target / 100000.0
    return np.ascontiguousarray(data), target


def seed_sklearn_cache(data_home=None):
    """Write scikit-learn's California Housing cache file from the shipped copy.

    Afterwards ``sklearn.datasets.fetch_california_housing(data_home=data_home)``
    loads from the cache instead of downloading. Calling it again is harmless:
    an existing cache with the right content is left untouched, anything else
    is replaced atomically.

    Parameters
    ----------
    data_home : str or path-like, optional
        scikit-learn data folder. ``None`` means ``sklearn.datasets.get_data_home()``
        (``$SCIKIT_LEARN_DATA`` or ``~/scikit_learn_data``). Created if missing.

    Returns
    -------
    pathlib.Path
        The cache file, ``<data_home>/cal_housing_py3.pkz``.
    """
    # Imported here so that merely loading the data does not import sklearn.
    from sklearn.datasets import get_data_home

    if data_home is not None and not isinstance(data_home, (str, os.PathLike)):
        raise ValueError(f"data_home must be a path or None, got {data_home!r}")
    folder = Path(get_data_home(data_home=data_home))
    target_path = folder / _SKLEARN_CACHE_NAME
    reordered = _sklearn_reordered()

    if target_path.exists() and _cache_matches(target_path, reordered):
        return target_path

    # Dump next to the target then rename: a reader (or a parallel test worker)
    # never sees a half-written file, since os.replace is atomic on one file system.
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".cal_housing_", suffix=".tmp")
    os.close(fd)
    try:
        joblib.dump(reordered, tmp_name, compress=_SKLEARN_COMPRESS)
        os.replace(tmp_name, target_path)
    except BaseException:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)
        raise
    return target_path


def _cache_matches(path, expected):
    try:
        cached = joblib.load(path)
    except Exception:
        # Unreadable cache (truncated, foreign format): treat it as stale.
        return False
    return (
        isinstance(cached, np.ndarray)
        and cached.dtype == expected.dtype
        and np.array_equal(cached, expected)
    )
