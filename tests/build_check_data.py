"""Build course_lib/checks/expected.json: the visible checks' inputs and expected outputs.

    python tests/build_check_data.py        # rewrite the file

Expected outputs come from the reference library; the known mistakes' outputs
and their hints from the mistake catalogue (course_lib/mistakes.py); the
hand-worked answers are stored as digests.
tests/test_checks.py fails when the committed file differs from a rebuild.
"""

import copy
import json

import numpy as np

from course_lib import batchnorm as bn
from course_lib import folding, groupnorm, layernorm
from course_lib import spatial_batchnorm as sbn
from course_lib import mistakes
from course_lib import running_stats as rs
from course_lib import walkthrough
from course_lib.checks._data import DATA_FILE
from course_lib.checks.by_hand import STEPS, digest
from course_lib.data import cgpa_iq_example
from course_lib.dense import dense_forward
from course_lib.layers import relu_forward
from course_lib.normalize import standardize


def _bugs(exercise, *args, part=None):
    """{name: output} of the catalogued mistakes of ``exercise`` on these arguments (each on its own copies)."""
    out = {}
    for m in mistakes.mistakes_of(exercise):
        with np.errstate(all="ignore"):
            try:
                result = mistakes.run(exercise, m.name, *copy.deepcopy(args))
            except Exception:   # a mistake that cannot run on this input (a shape error) has no output to match
                continue
        out[m.name] = result if part is None else result[part]
    return out


def _plain(value):
    """Arrays and numpy scalars as JSON-ready lists and floats, rounded-trip exact."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _standardize(rng):
    X = rng.normal([5.0, -2.0, 100.0], [2.0, 0.5, 30.0], size=(6, 3))
    # 7.0 has an exact std of 0; 0.1 does not (about 1e-17, from round-off)
    X_const = np.column_stack([rng.normal(size=6), np.full(6, 7.0), np.full(6, 0.1)])
    X_std, mean, std = standardize(X)
    Xc_std, _, c_std = standardize(X_const)
    b_std, _, b_sd = mistakes.run("standardize", "ddof1", X.copy())
    X_int = rng.integers(0, 20, size=(5, 3))
    return {"X": X, "mean": mean, "std": std, "X_std": X_std, "X_const": X_const, "X_const_std": Xc_std,
            "X_int": X_int, "X_int_std": standardize(X_int)[0],
            "X_const_sd": c_std, "bugs": {"ddof1": {"X_std": b_std, "std": b_sd}}}


def _forward(rng):
    x = rng.normal([1.0, -3.0, 10.0], [1.0, 0.1, 4.0], size=(5, 3))
    gamma, beta, eps = np.array([1.5, 0.5, 2.0]), np.array([0.1, -1.0, 3.0]), 1e-5
    out, cache = bn.batchnorm_forward(x, gamma, beta, eps)
    eps_big = 0.5
    x_far = 1e4 + rng.normal(size=(50, 3)) * 0.01   # columns far from zero: mean(x**2) - mu**2 loses them
    return {"x": x, "gamma": gamma, "beta": beta, "eps": eps, "out": out,
            "x_far": x_far, "out_far": bn.batchnorm_forward(x_far, gamma, beta, eps)[0],
            "bugs_far": _bugs("batchnorm_forward", x_far, gamma, beta, eps, part=0),
            "cache": {f: getattr(cache, f) for f in ("x", "x_hat", "mu", "var", "inv_std", "gamma")},
            "eps_big": eps_big, "out_eps_big": bn.batchnorm_forward(x, gamma, beta, eps_big)[0],
            "bugs": _bugs("batchnorm_forward", x, gamma, beta, eps, part=0)}


def _layer_case(X, W, b, gamma, beta, eps=1e-5):
    case = {"X": X, "W": W, "b": b, "gamma": gamma, "beta": beta, "eps": eps, "bugs": {}}
    for placement in walkthrough.PLACEMENTS:
        case[placement] = walkthrough.hidden_layer_forward(X, W, b, gamma, beta, placement, eps)
        case["bugs"][placement] = _bugs("hidden_layer_forward", X, W, b, gamma, beta, placement, eps)
    return case


def _layer(rng):
    ex = cgpa_iq_example()
    X, W = rng.normal(size=(6, 3)), rng.normal(size=(3, 3))
    b, gamma, beta = np.array([0.5, -0.5, 1.0]), np.array([1.5, 0.5, 2.0]), np.array([0.25, -1.0, 0.5])
    W_dead = W.copy()
    W_dead[:, 1] = 0.0   # neuron 2's z is b = -0.5 for every sample: ReLU turns it off for the whole batch
    return {"notes": _layer_case(ex.X, ex.W, ex.b, ex.gamma, ex.beta, ex.eps),
            "cut": _layer_case(X, W, b, gamma, beta),
            "dead": _layer_case(X, W_dead, b, gamma, beta)}


def _dense(rng):
    X, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), np.array([0.5, -1.5])
    return {"X": X, "W": W, "b": b, "Z": dense_forward(X, W, b),
            "bugs": _bugs("dense_forward", X, W, b)}


def _backward_case(rng, N, D, eps=1e-5):
    x = rng.normal(2.0, 3.0, size=(N, D))
    if eps != 1e-5:
        x[:, 1] = 0.7   # a constant column: its inv_std is 1 / sqrt(eps), so the cache's eps shows
    gamma = rng.uniform(0.5, 2.0, size=D)
    _, cache = bn.batchnorm_forward(x, gamma, np.zeros(D), eps)
    dout = rng.normal(size=(N, D))
    dx, dgamma, dbeta = bn.batchnorm_backward(dout, cache)
    return {"cache": cache._asdict(), "dout": dout, "dx": dx, "dgamma": dgamma, "dbeta": dbeta,
            "bugs": _bugs("batchnorm_backward", dout, cache, part=0)}


def _update(rng):
    rm, bm = rng.normal(size=3), rng.normal(size=3)
    rv, bv = rng.uniform(0.5, 2, size=3), rng.uniform(0.5, 2, size=3)
    momentum = 0.99

    def pair(mean_var):
        return {"mean": mean_var[0], "var": mean_var[1]}

    return {"running_mean": rm, "running_var": rv, "batch_mean": bm, "batch_var": bv, "momentum": momentum,
            "default": pair(rs.update_running_stats(rm, rv, bm, bv)),
            "given": pair(rs.update_running_stats(rm, rv, bm, bv, momentum)),
            "bugs": {"default": {name: pair(v) for name, v in _bugs("update_running_stats", rm, rv, bm, bv).items()}}}


def _inference(rng):
    x = rng.normal(1.0, 2.0, size=(4, 3))
    gamma, beta = rng.uniform(0.5, 2, size=3), rng.normal(size=3)
    rm, rv, eps = rng.normal(size=3), rng.uniform(0.05, 3, size=3), 1e-3
    args = (x, gamma, beta, rm, rv, eps)
    return {"x": x, "gamma": gamma, "beta": beta, "running_mean": rm, "running_var": rv, "eps": eps,
            "out": rs.batchnorm_inference(*args), "out_default_eps": rs.batchnorm_inference(*args[:5]),
            "bugs": _bugs("batchnorm_inference", *args)}


def _by_hand():
    ex = cgpa_iq_example()
    z = dense_forward(ex.X, ex.W, ex.b)
    mu, var = z.mean(0), z.var(0)
    z_hat = (z - mu) / np.sqrt(var + ex.eps)
    y = ex.gamma * z_hat + ex.beta
    # notebook 04: back through BN for the upstream gradient walkthrough.DOUT
    _, cache = bn.batchnorm_forward(z, ex.gamma, ex.beta, ex.eps)
    dx, dgamma, dbeta = bn.batchnorm_backward(walkthrough.DOUT, cache)
    answers = {"z": z, "mu": mu, "var": var, "z_hat": z_hat, "y": y, "a": relu_forward(y)[0],
               "dbeta": dbeta, "dgamma": dgamma, "dx": np.array([dx[i] for i in walkthrough.DX_ENTRIES])}
    assert set(answers) == set(STEPS)

    def digests(step, a):
        return {",".join(map(str, i)): digest(step, ",".join(map(str, i)), a[i]) for i in np.ndindex(a.shape)}

    return {step: {"digests": digests(step, a),
                   "bugs": {m.name: digests(step, mistakes.value(m.exercise, m.name))
                            for m in mistakes.mistakes_of(f"{step}_by_hand")}}
            for step, a in answers.items()}


def _named_bugs(exercise, names, *args, part=None):
    """``_bugs`` for the mistakes ``names`` only (a mistake that keeps state between calls has no fixed output)."""
    out = _bugs(exercise, *args, part=part)
    return {name: out[name] for name in names if name in out}


def _feature_maps(rng, N, C, H, W):
    """(x, gamma, beta): (N, C, H, W) maps, each channel and each sample on a scale and offset of its own."""
    x = rng.standard_normal((N, C, H, W)) * rng.uniform(0.5, 4.0, (1, C, 1, 1)) + rng.uniform(-3.0, 3.0, (1, C, 1, 1))
    x = x * rng.uniform(0.5, 2.0, (N, 1, 1, 1)) + rng.uniform(-2.0, 2.0, (N, 1, 1, 1))
    return x, rng.uniform(0.5, 2.0, C), rng.uniform(-1.0, 1.0, C)


def _spatial_forward(rng):
    x, gamma, beta = _feature_maps(rng, 2, 3, 3, 4)
    eps = 1e-5
    out, cache = sbn.spatial_batchnorm_forward(x, gamma, beta, eps)
    x_1x1, x_one = _feature_maps(rng, 6, 3, 1, 1)[0], _feature_maps(rng, 1, 3, 2, 3)[0]
    return {"x": x, "gamma": gamma, "beta": beta, "eps": eps, "out": out,
            "cache": {f: getattr(cache, f) for f in ("x", "x_hat", "mu", "var", "inv_std", "gamma")},
            "x_1x1": x_1x1, "out_x_1x1": sbn.spatial_batchnorm_forward(x_1x1, gamma, beta, eps)[0],
            "x_one": x_one, "out_x_one": sbn.spatial_batchnorm_forward(x_one, gamma, beta, eps)[0],
            "bugs": _bugs("spatial_batchnorm_forward", x, gamma, beta, eps, part=0)}


def _spatial_backward_case(rng, N, C, H, W):
    x, gamma, beta = _feature_maps(rng, N, C, H, W)
    _, cache = sbn.spatial_batchnorm_forward(x, gamma, beta)
    dout = rng.standard_normal(x.shape)
    dx, dgamma, dbeta = sbn.spatial_batchnorm_backward(dout, cache)
    return {"cache": cache._asdict(), "dout": dout, "dx": dx, "dgamma": dgamma, "dbeta": dbeta,
            "bugs": _bugs("spatial_batchnorm_backward", dout, cache, part=0),
            "bugs_dgamma": _bugs("spatial_batchnorm_backward", dout, cache, part=1),
            "bugs_dbeta": _bugs("spatial_batchnorm_backward", dout, cache, part=2)}


def _ln_batch(rng, N, D):
    x = rng.standard_normal((N, D)) * rng.uniform(0.5, 3.0, (N, 1)) + rng.uniform(-4.0, 4.0, (N, 1))
    return x, rng.uniform(0.5, 2.0, D), rng.uniform(-1.0, 1.0, D)


def _layernorm_forward(rng):
    x, gamma, beta = _ln_batch(rng, 4, 5)
    eps = 1e-5
    out, cache = layernorm.layernorm_forward(x, gamma, beta, eps)
    return {"x": x, "gamma": gamma, "beta": beta, "eps": eps, "out": out, "x_other": _ln_batch(rng, 4, 5)[0] * 5.0,
            "cache": {f: getattr(cache, f) for f in ("x_hat", "inv_std", "gamma")},
            "bugs": _named_bugs("layernorm_forward", ("batch_axis",), x, gamma, beta, eps, part=0)}


def _layernorm_backward_case(rng, N, D):
    x, gamma, beta = _ln_batch(rng, N, D)
    _, cache = layernorm.layernorm_forward(x, gamma, beta)
    dout = rng.standard_normal((N, D))
    dx, dgamma, dbeta = layernorm.layernorm_backward(dout, cache)
    return {"cache": cache._asdict(), "dout": dout, "dx": dx, "dgamma": dgamma, "dbeta": dbeta,
            "bugs": _bugs("layernorm_backward", dout, cache, part=0)}


def _groupnorm_case(rng, shape, G):
    x, gamma, beta = _feature_maps(rng, *shape)
    eps = 1e-5
    return {"x": x, "gamma": gamma, "beta": beta, "G": G, "eps": eps,
            "out": groupnorm.groupnorm_forward(x, gamma, beta, G, eps)[0],
            "bugs": _bugs("groupnorm_forward", x, gamma, beta, G, eps, part=0)}


def _fold_case(W, b, gamma, beta, running_mean, running_var, eps, X):
    W_folded, b_folded = folding.fold_batchnorm(W, b, gamma, beta, running_mean, running_var, eps)
    z = X @ W + b
    return {"W": W, "b": b, "gamma": gamma, "beta": beta, "running_mean": running_mean, "running_var": running_var,
            "eps": eps, "X": X, "W_folded": W_folded, "b_folded": b_folded,
            "eval_out": gamma * (z - running_mean) / np.sqrt(running_var + eps) + beta,
            "bugs": _bugs("fold_batchnorm", W, b, gamma, beta, running_mean, running_var, eps, part=1)}


def _trained_layer(rng, steps=60, batch=16, lr=0.05, momentum=0.9):
    """A Dense(3 -> 4) -> BatchNorm pair trained by SGD on a small regression, its running statistics kept
    Keras-style from (0, 1): what a deployed network folds."""
    X = rng.standard_normal((400, 3)) * [1.0, 3.0, 0.5] + [2.0, -1.0, 0.0]
    target = np.tanh(X @ rng.standard_normal((3, 4)))
    W, b = rng.standard_normal((3, 4)) * 0.5, rng.uniform(-1.0, 1.0, 4)   # b stays: BN's dz sums to 0 per unit
    gamma, beta = np.ones(4), np.zeros(4)
    running_mean, running_var = np.zeros(4), np.ones(4)
    for step in range(steps):
        idx = rng.choice(len(X), batch, replace=False)
        z = X[idx] @ W + b
        out, cache = bn.batchnorm_forward(z, gamma, beta)
        running_mean = momentum * running_mean + (1 - momentum) * cache.mu
        running_var = momentum * running_var + (1 - momentum) * cache.var
        dz, dgamma, dbeta = bn.batchnorm_backward(2 * (out - target[idx]) / batch, cache)
        W, b = W - lr * X[idx].T @ dz, b - lr * dz.sum(axis=0)
        gamma, beta = gamma - lr * dgamma, beta - lr * dbeta
    return _fold_case(W, b, gamma, beta, running_mean, running_var, 1e-5, rng.standard_normal((8, 3)))


def _fold(rng):
    W, b = rng.standard_normal((4, 3)), rng.uniform(-1.0, 1.0, 3)
    gamma, beta = rng.uniform(0.5, 2.0, 3), rng.uniform(-1.0, 1.0, 3)
    running_mean, running_var = rng.uniform(-2.0, 2.0, 3), rng.uniform(0.01, 3.0, 3)
    layer = _fold_case(W, b, gamma, beta, running_mean, running_var, 1e-3, rng.standard_normal((5, 4)))
    layer["W_folded_default_eps"] = folding.fold_batchnorm(W, b, gamma, beta, running_mean, running_var)[0]
    return {"layer": layer, "trained": _trained_layer(rng)}


def _beyond_dense():
    """Notebook 07's records, from a generator of their own, so that they change nothing before them."""
    rng = np.random.default_rng(20180322)   # the GroupNorm paper's arXiv date
    return {
        "spatial_batchnorm_forward": _spatial_forward(rng),
        "spatial_batchnorm_backward": {"main": _spatial_backward_case(rng, 2, 3, 3, 4),
                                       "1x1": _spatial_backward_case(rng, 6, 3, 1, 1)},
        "layernorm_forward": _layernorm_forward(rng),
        "layernorm_backward": {"main": _layernorm_backward_case(rng, 4, 5), "one": _layernorm_backward_case(rng, 1, 5)},
        "groupnorm_forward": {"cases": {"main": _groupnorm_case(rng, (2, 6, 2, 3), 3),
                                        "pairs": _groupnorm_case(rng, (3, 8, 2, 2), 2)}},
        "fold_batchnorm": _fold(rng),
    }


def build():
    rng = np.random.default_rng(20150211)   # the BN paper's arXiv date
    record = {
        "standardize": _standardize(rng),
        "batchnorm_forward": _forward(rng),
        "bn_param_count": {str(u): bn.bn_param_count(u) for u in (3, 2, 300)},
        "dense_forward": _dense(rng),
        "hidden_layer_forward": _layer(rng),
        "by_hand": _by_hand(),
        "batchnorm_backward": {"cases": {"main": _backward_case(rng, 6, 3), "pair": _backward_case(rng, 2, 3),
                                         "eps": _backward_case(rng, 5, 3, eps=0.5)}},
        "update_running_stats": _update(rng),
        "batchnorm_inference": _inference(rng),
        **_beyond_dense(),
        "hints": mistakes.hints(),
    }
    return _plain(record)


def render(record):
    return json.dumps(record, indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    DATA_FILE.write_text(render(build()), encoding="utf-8")
    print(f"wrote {DATA_FILE}")
