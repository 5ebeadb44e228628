"""Group normalization of (N, C, H, W) feature maps (Wu & He, 2018).

The C channels are split into G groups of C/G neighbouring channels
(0 .. C/G - 1, then C/G .. 2C/G - 1, ...), and each sample's group is
normalized over its C/G channels and H*W positions::

    x (N, C, H, W) -> (N, G, C/G * H * W)
    mu, var  per (sample, group)                 (N, G)
    x_hat    = (x - mu) / sqrt(var + eps)        back to (N, C, H, W)
    out      = gamma * x_hat + beta              gamma, beta per channel (C,)

No statistic crosses samples, so, like layer norm, it does not depend on the
batch. G = 1 is layer norm over (C, H, W); G = C is instance norm. The
reference of notebook 07's exercise ``groupnorm_forward``; its backward is
here for the models (it is not an exercise).
"""

import numpy as np

from ._validate import as_float_array, check_eps, check_finite_stat, check_vector

__all__ = ["groupnorm_forward", "groupnorm_backward"]


def _check(x, G):
    x = as_float_array(x, "x")
    if x.ndim != 4:
        raise ValueError(f"x must be 4-D with shape (N, C, H, W); got {x.ndim}-D shape {x.shape}")
    C = x.shape[1]
    if isinstance(G, bool) or int(G) != G or G < 1 or C % G:
        raise ValueError(f"G must be a positive integer that divides the {C} channels of x, got {G!r}")
    return x, int(G)


def groupnorm_forward(x, gamma, beta, G, eps=1e-5):
    """Group normalization.

    Parameters
    ----------
    x : (N, C, H, W) array
    gamma, beta : (C,) arrays
    G : int, the number of groups; it divides C
    eps : float

    Returns
    -------
    out : (N, C, H, W) array, same dtype as x
    cache : (x_hat (N, C, H, W), inv_std (N, G), gamma (C,), G, eps)
    """
    x, G = _check(x, G)
    N, C, H, W = x.shape
    gamma = check_vector(gamma, C, "gamma", x.dtype)
    beta = check_vector(beta, C, "beta", x.dtype)
    eps = check_eps(eps)
    groups = x.reshape(N, G, C // G * H * W)               # each row: one sample's group       (N, G, C/G*H*W)
    mu = groups.mean(axis=2, keepdims=True)                # (N, G, 1)
    check_finite_stat(mu, "x")
    var = ((groups - mu) ** 2).mean(axis=2, keepdims=True)  # biased                            (N, G, 1)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = ((groups - mu) * inv_std).reshape(N, C, H, W)
    out = gamma.reshape(1, C, 1, 1) * x_hat + beta.reshape(1, C, 1, 1)
    return out, (x_hat, inv_std.reshape(N, G), gamma, G, eps)


def groupnorm_backward(dout, cache):
    """Backward pass: layer norm's closed form within each (sample, group), then the per-channel affine.

    Parameters
    ----------
    dout : (N, C, H, W)
    cache : from ``groupnorm_forward``

    Returns
    -------
    dx : (N, C, H, W), dgamma : (C,), dbeta : (C,)
    """
    x_hat, inv_std, gamma, G, _ = cache
    dout = as_float_array(dout, "dout").astype(x_hat.dtype, copy=False)
    if dout.shape != x_hat.shape:
        raise ValueError(f"dout has shape {dout.shape} but the cached x_hat has shape {x_hat.shape}")
    N, C, H, W = x_hat.shape
    dbeta = dout.sum(axis=(0, 2, 3))
    check_finite_stat(dbeta, "dout")
    dgamma = (dout * x_hat).sum(axis=(0, 2, 3))
    M = C // G * H * W                                     # values per (sample, group)
    dx_hat = (dout * gamma.reshape(1, C, 1, 1)).reshape(N, G, M)
    xh = x_hat.reshape(N, G, M)
    dx = inv_std[:, :, None] / M * (M * dx_hat - dx_hat.sum(axis=2, keepdims=True)
                                    - xh * (dx_hat * xh).sum(axis=2, keepdims=True))
    return dx.reshape(N, C, H, W), dgamma, dbeta
