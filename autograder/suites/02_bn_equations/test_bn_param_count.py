"""Hidden tests of bn_param_count(units) -> (total, trainable, non_trainable), 2 points."""

import numpy as np
import pytest

from course_lib.compare import Mismatch, quote, unpack
from autograder.suites.scoring import score_cases
from course_lib.batchnorm import bn_param_count as reference

HINT = ("per neuron: gamma and beta are trained; the running mean and variance are kept but not trained; "
        "the batch mean and variance are recomputed for every batch and are not parameters at all")


def counts(student, units):
    got = unpack(student.call("bn_param_count", units), ("total", "trainable", "non_trainable"), "bn_param_count")
    for name, value in zip(("total", "trainable", "non_trainable"), got):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or value != int(value):
            raise Mismatch(f"bn_param_count({units}) returned {name} = {quote(value)}, expected a whole number",
                           "count parameters with integers: 2 * units, not units / 0.5")
    return tuple(int(v) for v in got)


def check(student, units):
    got, expected = counts(student, units), reference(units)
    if got == expected:
        return
    total, trainable, non_trainable = got
    hint = HINT
    if sorted(got) == sorted(expected):
        hint = "return them in the order (total, trainable, non_trainable)"
    elif trainable == 4 * units or total == 6 * units:
        hint = "the running mean and variance are not trained: they are non-trainable parameters"
    elif total in (6 * units, 8 * units) or non_trainable == 4 * units:
        hint = "the batch mean and variance are not parameters: they are recomputed for every batch"
    raise Mismatch(f"bn_param_count({units}) returned {got}, expected something else", hint)


@pytest.mark.points(0.5)
def test_bn_param_count_for_a_single_unit(student):
    """counts the parameters of a BatchNorm after a single unit"""
    check(student, 1)


@pytest.mark.points(1.0)
def test_bn_param_count_scales_with_the_number_of_units(student, partial):
    """counts the parameters for layers of 3, 10, 64, 128 and 1000 units"""
    score_cases(partial, [(f"{u} units", lambda u=u: check(student, u)) for u in (3, 10, 64, 128, 1000)])


@pytest.mark.points(0.5)
def test_bn_param_count_total_is_trainable_plus_non_trainable(student):
    """returns (total, trainable, non_trainable), with total = trainable + non_trainable"""
    for units in (5, 33):
        total, trainable, non_trainable = counts(student, units)
        if total != trainable + non_trainable:
            raise Mismatch(f"bn_param_count({units}) returned total = {total}, but trainable + non_trainable "
                           f"= {trainable + non_trainable}",
                           "return them in the order (total, trainable, non_trainable); "
                           "every parameter is either trainable or not")
        check(student, units)
