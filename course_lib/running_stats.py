"""Running statistics and inference-mode batch normalization.

At prediction time there may be a single sample, so batch statistics do not
exist. Training keeps running estimates of each feature's mean and variance
instead, and inference normalizes with them::

    out = gamma * (x - running_mean) / sqrt(running_var + eps) + beta

How the running estimates are accumulated is a convention; ``conventions``
keeps them under each one (``update_running_stats_convention``).

Both functions are the reference solutions of notebook 05's exercises: this
module holds nothing else, so that the student bundle leaves it out whole.
"""

import numpy as np

from ._validate import (check_2d, check_eps, check_finite, check_finite_stat, check_momentum, check_same_shape,
                        check_vector)

__all__ = ["batchnorm_inference", "update_running_stats"]


def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
    """Inference-mode batch normalization with fixed statistics.

    Parameters
    ----------
    x : (N, D) array, any N >= 1
    gamma, beta, running_mean, running_var : (D,) arrays
    eps : float

    Returns
    -------
    out : (N, D) array, same dtype as x
    """
    x = check_2d(x)
    D = x.shape[1]
    gamma = check_vector(gamma, D, "gamma", x.dtype)
    beta = check_vector(beta, D, "beta", x.dtype)
    running_mean = check_vector(running_mean, D, "running_mean", x.dtype)
    running_var = check_vector(running_var, D, "running_var", x.dtype)
    if (running_var < 0).any():
        raise ValueError("running_var must be non-negative")
    eps = check_eps(eps)
    # Folded into one affine map, as in the paper's Algorithm 2.
    scale = gamma / np.sqrt(running_var + eps)
    shift = beta - running_mean * scale
    out = x * scale
    out += shift
    check_finite_stat(out.sum(axis=0), "x")
    return out


def update_running_stats(running_mean, running_var, batch_mean, batch_var, momentum=0.9):
    """One exponential-moving-average step, the course notes' (and Keras') rule.

    ``running = momentum * running + (1 - momentum) * batch``

    Parameters
    ----------
    running_mean, running_var, batch_mean, batch_var : (D,) arrays
    momentum : float in [0, 1], the weight of the old value

    Returns
    -------
    new_mean, new_var : (D,) arrays
    """
    check_momentum(momentum)
    arrays = [np.asarray(a) for a in (running_mean, running_var, batch_mean, batch_var)]
    names = ("running_mean", "running_var", "batch_mean", "batch_var")
    for a, name in zip(arrays, names):
        if a.ndim != 1:
            raise ValueError(f"{name} must be a (D,) vector, got shape {a.shape}")
        check_finite(a, name)
        check_same_shape(a, arrays[0], name, "running_mean")
    rm, rv, bm, bv = arrays
    new_mean = momentum * rm + (1 - momentum) * bm
    new_var = momentum * rv + (1 - momentum) * bv
    return new_mean, new_var
