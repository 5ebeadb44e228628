"""Dense layers, activations and losses: gradient checks and stability."""

import numpy as np
import pytest

from course_lib.gradcheck import numerical_gradient, numerical_gradient_array, rel_error
from course_lib.dense import dense_forward
from course_lib.layers import (
    affine_backward,
    affine_forward,
    relu_backward,
    relu_forward,
    sigmoid,
    sigmoid_backward,
    sigmoid_forward,
    tanh_backward,
    tanh_forward,
)
from course_lib.losses import accuracy, binary_cross_entropy, mse_loss, sigmoid_binary_cross_entropy


def test_affine_gradients(rng):
    x, W, b = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    dout = rng.standard_normal((5, 3))
    _, cache = affine_forward(x, W, b)
    dx, dW, db = affine_backward(dout, cache)
    assert rel_error(dx, numerical_gradient_array(lambda v: dense_forward(v, W, b), x, dout)) < 1e-7
    assert rel_error(dW, numerical_gradient_array(lambda v: dense_forward(x, v, b), W, dout)) < 1e-7
    assert rel_error(db, numerical_gradient_array(lambda v: dense_forward(x, W, v), b, dout)) < 1e-7


@pytest.mark.parametrize(
    "forward, backward",
    [(relu_forward, relu_backward), (sigmoid_forward, sigmoid_backward), (tanh_forward, tanh_backward)],
)
def test_activation_gradients(rng, forward, backward):
    x = rng.standard_normal((4, 5))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from relu's kink
    dout = rng.standard_normal((4, 5))
    _, cache = forward(x)
    assert rel_error(backward(dout, cache), numerical_gradient_array(lambda v: forward(v)[0], x, dout)) < 1e-7


def test_sigmoid_stable_for_large_inputs():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0])


def test_dense_forward_bad_shapes():
    with pytest.raises(ValueError, match="W has 3 rows but x has 2 features"):
        dense_forward(np.ones((4, 2)), np.ones((3, 5)), np.zeros(5))
    with pytest.raises(ValueError, match=r"b must have shape \(5,\)"):
        dense_forward(np.ones((4, 3)), np.ones((3, 5)), np.zeros(4))


def test_losses_gradients(rng):
    pred, y = rng.standard_normal((6, 1)), rng.integers(0, 2, (6, 1)).astype(float)
    for loss in (mse_loss, sigmoid_binary_cross_entropy):
        _, d = loss(pred, y)
        assert rel_error(d, numerical_gradient(lambda v: loss(v, y)[0], pred)) < 1e-7
    p = sigmoid(pred)
    _, dp = binary_cross_entropy(p, y)
    assert rel_error(dp, numerical_gradient(lambda v: binary_cross_entropy(v, y)[0], p)) < 1e-6


def test_bce_from_logits_matches_probabilities_and_is_stable(rng):
    z, y = rng.standard_normal((8, 1)), rng.integers(0, 2, (8, 1)).astype(float)
    assert sigmoid_binary_cross_entropy(z, y)[0] == pytest.approx(binary_cross_entropy(sigmoid(z), y)[0], rel=1e-6)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, dz = sigmoid_binary_cross_entropy(np.array([[800.0], [-800.0]]), np.array([[0.0], [1.0]]))
    assert loss == pytest.approx(800.0) and np.isfinite(dz).all()


def test_accuracy():
    assert accuracy(np.array([0.9, 0.2, 0.6, 0.4]), np.array([1, 0, 0, 0])) == 0.75
    with pytest.raises(ValueError, match="pred has shape"):
        mse_loss(np.ones((3, 1)), np.ones((4, 1)))
