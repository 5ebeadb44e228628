"""course_lib.convnet: its layers' gradients, the digits network against the same network in PyTorch, the
functions its norm layers call, and fit_convnet."""

import subprocess
import sys

import numpy as np
import pytest

from conftest import require
from course_lib.compare import tolerance
from course_lib.convnet import (NORMS, Conv2D, ConvNet, Flatten, GlobalAvgPool, GroupNorm, LayerNorm2d, MaxPool2,
                                ReLU, SpatialBatchNorm, digits_convnet, fit_convnet, predict_classes,
                                softmax_cross_entropy)
from course_lib.gradcheck import numerical_gradient, numerical_gradient_array, rel_error
from course_lib.groupnorm import groupnorm_backward, groupnorm_forward
from course_lib.layernorm import layernorm_backward, layernorm_forward
from course_lib.modules import Dense
from course_lib.running_stats import batchnorm_inference
from course_lib.spatial_batchnorm import spatial_batchnorm_backward, spatial_batchnorm_forward

REFERENCES = {"spatial_batchnorm_forward": spatial_batchnorm_forward,
              "spatial_batchnorm_backward": spatial_batchnorm_backward,
              "layernorm_forward": layernorm_forward, "layernorm_backward": layernorm_backward,
              "groupnorm_forward": groupnorm_forward, "batchnorm_inference": batchnorm_inference}


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    data = load_digits()
    return (data.images / 16.0)[:, None], data.target


def maps(rng, shape):
    C = shape[1]
    return rng.standard_normal(shape) * rng.uniform(0.5, 3, (1, C, 1, 1)) + rng.uniform(-2, 2, (1, C, 1, 1))


def gradient_check(layer, x, rng, order=4):
    """The layer's dx and parameter gradients against centred differences of its training-mode forward."""
    dout = rng.standard_normal(layer.forward(x, training=True).shape)
    dx = layer.backward(dout)
    assert rel_error(dx, numerical_gradient_array(lambda v: layer.forward(v, training=True), x, dout,
                                                  order=order)) < 1e-7, "dx"
    for key in layer.params:
        analytic, saved = layer.grads[key].copy(), layer.params[key]

        def f(v):
            layer.params[key] = v
            try:
                return layer.forward(x, training=True)
            finally:
                layer.params[key] = saved

        assert rel_error(analytic, numerical_gradient_array(f, saved, dout, order=order)) < 1e-7, key


# -- the layers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make, shape", [
    (lambda rng: Conv2D(2, 3, rng=rng), (2, 2, 4, 3)),
    (lambda rng: Conv2D(2, 3, 2, pad=0, stride=2, rng=rng), (2, 2, 5, 5)),
    (lambda rng: SpatialBatchNorm(3, forward=spatial_batchnorm_forward, backward=spatial_batchnorm_backward),
     (3, 3, 2, 2)),
    (lambda rng: LayerNorm2d((2, 2, 3)), (3, 2, 2, 3)),
    (lambda rng: GroupNorm(4, 2), (2, 4, 2, 2)),
    (lambda rng: GroupNorm(3, 3), (2, 3, 2, 2)),
    (lambda rng: GlobalAvgPool(), (2, 3, 2, 3)),
    (lambda rng: Flatten(), (2, 3, 2, 2)),
], ids=["conv", "conv-stride-2", "spatial-bn", "layernorm", "groupnorm-G2", "instancenorm", "gap", "flatten"])
def test_layer_gradients(rng, make, shape):
    layer = make(rng)
    for key in layer.params:   # parameters away from their initial 1 and 0
        layer.params[key] = layer.params[key] + rng.uniform(-0.5, 0.5, layer.params[key].shape)
    gradient_check(layer, maps(rng, shape), rng)


@pytest.mark.parametrize("layer", [ReLU(), MaxPool2()], ids=repr)
def test_kinked_layer_gradients(rng, layer):
    # Kinks: second-order differences with a small step, on inputs kept away from them.
    x = rng.permutation(np.linspace(-3, 3, 2 * 3 * 5 * 5)).reshape(2, 3, 5, 5)
    x[np.abs(x) < 0.1] += 0.5
    gradient_check(layer, x, rng, order=2)


def test_spatial_batchnorm_eval_mode_gradient(rng):
    layer = SpatialBatchNorm(2, forward=spatial_batchnorm_forward, backward=spatial_batchnorm_backward)
    layer.state = {"running_mean": rng.standard_normal(2), "running_var": rng.uniform(0.5, 2, 2)}
    layer.params["gamma"] = rng.uniform(0.5, 2, 2)
    x = maps(rng, (2, 2, 3, 3))
    dout = rng.standard_normal(x.shape)
    layer.forward(x, training=False)
    dx = layer.backward(dout)
    assert rel_error(dx, numerical_gradient_array(lambda v: layer.forward(v), x, dout)) < 1e-7
    dgamma = layer.grads["gamma"]
    gamma = layer.params["gamma"]

    def f(v):
        layer.params["gamma"] = v
        return layer.forward(x)

    assert rel_error(dgamma, numerical_gradient_array(f, gamma, dout)) < 1e-7


def test_groupnorm_layer_gradient_is_the_reference_groupnorm_backward(rng):
    """The gradient taken through layer norm of the (N*G, C/G*H*W) view is group norm's."""
    layer = GroupNorm(6, 3)
    layer.params["gamma"], layer.params["beta"] = rng.uniform(0.5, 2, 6), rng.uniform(-1, 1, 6)
    x = maps(rng, (4, 6, 3, 3))
    out = layer.forward(x, training=True)
    dout = rng.standard_normal(out.shape)
    ref_out, cache = groupnorm_forward(x, layer.params["gamma"], layer.params["beta"], 3)
    np.testing.assert_array_equal(out, ref_out)
    dx, dgamma, dbeta = groupnorm_backward(dout, cache)
    tol = tolerance(np.float64)
    for got, expected in ((layer.backward(dout), dx), (layer.grads["gamma"], dgamma), (layer.grads["beta"], dbeta)):
        np.testing.assert_allclose(got, expected, rtol=tol.rtol, atol=tol.atol)


def test_spatial_batchnorm_running_statistics_are_keras_style(rng):
    layer = SpatialBatchNorm(3, forward=spatial_batchnorm_forward, backward=spatial_batchnorm_backward)
    x1, x2 = maps(rng, (4, 3, 2, 2)), maps(rng, (5, 3, 3, 2)) + 1
    layer.forward(x1, training=True)
    layer.forward(x2, training=True)
    mean = [x.mean(axis=(0, 2, 3)) for x in (x1, x2)]
    var = [x.var(axis=(0, 2, 3)) for x in (x1, x2)]
    np.testing.assert_allclose(layer.state["running_mean"], 0.9 * 0.1 * mean[0] + 0.1 * mean[1], rtol=1e-12)
    np.testing.assert_allclose(layer.state["running_var"], 0.81 + 0.9 * 0.1 * var[0] + 0.1 * var[1], rtol=1e-12)
    before = {k: v.copy() for k, v in layer.state.items()}
    layer.forward(x1, training=False)
    assert all(np.array_equal(layer.state[k], before[k]) for k in before), "eval mode changed the running statistics"


def test_maxpool_and_global_average_pool_match_torch_ties_and_odd_sizes_included(rng):
    torch = require("torch")
    x = np.maximum(rng.standard_normal((2, 3, 5, 7)), 0)   # zeros after a ReLU: ties in many windows
    x[0, 0, :2, :2] = 1.5
    dout_pool = rng.standard_normal((2, 3, 2, 3))
    xt = torch.tensor(x, requires_grad=True)
    out_t = torch.nn.functional.max_pool2d(xt, 2)
    out_t.backward(torch.tensor(dout_pool))
    pool = MaxPool2()
    np.testing.assert_array_equal(pool.forward(x), out_t.detach().numpy())
    np.testing.assert_array_equal(pool.backward(dout_pool), xt.grad.numpy())
    xt = torch.tensor(x, requires_grad=True)
    dout_gap = rng.standard_normal((2, 3))
    out_t = xt.mean(dim=(2, 3))
    out_t.backward(torch.tensor(dout_gap))
    gap = GlobalAvgPool()
    np.testing.assert_allclose(gap.forward(x), out_t.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(gap.backward(dout_gap), xt.grad.numpy(), rtol=1e-12)


def test_softmax_cross_entropy_gradient_and_large_logits(rng):
    logits, y = rng.standard_normal((5, 4)) * 3, rng.integers(0, 4, 5)
    loss, dlogits = softmax_cross_entropy(logits, y)
    assert rel_error(dlogits, numerical_gradient(lambda v: softmax_cross_entropy(v, y)[0], logits,
                                                        order=4)) < 1e-7
    big, _ = softmax_cross_entropy(logits + 1000, y)
    assert big == pytest.approx(loss, rel=1e-12)


# -- the digits network -----------------------------------------------------------------------------------------


def torch_twin(model):
    """The same network in PyTorch, with the same weights."""
    torch = require("torch")
    nn = torch.nn
    layers = []
    for layer in model.layers:
        p = {k: torch.tensor(v) for k, v in layer.params.items()}
        if isinstance(layer, Conv2D):
            F, C, k, _ = layer.params["w"].shape
            t = nn.Conv2d(C, F, k, stride=layer.stride, padding=layer.pad, dtype=torch.float64)
            t.weight.data, t.bias.data = p["w"], p["b"]
        elif isinstance(layer, SpatialBatchNorm):
            t = nn.BatchNorm2d(layer.C, eps=layer.eps, momentum=1 - layer.momentum, dtype=torch.float64)
            t.weight.data, t.bias.data = p["gamma"], p["beta"]
        elif isinstance(layer, LayerNorm2d):
            t = nn.LayerNorm(layer.shape, eps=layer.eps, dtype=torch.float64)
            t.weight.data, t.bias.data = p["gamma"].reshape(layer.shape), p["beta"].reshape(layer.shape)
        elif isinstance(layer, GroupNorm):
            t = nn.GroupNorm(layer.G, layer.C, eps=layer.eps, dtype=torch.float64)
            t.weight.data, t.bias.data = p["gamma"], p["beta"]
        elif isinstance(layer, Dense):
            t = nn.Linear(*layer.params["W"].shape, dtype=torch.float64)
            t.weight.data, t.bias.data = p["W"].T.contiguous(), p["b"]
        else:
            t = {ReLU: nn.ReLU(), MaxPool2: nn.MaxPool2d(2),
                 GlobalAvgPool: nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())}[type(layer)]
        layers.append(t)
    return nn.Sequential(*layers)


@pytest.mark.parametrize("norm", [None, "bn", "ln", "gn"])
def test_sgd_steps_of_the_digits_convnet_match_torch(digits, norm):
    """Three full-batch steps of SGD with momentum: the same losses, weights and running means as PyTorch."""
    torch = require("torch")
    X, y = digits[0][:24], digits[1][:24]
    model = digits_convnet(norm, seed=3)
    twin = torch_twin(model)
    history = fit_convnet(model, X, y, epochs=3, batch_size=len(X), lr=0.05, momentum=0.9)
    opt = torch.optim.SGD(twin.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(twin(torch.tensor(X)), torch.tensor(y))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    tol = tolerance(np.float64)
    np.testing.assert_allclose(history.loss, losses, rtol=tol.rtol, atol=tol.atol)
    for ours, theirs in zip(model.layers, twin):
        for key, value in ours.params.items():
            expected = dict(zip(ours.params, theirs.parameters()))[key].detach().numpy()
            np.testing.assert_allclose(value, expected.T if key == "W" else expected.reshape(value.shape),
                                       rtol=tol.rtol, atol=tol.atol, err_msg=f"{ours!r} {key}")
        if isinstance(ours, SpatialBatchNorm):   # Keras' running variance is biased: only the means agree
            np.testing.assert_allclose(ours.state["running_mean"], theirs.running_mean.numpy(),
                                       rtol=tol.rtol, atol=tol.atol)


@pytest.mark.parametrize("norm", ["bn", "ln", "gn"])
def test_the_norm_layers_call_the_functions_given(digits, norm):
    calls = []

    def spy(name):
        def fn(*args):
            calls.append(name)
            return REFERENCES[name](*args)
        return fn

    model = digits_convnet(norm, fns={name: spy(name) for name in NORMS[norm]})
    fit_convnet(model, *digits, epochs=1, batch_size=len(digits[1]))
    training = [name for name in NORMS[norm] if name != "batchnorm_inference"]
    assert sorted(calls) == sorted(2 * training), "each of the two norm layers calls each function once"
    if norm == "bn":
        calls.clear()
        model.forward(digits[0], training=False)
        assert calls == ["batchnorm_inference"] * 2, "in eval mode each BN layer normalizes with batchnorm_inference"


def test_the_norm_layers_default_to_the_references():
    for gn in (GroupNorm(4, 2), digits_convnet("gn", fns={"layernorm_backward": layernorm_backward}).layers[1]):
        assert (gn.fwd, gn.ln_fwd, gn.ln_bwd) == (groupnorm_forward, layernorm_forward, layernorm_backward)
    for bn in (SpatialBatchNorm(3), digits_convnet("bn").layers[1]):
        assert (bn.fwd, bn.bwd, bn.inf) == (spatial_batchnorm_forward, spatial_batchnorm_backward, batchnorm_inference)
    for ln in (LayerNorm2d((2, 3, 3)), digits_convnet("ln").layers[1]):
        assert (ln.fwd, ln.bwd) == (layernorm_forward, layernorm_backward)


def test_importing_the_module_imports_no_reference():
    """It ships to students, whose bundle holds no reference: it must find the functions it calls at run time."""
    code = ("import sys, course_lib.convnet\n"
            "from course_lib.exercises import EXERCISES\n"
            "refs = {'course_lib.' + e.reference.split(':')[0] for e in EXERCISES}\n"
            "print(sorted(refs & set(sys.modules)))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_digits_convnet_layout_and_bad_arguments():
    model = digits_convnet("gn", filters=(4, 6), groups=2)
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D", "GroupNorm", "ReLU", "MaxPool2", "Conv2D", "GroupNorm", "ReLU", "GlobalAvgPool", "Dense"]
    assert model.classes == 10 and len(model.parameters()) == len(model.gradients()) == 10
    assert isinstance(digits_convnet(), ConvNet) and len(digits_convnet().layers) == 7
    with pytest.raises(ValueError, match="norm must be None, 'bn', 'ln' or 'gn'"):
        digits_convnet("batchnorm")
    with pytest.raises(ValueError, match="does not call"):
        digits_convnet("bn", fns={"layernorm_forward": layernorm_forward})
    with pytest.raises(ValueError, match="must divide"):
        digits_convnet("gn", filters=(6, 9), groups=2)


# -- training ---------------------------------------------------------------------------------------------------


def test_fit_convnet_learns_and_is_repeatable(digits):
    X, y = digits
    runs = [fit_convnet(digits_convnet("bn", seed=1), X[:400], y[:400], epochs=3, seed=s, X_val=X[400:600],
                        y_val=y[400:600]) for s in (0, 0, 1)]
    h = runs[0]
    assert h.metric_name == "accuracy" and h.epochs == 3 and len(h.val_metric) == len(h.val_loss) == 3
    assert h.loss[-1] < h.loss[0] and h.val_metric[-1] > 0.3 and h.stopped is None
    assert runs[0] == runs[1], "the same seed gives the same run"
    assert runs[0].loss != runs[2].loss, "the seed shuffles the batches"


def test_fit_convnet_float32_stays_float32(digits):
    model = digits_convnet("bn", dtype=np.float32)
    fit_convnet(model, digits[0][:64], digits[1][:64], epochs=1)
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float32)}
    assert model.forward(digits[0][:5].astype(np.float32)).dtype == np.float32


def test_fit_convnet_stops_when_the_loss_is_not_finite(digits):
    X = digits[0][:64].copy()
    X[5, 0, 3, 3] = np.nan
    with np.errstate(all="ignore"):
        h = fit_convnet(digits_convnet(None), X, digits[1][:64], epochs=3, batch_size=64)
    assert h.stopped is not None and "loss became nan" in h.stopped and h.epochs == 0


@pytest.mark.parametrize("X, y, match", [
    (np.zeros((4, 64)), np.zeros(4, int), r"shape \(N, C, H, W\)"),
    (np.zeros((4, 1, 8, 8)), np.zeros(3, int), r"shape \(4,\), one label per image"),
    (np.zeros((4, 1, 8, 8)), np.array([0, 1, 2, 10]), r"class labels 0 \.\. 9"),
    (np.zeros((4, 1, 8, 8)), np.array([0, 1, 2, -1]), r"class labels 0 \.\. 9"),
    (np.zeros((4, 1, 8, 8)), np.array([0, 1.5, 2, 3]), "integer class labels"),
    (np.zeros((4, 1, 8, 8)), np.zeros((4, 1), int), r"shape \(4,\)"),
], ids=["X 2-D", "a label short", "label 10", "label -1", "label 1.5", "labels (N, 1)"])
def test_fit_convnet_rejects_bad_data(X, y, match):
    with pytest.raises(ValueError, match=match):
        fit_convnet(digits_convnet(None), X, y, epochs=1)


def test_fit_convnet_rejects_bad_settings():
    X, y = np.zeros((4, 1, 8, 8)), np.arange(4)
    with pytest.raises(ValueError, match="both X_val and y_val"):
        fit_convnet(digits_convnet(None), X, y, epochs=1, X_val=X)
    with pytest.raises(ValueError, match="positive integers"):
        fit_convnet(digits_convnet(None), X, y, epochs=0)


def test_predict_classes(digits):
    X = digits[0][:50]
    model = digits_convnet("bn")
    fit_convnet(model, X, digits[1][:50], epochs=2)
    pred = predict_classes(model, X)
    assert pred.shape == (50,) and pred.dtype.kind == "i"
    np.testing.assert_array_equal(pred, model.forward(X).argmax(axis=1))
    batch = model.forward(X, training=True).argmax(axis=1)
    np.testing.assert_array_equal(predict_classes(model, X, training=True), batch)
