"""Known mistakes in each exercise, written as students make them.

The check data holds their outputs (for targeted hints), and
tests/test_checks.py runs each through its visible check: every bug must
fail, with the hint that names it.
"""

import numpy as np

from course_lib.bncache import BNCache
from course_lib.layers import relu_forward


def _forward(x, gamma, beta, eps, *, ddof=0, eps_outside=False, no_eps=False, std_not_var=False, axis=0,
             affine=True):
    mu = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, ddof=ddof, keepdims=True)
    if no_eps:
        denom = np.sqrt(var)
    elif eps_outside:
        denom = np.sqrt(var) + eps
    elif std_not_var:
        denom = var + eps
    else:
        denom = np.sqrt(var + eps)
    x_hat = (x - mu) / denom
    out = gamma * x_hat + beta if affine else x_hat
    inv_std = (1 / denom).ravel()
    return out, BNCache(x, x_hat, mu.ravel(), var.ravel(), inv_std, gamma, eps)


FORWARD_BUGS = {
    "ddof1": lambda x, g, b, eps=1e-5: _forward(x, g, b, eps, ddof=1),
    "eps_outside": lambda x, g, b, eps=1e-5: _forward(x, g, b, eps, eps_outside=True),
    "no_eps": lambda x, g, b, eps=1e-5: _forward(x, g, b, eps, no_eps=True),
    "std_not_var": lambda x, g, b, eps=1e-5: _forward(x, g, b, eps, std_not_var=True),
    "swap_gamma_beta": lambda x, g, b, eps=1e-5: _forward(x, b, g, eps),
    "axis1": lambda x, g, b, eps=1e-5: _forward(x, g, b, eps, axis=1),
    "no_affine": lambda x, g, b, eps=1e-5: _forward(x, g, b, eps, affine=False),
}


def _neuron(bug):
    def bn_neuron(z, gamma, beta, eps=1e-5):
        out, _ = FORWARD_BUGS[bug](np.asarray(z, float)[:, None], np.array([gamma], float),
                                   np.array([beta], float), eps)
        return out[:, 0]
    return bn_neuron


NEURON_BUGS = {name: _neuron(name) for name in ("ddof1", "eps_outside", "no_eps", "std_not_var",
                                                "swap_gamma_beta", "no_affine")}

STANDARDIZE_BUGS = {
    "ddof1": lambda X: ((X - X.mean(0)) / X.std(0, ddof=1), X.mean(0), X.std(0, ddof=1)),
    # a column of 0.1s has a computed std of about 1e-17, so `std > 0` lets it through
    "std_positive": lambda X: ((X - X.mean(0)) / np.where(X.std(0) > 0, X.std(0), 1.0), X.mean(0), X.std(0)),
}

DENSE_BUGS = {
    "no_bias": lambda X, W, b: X @ W,
    "transposed": lambda X, W, b: X @ W.T + b,
}


def _backward(dout, cache, *, mean_path=True, var_path=True, use_gamma=True, ddof=0, only_x_hat=False):
    x, x_hat, mu, var, inv_std, gamma, eps = cache
    N = x.shape[0]
    n = N - ddof
    dbeta = dout.sum(0)
    dgamma = (dout * x_hat).sum(0)
    dx_hat = dout * gamma if use_gamma else dout
    if only_x_hat:
        return dx_hat * inv_std, dgamma, dbeta
    xc = x - mu
    dvar = (dx_hat * xc).sum(0) * -0.5 * inv_std ** 3 if var_path else 0.0
    dmu = -(dx_hat * inv_std).sum(0) + dvar * -2.0 * xc.sum(0) / n if mean_path else 0.0
    dx = dx_hat * inv_std + dvar * 2.0 * xc / n + dmu / N
    return dx, dgamma, dbeta


BACKWARD_BUGS = {
    "no_mean_path": lambda dout, cache: _backward(dout, cache, mean_path=False),
    "no_var_path": lambda dout, cache: _backward(dout, cache, var_path=False),
    "no_gamma": lambda dout, cache: _backward(dout, cache, use_gamma=False),
    "n_minus_1": lambda dout, cache: _backward(dout, cache, ddof=1),
    "dx_is_dx_hat": lambda dout, cache: _backward(dout, cache, only_x_hat=True),
}

UPDATE_BUGS = {
    "swapped": lambda rm, rv, bm, bv, momentum=0.9: ((1 - momentum) * rm + momentum * bm,
                                                     (1 - momentum) * rv + momentum * bv),
    "mean_for_var": lambda rm, rv, bm, bv, momentum=0.9: (momentum * rm + (1 - momentum) * bm,
                                                          momentum * rv + (1 - momentum) * bm),
}


def _inference(x, gamma, beta, rm, rv, eps=1e-5, *, batch=False, eps_outside=False, var_as_std=False,
               affine=True):
    if batch:
        rm, rv = x.mean(0), x.var(0)
    if eps_outside:
        denom = np.sqrt(rv) + eps
    elif var_as_std:
        denom = rv + eps
    else:
        denom = np.sqrt(rv + eps)
    x_hat = (x - rm) / denom
    return gamma * x_hat + beta if affine else x_hat


INFERENCE_BUGS = {
    "batch_stats": lambda *a, **k: _inference(*a, **k, batch=True),
    "eps_outside": lambda *a, **k: _inference(*a, **k, eps_outside=True),
    "var_as_std": lambda *a, **k: _inference(*a, **k, var_as_std=True),
    "no_affine": lambda *a, **k: _inference(*a, **k, affine=False),
}


def _reach(offset=0, strict=False, never=None, train_metric=False):
    def epochs_to_reach(history, threshold):
        values = getattr(history, "metric" if train_metric else "val_metric", history)
        for i, v in enumerate(values):
            if (v > threshold) if strict else (v >= threshold):
                return i + 1 - offset
        return never
    return epochs_to_reach


REACH_BUGS = {
    "zero_based": _reach(offset=1),
    "strict": _reach(strict=True),
    "never_is_zero": _reach(never=0),
    "train_metric": _reach(train_metric=True),
}


def by_hand_bugs(example):
    """Hand-worked answers with a classic slip, per step: {step: {bug: value}}."""
    z = example.X @ example.W + example.b
    mu = z.mean(0)
    var_unbiased = z.var(0, ddof=1)
    z_hat_unbiased = (z - mu) / np.sqrt(var_unbiased + example.eps)
    z_hat = (z - mu) / np.sqrt(z.var(0) + example.eps)
    y_shared = example.gamma[0] * z_hat + example.beta[0]
    return {
        "var": {"unbiased": var_unbiased, "std": z.std(0)},
        "z_hat": {"unbiased": z_hat_unbiased},
        "y": {"shared_gamma": y_shared},
        "a": {"shared_gamma": relu_forward(y_shared)[0]},
    }
