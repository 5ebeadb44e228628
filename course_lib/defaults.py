"""The exercise functions the library falls back on when it is given none.

Models and ``circles_experiment`` take the exercise functions they call as
arguments (``bn_fns``, a ``BNFunctions``, and ``reach``), so that they run on
a student's implementation. Left out, each is resolved when it is first
needed:

- in the course repository, to the reference implementation, the
  ``reference`` of its entry in ``exercises.EXERCISES``;
- in the student bundle, which ships no reference module, to the student's
  own function, loaded from their notebook by ``student.load_exercises``,
  which first runs its visible check and names the notebook to fix.

Importing this module imports no reference module and no notebook.
"""

import importlib

from .bnfunctions import BNFunctions
from .exercises import exercise

__all__ = ["BN_EXERCISES", "reference_function", "exercise_function", "reference_bn_functions",
           "default_bn_functions"]

# The exercise behind each field of ``BNFunctions``.
BN_EXERCISES = {
    "forward": "batchnorm_forward",
    "backward": "batchnorm_backward_alt",
    "inference": "batchnorm_inference",
    "update": "update_running_stats",
}


class _ReferenceMissing(Exception):
    pass


def _reference(name):
    """The reference of exercise ``name``; _ReferenceMissing when its module is not installed."""
    module, function = exercise(name).reference.split(":")
    path = f"{__package__}.{module}"
    try:
        return getattr(importlib.import_module(path), function)
    except ModuleNotFoundError as err:
        if err.name != path:   # the module is there but something it needs is not: a real error
            raise
        raise _ReferenceMissing(path) from None


def reference_function(name):
    """The reference implementation of exercise ``name``.

    Raises ModuleNotFoundError, naming the student bundle, where the
    reference is not installed.
    """
    try:
        return _reference(name)
    except _ReferenceMissing as missing:
        raise ModuleNotFoundError(f"no reference implementation of {name} here: {missing} is not part of the "
                                  "student bundle; use your own function", name=str(missing)) from None


def exercise_function(name, *, start=None):
    """The reference of exercise ``name`` where it is installed, else the student's own.

    start: where to look for the student's notebooks (see ``student.notebook_path``).
    """
    try:
        return _reference(name)
    except _ReferenceMissing:
        from .student import load_exercises

        return load_exercises(exercise(name).assignment, [name], start=start)[name]


def reference_bn_functions():
    """The reference batch norm as ``BNFunctions``; ModuleNotFoundError where it is not installed."""
    return BNFunctions(**{field: reference_function(name) for field, name in BN_EXERCISES.items()})


def default_bn_functions(*, start=None):
    """What a ``BatchNorm`` layer calls when given no functions: the reference, else the student's own.

    The student's come from ``student.student_bn_functions``: the forward of
    notebook 02, the closed-form backward of 04 and the inference and update
    of 05, each of which must pass its visible check first.
    """
    try:
        return BNFunctions(**{field: _reference(name) for field, name in BN_EXERCISES.items()})
    except _ReferenceMissing:
        from .student import student_bn_functions

        return student_bn_functions(start=start)
