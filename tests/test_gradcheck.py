import numpy as np
import pytest

from course_lib.gradcheck import numerical_gradient, numerical_gradient_array, rel_error


@pytest.mark.parametrize("order", [2, 4])
def test_known_gradient(rng, order):
    x = rng.standard_normal((3, 4))
    grad = numerical_gradient(lambda v: np.sum(v**3) + np.sum(np.sin(v)), x, order=order)
    assert rel_error(grad, 3 * x**2 + np.cos(x)) < 1e-8


def test_array_version_and_no_mutation(rng):
    x, dout = rng.standard_normal(5), rng.standard_normal(5)
    x0 = x.copy()
    grad = numerical_gradient_array(np.exp, x, dout)
    np.testing.assert_array_equal(x, x0)
    assert rel_error(grad, np.exp(x) * dout) < 1e-8


def test_rel_error():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0
    assert rel_error(np.array([1.0]), np.array([1.1])) == pytest.approx(0.1 / 2.1)
    with pytest.raises(ValueError, match="shapes differ"):
        rel_error(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="order must be 2 or 4"):
        numerical_gradient(np.sum, np.ones(2), order=3)
