"""The row-parallel path of the batch norm functions gives the single-block results."""

import os

import numpy as np
import pytest

import course_lib._parallel as par
from course_lib.batchnorm import batchnorm_backward, batchnorm_backward_alt, batchnorm_forward
from conftest import bn_inputs


def run(x, gamma, beta, dout):
    out, cache = batchnorm_forward(x, gamma, beta)
    return (out, cache.x_hat, cache.mu, cache.var) + batchnorm_backward_alt(dout, cache)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("N", [4, 7, 101])
def test_blocks_match_one_block(rng, monkeypatch, dtype, N):
    x, gamma, beta, dout = bn_inputs(rng, N, 6, dtype)
    single = run(x, gamma, beta, dout)
    monkeypatch.setattr(par, "MIN_PARALLEL_SIZE", 1)
    monkeypatch.setattr(par, "_workers", lambda: 2)
    assert len(par.row_map(lambda rows: rows, N, x.size)) == 2   # the split really happens
    blocked = run(x, gamma, beta, dout)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for a, b in zip(single, blocked):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_large_batch_runs_in_blocks(rng):
    x, gamma, beta, dout = bn_inputs(rng, 1024, 300)
    assert x.size >= par.MIN_PARALLEL_SIZE
    seen = []
    out, cache = batchnorm_forward(x, gamma, beta)
    par.row_map(lambda rows: seen.append(rows), len(x), x.size)
    assert len(seen) == par._workers()
    assert seen[0].start == 0 and seen[-1].stop == 1024
    mu, var = x.mean(axis=0), x.var(axis=0)
    np.testing.assert_allclose(out, gamma * (x - mu) / np.sqrt(var + 1e-5) + beta, rtol=1e-10, atol=1e-12)
    for a, b in zip(batchnorm_backward_alt(dout, cache), batchnorm_backward(dout, cache)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_no_threads_falls_back(rng, monkeypatch):
    """Where threads cannot start (a process limit), blocks run in order."""
    class NoThreads:
        def map(self, fn, blocks):
            raise RuntimeError("can't start new thread")

    monkeypatch.setattr(par, "MIN_PARALLEL_SIZE", 1)
    monkeypatch.setattr(par, "_workers", lambda: 2)
    monkeypatch.setattr(par, "_get_pool", lambda workers: NoThreads())
    x, gamma, beta, _ = bn_inputs(rng, 10, 3)
    out, _ = batchnorm_forward(x, gamma, beta)
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-12)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_works_after_fork(rng):
    x, gamma, beta, _ = bn_inputs(rng, 1024, 300)
    batchnorm_forward(x, gamma, beta)          # the parent's pool now exists
    pid = os.fork()
    if pid == 0:                               # the child must not wait on the parent's dead threads
        try:
            out, _ = batchnorm_forward(x, gamma, beta)
            os._exit(0 if np.allclose(out.mean(axis=0), beta, atol=1e-10) else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
