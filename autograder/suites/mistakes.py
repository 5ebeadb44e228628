"""What known mistakes output on a given input, for targeted hints (grader side only).

Each function returns ``{name: (hint, output)}``. A test passes these to
``expect_close(bugs=...)``, so that an answer matching a known mistake gets
that mistake's hint, or to ``tolerate=...``, so that a test about another
property does not charge again for a mistake that a test of its own names.
The hints are the visible checks' own words.
"""

import numpy as np

from course_lib.checks.backward import BACKWARD_BUG_HINTS
from course_lib.checks.forward import FORWARD_BUG_HINTS
from course_lib.checks.inference import INFERENCE_BUG_HINTS, UPDATE_BUG_HINTS
from course_lib.checks.inputs import DDOF_HINT

__all__ = ["forward", "forward_cache", "backward", "inference", "update", "standardize_ddof1", "pick"]


def pick(mistakes, *names):
    """(hint, output) pairs of the named mistakes, or of all of them when no name is given."""
    return [mistakes[n] for n in (names or mistakes)]


def _bn(x, gamma, beta, eps, *, ddof=0, axis=0, denom="sqrt_var_eps", affine=True, swap=False):
    x = np.asarray(x, np.float64)
    mu = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, ddof=ddof, keepdims=True)
    d = {"sqrt_var_eps": lambda: np.sqrt(var + eps), "eps_outside": lambda: np.sqrt(var) + eps,
         "no_eps": lambda: np.sqrt(var), "var": lambda: var + eps}[denom]()
    with np.errstate(all="ignore"):
        x_hat = (x - mu) / d
    if swap:
        gamma, beta = beta, gamma
    return gamma * x_hat + beta if affine else x_hat


def forward(x, gamma, beta, eps):
    """The outputs of the usual mistakes in a training-mode BN forward pass."""
    g, b = np.asarray(gamma, np.float64), np.asarray(beta, np.float64)
    out = {
        "ddof1": (FORWARD_BUG_HINTS["ddof1"], _bn(x, g, b, eps, ddof=1)),
        "axis1": (FORWARD_BUG_HINTS["axis1"], _bn(x, g, b, eps, axis=1)),
        "eps_outside": (FORWARD_BUG_HINTS["eps_outside"], _bn(x, g, b, eps, denom="eps_outside")),
        "no_eps": (FORWARD_BUG_HINTS["no_eps"], _bn(x, g, b, eps, denom="no_eps")),
        "std_not_var": (FORWARD_BUG_HINTS["std_not_var"], _bn(x, g, b, eps, denom="var")),
        "no_affine": (FORWARD_BUG_HINTS["no_affine"], _bn(x, g, b, eps, affine=False)),
    }
    if np.ndim(gamma) == np.ndim(beta):
        out["swap_gamma_beta"] = (FORWARD_BUG_HINTS["swap_gamma_beta"], _bn(x, g, b, eps, swap=True))
    return out


def forward_cache(x, gamma, eps, name):
    """The (x_hat, mu, var, inv_std) a forward pass with mistake ``name`` (ddof1 or eps_outside) caches."""
    x = np.asarray(x, np.float64)
    mu = x.mean(axis=0)
    var = x.var(axis=0, ddof=1 if name == "ddof1" else 0)
    inv_std = 1.0 / (np.sqrt(var) + eps if name == "eps_outside" else np.sqrt(var + eps))
    return {"x_hat": (x - mu) * inv_std, "mu": mu, "var": var, "inv_std": inv_std}


def standardize_ddof1(X):
    X = np.asarray(X, np.float64)
    with np.errstate(all="ignore"):
        return DDOF_HINT, (X - X.mean(0)) / X.std(0, ddof=1)


def backward(dout, cache):
    """dx of the usual mistakes in a BN backward pass, on the given cache."""
    x, x_hat, mu, var, inv_std, gamma, eps = (np.asarray(v, np.float64) for v in cache)
    dout = np.asarray(dout, np.float64)
    N = dout.shape[0]

    def dx(*, mean_path=True, var_path=True, use_gamma=True, n=N, only_x_hat=False):
        dx_hat = dout * gamma if use_gamma else dout
        if only_x_hat:
            return dx_hat * inv_std
        xc = x - mu
        dvar = (dx_hat * xc).sum(0) * -0.5 * inv_std**3 if var_path else 0.0
        dmu = -(dx_hat * inv_std).sum(0) if mean_path else 0.0
        return dx_hat * inv_std + dvar * 2.0 * xc / n + dmu / N

    return {
        "no_mean_path": (BACKWARD_BUG_HINTS["no_mean_path"], dx(mean_path=False)),
        "no_var_path": (BACKWARD_BUG_HINTS["no_var_path"], dx(var_path=False)),
        "no_gamma": (BACKWARD_BUG_HINTS["no_gamma"], dx(use_gamma=False)),
        "n_minus_1": (BACKWARD_BUG_HINTS["n_minus_1"], dx(n=N - 1) if N > 1 else dx()),
        "dx_is_dx_hat": (BACKWARD_BUG_HINTS["dx_is_dx_hat"], dx(only_x_hat=True)),
    }


def inference(x, gamma, beta, running_mean, running_var, eps):
    """Outputs of the usual mistakes in inference-mode BN."""
    x, g, b, rm, rv = (np.asarray(v, np.float64) for v in (x, gamma, beta, running_mean, running_var))
    with np.errstate(all="ignore"):
        return {
            "batch_stats": (INFERENCE_BUG_HINTS["batch_stats"],
                            g * (x - x.mean(0)) / np.sqrt(x.var(0) + eps) + b),
            "eps_outside": (INFERENCE_BUG_HINTS["eps_outside"], g * (x - rm) / (np.sqrt(rv) + eps) + b),
            "var_as_std": (INFERENCE_BUG_HINTS["var_as_std"], g * (x - rm) / (rv + eps) + b),
            "no_affine": (INFERENCE_BUG_HINTS["no_affine"], (x - rm) / np.sqrt(rv + eps)),
        }


def update(running_mean, running_var, batch_mean, batch_var, momentum):
    """(new_mean, new_var) of the usual mistakes in the running-statistics update."""
    rm, rv, bm, bv = (np.asarray(v, np.float64) for v in (running_mean, running_var, batch_mean, batch_var))
    m = momentum
    return {
        "swapped": (UPDATE_BUG_HINTS["swapped"], ((1 - m) * rm + m * bm, (1 - m) * rv + m * bv)),
        "mean_for_var": (UPDATE_BUG_HINTS["mean_for_var"], (m * rm + (1 - m) * bm, m * rv + (1 - m) * bm)),
    }
