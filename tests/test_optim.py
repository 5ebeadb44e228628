import numpy as np
import pytest

from course_lib.optim import SGD, Adam, Momentum, make_optimizer


@pytest.mark.parametrize("opt", [SGD(0.04), Momentum(0.02), Adam(0.1)])
def test_minimizes_a_quadratic(opt):
    w = np.array([3.0, -2.0])
    for _ in range(500):
        opt.step([w], [2 * (w - [1.0, 1.0]) * [1.0, 10.0]])
    np.testing.assert_allclose(w, [1, 1], atol=1e-2)


def test_sgd_step_exact():
    w = np.array([1.0])
    SGD(0.5).step([w], [np.array([2.0])])
    assert w[0] == 0.0


def test_adam_first_step_is_keras_formula():
    """Keras adds eps to the uncorrected sqrt(v): lr * sqrt(1-b2)/(1-b1) * m / (sqrt(v) + eps)."""
    g = np.array([5.0, -0.001])
    w = np.zeros(2)
    Adam(0.01).step([w], [g])
    m, v = 0.1 * g, 0.001 * g**2
    expected = -0.01 * np.sqrt(0.001) / 0.1 * m / (np.sqrt(v) + 1e-7)
    np.testing.assert_allclose(w, expected, rtol=1e-12)
    np.testing.assert_allclose(w, [-0.01, 0.01], rtol=5e-3)  # about lr, whatever the gradient's size


def test_bad_optimizer_arguments():
    with pytest.raises(ValueError, match="learning rate must be a positive number"):
        SGD(-1)
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'"):
        make_optimizer("rmsprop")
