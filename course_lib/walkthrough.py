"""Reference of notebook 03's hand-worked values: the notes' CGPA/IQ batch through one BN layer.

    z = X @ W + b      (4, 2)   the pre-activations of the two neurons
    mu, var            (2,)     the batch mean and biased variance of each neuron
    z_hat              (4, 2)   (z - mu) / sqrt(var + eps)
    y                  (4, 2)   gamma * z_hat + beta
    a                  (4, 2)   ReLU(y)

Each is a row of the exercise table (``<step>_by_hand``). Reference code:
the student bundle leaves this module out.
"""

import numpy as np

from .data import cgpa_iq_example

__all__ = ["z", "mu", "var", "z_hat", "y", "a"]

_ex = cgpa_iq_example()
z = _ex.X @ _ex.W + _ex.b
mu = z.mean(axis=0)
var = z.var(axis=0)
z_hat = (z - mu) / np.sqrt(var + _ex.eps)
y = _ex.gamma * z_hat + _ex.beta
a = np.maximum(y, 0.0)
