import numpy as np
import pytest

from course_lib.gradcheck import numerical_gradient_array, rel_error
from course_lib.layernorm import layernorm_backward, layernorm_forward
from conftest import bn_inputs


def test_each_sample_normalized(rng):
    x, _, _, _ = bn_inputs(rng, N=5, D=50)
    out, _ = layernorm_forward(x, np.ones(50), np.zeros(50))
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=1), 1, rtol=1e-3)


def test_independent_of_batch(rng):
    x, gamma, beta, _ = bn_inputs(rng, N=6, D=4)
    full, _ = layernorm_forward(x, gamma, beta)
    one, _ = layernorm_forward(x[:1], gamma, beta)
    np.testing.assert_allclose(full[:1], one, rtol=1e-13)


def test_gradient_check(rng):
    x, gamma, beta, dout = bn_inputs(rng, N=4, D=5)
    _, cache = layernorm_forward(x, gamma, beta)
    dx, dgamma, dbeta = layernorm_backward(dout, cache)

    def num(f, v):  # one entry of dx is ~2e-4: the fourth-order stencil keeps round-off below 1e-7 there
        return numerical_gradient_array(f, v, dout, order=4)

    assert rel_error(dx, num(lambda v: layernorm_forward(v, gamma, beta)[0], x)) < 1e-7
    assert rel_error(dgamma, num(lambda v: layernorm_forward(x, v, beta)[0], gamma)) < 1e-7
    assert rel_error(dbeta, num(lambda v: layernorm_forward(x, gamma, v)[0], beta)) < 1e-7


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_kept_and_input_untouched(rng, dtype):
    x, gamma, beta, dout = bn_inputs(rng, dtype=dtype)
    x0 = x.copy()
    out, cache = layernorm_forward(x, gamma, beta)
    dx, _, _ = layernorm_backward(dout, cache)
    assert out.dtype == dx.dtype == dtype
    np.testing.assert_array_equal(x, x0)


def test_bad_input():
    with pytest.raises(ValueError, match="at least 2 features"):
        layernorm_forward(np.ones((3, 1)), np.ones(1), np.zeros(1))
    with pytest.raises(ValueError, match=r"gamma must have shape \(3,\)"):
        layernorm_forward(np.ones((3, 3)), np.ones(2), np.zeros(3))
    with pytest.raises(ValueError, match="x contains NaN"):
        layernorm_forward(np.array([[np.nan, 1.0]]), np.ones(2), np.zeros(2))
