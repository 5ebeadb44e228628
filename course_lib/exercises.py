"""The exercise contract: every function students write, where, and its reference.

Notebooks, visible checks, hidden suites and the release tests all read this
one table. ``reference`` is a ``module:function`` path inside ``course_lib``;
it is a string so that importing this table never imports a reference
implementation. Each module named there holds only reference code
(``normalize``, ``batchnorm``, ``dense``, ``running_stats``, ``reach``), so
that the student bundle (scripts/bundle.py) leaves them out whole; the rest
of the library reaches them only through ``defaults``.
"""

from typing import NamedTuple

__all__ = ["Exercise", "EXERCISES", "ASSIGNMENTS", "exercise", "exercises_of"]


class Exercise(NamedTuple):
    name: str          # the function the student defines
    assignment: str    # the notebook it is written in
    signature: str     # the contract, as the notebook states it
    reference: str     # "module:function" in course_lib


ASSIGNMENTS = (
    "01_covariate_shift",
    "02_bn_equations",
    "03_cgpa_iq_walkthrough",
    "04_backprop",
    "05_inference",
    "06_experiments",
)

EXERCISES = (
    Exercise("standardize", "01_covariate_shift",
             "standardize(X) -> (X_std, mean, std)", "normalize:standardize"),
    Exercise("batchnorm_forward", "02_bn_equations",
             "batchnorm_forward(x, gamma, beta, eps=1e-5) -> (out, cache)", "batchnorm:batchnorm_forward"),
    Exercise("bn_param_count", "02_bn_equations",
             "bn_param_count(units) -> (total, trainable, non_trainable)", "batchnorm:bn_param_count"),
    Exercise("dense_forward", "03_cgpa_iq_walkthrough",
             "dense_forward(X, W, b) -> Z", "dense:dense_forward"),
    Exercise("bn_neuron", "03_cgpa_iq_walkthrough",
             "bn_neuron(z, gamma, beta, eps=1e-5) -> y", "batchnorm:bn_neuron"),
    Exercise("batchnorm_backward", "04_backprop",
             "batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)", "batchnorm:batchnorm_backward"),
    Exercise("batchnorm_backward_alt", "04_backprop",
             "batchnorm_backward_alt(dout, cache) -> (dx, dgamma, dbeta)", "batchnorm:batchnorm_backward_alt"),
    Exercise("update_running_stats", "05_inference",
             "update_running_stats(running_mean, running_var, batch_mean, batch_var, momentum=0.9)"
             " -> (new_mean, new_var)", "running_stats:update_running_stats"),
    Exercise("batchnorm_inference", "05_inference",
             "batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5) -> out",
             "running_stats:batchnorm_inference"),
    Exercise("epochs_to_reach", "06_experiments",
             "epochs_to_reach(history, threshold) -> int or None", "reach:epochs_to_reach"),
)

_BY_NAME = {e.name: e for e in EXERCISES}


def exercise(name):
    """The Exercise called ``name``; a ValueError lists the known names."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown exercise {name!r}; the exercises are {sorted(_BY_NAME)}") from None


def exercises_of(assignment):
    """The exercises written in ``assignment``, in notebook order."""
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"unknown assignment {assignment!r}; the assignments are {list(ASSIGNMENTS)}")
    return tuple(e for e in EXERCISES if e.assignment == assignment)
