"""The synthetic class of bench/grader_speed.py, and the same class as a throwaway nbgrader course.

Students cycle through the example kinds CORRECT, BUGGY and PARTIAL of
examples/cells.py (MALICIOUS is left out: it hangs nbgrader), each with all
seven assignments.

The nbgrader course holds only what nbgrader must run: each assignment's
exercise cells and check cells, with hidden tests appended to the check
cells as in-kernel asserts against the reference on seeded inputs (a subset
of our hidden suite). Setup cells, demonstrations and markdown are left out,
so nbgrader is timed at its fastest.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from course_lib.exercises import ASSIGNMENTS
from examples.cells import BUGGY, CORRECT, PARTIAL
from examples.classroom import filled_text, student_notebook

ROOT = Path(__file__).resolve().parents[1]

__all__ = ["KINDS", "roster", "write_class", "make_nbgrader_course", "nbgrader", "check_key", "check_keys",
           "HIDDEN"]

KINDS = {"correct": CORRECT, "buggy": BUGGY, "partial": PARTIAL}
NBGRADER = Path(sys.executable).with_name("nbgrader")

CONFIG = '''import os

c = get_config()  # noqa: F821
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "bench"
c.Execute.timeout = 60
c.OverwriteCells.add_missing_cells = True
'''


def roster(n):
    """{student: kind} for a class of ``n``, kinds in turn: correct000, buggy001, partial002, correct003, ..."""
    kinds = list(KINDS)
    return {f"{kinds[i % 3]}{i:03d}": kinds[i % 3] for i in range(n)}


def write_class(into, students):
    """Our grader's class: <into>/<student>/<assignment>/<assignment>.ipynb, from the released notebooks."""
    into = Path(into)
    texts = {a: {kind: student_notebook(a, cells) for kind, cells in KINDS.items()} for a in ASSIGNMENTS}
    for student, kind in students.items():
        for a in ASSIGNMENTS:
            path = into / student / a / f"{a}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(texts[a][kind], encoding="utf-8")
    return into


def check_key(grade_id):
    """What a check cell checks: check_standardize -> standardize, check_by_hand_z -> by_hand_z."""
    return grade_id[len("check_"):]


def check_keys():
    """What every check cell of the course checks, in notebook order."""
    return [check_key(cell["metadata"]["nbgrader"]["grade_id"]) for a in ASSIGNMENTS
            for cell in source_notebook(a)["cells"] if cell["metadata"]["nbgrader"].get("grade")]


# Hidden tests, a subset of autograder/suites/ per exercise, in-kernel. Inputs come from
# a seeded generator; tolerances are the suites' (autograder.suites.inputs.tol).
_TOL64, _TOL32 = "rtol=1e-6, atol=1e-8", "rtol=2e-4, atol=2e-4"
_SIZES = "((2, 3), (3, 5), (64, 7), (4096, 6))"
_BATCH = '''def _batch(N, D, dtype=np.float64):
    x = _rng.standard_normal((N, D)) * _rng.uniform(0.5, 5.0, D) + _rng.uniform(-3.0, 3.0, D)
    return x.astype(dtype), _rng.uniform(0.5, 2.0, D).astype(dtype), _rng.uniform(-1.0, 1.0, D).astype(dtype)
'''

_BACKWARD = f'''from course_lib.batchnorm import {{name}} as _ref, batchnorm_forward as _fwd
{_BATCH}
for _N, _D in {_SIZES}:
    _x, _g, _b = _batch(_N, _D)
    _, _cache = _fwd(_x, _g, _b)
    _dout = _rng.standard_normal((_N, _D))
    _dout0, _wants = _dout.copy(), _ref(_dout, _cache)
    _grads = {{name}}(_dout, _cache)
    for _got, _want in zip(_grads, _wants, strict=True):
        np.testing.assert_allclose(_got, _want, {_TOL64})
    np.testing.assert_array_equal(_dout, _dout0)
    assert np.abs(_grads[0].sum(axis=0)).max() < 1e-8, "every column of dx sums to 0"
_x, _g, _b = _batch(256, 5, np.float32)
_, _cache = _fwd(_x, _g, _b)
_dout = _rng.standard_normal((256, 5)).astype(np.float32)
_dx = {{name}}(_dout, _cache)[0]
assert _dx.dtype == np.float32, f"float32 input gave {{{{_dx.dtype}}}} dx"
np.testing.assert_allclose(_dx, _ref(_dout, _cache)[0], {_TOL32})
'''

HIDDEN = {
    "standardize": f'''from course_lib.normalize import standardize as _ref
for _N, _D in {_SIZES}:
    _X = _rng.standard_normal((_N, _D)) * _rng.uniform(0.5, 20.0, _D) + _rng.uniform(-50.0, 50.0, _D)
    _X0 = _X.copy()
    for _got, _want in zip(standardize(_X), _ref(_X), strict=True):
        np.testing.assert_allclose(_got, _want, {_TOL64})
    np.testing.assert_array_equal(_X, _X0)
_X = np.column_stack([_rng.standard_normal(50), np.full(50, 0.1)])
np.testing.assert_allclose(standardize(_X)[0], _ref(_X)[0], {_TOL64})
_X = 1e4 + 0.01 * _rng.standard_normal((500, 4))
np.testing.assert_allclose(standardize(_X)[0], _ref(_X)[0], rtol=1e-6, atol=1e-6)
''',
    "batchnorm_forward": f'''from course_lib.batchnorm import batchnorm_forward as _ref
{_BATCH}
for _N, _D in {_SIZES}:
    _x, _g, _b = _batch(_N, _D)
    _x0 = _x.copy()
    np.testing.assert_allclose(batchnorm_forward(_x, _g, _b)[0], _ref(_x, _g, _b)[0], {_TOL64})
    np.testing.assert_array_equal(_x, _x0)
for _eps in (1e-3, 0.1):
    _x, _g, _b = _batch(16, 4)
    np.testing.assert_allclose(batchnorm_forward(_x, _g, _b, _eps)[0], _ref(_x, _g, _b, _eps)[0], {_TOL64})
_x, _g, _b = _batch(256, 5, np.float32)
_out = batchnorm_forward(_x, _g, _b)[0]
assert _out.dtype == np.float32, f"float32 input gave {{_out.dtype}} output"
np.testing.assert_allclose(_out, _ref(_x, _g, _b)[0], {_TOL32})
''',
    "bn_param_count": '''from course_lib.batchnorm import bn_param_count as _ref
for _units in (1, 3, 10, 64, 128, 1000):
    assert tuple(bn_param_count(_units)) == tuple(_ref(_units)), f"bn_param_count({_units})"
''',
    "dense_forward": f'''from course_lib.dense import dense_forward as _ref
for _N, _D_in, _D_out in ((1, 4, 3), (5, 3, 1), (2, 3, 4), (64, 10, 7), (4096, 20, 16)):
    _X, _W, _b = (_rng.standard_normal((_N, _D_in)), _rng.standard_normal((_D_in, _D_out)),
                  _rng.standard_normal(_D_out))
    _X0, _W0 = _X.copy(), _W.copy()
    np.testing.assert_allclose(dense_forward(_X, _W, _b), _ref(_X, _W, _b), {_TOL64})
    np.testing.assert_array_equal(_X, _X0)
    np.testing.assert_array_equal(_W, _W0)
''',
    "hidden_layer_forward": f'''from course_lib.walkthrough import hidden_layer_forward as _ref
for _N, _D_in, _D_out in ((4, 2, 2), (3, 5, 1), (64, 10, 7)):
    _X, _W = _rng.standard_normal((_N, _D_in)), _rng.standard_normal((_D_in, _D_out))
    _b, _gm, _bt = _rng.standard_normal(_D_out), _rng.uniform(0.5, 2.0, _D_out), _rng.uniform(-1.0, 1.0, _D_out)
    for _placement in ("before", "after"):
        np.testing.assert_allclose(hidden_layer_forward(_X, _W, _b, _gm, _bt, _placement),
                                   _ref(_X, _W, _b, _gm, _bt, _placement), {_TOL64})
''',
    "batchnorm_backward": _BACKWARD.format(name="batchnorm_backward"),
    "batchnorm_backward_alt": _BACKWARD.format(name="batchnorm_backward_alt"),
    "update_running_stats": f'''from course_lib.running_stats import update_running_stats as _ref
for _D in (1, 5, 1000):
    _args = (_rng.standard_normal(_D), _rng.uniform(0.5, 2.0, _D), _rng.standard_normal(_D), _rng.uniform(0.5, 2.0, _D))
    _copies = [_a.copy() for _a in _args]
    for _extra, _kw in (((), {{}}), ((0.6,), {{}}), ((), {{"momentum": 0.99}})):
        for _got, _want in zip(update_running_stats(*_args, *_extra, **_kw), _ref(*_args, *_extra, **_kw), strict=True):
            np.testing.assert_allclose(_got, _want, {_TOL64})
    for _a, _c in zip(_args, _copies):
        np.testing.assert_array_equal(_a, _c)
''',
    "batchnorm_inference": f'''from course_lib.running_stats import batchnorm_inference as _ref
def _inputs(N, D, dtype=np.float64):
    x = _rng.standard_normal((N, D)) * 2.0 + 1.0
    return tuple(a.astype(dtype) for a in (x, _rng.uniform(0.5, 2.0, D), _rng.uniform(-1.0, 1.0, D),
                                           _rng.uniform(-2.0, 2.0, D), _rng.uniform(0.5, 3.0, D)))
for _N, _D in ((1, 3), (2, 5), (64, 7), (4096, 6)):
    _args = _inputs(_N, _D)
    np.testing.assert_allclose(batchnorm_inference(*_args), _ref(*_args), {_TOL64})
for _eps in (1e-3, 0.1):
    _args = _inputs(16, 4)
    np.testing.assert_allclose(batchnorm_inference(*_args, _eps), _ref(*_args, _eps), {_TOL64})
_args = _inputs(128, 5, np.float32)
_out = batchnorm_inference(*_args)
assert _out.dtype == np.float32, f"float32 input gave {{_out.dtype}} output"
np.testing.assert_allclose(_out, _ref(*_args), {_TOL32})
''',
    "epochs_to_reach": '''from course_lib.history import History
from course_lib.reach import epochs_to_reach as _ref
for _values in ([0.5, 0.7, 0.9, 0.95], [0.1, 0.2], [], [0.8, 0.9, 0.85, 0.9], list(_rng.uniform(0.0, 1.0, 200))):
    _n = len(_values)
    _history = History(loss=[1.0] * _n, metric=[0.0] * _n, val_loss=[1.0] * _n, val_metric=list(_values))
    for _threshold in (0.0, 0.5, 0.9, 2.0):
        _want = _ref(_values, _threshold)
        assert epochs_to_reach(list(_values), _threshold) == _want, (_values, _threshold)
        assert epochs_to_reach(np.array(_values), _threshold) == _want, (_values, _threshold)
        assert epochs_to_reach(_history, _threshold) == _want, ("History", _values, _threshold)
''',
    "spatial_batchnorm_forward": f'''from course_lib.spatial_batchnorm import spatial_batchnorm_forward as _ref
for _shape in ((2, 3, 4, 5), (1, 1, 3, 3), (8, 4, 1, 1), (16, 8, 8, 8)):
    _x = _rng.standard_normal(_shape) * 3.0 + 1.0
    _g, _b = _rng.uniform(0.5, 2.0, _shape[1]), _rng.uniform(-1.0, 1.0, _shape[1])
    _x0 = _x.copy()
    np.testing.assert_allclose(spatial_batchnorm_forward(_x, _g, _b)[0], _ref(_x, _g, _b)[0], {_TOL64})
    np.testing.assert_array_equal(_x, _x0)
''',
    "spatial_batchnorm_backward": f'''from course_lib.spatial_batchnorm import spatial_batchnorm_forward as _fwd, spatial_batchnorm_backward as _ref
for _shape in ((2, 3, 4, 5), (1, 1, 3, 3), (8, 4, 1, 1), (16, 8, 8, 8)):
    _x = _rng.standard_normal(_shape) * 3.0 + 1.0
    _, _cache = _fwd(_x, _rng.uniform(0.5, 2.0, _shape[1]), _rng.uniform(-1.0, 1.0, _shape[1]))
    _dout = _rng.standard_normal(_shape)
    for _got, _want in zip(spatial_batchnorm_backward(_dout, _cache), _ref(_dout, _cache), strict=True):
        np.testing.assert_allclose(_got, _want, {_TOL64})
''',
    "layernorm_forward": f'''from course_lib.layernorm import layernorm_forward as _ref
for _N, _D in ((1, 3), (2, 5), (64, 7), (4096, 6)):
    _x = _rng.standard_normal((_N, _D)) * 3.0 + 1.0
    _g, _b = _rng.uniform(0.5, 2.0, _D), _rng.uniform(-1.0, 1.0, _D)
    np.testing.assert_allclose(layernorm_forward(_x, _g, _b)[0], _ref(_x, _g, _b)[0], {_TOL64})
''',
    "layernorm_backward": f'''from course_lib.layernorm import layernorm_forward as _fwd, layernorm_backward as _ref
for _N, _D in ((1, 3), (2, 5), (64, 7), (4096, 6)):
    _x = _rng.standard_normal((_N, _D)) * 3.0 + 1.0
    _, _cache = _fwd(_x, _rng.uniform(0.5, 2.0, _D), _rng.uniform(-1.0, 1.0, _D))
    _dout = _rng.standard_normal((_N, _D))
    for _got, _want in zip(layernorm_backward(_dout, _cache), _ref(_dout, _cache), strict=True):
        np.testing.assert_allclose(_got, _want, {_TOL64})
''',
    "groupnorm_forward": f'''from course_lib.groupnorm import groupnorm_forward as _ref
for _shape, _groups in (((2, 6, 4, 5), (1, 2, 3, 6)), ((1, 1, 3, 3), (1,)), ((8, 4, 1, 1), (1, 2, 4))):
    _x = _rng.standard_normal(_shape) * 3.0 + 1.0
    _g, _b = _rng.uniform(0.5, 2.0, _shape[1]), _rng.uniform(-1.0, 1.0, _shape[1])
    for _G in _groups:
        np.testing.assert_allclose(groupnorm_forward(_x, _g, _b, _G)[0], _ref(_x, _g, _b, _G)[0], {_TOL64})
''',
    "fold_batchnorm": f'''from course_lib.folding import fold_batchnorm as _ref
for _D_in, _D_out in ((1, 1), (4, 3), (64, 32)):
    _W = _rng.standard_normal((_D_in, _D_out))
    _vectors = [_rng.standard_normal(_D_out) for _ in range(4)] + [_rng.uniform(0.1, 3.0, _D_out)]
    for _got, _want in zip(fold_batchnorm(_W, *_vectors), _ref(_W, *_vectors), strict=True):
        np.testing.assert_allclose(_got, _want, {_TOL64})
''',
}

_BY_HAND = '''from course_lib.data import cgpa_iq_example
_ex = cgpa_iq_example()
_z = _ex.X @ _ex.W + _ex.b
_mu, _var = _z.mean(axis=0), _z.var(axis=0)
_z_hat = (_z - _mu) / np.sqrt(_var + _ex.eps)
_y = _ex.gamma * _z_hat + _ex.beta
_dout = np.array([[1.0, 2.0], [-1.0, 0.0], [0.0, -1.0], [2.0, 1.0]])   # notebook 04's upstream gradient
_dbeta, _dgamma = _dout.sum(axis=0), (_dout * _z_hat).sum(axis=0)
_dz = _ex.gamma / np.sqrt(_var + _ex.eps) / 4 * (4 * _dout - _dbeta - _z_hat * _dgamma)
_want = {{"z": _z, "mu": _mu, "var": _var, "z_hat": _z_hat, "y": _y, "a": np.maximum(_y, 0.0),
          "dbeta": _dbeta, "dgamma": _dgamma, "dx": _dz[:2, 1]}}["{step}"]
_got = np.asarray({step}_by_hand, dtype=np.float64)
assert _got.shape == _want.shape, _got.shape
assert np.all(np.abs(_got - _want) <= 0.011), "{step}_by_hand is off"
'''


def _hidden(key, seed):
    body = _BY_HAND.format(step=key[len("by_hand_"):]) if key.startswith("by_hand_") else HIDDEN[key]
    return (f"### BEGIN HIDDEN TESTS\nimport numpy as np\n_rng = np.random.default_rng({seed})\n"
            f"{body}### END HIDDEN TESTS\n")


def source_notebook(assignment):
    """solutions/<assignment> cut to its exercise and check cells, hidden tests in the check cells."""
    nb = json.loads((ROOT / "solutions" / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8"))
    kept = []
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] != "code" or not (meta.get("solution") or meta.get("grade")):
            continue
        if meta.get("grade"):
            visible = "".join(cell["source"]).strip()
            check = visible.split("(", 1)[0].strip()   # the setup cell that imported it is gone
            cell["source"] = (f"from course_lib.checks import {check}\n{visible}\n\n"
                              f"{_hidden(check_key(meta['grade_id']), len(kept))}")
        cell["outputs"], cell["execution_count"] = [], None
        kept.append(cell)
    nb["cells"] = kept
    return nb


def nbgrader(course, *args, log=None):
    """Run ``nbgrader *args`` from the course root (elsewhere it ignores the course's config)."""
    env = {**os.environ, "PATH": f"{NBGRADER.parent}{os.pathsep}{os.environ.get('PATH', '')}"}   # it calls alembic
    done = subprocess.run([str(NBGRADER), *args], cwd=course, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if log is not None:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"$ nbgrader {' '.join(args)}\n{done.stdout}\n")
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}")
    return done.stdout


def make_nbgrader_course(course, students, log=None):
    """A fresh nbgrader course in ``course``: sources, the release, and every student's submission."""
    course = Path(course)
    course.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(CONFIG, encoding="utf-8")
    for a in ASSIGNMENTS:
        path = course / "source" / a / f"{a}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(source_notebook(a), indent=1) + "\n", encoding="utf-8")
        nbgrader(course, "generate_assignment", a, "--force", log=log)
        released = json.loads((course / "release" / a / f"{a}.ipynb").read_text(encoding="utf-8"))
        texts = {kind: filled_text(released, cells) for kind, cells in KINDS.items()}
        for student, kind in students.items():
            path = course / "submitted" / student / a / f"{a}.ipynb"
            path.parent.mkdir(parents=True)
            path.write_text(texts[kind], encoding="utf-8")
    return course
