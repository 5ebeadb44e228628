"""Folding an eval-mode batch norm into the Dense layer before it.

In eval mode batch norm is a fixed affine map of each unit,
``y = gamma * (z - running_mean) / sqrt(running_var + eps) + beta``. After
``z = x @ W + b`` it composes with the Dense layer into one Dense layer::

    s  = gamma / sqrt(running_var + eps)         (D_out,)
    W' = W * s                                   (D_in, D_out)   each column j scaled by s_j
    b' = (b - running_mean) * s + beta           (D_out,)

so a deployed network pays nothing for batch norm. Only the running
statistics fold: the batch statistics of training mode change with every
batch. Batch norm after the activation, ``BN(relu(x @ W + b))``, cannot fold
into W and b, since the ReLU sits between them; it folds into the layer
*after* it instead. The reference of notebook 07's exercise ``fold_batchnorm``.
"""

import numpy as np

from ._validate import check_2d, check_eps, check_vector

__all__ = ["fold_batchnorm"]


def fold_batchnorm(W, b, gamma, beta, running_mean, running_var, eps=1e-5):
    """The Dense layer (W', b') that computes Dense(W, b) followed by eval-mode batch norm.

    Parameters
    ----------
    W : (D_in, D_out) array
    b, gamma, beta, running_mean, running_var : (D_out,) arrays; running_var >= 0
    eps : float

    Returns
    -------
    W_folded : (D_in, D_out), b_folded : (D_out,), in W's dtype
    """
    W = check_2d(W, "W")
    D = W.shape[1]
    b, gamma, beta, running_mean, running_var = (
        check_vector(v, D, name, W.dtype) for v, name in
        ((b, "b"), (gamma, "gamma"), (beta, "beta"), (running_mean, "running_mean"), (running_var, "running_var")))
    if (running_var < 0).any():
        raise ValueError("running_var must be non-negative: it is a variance")
    eps = check_eps(eps)
    s = gamma / np.sqrt(running_var + eps)       # the scale eval-mode batch norm applies to each unit   (D_out,)
    W_folded = W * s                             # (D_in, D_out)
    b_folded = (b - running_mean) * s + beta     # (D_out,)
    return W_folded, b_folded
