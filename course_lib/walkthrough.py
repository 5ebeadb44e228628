"""Reference of the notes' CGPA/IQ hidden layer: notebook 03's forward, notebook 04's backward.

The notes' batch of 4 students through one dense layer of 2 neurons with BN:

    z = X @ W + b      (4, 2)   the pre-activations of the two neurons
    mu, var            (2,)     the batch mean and biased variance of each neuron
    z_hat              (4, 2)   (z - mu) / sqrt(var + eps)
    y                  (4, 2)   gamma * z_hat + beta
    a                  (4, 2)   ReLU(y)

and back through BN, for the upstream gradient ``DOUT`` = dL/dy (4, 2):

    dbeta              (2,)     sum over the batch of dout
    dgamma             (2,)     sum over the batch of dout * z_hat
    dx                 (2,)     dL/dz of neuron 2 for students 1 and 2: the full dL/dz[:2, 1]

Each value is a row of the exercise table (``<step>_by_hand``), and
``hidden_layer_forward`` is the reference of notebook 03's exercise of that
name. Reference code: the student bundle leaves this module out.
"""

import numpy as np

from .data import cgpa_iq_example

__all__ = ["hidden_layer_forward", "PLACEMENTS", "DOUT", "DX_ENTRIES",
           "z", "mu", "var", "z_hat", "y", "a", "dbeta", "dgamma", "dx"]

PLACEMENTS = ("before", "after")


def hidden_layer_forward(X, W, b, gamma, beta, placement, eps=1e-5):
    """A dense layer with ReLU and BN, BN placed before or after the activation.

    X : (N, D_in), W : (D_in, D_out), b, gamma, beta : (D_out,)
    placement : "before" gives ReLU(BN(X @ W + b)), "after" gives BN(ReLU(X @ W + b)),
        BN with the batch's own mean and biased variance, per neuron.

    Returns the layer's output, (N, D_out).
    """
    if placement not in PLACEMENTS:
        raise ValueError(f"placement must be 'before' or 'after', got {placement!r}")
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(float)
    z = X @ W + b

    def bn(v):
        mu, var = v.mean(axis=0), v.var(axis=0)
        return gamma * (v - mu) / np.sqrt(var + eps) + beta

    if placement == "before":
        return np.maximum(bn(z), 0.0)
    return bn(np.maximum(z, 0.0))


_ex = cgpa_iq_example()
z = _ex.X @ _ex.W + _ex.b
mu = z.mean(axis=0)
var = z.var(axis=0)
z_hat = (z - mu) / np.sqrt(var + _ex.eps)
y = _ex.gamma * z_hat + _ex.beta
a = np.maximum(y, 0.0)

# Notebook 04: an upstream gradient dL/dy of small integers, so that the sums are easy by hand.
DOUT = np.array([[1.0, 2.0], [-1.0, 0.0], [0.0, -1.0], [2.0, 1.0]])
DX_ENTRIES = ((0, 1), (1, 1))   # dx asked by hand: neuron 2, students 1 and 2
dbeta = DOUT.sum(axis=0)
dgamma = (DOUT * z_hat).sum(axis=0)
_inv_std = 1.0 / np.sqrt(var + _ex.eps)
_dx = _ex.gamma * _inv_std / len(z) * (len(z) * DOUT - dbeta - z_hat * dgamma)
dx = np.array([_dx[i] for i in DX_ENTRIES])
