"""The pre-activations of a dense layer: the reference solution of notebook 03's exercise.

    Z = X @ W + b        X: (N, D_in), W: (D_in, D_out), b: (D_out,), Z: (N, D_out)

Models use ``layers.affine_forward``, which computes the same with a cache for
the backward pass. This module holds the exercise's reference alone, so that
the student bundle leaves it out whole.
"""

from ._validate import check_affine

__all__ = ["dense_forward"]


def dense_forward(X, W, b):
    """Pre-activations of a dense layer, ``Z = X @ W + b``; float32 in, float32 out.

    X: (N, D_in), W: (D_in, D_out), b: (D_out,) -> Z: (N, D_out)
    """
    X, W, b = check_affine(X, W, b)
    Z = X @ W
    Z += b
    return Z
