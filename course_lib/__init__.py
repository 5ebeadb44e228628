"""Reference library of the Batch Normalization course.

Modules, one topic each:

- ``batchnorm``: training-mode forward, staged and closed-form backward
- ``running_stats``: running statistics and inference mode
- ``conventions``: the notes'/Keras', PyTorch's and the paper's conventions
- ``layernorm``: layer normalization, for small batches
- ``layers``, ``losses``, ``optim``: dense layers, activations, losses, optimizers
- ``modules``, ``model``: layer objects and a Sequential MLP built from a spec
- ``train``: the minibatch training loop and its history
- ``gradcheck``: numerical gradients
- ``data``, ``housing``: data sets, California Housing offline
- ``plots``: the course's figures

The math depends on numpy only. Importing the package loads the core math;
``data``, ``housing``, ``train`` and ``plots`` are imported on their own.
"""

from .batchnorm import BNCache, batchnorm_backward, batchnorm_backward_alt, batchnorm_forward
from .conventions import CONVENTIONS, Convention, get_convention
from .gradcheck import numerical_gradient, numerical_gradient_array, rel_error
from .layernorm import layernorm_backward, layernorm_forward
from .layers import dense_forward
from .running_stats import (
    RunningStats,
    batchnorm_inference,
    init_running_stats,
    update_running_stats,
    update_running_stats_convention,
)

__all__ = [
    "BNCache",
    "batchnorm_forward",
    "batchnorm_backward",
    "batchnorm_backward_alt",
    "batchnorm_inference",
    "update_running_stats",
    "update_running_stats_convention",
    "RunningStats",
    "init_running_stats",
    "CONVENTIONS",
    "Convention",
    "get_convention",
    "layernorm_forward",
    "layernorm_backward",
    "dense_forward",
    "numerical_gradient",
    "numerical_gradient_array",
    "rel_error",
]

__version__ = "0.1.0"
