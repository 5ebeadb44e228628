"""Notebook 07's references against PyTorch: spatial batch norm (nn.BatchNorm2d, train and eval), layer norm
(nn.LayerNorm), group norm (nn.GroupNorm), folding (nn.Linear + nn.BatchNorm1d in eval) and conv2d
(F.conv2d), each forward and backward, in float64 and float32; and gradient checks in float64."""

import numpy as np
import pytest

from conftest import require

torch = require("torch")
F = torch.nn.functional

from course_lib.compare import tolerance  # noqa: E402
from course_lib.conv import conv2d_backward, conv2d_forward  # noqa: E402
from course_lib.convnet import SpatialBatchNorm  # noqa: E402
from course_lib.folding import fold_batchnorm  # noqa: E402
from course_lib.gradcheck import numerical_gradient_array, rel_error  # noqa: E402
from course_lib.groupnorm import groupnorm_backward, groupnorm_forward  # noqa: E402
from course_lib.layernorm import layernorm_backward, layernorm_forward  # noqa: E402
from course_lib.spatial_batchnorm import spatial_batchnorm_backward, spatial_batchnorm_forward  # noqa: E402

DTYPES = [np.float64, np.float32]
# Odd shapes among them: one channel, 1x1 maps, a batch of two, H != W.
MAPS = [(2, 1, 1, 1), (2, 3, 1, 1), (1, 1, 3, 2), (4, 6, 5, 3), (7, 4, 8, 8)]


def close(got, expected, dtype, what):
    tol = tolerance(dtype)
    assert got.dtype == dtype, f"{what} has dtype {got.dtype}, expected {np.dtype(dtype)}"
    np.testing.assert_allclose(got, expected, rtol=tol.rtol, atol=tol.atol, err_msg=what)


def close_dx(got, expected, scale, dtype, what):
    """dx of a normalization sums terms of size |gamma * inv_std * dout| that cancel: its rounding error is
    measured against that size (as in test_conformance_torch)."""
    assert got.dtype == dtype, f"{what} has dtype {got.dtype}, expected {np.dtype(dtype)}"
    np.testing.assert_allclose(got / scale, expected / scale, rtol=0, atol=tolerance(dtype).atol, err_msg=what)


def maps(rng, shape, dtype):
    """Feature maps with channels on different scales and offsets, gamma, beta and an upstream gradient."""
    N, C, H, W = shape
    x = rng.standard_normal(shape) * rng.uniform(0.5, 4, (1, C, 1, 1)) + rng.uniform(-3, 3, (1, C, 1, 1))
    gamma, beta = rng.uniform(0.5, 2, C), rng.uniform(-1, 1, C)
    dout = rng.standard_normal(shape)
    return tuple(a.astype(dtype) for a in (x, gamma, beta, dout))


def torch_grads(f, dout, *arrays):
    """f's output on torch copies of arrays, and the gradients of sum(out * dout) for each."""
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = f(*ts)
    out.backward(torch.tensor(dout))
    return (out.detach().numpy(), *(t.grad.numpy() for t in ts))


# -- spatial batch norm ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [s for s in MAPS if s[0] * s[2] * s[3] >= 2])
def test_spatial_batchnorm_matches_batchnorm2d_in_training(rng, dtype, shape):
    x, gamma, beta, dout = maps(rng, shape, dtype)
    out_t, dx_t, dg_t, db_t = torch_grads(lambda a, g, b: F.batch_norm(a, None, None, g, b, training=True, eps=1e-5),
                                          dout, x, gamma, beta)
    out, cache = spatial_batchnorm_forward(x, gamma, beta)
    close(out, out_t, dtype, "out")
    dx, dgamma, dbeta = spatial_batchnorm_backward(dout, cache)
    close_dx(dx, dx_t, np.abs(gamma * cache.inv_std).max() * np.abs(dout).max(), dtype, "dx")
    close(dgamma, dg_t, dtype, "dgamma")
    close(dbeta, db_t, dtype, "dbeta")


def test_spatial_batchnorm_layer_running_statistics_and_eval_match_batchnorm2d(rng):
    """Keras' running statistics (momentum 0.9 on the old value, biased variance) are PyTorch's with momentum
    0.1 and the unbiased variance scaled back by (M - 1) / M, M = N*H*W; eval mode then agrees with
    nn.BatchNorm2d given the same running statistics."""
    C, H, W = 3, 5, 4
    ref = torch.nn.BatchNorm2d(C, momentum=1.0, dtype=torch.float64)   # momentum 1: its buffers are the batch's
    layer = SpatialBatchNorm(C, forward=spatial_batchnorm_forward, backward=spatial_batchnorm_backward)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(rng.uniform(0.5, 2, C)))
        ref.bias.copy_(torch.tensor(rng.uniform(-1, 1, C)))
    layer.params["gamma"][:] = ref.weight.detach().numpy()
    layer.params["beta"][:] = ref.bias.detach().numpy()
    running_mean, running_var = np.zeros(C), np.ones(C)
    for step in range(6):
        N = int(rng.integers(2, 9))
        xb = rng.standard_normal((N, C, H, W)) * 2 + step
        out_t = ref(torch.tensor(xb)).detach().numpy()
        close(layer.forward(xb, training=True), out_t, np.float64, f"training output, step {step}")
        M = N * H * W
        running_mean = 0.9 * running_mean + 0.1 * ref.running_mean.numpy()
        running_var = 0.9 * running_var + 0.1 * ref.running_var.numpy() * (M - 1) / M
        close(layer.state["running_mean"], running_mean, np.float64, "running_mean")
        close(layer.state["running_var"], running_var, np.float64, "running_var")
    ref.eval()
    with torch.no_grad():
        ref.running_mean.copy_(torch.tensor(layer.state["running_mean"]))
        ref.running_var.copy_(torch.tensor(layer.state["running_var"]))
    x_test = rng.standard_normal((3, C, H, W)) * 2 + 5
    dout = rng.standard_normal(x_test.shape)
    out_t, dx_t = torch_grads(ref, dout, x_test)
    close(layer.forward(x_test, training=False), out_t, np.float64, "eval output")
    close(layer.backward(dout), dx_t, np.float64, "eval dx")


# -- layer norm -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("N, D", [(1, 2), (2, 3), (5, 16), (3, 200)])
def test_layernorm_matches_torch(rng, dtype, N, D):
    x = (rng.standard_normal((N, D)) * 3 + rng.uniform(-2, 2, (N, 1))).astype(dtype)
    gamma, beta, dout = (rng.uniform(0.5, 2, D).astype(dtype), rng.uniform(-1, 1, D).astype(dtype),
                         rng.standard_normal((N, D)).astype(dtype))
    out_t, dx_t, dg_t, db_t = torch_grads(lambda a, g, b: F.layer_norm(a, (D,), g, b, eps=1e-5),
                                          dout, x, gamma, beta)
    out, cache = layernorm_forward(x, gamma, beta)
    close(out, out_t, dtype, "out")
    dx, dgamma, dbeta = layernorm_backward(dout, cache)
    close_dx(dx, dx_t, np.abs(gamma).max() * np.abs(cache.inv_std).max() * np.abs(dout).max(), dtype, "dx")
    close(dgamma, dg_t, dtype, "dgamma")
    close(dbeta, db_t, dtype, "dbeta")


# -- group norm -------------------------------------------------------------------------------------------------


def _groups(C):
    return sorted({1, 2 if C % 2 == 0 else 1, C})


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, G", [(s, G) for s in MAPS for G in _groups(s[1]) if s[1] // G * s[2] * s[3] >= 2])
def test_groupnorm_matches_torch(rng, dtype, shape, G):
    """G = 1 (layer norm over C, H, W), G = 2 and G = C (instance norm)."""
    x, gamma, beta, dout = maps(rng, shape, dtype)
    out_t, dx_t, dg_t, db_t = torch_grads(lambda a, g, b: F.group_norm(a, G, g, b, eps=1e-5), dout, x, gamma, beta)
    out, cache = groupnorm_forward(x, gamma, beta, G)
    close(out, out_t, dtype, "out")
    dx, dgamma, dbeta = groupnorm_backward(dout, cache)
    close_dx(dx, dx_t, np.abs(gamma).max() * np.abs(cache[1]).max() * np.abs(dout).max(), dtype, "dx")
    close(dgamma, dg_t, dtype, "dgamma")
    close(dbeta, db_t, dtype, "dbeta")


def test_groupnorm_layer_of_torch_with_its_parameters(rng):
    N, C, H, W = 3, 6, 4, 4
    ref = torch.nn.GroupNorm(3, C, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(rng.uniform(0.5, 2, C)))
        ref.bias.copy_(torch.tensor(rng.uniform(-1, 1, C)))
    x = rng.standard_normal((N, C, H, W)) * 3 + 1
    out, _ = groupnorm_forward(x, ref.weight.detach().numpy(), ref.bias.detach().numpy(), 3, ref.eps)
    close(out, ref(torch.tensor(x)).detach().numpy(), np.float64, "out")


# -- folding ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_fold_batchnorm_matches_torch_fused_linear_and_batchnorm1d_in_eval(rng, dtype):
    D_in, D_out = 5, 4
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
    linear = torch.nn.Linear(D_in, D_out, dtype=torch_dtype)
    bn = torch.nn.BatchNorm1d(D_out, dtype=torch_dtype)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(rng.uniform(0.5, 2, D_out)))
        bn.bias.copy_(torch.tensor(rng.uniform(-1, 1, D_out)))
        for _ in range(20):   # running statistics far from (0, 1)
            bn(linear(torch.tensor(rng.standard_normal((16, D_in)) * 3 + 2, dtype=torch_dtype)))
    linear.eval(), bn.eval()
    W, b = linear.weight.detach().numpy().T.astype(dtype), linear.bias.detach().numpy().astype(dtype)
    W_f, b_f = fold_batchnorm(W, b, bn.weight.detach().numpy(), bn.bias.detach().numpy(), bn.running_mean.numpy(),
                              bn.running_var.numpy(), bn.eps)
    fused = torch.nn.utils.fusion.fuse_linear_bn_eval(linear, bn)
    close(W_f, fused.weight.detach().numpy().T, dtype, "W_folded")
    close(b_f, fused.bias.detach().numpy(), dtype, "b_folded")
    x = rng.standard_normal((7, D_in)).astype(dtype)
    with torch.no_grad():
        expected = bn(linear(torch.tensor(x))).numpy()
    close(x @ W_f + b_f, expected, dtype, "the folded layer's output")


# -- conv2d -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape, w_shape, stride, pad", [
    ((2, 1, 8, 8), (8, 1, 3, 3), 1, 1),
    ((3, 4, 7, 5), (6, 4, 3, 2), 2, 1),
    ((1, 2, 5, 5), (3, 2, 5, 5), 1, 0),
    ((2, 3, 1, 1), (2, 3, 1, 1), 1, 0),
    ((2, 2, 6, 6), (4, 2, 3, 3), 3, 2),
])
def test_conv2d_matches_torch(rng, dtype, x_shape, w_shape, stride, pad):
    x, w = rng.standard_normal(x_shape).astype(dtype), rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    out, cache = conv2d_forward(x, w, b, stride, pad)
    dout = rng.standard_normal(out.shape).astype(dtype)
    out_t, dx_t, dw_t, db_t = torch_grads(lambda a, k, c: F.conv2d(a, k, c, stride=stride, padding=pad),
                                          dout, x, w, b)
    close(out, out_t, dtype, "out")
    for got, expected, what in zip(conv2d_backward(dout, cache), (dx_t, dw_t, db_t), ("dx", "dw", "db")):
        close(got, expected, dtype, what)


# -- gradient checks, float64 -----------------------------------------------------------------------------------


def num(f, v, dout):
    # Entries of dx near zero are where round-off shows: the fourth-order stencil keeps it below 1e-7.
    return numerical_gradient_array(f, v, dout, order=4)


# One channel of 1x1 maps; not with N = 2, where dx is of the order of eps and the difference quotient all round-off.
@pytest.mark.parametrize("shape", [(3, 1, 1, 1), (3, 2, 2, 3)])
def test_spatial_batchnorm_gradient_check(rng, shape):
    x, gamma, beta, dout = maps(rng, shape, np.float64)
    dx, dgamma, dbeta = spatial_batchnorm_backward(dout, spatial_batchnorm_forward(x, gamma, beta)[1])
    assert rel_error(dx, num(lambda v: spatial_batchnorm_forward(v, gamma, beta)[0], x, dout)) < 1e-7
    assert rel_error(dgamma, num(lambda v: spatial_batchnorm_forward(x, v, beta)[0], gamma, dout)) < 1e-7
    assert rel_error(dbeta, num(lambda v: spatial_batchnorm_forward(x, gamma, v)[0], beta, dout)) < 1e-7


@pytest.mark.parametrize("shape, G", [((2, 4, 2, 2), 1), ((2, 4, 2, 2), 2), ((2, 4, 2, 2), 4), ((1, 1, 3, 1), 1)])
def test_groupnorm_gradient_check(rng, shape, G):
    x, gamma, beta, dout = maps(rng, shape, np.float64)
    dx, dgamma, dbeta = groupnorm_backward(dout, groupnorm_forward(x, gamma, beta, G)[1])
    assert rel_error(dx, num(lambda v: groupnorm_forward(v, gamma, beta, G)[0], x, dout)) < 1e-7
    assert rel_error(dgamma, num(lambda v: groupnorm_forward(x, v, beta, G)[0], gamma, dout)) < 1e-7
    assert rel_error(dbeta, num(lambda v: groupnorm_forward(x, gamma, v, G)[0], beta, dout)) < 1e-7


def test_layernorm_gradient_check_on_a_flattened_map(rng):
    x, _, _, dout = maps(rng, (3, 2, 2, 2), np.float64)
    x, dout = x.reshape(3, 8), dout.reshape(3, 8)
    gamma, beta = rng.uniform(0.5, 2, 8), rng.uniform(-1, 1, 8)
    dx, dgamma, dbeta = layernorm_backward(dout, layernorm_forward(x, gamma, beta)[1])
    assert rel_error(dx, num(lambda v: layernorm_forward(v, gamma, beta)[0], x, dout)) < 1e-7
    assert rel_error(dgamma, num(lambda v: layernorm_forward(x, v, beta)[0], gamma, dout)) < 1e-7
    assert rel_error(dbeta, num(lambda v: layernorm_forward(x, gamma, v)[0], beta, dout)) < 1e-7


@pytest.mark.parametrize("stride, pad", [(1, 1), (2, 0), (2, 2)])
def test_conv2d_gradient_check(rng, stride, pad):
    x, w, b = rng.standard_normal((2, 2, 5, 4)), rng.standard_normal((3, 2, 3, 2)), rng.standard_normal(3)
    out, cache = conv2d_forward(x, w, b, stride, pad)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv2d_backward(dout, cache)
    assert rel_error(dx, num(lambda v: conv2d_forward(v, w, b, stride, pad)[0], x, dout)) < 1e-7
    assert rel_error(dw, num(lambda v: conv2d_forward(x, v, b, stride, pad)[0], w, dout)) < 1e-7
    assert rel_error(db, num(lambda v: conv2d_forward(x, w, v, stride, pad)[0], b, dout)) < 1e-7
