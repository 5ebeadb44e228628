"""The training-mode forward and the two backwards."""

import numpy as np
import pytest

from course_lib.batchnorm import BNCache, batchnorm_backward, batchnorm_backward_alt, batchnorm_forward
from course_lib.gradcheck import numerical_gradient_array, rel_error
from conftest import bn_inputs

BACKWARDS = [batchnorm_backward, batchnorm_backward_alt]


def test_forward_normalizes_each_feature(rng):
    x, _, _, _ = bn_inputs(rng, N=200, D=5)
    out, _ = batchnorm_forward(x, np.ones(5), np.zeros(5))
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1, rtol=1e-4)  # eps keeps it a hair under 1


def test_forward_gamma_beta_set_scale_and_shift(rng):
    x, _, _, _ = bn_inputs(rng, N=500, D=3)
    gamma, beta = np.array([1.0, 2.0, 3.0]), np.array([0.0, -1.0, 5.0])
    out, _ = batchnorm_forward(x, gamma, beta, eps=1e-12)
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-10)
    np.testing.assert_allclose(out.std(axis=0), gamma, rtol=1e-8)


def test_forward_matches_the_four_equations(rng):
    x, gamma, beta, _ = bn_inputs(rng)
    eps = 1e-3
    mu = x.sum(axis=0) / len(x)
    var = ((x - mu) ** 2).sum(axis=0) / len(x)
    expected = gamma * (x - mu) / np.sqrt(var + eps) + beta
    out, cache = batchnorm_forward(x, gamma, beta, eps=eps)
    assert rel_error(out, expected) < 1e-12
    assert rel_error(cache.mu, mu) < 1e-12 and rel_error(cache.var, var) < 1e-12


def test_gamma_sqrt_var_beta_mu_undoes_normalization(rng):
    x, _, _, _ = bn_inputs(rng, N=50)
    eps = 1e-5
    gamma, beta = np.sqrt(x.var(axis=0) + eps), x.mean(axis=0)
    out, _ = batchnorm_forward(x, gamma, beta, eps=eps)
    np.testing.assert_allclose(out, x, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("backward", BACKWARDS)
@pytest.mark.parametrize("eps", [1e-5, 1e-3, 1.0])
def test_backward_gradient_check(rng, backward, eps):
    x, gamma, beta, dout = bn_inputs(rng, N=7, D=3)
    _, cache = batchnorm_forward(x, gamma, beta, eps)
    dx, dgamma, dbeta = backward(dout, cache)
    dx_num = numerical_gradient_array(lambda v: batchnorm_forward(v, gamma, beta, eps)[0], x, dout)
    dg_num = numerical_gradient_array(lambda v: batchnorm_forward(x, v, beta, eps)[0], gamma, dout)
    db_num = numerical_gradient_array(lambda v: batchnorm_forward(x, gamma, v, eps)[0], beta, dout)
    assert rel_error(dx, dx_num) < 1e-7
    assert rel_error(dgamma, dg_num) < 1e-7
    assert rel_error(dbeta, db_num) < 1e-7


def test_gradient_check_can_fail(rng):
    """A backward without the mean-path term is caught by the same check."""
    x, gamma, beta, dout = bn_inputs(rng, N=7, D=3)
    _, cache = batchnorm_forward(x, gamma, beta)
    wrong_dx = dout * gamma * cache.inv_std  # the direct path alone
    dx_num = numerical_gradient_array(lambda v: batchnorm_forward(v, gamma, beta)[0], x, dout)
    assert rel_error(wrong_dx, dx_num) > 1e-3


@pytest.mark.parametrize("N, D", [(2, 1), (3, 7), (64, 10), (1000, 3)])
def test_staged_and_closed_form_agree(rng, N, D):
    x, gamma, beta, dout = bn_inputs(rng, N, D)
    _, cache = batchnorm_forward(x, gamma, beta)
    for a, b in zip(batchnorm_backward(dout, cache), batchnorm_backward_alt(dout, cache)):
        assert rel_error(a, b) < 1e-9


def test_backward_from_a_hand_built_cache(rng):
    """The cache layout is public: a cache built from its fields gives the same gradients."""
    x, gamma, beta, dout = bn_inputs(rng)
    eps = 1e-5
    mu, var = x.mean(axis=0), x.var(axis=0)
    inv_std = 1 / np.sqrt(var + eps)
    cache = BNCache(x, (x - mu) * inv_std, mu, var, inv_std, gamma, eps)
    _, ref = batchnorm_forward(x, gamma, beta, eps)
    for backward in BACKWARDS:
        for a, b in zip(backward(dout, cache), backward(dout, ref)):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_and_shape_kept(rng, dtype):
    x, gamma, beta, dout = bn_inputs(rng, N=9, D=4, dtype=dtype)
    out, cache = batchnorm_forward(x, gamma.astype(np.float64), beta.astype(np.float64))
    assert out.dtype == dtype and out.shape == x.shape
    for backward in BACKWARDS:
        dx, dgamma, dbeta = backward(dout, cache)
        assert dx.dtype == dtype and dx.shape == x.shape
        assert dgamma.dtype == dtype and dgamma.shape == (4,)
        assert dbeta.dtype == dtype and dbeta.shape == (4,)


def test_float32_close_to_float64(rng):
    x, gamma, beta, dout = bn_inputs(rng, N=256, D=8)
    out64, cache64 = batchnorm_forward(x, gamma, beta)
    out32, cache32 = batchnorm_forward(x.astype(np.float32), gamma, beta)
    np.testing.assert_allclose(out32, out64, rtol=1e-4, atol=1e-5)
    for backward in BACKWARDS:
        for a, b in zip(backward(dout.astype(np.float32), cache32), backward(dout, cache64)):
            np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)


def test_inputs_never_mutated(rng):
    x, gamma, beta, dout = bn_inputs(rng)
    copies = [a.copy() for a in (x, gamma, beta, dout)]
    _, cache = batchnorm_forward(x, gamma, beta)
    cache_copy = [np.copy(c) for c in cache]
    for backward in BACKWARDS:
        backward(dout, cache)
    for a, b in zip((x, gamma, beta, dout), copies):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(cache, cache_copy):
        np.testing.assert_array_equal(a, b)


def test_non_contiguous_input(rng):
    big = rng.standard_normal((20, 12))
    x = big[::2, ::3]
    assert not x.flags.c_contiguous
    out, cache = batchnorm_forward(x, np.ones(4), np.zeros(4))
    out_c, cache_c = batchnorm_forward(np.ascontiguousarray(x), np.ones(4), np.zeros(4))
    np.testing.assert_allclose(out, out_c, rtol=1e-13)
    dout = rng.standard_normal((10, 20))[:, ::5]
    for backward in BACKWARDS:
        for a, b in zip(backward(dout, cache), backward(np.ascontiguousarray(dout), cache_c)):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_constant_feature_gives_beta(rng):
    x = np.column_stack([np.full(5, 3.0), rng.standard_normal(5)])
    out, cache = batchnorm_forward(x, np.array([2.0, 1.0]), np.array([0.7, 0.0]))
    np.testing.assert_allclose(out[:, 0], 0.7)
    dx, _, _ = batchnorm_backward_alt(rng.standard_normal((5, 2)), cache)
    assert np.isfinite(dx).all()


@pytest.mark.parametrize(
    "x, gamma, beta, match",
    [
        (np.ones((4, 3)), np.ones(2), np.zeros(3), r"gamma must have shape \(3,\)"),
        (np.ones((4, 3)), np.ones(3), np.zeros(4), r"beta must have shape \(3,\)"),
        (np.ones(5), np.ones(5), np.zeros(5), "must be 2-D"),
        (np.ones((2, 3, 4)), np.ones(4), np.zeros(4), "must be 2-D"),
        (np.ones((1, 3)), np.ones(3), np.zeros(3), "batch of one has variance zero"),
        (np.array([[1.0, np.nan], [2.0, 3.0]]), np.ones(2), np.zeros(2), "x contains NaN or inf"),
        (np.array([[1.0, np.inf], [2.0, 3.0]]), np.ones(2), np.zeros(2), "x contains NaN or inf"),
        (np.ones((4, 2)), np.array([1.0, np.nan]), np.zeros(2), "gamma contains NaN or inf"),
        (np.ones((4, 2)), np.ones(2), np.array([np.inf, 0.0]), "beta contains NaN or inf"),
    ],
)
def test_forward_bad_input(x, gamma, beta, match):
    with pytest.raises(ValueError, match=match):
        batchnorm_forward(x, gamma, beta)


@pytest.mark.parametrize("eps", [0.0, -1e-5, np.nan, "1e-5"])
def test_bad_eps(eps):
    with pytest.raises(ValueError, match="eps must be a positive finite number"):
        batchnorm_forward(np.ones((3, 2)), np.ones(2), np.zeros(2), eps=eps)


@pytest.mark.parametrize("backward", BACKWARDS)
def test_backward_bad_input(rng, backward):
    x, gamma, beta, dout = bn_inputs(rng)
    _, cache = batchnorm_forward(x, gamma, beta)
    with pytest.raises(ValueError, match="dout has shape"):
        backward(dout[:-1], cache)
    bad = dout.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="dout contains NaN or inf"):
        backward(bad, cache)
    with pytest.raises(ValueError, match="cache must be a BNCache"):
        backward(dout, (1, 2))
