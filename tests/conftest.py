import os

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def bn_inputs(rng, N=6, D=4, dtype=np.float64):
    """A batch with features on different scales and offsets, and non-trivial gamma, beta."""
    x = (rng.standard_normal((N, D)) * rng.uniform(0.5, 5, D) + rng.uniform(-3, 3, D)).astype(dtype)
    gamma = rng.uniform(0.5, 2.0, D).astype(dtype)
    beta = rng.uniform(-1, 1, D).astype(dtype)
    dout = rng.standard_normal((N, D)).astype(dtype)
    return x, gamma, beta, dout


def require(module_name):
    """Import an optional framework, or skip when it is not installed.

    ``make test`` installs the test extra and sets BN_COURSE_REQUIRE_FRAMEWORKS=1,
    so there a missing framework fails the run instead of skipping quietly.
    """
    if os.environ.get("BN_COURSE_REQUIRE_FRAMEWORKS") == "1":
        import importlib

        return importlib.import_module(module_name)
    return pytest.importorskip(module_name, reason=f"{module_name} is in the test extra: pip install -e '.[test]'")


# ----------------------------------------------------------------------------- the grader's classes (grading_helpers)

@pytest.fixture
def tiny_class(tmp_path):
    """alice: solutions to 01 and 02; bob: the released stubs of 01, and 02 cut short (invalid JSON)."""
    import json

    from grading_helpers import A01, A02, released, solution_nb, submit

    root = tmp_path / "submitted"
    submit(root, "alice", A01, solution_nb(A01))
    submit(root, "alice", A02, solution_nb(A02))
    submit(root, "bob", A01, released(A01))
    submit(root, "bob", A02, json.dumps(released(A02), indent=1)[:500])
    return root


@pytest.fixture
def with_bob(tmp_path):
    """submitted/ with bob's honest submission, so that a class run always has one to grade."""
    from grading_helpers import A01, put, solution

    root = tmp_path / "submitted"
    put(root / "bob" / A01, solution(A01), f"{A01}.ipynb")
    return root
