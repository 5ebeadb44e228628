"""The checks' fixed inputs and expected outputs, read from ``expected.json``.

The file holds numbers, not implementations: inputs, the right outputs, and
the outputs of known mistakes with their hints (from the mistake catalogue,
course_lib/mistakes.py, which students do not get). Hand-worked answers are
stored as digests only. tests/build_check_data.py regenerates it from the
reference library, and a test fails if it drifts.
"""

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["data", "arrays", "hint", "hints_of", "DATA_FILE"]

DATA_FILE = Path(__file__).with_name("expected.json")


@lru_cache(maxsize=1)
def _load():
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def data(exercise):
    """The record of one exercise, as stored."""
    return _load()[exercise]


def arrays(record):
    """A copy of a record with every list turned into a fresh float array."""
    out = {}
    for key, value in record.items():
        if isinstance(value, dict):
            out[key] = arrays(value)
        elif isinstance(value, list):
            out[key] = np.array(value, dtype=float)
        else:
            out[key] = value
    return out


def hint(exercise, name):
    """The hint of the catalogued mistake ``name`` of ``exercise``."""
    return _load()["hints"][exercise][name]


def hints_of(exercise, outputs):
    """[(hint, output)] for ``outputs``, {mistake name: its output}: the ``bugs`` of expect_close."""
    return [(hint(exercise, name), value) for name, value in outputs.items()]
