"""The row-parallel batch norm (fast_batchnorm) gives the reference's results (batchnorm)."""

import os

import numpy as np
import pytest

import course_lib._parallel as par
from course_lib import batchnorm as ref
from course_lib import fast_batchnorm as fast
from conftest import bn_inputs

# float64 agrees to rounding (~1e-13 seen at N = 65536); float32 sums of many rows, added
# in another order, differ by about sqrt(N) * eps: 2e-4 is the grader's float32 tolerance.
TOL = {np.float64: 1e-12, np.float32: 2e-4}
SHAPES = [(2, 1), (3, 7), (64, 10), (1000, 3), (1024, 300), (65536, 8)]


def run(module, x, gamma, beta, dout, eps=1e-5):
    """Everything a forward and a closed-form backward hand back: out, the cache's arrays, the gradients."""
    out, cache = module.batchnorm_forward(x, gamma, beta, eps)
    return (out, *cache[:6], *module.batchnorm_backward_alt(dout, cache)), cache.eps


def assert_same(got, want, dtype):
    (got, got_eps), (want, want_eps) = got, want
    assert got_eps == want_eps
    for name, a, b in zip(("out", "x", "x_hat", "mu", "var", "inv_std", "gamma", "dx", "dgamma", "dbeta"), got, want):
        assert a.dtype == b.dtype and a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=TOL[dtype], atol=TOL[dtype], err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("N, D", SHAPES)
def test_fast_equals_the_reference(rng, dtype, N, D):
    x, gamma, beta, dout = bn_inputs(rng, N, D, dtype)
    assert_same(run(fast, x, gamma, beta, dout), run(ref, x, gamma, beta, dout), dtype)


def test_the_largest_shape_runs_in_blocks():
    N, D = SHAPES[-1]
    assert N * D >= par.MIN_PARALLEL_SIZE and len(par.row_map(lambda rows: rows, N, N * D)) == par._workers()


@pytest.mark.parametrize("eps", [1e-3, 0.1])
def test_fast_uses_eps_as_the_reference_does(rng, eps):
    x, gamma, beta, dout = bn_inputs(rng, 50, 4)
    x[:, 0] = 2.5   # a constant column: its output depends on eps alone
    assert_same(run(fast, x, gamma, beta, dout, eps), run(ref, x, gamma, beta, dout, eps), np.float64)


def test_fast_on_non_contiguous_input_and_float64_parameters(rng):
    big = rng.standard_normal((40, 12)).astype(np.float32)
    x, dout = big[::2, ::3], big[1::2, ::3]
    gamma, beta = rng.uniform(0.5, 2, 4), rng.uniform(-1, 1, 4)
    assert_same(run(fast, x, gamma, beta, dout), run(ref, x, gamma, beta, dout), np.float32)


def test_fast_never_writes_into_its_inputs(rng):
    x, gamma, beta, dout = bn_inputs(rng, 1024, 300)
    inputs = (x, gamma, beta, dout)
    copies = [a.copy() for a in inputs]
    _, cache = fast.batchnorm_forward(x, gamma, beta)
    cached = [np.copy(c) for c in cache]
    fast.batchnorm_backward_alt(dout, cache)
    for a, b in zip(inputs + tuple(cache), copies + cached):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("args", [
    (np.ones((1, 3)), np.ones(3), np.zeros(3)),
    (np.ones(5), np.ones(5), np.zeros(5)),
    (np.ones((4, 3)), np.ones(2), np.zeros(3)),
    (np.array([[1.0, np.inf], [2.0, 3.0]]), np.ones(2), np.zeros(2)),
    (np.ones((3, 2)), np.ones(2), np.zeros(2), 0.0),
])
def test_fast_rejects_what_the_reference_rejects_with_its_words(args):
    with pytest.raises(ValueError) as want:
        ref.batchnorm_forward(*args)
    with pytest.raises(ValueError) as got:
        fast.batchnorm_forward(*args)
    assert str(got.value) == str(want.value)


def test_fast_backward_rejects_what_the_reference_rejects(rng):
    x, gamma, beta, dout = bn_inputs(rng)
    _, cache = ref.batchnorm_forward(x, gamma, beta)
    bad = dout.copy()
    bad[0, 0] = np.nan
    for args in ((dout[:-1], cache), (bad, cache), (dout, (1, 2))):
        with pytest.raises(ValueError) as want:
            ref.batchnorm_backward_alt(*args)
        with pytest.raises(ValueError) as got:
            fast.batchnorm_backward_alt(*args)
        assert str(got.value) == str(want.value)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("N", [4, 7, 101])
def test_blocks_match_one_block(rng, monkeypatch, dtype, N):
    x, gamma, beta, dout = bn_inputs(rng, N, 6, dtype)
    single = run(fast, x, gamma, beta, dout)
    monkeypatch.setattr(par, "MIN_PARALLEL_SIZE", 1)
    monkeypatch.setattr(par, "_workers", lambda: 2)
    assert len(par.row_map(lambda rows: rows, N, x.size)) == 2   # the split really happens
    assert_same(run(fast, x, gamma, beta, dout), single, dtype)


def test_no_threads_falls_back(rng, monkeypatch):
    """Where threads cannot start (a process limit), blocks run in order."""
    class NoThreads:
        def map(self, fn, blocks):
            raise RuntimeError("can't start new thread")

    monkeypatch.setattr(par, "MIN_PARALLEL_SIZE", 1)
    monkeypatch.setattr(par, "_workers", lambda: 2)
    monkeypatch.setattr(par, "_get_pool", lambda workers: NoThreads())
    x, gamma, beta, dout = bn_inputs(rng, 10, 3)
    assert_same(run(fast, x, gamma, beta, dout), run(ref, x, gamma, beta, dout), np.float64)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_works_after_fork(rng):
    x, gamma, beta, _ = bn_inputs(rng, 1024, 300)
    fast.batchnorm_forward(x, gamma, beta)     # the parent's pool now exists
    want, _ = ref.batchnorm_forward(x, gamma, beta)
    pid = os.fork()
    if pid == 0:                               # the child must not wait on the parent's dead threads
        try:
            out, _ = fast.batchnorm_forward(x, gamma, beta)
            os._exit(0 if np.allclose(out, want, rtol=1e-12, atol=1e-12) else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("N", [2, 5, 37])
def test_many_tiles_match_the_reference(rng, monkeypatch, dtype, N):
    """Tiles of 3 rows, the last one short, and their statistics combined, give the reference's results."""
    x, gamma, beta, dout = bn_inputs(rng, N, 5, dtype)
    if dtype == np.float64:
        x += 1e3   # far from zero: combining the tiles' moments must not cancel (float32's reference would)
    monkeypatch.setattr(par, "TILE_BYTES", 3 * 5 * np.dtype(dtype).itemsize)
    assert [t.stop - t.start for t in par.tiles(slice(0, 7), 5 * np.dtype(dtype).itemsize)] == [3, 3, 1]
    assert_same(run(fast, x, gamma, beta, dout), run(ref, x, gamma, beta, dout), dtype)
