"""What the catalogued mistakes (course_lib/mistakes.py) output on a test's own input (grader side only).

Each function returns ``{name: (hint, output)}``, computed by running the
catalogue's code of each mistake on copies of the inputs in float64. A test
passes these to ``expect_close(bugs=...)``, so that an answer matching a
known mistake gets that mistake's hint, or to ``tolerate=...``, so that a
test about another property does not charge again for a mistake that a
test of its own names. ``hint`` gives a mistake's hint alone.
"""

import copy

import numpy as np

from course_lib import mistakes as catalogue

__all__ = ["outputs", "hint", "forward", "forward_cache", "backward", "inference", "update", "standardize_ddof1",
           "pick"]

# The mistakes whose output a test can tell from the right answer on any input (the others, such as
# writing into the input or working in float64, give the right numbers and have tests of their own).
FORWARD = ("ddof1", "axis1", "eps_outside", "no_eps", "std_not_var", "no_affine", "swap_gamma_beta")
BACKWARD = ("no_mean_path", "no_var_path", "no_gamma", "n_minus_1", "dx_is_dx_hat")
INFERENCE = ("batch_stats", "eps_outside", "var_as_std", "no_affine")
UPDATE = ("swapped", "mean_for_var")


def hint(exercise, name):
    """The hint of the catalogued mistake ``name`` of ``exercise``."""
    return catalogue.mistake(exercise, name).hint


def pick(mistakes, *names):
    """(hint, output) pairs of the named mistakes, or of all of them when no name is given."""
    return [mistakes[n] for n in (names or mistakes)]


def _float64(value):
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiu":
        return value.astype(np.float64)
    if isinstance(value, tuple) and hasattr(value, "_replace"):   # a BNCache
        return type(value)(*(_float64(v) for v in value))
    return copy.deepcopy(value)


def outputs(exercise, names, *args, part=None):
    """{name: (hint, output)} of the mistakes ``names`` of ``exercise`` on ``args``; ``part`` picks one
    element of a returned tuple. A mistake that cannot run on this input has no output to match."""
    out = {}
    for name in names:
        with np.errstate(all="ignore"):
            try:
                result = catalogue.run(exercise, name, *(_float64(a) for a in args))
            except Exception:
                continue
        out[name] = (hint(exercise, name), result if part is None else result[part])
    return out


def forward(x, gamma, beta, eps, exercise="batchnorm_forward"):
    """The outputs of the usual mistakes in a training-mode BN forward pass."""
    names = FORWARD if np.ndim(gamma) == np.ndim(beta) else tuple(n for n in FORWARD if n != "swap_gamma_beta")
    return outputs(exercise, names, np.asarray(x), np.asarray(gamma), np.asarray(beta), eps, part=0)


def forward_cache(x, gamma, eps, name):
    """The (x_hat, mu, var, inv_std) a forward pass with mistake ``name`` (ddof1 or eps_outside) caches."""
    gamma = np.asarray(gamma, np.float64)
    _, cache = catalogue.run("batchnorm_forward", name, _float64(np.asarray(x)), gamma, np.zeros_like(gamma), eps)
    return {field: getattr(cache, field) for field in ("x_hat", "mu", "var", "inv_std")}


def standardize_ddof1(X):
    """(hint, X_std) of the sample-std mistake of standardize."""
    with np.errstate(all="ignore"):
        return hint("standardize", "ddof1"), catalogue.run("standardize", "ddof1", _float64(np.asarray(X)))[0]


def backward(dout, cache, exercise="batchnorm_backward"):
    """dx of the usual mistakes in a BN backward pass, on the given cache."""
    return outputs(exercise, BACKWARD, np.asarray(dout), cache, part=0)


def inference(x, gamma, beta, running_mean, running_var, eps):
    """Outputs of the usual mistakes in inference-mode BN."""
    return outputs("batchnorm_inference", INFERENCE, *(np.asarray(v) for v in (x, gamma, beta, running_mean,
                                                                              running_var)), eps)


def update(running_mean, running_var, batch_mean, batch_var, momentum):
    """(new_mean, new_var) of the usual mistakes in the running-statistics update."""
    return outputs("update_running_stats", UPDATE,
                   *(np.asarray(v) for v in (running_mean, running_var, batch_mean, batch_var)), momentum)
