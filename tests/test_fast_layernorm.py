"""The tiled, row-parallel layer norm (fast_layernorm) gives the reference's results (layernorm)."""

import numpy as np
import pytest

import course_lib._parallel as par
from course_lib import fast_layernorm as fast
from course_lib import layernorm as ref
from conftest import bn_inputs

# Row sums over D features, added in another order: float32 differs by about sqrt(D) * eps.
TOL = {np.float64: 1e-12, np.float32: 2e-4}


def run(module, x, gamma, beta, dout, eps=1e-5):
    """Everything a forward and a backward hand back: out, the cache's arrays, the gradients."""
    out, cache = module.layernorm_forward(x, gamma, beta, eps)
    return (out, *cache[:3], *module.layernorm_backward(dout, cache)), cache.eps


def assert_same(got, want, dtype):
    (got, got_eps), (want, want_eps) = got, want
    assert got_eps == want_eps
    for name, a, b in zip(("out", "x_hat", "inv_std", "gamma", "dx", "dgamma", "dbeta"), got, want):
        assert a.dtype == b.dtype and a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=TOL[dtype], atol=TOL[dtype], err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("N, D", [(1, 2), (3, 7), (64, 10), (1024, 300), (300, 1024)])
def test_fast_equals_the_reference(rng, dtype, N, D):
    x, gamma, beta, dout = bn_inputs(rng, N, D, dtype)
    assert_same(run(fast, x, gamma, beta, dout), run(ref, x, gamma, beta, dout), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_many_tiles_in_two_blocks_match_the_reference(rng, monkeypatch, dtype):
    x, gamma, beta, dout = bn_inputs(rng, 23, 5, dtype)
    monkeypatch.setattr(par, "TILE_BYTES", 3 * 5 * np.dtype(dtype).itemsize)
    monkeypatch.setattr(par, "MIN_PARALLEL_SIZE", 1)
    monkeypatch.setattr(par, "_workers", lambda: 2)
    assert_same(run(fast, x, gamma, beta, dout, eps=0.1), run(ref, x, gamma, beta, dout, eps=0.1), dtype)


def test_fast_never_writes_into_its_inputs(rng):
    x, gamma, beta, dout = bn_inputs(rng, 64, 30)
    copies = [a.copy() for a in (x, gamma, beta, dout)]
    _, cache = fast.layernorm_forward(x, gamma, beta)
    cached = [np.copy(c) for c in cache]
    fast.layernorm_backward(dout, cache)
    for a, b in zip((x, gamma, beta, dout) + tuple(cache), copies + cached):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("args", [
    (np.ones(5), np.ones(5), np.zeros(5)),
    (np.ones((4, 1)), np.ones(1), np.zeros(1)),
    (np.ones((4, 3)), np.ones(2), np.zeros(3)),
    (np.array([[1.0, np.inf], [2.0, 3.0]]), np.ones(2), np.zeros(2)),
    (np.ones((3, 2)), np.ones(2), np.zeros(2), 0.0),
])
def test_fast_rejects_what_the_reference_rejects_with_its_words(args):
    with pytest.raises(ValueError) as want:
        ref.layernorm_forward(*args)
    with pytest.raises(ValueError) as got:
        fast.layernorm_forward(*args)
    assert str(got.value) == str(want.value)


def test_fast_backward_rejects_what_the_reference_rejects(rng):
    x, gamma, beta, dout = bn_inputs(rng)
    _, cache = ref.layernorm_forward(x, gamma, beta)
    bad = dout.copy()
    bad[0, 0] = np.nan
    for args in ((dout[:-1], cache), (bad, cache), (dout, (1, 2))):
        with pytest.raises(ValueError) as want:
            ref.layernorm_backward(*args)
        with pytest.raises(ValueError) as got:
            fast.layernorm_backward(*args)
        assert str(got.value) == str(want.value)
