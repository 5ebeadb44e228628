"""The Sequential model: specs, parameter counts, modes, and gradients end to end."""

import numpy as np
import pytest

from course_lib.gradcheck import numerical_gradient, rel_error
from course_lib.losses import mse_loss
from course_lib.model import Sequential, circles_model, housing_model, mlp, parse_spec
from course_lib.modules import REFERENCE_BN, BatchNorm, BNFunctions, Dense

NOTES_SPEC = "Dense(3, relu) -> BatchNorm -> Dense(2, relu) -> BatchNorm -> Dense(1, sigmoid)"


def test_notes_model_parameter_counts():
    s = Sequential.from_spec(NOTES_SPEC, input_dim=2).summary()
    counts = [row[2] for row in s.rows]
    assert counts == [9, 12, 8, 8, 3]          # BN adds 4n: 12 for n=3, 8 for n=2
    assert (s.total, s.trainable, s.non_trainable) == (40, 30, 10)
    assert "Non-trainable params: 10" in str(s)


def test_spec_forms_agree():
    as_list = [p.strip() for p in NOTES_SPEC.split("->")]
    unicode = NOTES_SPEC.replace("->", "→")
    for spec in (as_list, unicode):
        assert Sequential.from_spec(spec, 2).summary() == Sequential.from_spec(NOTES_SPEC, 2).summary()


def test_parse_spec_kwargs():
    assert parse_spec("BatchNorm(momentum=0.9, convention=pytorch)") == [
        ("BatchNorm", (), {"momentum": 0.9, "convention": "pytorch"})
    ]


@pytest.mark.parametrize("spec, match", [
    ("Dense(3, relu) -> Conv2D(3)", "cannot read layer 'Conv2D\\(3\\)'"),
    ("", "spec is empty"),
    ("Dense()", "Dense needs a number of units"),
    ("Dense(3, swish)", "unknown activation 'swish'"),
    ("BatchNorm(convention=caffe)", "unknown convention 'caffe'"),
])
def test_bad_specs(spec, match):
    with pytest.raises(ValueError, match=match):
        Sequential.from_spec(spec, 2)


def test_seeded_initialisation():
    a, b, c = (circles_model(True, seed=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(a.parameters()[0], b.parameters()[0])
    assert not np.array_equal(a.parameters()[0], c.parameters()[0])


def test_bn_position():
    after = mlp(2, (3,), batchnorm=True, bn_position="after")
    before = mlp(2, (3,), batchnorm=True, bn_position="before")
    assert [type(l).__name__ for l in after.layers] == ["Dense", "BatchNorm", "Dense"]
    assert [type(l).__name__ for l in before.layers] == ["Dense", "BatchNorm", "Activation", "Dense"]
    assert after.summary().total == before.summary().total
    with pytest.raises(ValueError, match="bn_position must be"):
        mlp(2, (3,), batchnorm=True, bn_position="middle")


def test_housing_model_matches_the_notes():
    plain, with_bn = housing_model(False), housing_model(True)
    assert plain.summary().total == 8*300+300 + 300*256+256 + 256*128+128 + 128*100+100 + 100*500+500 + 500*100+100 + 101
    bn_units = 8 + 300 + 256 + 128 + 100 + 500
    assert with_bn.summary().total - plain.summary().total == 4 * bn_units
    assert with_bn.summary().non_trainable == 2 * bn_units


def test_train_and_eval_modes(rng):
    model = Sequential.from_spec("Dense(4) -> BatchNorm", 3)
    x = rng.standard_normal((16, 3)) * 5 + 2
    train_out = model.forward(x, training=True)
    np.testing.assert_allclose(train_out.mean(axis=0), 0, atol=1e-10)
    bn = model.layers[1]
    assert bn.stats.count == 1 and not np.allclose(bn.stats.mean, 0)
    before = bn.stats
    eval_out = model.forward(x, training=False)
    assert bn.stats is before                                   # eval mode updates nothing
    assert not np.allclose(eval_out, train_out)                 # and uses the running statistics
    assert model.predict(x[:1]).shape == (1, 4)                 # a single sample works at inference


@pytest.mark.parametrize("position", ["before", "after"])
def test_model_gradient_check(rng, position):
    model = mlp(3, (4, 3), activation="tanh", batchnorm=True, bn_position=position, seed=1)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 1))
    out = model.forward(x, training=True)
    _, dout = mse_loss(out, y)
    model.backward(dout)
    for (layer, key), p, g in zip(model._refs(), model.parameters(), model.gradients()):
        def loss_of(v, p=p):
            saved = p.copy()
            p[...] = v
            value = mse_loss(model.forward(x, training=True), y)[0]
            p[...] = saved
            return value
        num = numerical_gradient(loss_of, p.copy())
        bias_into_bn = position == "before" and isinstance(layer, Dense) and key == "b" and layer is not model.layers[-1]
        if bias_into_bn:
            # BN subtracts the batch mean, so a bias just before it has no effect and no gradient.
            assert np.abs(g).max() < 1e-12 and np.abs(num).max() < 1e-9
        else:
            assert rel_error(g, num) < 1e-7


def test_frozen_batchnorm_is_non_trainable(rng):
    model = Sequential.from_spec("Dense(3) -> BatchNorm -> Dense(1)", 2)
    x = rng.standard_normal((5, 2))
    model.forward(x, training=True)
    model.parameters()                                          # a first run has read the parameters
    model.layers[1].trainable = False
    assert not any(p is model.layers[1].params["gamma"] for p in model.parameters())
    s = model.summary()
    assert (s.trainable, s.non_trainable) == (9 + 4, 12)
    frozen = model.layers[1].stats
    model.forward(rng.standard_normal((5, 2)), training=True)
    assert model.layers[1].stats is frozen and frozen.count == 1  # statistics frozen after the first step


def test_bn_functions_are_pluggable(rng):
    calls = []

    def spy_forward(x, gamma, beta, eps):
        from course_lib.batchnorm import batchnorm_forward
        calls.append("forward")
        return batchnorm_forward(x, gamma, beta, eps)

    fns = REFERENCE_BN._replace(forward=spy_forward)
    model = Sequential.from_spec("Dense(3) -> BatchNorm", 2, bn_fns=fns)
    model.forward(rng.standard_normal((4, 2)), training=True)
    assert calls == ["forward"]


def test_input_width_checked():
    with pytest.raises(ValueError, match="expects 2 input features, got 3"):
        circles_model(False).forward(np.ones((4, 3)))


def test_dense_bad_units():
    with pytest.raises(ValueError, match="units must be a positive integer"):
        Dense(2, 0)
    with pytest.raises(ValueError, match="unknown convention"):
        BatchNorm(3, convention="nope")


def test_eval_mode_batchnorm_backward_gradient_check(rng):
    """Frozen BN (fine-tuning) is an affine map with the running statistics; check its gradients."""
    layer = BatchNorm(3, convention="pytorch")
    for _ in range(5):
        layer.forward(rng.standard_normal((8, 3)) * 2 + 1, training=True)
    layer.params["gamma"][:] = [0.5, 1.5, 2.0]
    x, dout = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    layer.forward(x, training=False)
    dx = layer.backward(dout)

    def run(gamma=None, beta=None, xv=x):
        saved = {k: v.copy() for k, v in layer.params.items()}
        if gamma is not None:
            layer.params["gamma"][:] = gamma
        if beta is not None:
            layer.params["beta"][:] = beta
        out = layer.forward(xv, training=False)
        layer.params.update(saved)
        return out

    from course_lib.gradcheck import numerical_gradient_array
    assert rel_error(dx, numerical_gradient_array(lambda v: run(xv=v), x, dout)) < 1e-7
    assert rel_error(layer.grads["gamma"], numerical_gradient_array(lambda v: run(gamma=v), layer.params["gamma"], dout)) < 1e-7
    assert rel_error(layer.grads["beta"], numerical_gradient_array(lambda v: run(beta=v), layer.params["beta"], dout)) < 1e-7


def test_bn_functions_need_all_four():
    # a partial set must not fall back on the reference without anyone noticing
    with pytest.raises(TypeError):
        BNFunctions(forward=REFERENCE_BN.forward)
