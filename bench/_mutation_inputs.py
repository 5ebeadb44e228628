"""Random calls of each function exercise, to tell an equivalent mutant from an escape (bench/mutation.py).

    calls(name, rng, n) -> [(args, kwargs), ...]

The calls vary what a test might forget: shapes from N=1 up, float64,
float32, ints, constant columns, large offsets, and the defaults left out as
often as given. Lists are passed only where the contract allows them
(array_like, a sequence): a mutant that differs from the solution only
outside its contract is equivalent for the course. ``same(a, b)`` compares two results: same types,
dtypes and shapes, values equal to 1e-12 (NaN equal to NaN).
"""

import importlib

import numpy as np

from course_lib.exercises import exercise
from course_lib.history import History

__all__ = ["calls", "same"]

_N = (1, 2, 3, 4, 7, 16, 50)
_D = (1, 2, 3, 5)
_FLOAT_KINDS = ("float64", "float32", "constant", "constant32", "offset")
_ARRAY_KINDS = _FLOAT_KINDS + ("int",)
_ARRAY_LIKE_KINDS = _ARRAY_KINDS + ("list",)


def _values(rng, shape, kind):
    """An array of ``shape`` of the given kind; ``constant`` makes one column (or the whole vector) constant."""
    if kind == "int":
        return rng.integers(-9, 10, shape)
    x = rng.standard_normal(shape) * rng.uniform(0.1, 10.0, shape[-1]) + rng.uniform(-5.0, 5.0, shape[-1])
    if kind == "offset":
        x = 1e6 + 1e-3 * x
    if kind.startswith("constant"):
        c = 0.1 * rng.integers(-30, 30)         # 0.1 * k: not exact in binary, so round-off shows
        if x.ndim == 1:
            x[:] = c
        else:
            x[:, rng.integers(shape[1])] = c
    if kind.endswith("32"):
        x = x.astype(np.float32)
    return x.tolist() if kind == "list" else x


def _like(rng, shape, x, low, high):
    """Parameters of ``shape`` uniform in [low, high), of x's dtype when x is a float array."""
    p = rng.uniform(low, high, shape)
    return p.astype(x.dtype) if isinstance(x, np.ndarray) and x.dtype.kind == "f" else p


def _eps(rng):
    """Left out half of the time; else a value that changes the result."""
    return {} if rng.random() < 0.5 else {"eps": float(rng.choice([1e-5, 1e-3, 0.1, 1.0]))}


def _standardize(rng):
    return (_values(rng, (rng.choice(_N), rng.choice(_D)), rng.choice(_ARRAY_LIKE_KINDS)),), {}


def _batchnorm_forward(rng):
    N, D = rng.choice(_N), rng.choice(_D)
    x = _values(rng, (N, D), rng.choice(_FLOAT_KINDS))
    return (x, _like(rng, D, x, 0.5, 2.0), _like(rng, D, x, -1.0, 1.0)), _eps(rng)


def _bn_param_count(rng):
    return (int(rng.choice([0, 1, 2, 3, rng.integers(4, 5000)])),), {}


def _dense_forward(rng):
    N, D_in, D_out = rng.choice(_N), rng.choice(_D), rng.choice(_D)
    kind = rng.choice(_ARRAY_KINDS)
    X = _values(rng, (N, D_in), kind)
    W = _values(rng, (D_in, D_out), "int" if kind == "int" else "float64")
    b = _values(rng, (D_out,), "int" if kind == "int" else "float64")
    if kind.endswith("32"):
        W, b = W.astype(np.float32), b.astype(np.float32)
    return (X, W, b), {}


def _hidden_layer_forward(rng):
    N, D_in, D_out = rng.choice(_N[1:]), rng.choice(_D), rng.choice(_D)   # BN needs a batch of 2 or more
    X = _values(rng, (N, D_in), rng.choice(("float64", "constant", "int")))
    W, b = rng.standard_normal((D_in, D_out)), rng.uniform(-2.0, 2.0, D_out)
    if rng.random() < 0.3:
        W[:, rng.integers(D_out)] = 0.0   # a neuron with the same z for every sample (dead after ReLU if b < 0)
    args = (X, W, b, _like(rng, D_out, X, 0.5, 2.0), _like(rng, D_out, X, -1.0, 1.0),
            str(rng.choice(["before", "after"])))
    return args, _eps(rng)


def _backward(rng):
    forward = _reference("batchnorm_forward")
    N, D = rng.choice(_N), rng.choice(_D)
    x = _values(rng, (N, D), rng.choice(_FLOAT_KINDS))
    _, cache = forward(x, _like(rng, D, x, 0.5, 2.0), _like(rng, D, x, -1.0, 1.0), **_eps(rng))
    return (_values(rng, (N, D), "float32" if x.dtype == np.float32 else "float64"), cache), {}


def _update_running_stats(rng):
    D, kind = rng.choice(_D), rng.choice(("float64", "float32"))
    means = [_values(rng, (D,), kind) for _ in range(2)]
    stats = (means[0], np.abs(means[0][::-1]), means[1], np.abs(means[1][::-1]))   # variances are >= 0
    momentum = rng.choice([None, 0.0, 1.0, 0.5, 0.99, rng.uniform()])
    return stats, {} if momentum is None else {"momentum": float(momentum)}


def _batchnorm_inference(rng):
    N, D = rng.choice(_N), rng.choice(_D)
    x = _values(rng, (N, D), rng.choice(_ARRAY_KINDS))
    running_var = _like(rng, D, x, 0.0, 3.0)
    running_var[rng.integers(D)] = rng.choice([0.0, running_var[0]])
    return (x, _like(rng, D, x, 0.5, 2.0), _like(rng, D, x, -1.0, 1.0), _like(rng, D, x, -2.0, 2.0),
            running_var), _eps(rng)


def _epochs_to_reach(rng):
    values = np.round(rng.uniform(0.0, 1.0, rng.integers(0, 12)), 2)
    if rng.random() < 0.5:
        values = np.sort(values)
    threshold = float(rng.choice(values)) if len(values) and rng.random() < 0.5 else float(rng.uniform(-0.1, 1.1))
    history = rng.choice(["list", "array", "history"])
    if history == "history":
        history = History(loss=[1.0] * len(values), val_metric=values.tolist())
    else:
        history = values.tolist() if history == "list" else values
    return (history, threshold), {}


_CALLS = {
    "standardize": _standardize,
    "batchnorm_forward": _batchnorm_forward,
    "bn_param_count": _bn_param_count,
    "dense_forward": _dense_forward,
    "hidden_layer_forward": _hidden_layer_forward,
    "batchnorm_backward": _backward,
    "batchnorm_backward_alt": _backward,
    "update_running_stats": _update_running_stats,
    "batchnorm_inference": _batchnorm_inference,
    "epochs_to_reach": _epochs_to_reach,
}


def _reference(name):
    module, attribute = exercise(name).reference.split(":")
    return getattr(importlib.import_module(f"course_lib.{module}"), attribute)


def calls(name, rng, n):
    """``n`` random calls of exercise ``name``, as (args, kwargs)."""
    if name not in _CALLS:
        raise ValueError(f"no random inputs for {name!r}; add a generator to bench/_mutation_inputs.py")
    return [_CALLS[name](rng) for _ in range(n)]


def same(a, b):
    """Whether two results (or two inputs after a call) are the same, to 1e-12."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (np.ndarray, np.generic)):
        if a.dtype != b.dtype or np.shape(a) != np.shape(b):
            return False
        if a.dtype.kind not in "fciu":
            return bool(np.array_equal(a, b))
        return bool(np.allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True))
    if isinstance(a, float):
        return a == b or (a != a and b != b) or abs(a - b) <= 1e-12 * (1.0 + abs(a))
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, History):
        return same(vars(a), vars(b))
    return a == b
