"""The set of batch-norm functions a model calls: the reference's, or a student's own.

Models, layers and experiments take one ``BNFunctions`` instead of calling a
fixed implementation, so that the same code runs on the reference or on a
student's functions loaded from their notebooks. ``defaults`` builds either.
"""

from typing import Callable, NamedTuple

__all__ = ["BNFunctions"]


class BNFunctions(NamedTuple):
    """The batch-norm functions a ``BatchNorm`` layer calls.

    forward(x, gamma, beta, eps) -> (out, cache)
        x: (N, D), gamma, beta: (D,), out: (N, D)
    backward(dout, cache) -> (dx, dgamma, dbeta)
        dout, dx: (N, D), dgamma, dbeta: (D,)
    inference(x, gamma, beta, running_mean, running_var, eps) -> out
        x, out: (N, D), the rest (D,)
    update(running_mean, running_var, batch_mean, batch_var, momentum) -> (mean, var)
        every array (D,); the notes' rule, momentum weighing the old value

    Swapping in a student's own functions runs the same models and
    experiments on the student's implementation. All four are required, so
    that a student's set never falls back on the reference silently.
    """

    forward: Callable
    backward: Callable
    inference: Callable
    update: Callable
