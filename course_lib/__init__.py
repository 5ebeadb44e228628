"""Reference library of the Batch Normalization course.

Modules, one topic each:

- ``batchnorm``: training-mode forward, step-by-step and closed-form backward,
  written as the paper writes them; ``fast_batchnorm``: the same, row-parallel
- ``bncache``: the public layouts of the forward passes' caches (batch norm's, layer norm's)
- ``running_stats``: inference mode and the notes' running-statistics update
- ``conventions``: the notes'/Keras', PyTorch's and the paper's conventions,
  and running statistics kept under each
- ``normalize``: standardization of inputs
- ``dense``: a dense layer's pre-activations; ``reach``: epochs to reach a threshold
- ``layernorm``: layer normalization, for small batches; ``groupnorm``: group normalization;
  ``spatial_batchnorm``: batch norm of convolutional feature maps; ``folding``: an eval-mode
  batch norm folded into the Dense layer before it
- ``conv``: a 2-D convolution by im2col; ``convnet``: the layers and training of notebook 07's
  convolutional network; ``beyond``: notebook 07's experiments
- ``layers``, ``losses``, ``optim``: dense layers, activations, losses, optimizers
- ``modules``, ``model``: layer objects and a Sequential MLP built from a spec;
  ``bnfunctions``: the batch-norm functions a model calls, the reference's or a student's
- ``train``, ``history``: the minibatch training loop and its history
- ``defaults``: the exercise functions used when a caller passes none
- ``gradcheck``: numerical gradients
- ``data``, ``housing``: data sets, California Housing offline
- ``plots``: the course's figures
- ``exercises``: the exercise contract; ``checks``: the visible checks;
  ``student``: loading a student's functions from their notebooks

The math depends on numpy only. The names below are imported on first use,
so importing one module (``course_lib.bncache``, say) loads only that module.

``batchnorm``, ``running_stats``, ``normalize``, ``dense``, ``reach``,
``walkthrough``, ``spatial_batchnorm``, ``layernorm``, ``groupnorm`` and
``folding`` hold the reference solutions of the exercises
(``exercises.EXERCISES``) and nothing the other modules import at import
time: the student bundle leaves them out, and there their names below raise
ModuleNotFoundError.
"""

import importlib

_EXPORTS = {
    "BNCache": "bncache",
    "LNCache": "bncache",
    "batchnorm_forward": "batchnorm",
    "batchnorm_backward": "batchnorm",
    "batchnorm_backward_alt": "batchnorm",
    "batchnorm_inference": "running_stats",
    "update_running_stats": "running_stats",
    "update_running_stats_convention": "conventions",
    "RunningStats": "conventions",
    "init_running_stats": "conventions",
    "CONVENTIONS": "conventions",
    "Convention": "conventions",
    "get_convention": "conventions",
    "layernorm_forward": "layernorm",
    "layernorm_backward": "layernorm",
    "spatial_batchnorm_forward": "spatial_batchnorm",
    "spatial_batchnorm_backward": "spatial_batchnorm",
    "groupnorm_forward": "groupnorm",
    "groupnorm_backward": "groupnorm",
    "fold_batchnorm": "folding",
    "conv2d_forward": "conv",
    "conv2d_backward": "conv",
    "dense_forward": "dense",
    "numerical_gradient": "gradcheck",
    "numerical_gradient_array": "gradcheck",
    "rel_error": "gradcheck",
}

__all__ = list(_EXPORTS)

__version__ = "0.1.0"


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'course_lib' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
