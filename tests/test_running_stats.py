"""Running statistics under the three conventions, and inference mode."""

import numpy as np
import pytest

from course_lib.batchnorm import batchnorm_forward
from course_lib.conventions import CONVENTIONS, get_convention, init_running_stats, update_running_stats_convention
from course_lib.running_stats import batchnorm_inference, update_running_stats
from conftest import bn_inputs


def test_notes_rule_weighs_the_old_value():
    new_mean, new_var = update_running_stats(np.array([1.0]), np.array([4.0]), np.array([3.0]), np.array([2.0]), 0.9)
    assert new_mean[0] == pytest.approx(0.9 * 1 + 0.1 * 3)
    assert new_var[0] == pytest.approx(0.9 * 4 + 0.1 * 2)


def test_update_does_not_mutate(rng):
    arrays = [rng.standard_normal(3) ** 2 for _ in range(4)]
    copies = [a.copy() for a in arrays]
    update_running_stats(*arrays, momentum=0.5)
    for a, b in zip(arrays, copies):
        np.testing.assert_array_equal(a, b)


def test_conventions_defaults():
    assert (CONVENTIONS["keras"].momentum, CONVENTIONS["keras"].eps) == (0.99, 1e-3)
    assert (CONVENTIONS["pytorch"].momentum, CONVENTIONS["pytorch"].eps) == (0.1, 1e-5)
    assert CONVENTIONS["pytorch"].unbiased_var and not CONVENTIONS["keras"].unbiased_var
    assert CONVENTIONS["paper"].momentum_weighs == "cumulative"


def test_keras_and_pytorch_differ_as_documented():
    stats = init_running_stats(1)
    bm, bv, n = np.array([2.0]), np.array([3.0]), 4
    k = update_running_stats_convention(stats, bm, bv, n, "keras", update=update_running_stats)
    t = update_running_stats_convention(stats, bm, bv, n, "pytorch", update=update_running_stats)
    assert k.mean[0] == pytest.approx(0.01 * 2) and k.var[0] == pytest.approx(0.99 + 0.01 * 3)
    assert t.mean[0] == pytest.approx(0.1 * 2) and t.var[0] == pytest.approx(0.9 + 0.1 * 3 * 4 / 3)


def test_the_rule_is_always_given():
    """No convention falls back on a rule of its own: the caller names the update it runs on."""
    with pytest.raises(TypeError, match="update"):
        update_running_stats_convention(init_running_stats(1), np.zeros(1), np.ones(1), 4, "keras")


def test_paper_convention_is_the_population_estimate(rng):
    """Algorithm 2: E[x] = mean of batch means, Var[x] = m/(m-1) * mean of batch variances."""
    m, batches = 8, [rng.standard_normal((8, 3)) * 2 + 1 for _ in range(25)]
    stats = init_running_stats(3)
    for xb in batches:
        stats = update_running_stats_convention(stats, xb.mean(0), xb.var(0), m, "paper", update=update_running_stats)
    assert stats.count == 25
    np.testing.assert_allclose(stats.mean, np.mean([xb.mean(0) for xb in batches], axis=0), rtol=1e-12)
    np.testing.assert_allclose(stats.var, m / (m - 1) * np.mean([xb.var(0) for xb in batches], axis=0), rtol=1e-12)


def test_running_mean_converges_to_population(rng):
    stats = init_running_stats(2)
    for _ in range(2000):
        xb = rng.standard_normal((64, 2)) * [1.0, 3.0] + [5.0, -2.0]
        stats = update_running_stats_convention(stats, xb.mean(0), xb.var(0), 64, "pytorch",
                                                update=update_running_stats)
    np.testing.assert_allclose(stats.mean, [5, -2], atol=0.15)
    np.testing.assert_allclose(stats.var, [1, 9], rtol=0.1)


def test_inference_with_batch_stats_equals_training_forward(rng):
    x, gamma, beta, _ = bn_inputs(rng)
    train_out, cache = batchnorm_forward(x, gamma, beta)
    infer_out = batchnorm_inference(x, gamma, beta, cache.mu, cache.var)
    np.testing.assert_allclose(infer_out, train_out, rtol=1e-10, atol=1e-12)


def test_inference_single_sample_and_dtype(rng):
    x = rng.standard_normal((1, 3)).astype(np.float32)
    out = batchnorm_inference(x, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), eps=0.0 + 1e-12)
    assert out.dtype == np.float32 and out.shape == (1, 3)
    np.testing.assert_allclose(out, x, rtol=1e-6)


def test_inference_rows_independent(rng):
    """Each prediction depends on its own row only: no batch statistics leak in."""
    x, gamma, beta, _ = bn_inputs(rng, N=10)
    rm, rv = rng.standard_normal(4), rng.uniform(0.5, 2, 4)
    full = batchnorm_inference(x, gamma, beta, rm, rv)
    single = np.vstack([batchnorm_inference(x[i:i + 1], gamma, beta, rm, rv) for i in range(10)])
    np.testing.assert_allclose(full, single, rtol=1e-13)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(running_mean=np.zeros(2)), r"running_mean must have shape \(3,\)"),
        (dict(running_var=-np.ones(3)), "running_var must be non-negative"),
        (dict(x=np.ones(3)), "must be 2-D"),
        (dict(x=np.array([[np.nan, 0, 0]])), "x contains NaN or inf"),
        (dict(gamma=np.ones(4)), r"gamma must have shape \(3,\)"),
    ],
)
def test_inference_bad_input(kwargs, match):
    args = dict(x=np.ones((2, 3)), gamma=np.ones(3), beta=np.zeros(3), running_mean=np.zeros(3), running_var=np.ones(3))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        batchnorm_inference(**args)


def test_unknown_convention():
    with pytest.raises(ValueError, match="unknown convention 'tensorflow'; choose one of"):
        get_convention("tensorflow")
    with pytest.raises(ValueError, match="unknown convention"):
        update_running_stats_convention(init_running_stats(1), np.zeros(1), np.ones(1), 4, "Keras ",
                                        update=update_running_stats)


@pytest.mark.parametrize("momentum", [-0.1, 1.5, "0.9", None])
def test_bad_momentum(momentum):
    with pytest.raises(ValueError, match="momentum must be a number in"):
        update_running_stats(np.zeros(1), np.ones(1), np.zeros(1), np.ones(1), momentum)


def test_update_bad_shapes():
    with pytest.raises(ValueError, match="batch_mean has shape"):
        update_running_stats(np.zeros(2), np.ones(2), np.zeros(3), np.ones(2))
    with pytest.raises(ValueError, match="batch_var contains NaN"):
        update_running_stats(np.zeros(2), np.ones(2), np.zeros(2), np.array([1, np.nan]))
    with pytest.raises(ValueError, match="unbiased variance needs a batch of at least 2"):
        update_running_stats_convention(init_running_stats(1), np.zeros(1), np.ones(1), 1, "pytorch",
                                        update=update_running_stats)
