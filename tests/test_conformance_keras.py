"""course_lib against Keras 3's BatchNormalization (torch backend) under Keras' convention."""

import os

import numpy as np
import pytest

from conftest import bn_inputs, require

os.environ.setdefault("KERAS_BACKEND", "torch")
torch = require("torch")
keras = require("keras")

from course_lib.batchnorm import batchnorm_backward_alt, batchnorm_forward  # noqa: E402
from course_lib.model import Sequential, circles_model, housing_model  # noqa: E402
from course_lib.modules import BatchNorm  # noqa: E402
from course_lib.running_stats import batchnorm_inference  # noqa: E402


def test_backend_is_torch():
    assert keras.backend.backend() == "torch"


def keras_bn(D, rng, **kwargs):
    layer = keras.layers.BatchNormalization(**kwargs)
    layer.build((None, D))
    layer.gamma.assign(rng.uniform(0.5, 2, D).astype("float32"))
    layer.beta.assign(rng.uniform(-1, 1, D).astype("float32"))
    return layer


@pytest.mark.parametrize("N, D", [(4, 2), (32, 7), (300, 20)])
def test_training_forward_and_gradients_match_keras(rng, N, D):
    layer = keras_bn(D, rng)
    x, _, _, dout = bn_inputs(rng, N, D, np.float32)
    gamma, beta = (np.asarray(keras.ops.convert_to_numpy(v)) for v in (layer.gamma, layer.beta))
    xt = torch.tensor(x, requires_grad=True)
    out_k = layer(xt, training=True)
    out_k.backward(torch.tensor(dout))
    out, cache = batchnorm_forward(x, gamma, beta, eps=1e-3)   # Keras' default eps
    np.testing.assert_allclose(out, out_k.detach().cpu().numpy(), rtol=2e-4, atol=2e-5)
    dx, dgamma, dbeta = batchnorm_backward_alt(dout, cache)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=2e-3, atol=2e-4)
    np.testing.assert_allclose(dgamma, layer.gamma.value.grad.numpy(), rtol=2e-4, atol=2e-4)
    np.testing.assert_allclose(dbeta, layer.beta.value.grad.numpy(), rtol=2e-4, atol=2e-4)


@pytest.mark.parametrize("momentum", [0.99, 0.9, 0.5])
def test_moving_statistics_and_inference_match_keras(rng, momentum):
    """momentum weighs the old value and the moving variance is the biased batch variance."""
    D = 5
    layer = keras_bn(D, rng, momentum=momentum)
    ours = BatchNorm(D, convention="keras", momentum=momentum, dtype=np.float32)
    ours.params["gamma"][:] = keras.ops.convert_to_numpy(layer.gamma)
    ours.params["beta"][:] = keras.ops.convert_to_numpy(layer.beta)
    for step in range(10):
        xb = (rng.standard_normal((16, D)) * 2 + step).astype(np.float32)
        out_k = keras.ops.convert_to_numpy(layer(xb, training=True))
        np.testing.assert_allclose(ours.forward(xb, training=True), out_k, rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(ours.stats.mean, keras.ops.convert_to_numpy(layer.moving_mean), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.stats.var, keras.ops.convert_to_numpy(layer.moving_variance), rtol=1e-5, atol=1e-6)
    x_test = rng.standard_normal((1, D)).astype(np.float32)
    out_k = keras.ops.convert_to_numpy(layer(x_test, training=False))
    np.testing.assert_allclose(ours.forward(x_test, training=False), out_k, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(
        batchnorm_inference(x_test, ours.params["gamma"], ours.params["beta"], ours.stats.mean, ours.stats.var, 1e-3),
        out_k, rtol=1e-4, atol=1e-5)


def keras_counts(model):
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return model.count_params(), trainable, non_trainable


def test_notes_circle_model_counts_match_keras_summary():
    model = keras.Sequential([
        keras.Input(shape=(2,)),
        keras.layers.Dense(3, activation="relu"), keras.layers.BatchNormalization(),
        keras.layers.Dense(2, activation="relu"), keras.layers.BatchNormalization(),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    ours = circles_model(True).summary()
    assert keras_counts(model) == (ours.total, ours.trainable, ours.non_trainable) == (40, 30, 10)
    per_layer = [layer.count_params() for layer in model.layers]
    assert per_layer == [row[2] for row in ours.rows] == [9, 12, 8, 8, 3]


@pytest.mark.parametrize("batchnorm", [False, True])
def test_notes_housing_model_counts_match_keras_summary(batchnorm):
    layers = [keras.Input(shape=(8,))]
    for units in (300, 256, 128, 100, 500, 100):
        if batchnorm:
            layers.append(keras.layers.BatchNormalization())
        layers.append(keras.layers.Dense(units, activation="relu"))
    layers.append(keras.layers.Dense(1))
    ours = housing_model(batchnorm).summary()
    assert keras_counts(keras.Sequential(layers)) == (ours.total, ours.trainable, ours.non_trainable)


def test_frozen_batchnorm_counts_match_keras():
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(3), keras.layers.BatchNormalization(),
                              keras.layers.Dense(1)])
    model.layers[1].trainable = False
    ours = Sequential.from_spec("Dense(3) -> BatchNorm -> Dense(1)", 2)
    ours.layers[1].trainable = False
    s = ours.summary()
    assert keras_counts(model) == (s.total, s.trainable, s.non_trainable)
