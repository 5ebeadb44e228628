"""course_lib against torch.nn.BatchNorm1d under PyTorch's convention."""

import numpy as np
import pytest

from conftest import bn_inputs, require

torch = require("torch")
F = torch.nn.functional

from course_lib.batchnorm import batchnorm_backward, batchnorm_backward_alt, batchnorm_forward  # noqa: E402
from course_lib.modules import BatchNorm  # noqa: E402
from course_lib.running_stats import batchnorm_inference  # noqa: E402

TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-4, atol=2e-5)}
# dx sums terms of size |gamma * inv_std * dout| that cancel (for N = 2 almost entirely:
# dx is proportional to eps / (var + eps)), so its rounding error is measured against
# the size of those terms. Summation order alone moves float64 by ~1e-12 of it.
DX_TOL = {np.float64: 1e-10, np.float32: 5e-5}


def torch_bn(x, gamma, beta, dout, eps):
    xt = torch.tensor(x, requires_grad=True)
    gt = torch.tensor(gamma, requires_grad=True)
    bt = torch.tensor(beta, requires_grad=True)
    out = F.batch_norm(xt, None, None, gt, bt, training=True, eps=eps)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), xt.grad.numpy(), gt.grad.numpy(), bt.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("N, D", [(2, 3), (16, 5), (257, 33)])
@pytest.mark.parametrize("eps", [1e-5, 1e-3, 0.1])
def test_forward_and_backward_match_torch(rng, dtype, N, D, eps):
    x, gamma, beta, dout = bn_inputs(rng, N, D, dtype)
    out_t, dx_t, dg_t, db_t = torch_bn(x, gamma, beta, dout, eps)
    out, cache = batchnorm_forward(x, gamma, beta, eps)
    np.testing.assert_allclose(out, out_t, **TOL[dtype])
    for backward in (batchnorm_backward, batchnorm_backward_alt):
        dx, dgamma, dbeta = backward(dout, cache)
        scale = np.abs(gamma * cache.inv_std * dout).max()
        np.testing.assert_allclose(dx / scale, dx_t / scale, rtol=0, atol=DX_TOL[dtype])
        np.testing.assert_allclose(dgamma, dg_t, **TOL[dtype])
        np.testing.assert_allclose(dbeta, db_t, **TOL[dtype])


@pytest.mark.parametrize("N", [2, 8, 128])
def test_float32_backward_as_accurate_as_torch(rng, N):
    """Against a float64 ground truth, our float32 dx is no less accurate than PyTorch's."""
    errors = {"ours": 0.0, "torch": 0.0}
    for _ in range(20):
        x, gamma, beta, dout = bn_inputs(rng, N, 6)
        _, cache64 = batchnorm_forward(x, gamma, beta)
        truth = batchnorm_backward_alt(dout, cache64)[0]
        scale = np.abs(gamma * cache64.inv_std * dout).max()
        x32, g32, b32, d32 = (a.astype(np.float32) for a in (x, gamma, beta, dout))
        _, cache32 = batchnorm_forward(x32, g32, b32)
        ours = batchnorm_backward_alt(d32, cache32)[0]
        dx_t = torch_bn(x32, g32, b32, d32, 1e-5)[1]
        errors["ours"] = max(errors["ours"], np.abs(ours - truth).max() / scale)
        errors["torch"] = max(errors["torch"], np.abs(dx_t - truth).max() / scale)
    assert errors["ours"] < 1e-4   # N = 2 is the worst-conditioned batch: both reach ~1.2e-5 there
    assert errors["ours"] <= 1.25 * errors["torch"] + 1e-7


@pytest.mark.parametrize("momentum, convention", [(0.1, "pytorch"), (0.3, "pytorch"), (None, "paper")])
def test_running_statistics_and_eval_mode_match_batchnorm1d(rng, momentum, convention):
    """momentum weighs the new batch, the running variance is unbiased; momentum=None is the paper's average."""
    D = 4
    ref = torch.nn.BatchNorm1d(D, momentum=momentum, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(rng.uniform(0.5, 2, D)))
        ref.bias.copy_(torch.tensor(rng.uniform(-1, 1, D)))
    ours = BatchNorm(D, convention=convention, momentum=momentum)
    ours.params["gamma"][:] = ref.weight.detach().numpy()
    ours.params["beta"][:] = ref.bias.detach().numpy()
    for step in range(12):
        xb = rng.standard_normal((int(rng.integers(2, 20)), D)) * 3 + step
        out_t = ref(torch.tensor(xb)).detach().numpy()
        np.testing.assert_allclose(ours.forward(xb, training=True), out_t, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.stats.mean, ref.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.stats.var, ref.running_var.numpy(), rtol=1e-12)
    ref.eval()
    x_test = rng.standard_normal((3, D))
    expected = ref(torch.tensor(x_test)).detach().numpy()
    np.testing.assert_allclose(ours.forward(x_test, training=False), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        batchnorm_inference(x_test, ours.params["gamma"], ours.params["beta"], ours.stats.mean, ours.stats.var),
        expected, rtol=1e-10, atol=1e-12)


def test_training_steps_match_torch(rng):
    """A Dense -> BN -> ReLU -> Dense model takes the same SGD steps in both libraries."""
    from course_lib.losses import mse_loss
    from course_lib.model import Sequential
    from course_lib.optim import SGD

    ours = Sequential.from_spec("Dense(6) -> BatchNorm -> ReLU -> Dense(1)", 3, seed=2, convention="pytorch")
    ref = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(), torch.nn.Linear(6, 1)).double()
    with torch.no_grad():
        for i_ref, layer in ((0, ours.layers[0]), (3, ours.layers[3])):
            ref[i_ref].weight.copy_(torch.tensor(layer.params["W"].T))
            ref[i_ref].bias.copy_(torch.tensor(layer.params["b"]))
    opt_t = torch.optim.SGD(ref.parameters(), lr=0.05)
    opt = SGD(0.05)
    for _ in range(5):
        xb, yb = rng.standard_normal((10, 3)), rng.standard_normal((10, 1))
        loss, dout = mse_loss(ours.forward(xb, training=True), yb)
        ours.backward(dout)
        opt.step(ours.parameters(), ours.gradients())
        opt_t.zero_grad()
        loss_t = torch.mean((ref(torch.tensor(xb)) - torch.tensor(yb)) ** 2)
        loss_t.backward()
        opt_t.step()
        assert loss == pytest.approx(loss_t.item(), rel=1e-10)
    np.testing.assert_allclose(ours.layers[0].params["W"], ref[0].weight.detach().numpy().T, rtol=1e-9)
    np.testing.assert_allclose(ours.layers[1].stats.var, ref[1].running_var.numpy(), rtol=1e-10)
