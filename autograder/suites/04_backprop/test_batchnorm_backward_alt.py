"""Hidden tests of batchnorm_backward_alt(dout, cache) -> (dx, dgamma, dbeta), in closed form; 6 points.

The checks are shared with the other backward pass (see autograder.suites.backprop);
every cache comes from the reference forward pass.
"""

import pytest

from autograder.suites import backprop

NAME = "batchnorm_backward_alt"


@pytest.mark.points(0.25)
def test_batchnorm_backward_alt_returns_three_gradients_of_the_right_shapes(student, rng):
    """returns (dx, dgamma, dbeta) with shapes (N, D), (D,), (D,)"""
    backprop.check_shapes(student, NAME, rng)


@pytest.mark.points(0.5)
def test_batchnorm_backward_alt_dbeta_is_dout_summed_over_the_batch(student, rng):
    """dbeta is right"""
    backprop.check_dbeta(student, NAME, rng)


@pytest.mark.points(0.5)
def test_batchnorm_backward_alt_dgamma_is_dout_times_x_hat_summed(student, rng):
    """dgamma is right"""
    backprop.check_dgamma(student, NAME, rng)


@pytest.mark.points(1.0)
def test_batchnorm_backward_alt_dx_is_right_for_several_batch_sizes(student, rng, partial):
    """dx, dgamma and dbeta are right for N = 2, 3, 64 and 4096 samples"""
    backprop.check_sizes(student, NAME, rng, partial)


@pytest.mark.points(0.75)
def test_batchnorm_backward_alt_gradient_through_the_mean_path(student, rng):
    """gradient through the mean path: every column of dx sums to 0"""
    backprop.check_mean_path(student, NAME, rng)


@pytest.mark.points(0.75)
def test_batchnorm_backward_alt_gradient_through_the_variance_path(student, rng):
    """gradient through the variance path: dx is orthogonal to x_hat"""
    backprop.check_var_path(student, NAME, rng)


@pytest.mark.points(0.75)
def test_batchnorm_backward_alt_gamma_scales_the_upstream_gradient(student, rng):
    """gamma scales the upstream gradient: dx_hat = dout * gamma"""
    backprop.check_gamma(student, NAME, rng)


@pytest.mark.points(0.5)
def test_batchnorm_backward_alt_float32_keeps_dtype(student, rng):
    """float32 input gives float32 gradients"""
    backprop.check_float32(student, NAME, rng)


@pytest.mark.points(0.5)
def test_batchnorm_backward_alt_uses_the_eps_of_the_cache(student, rng):
    """uses the cache's eps (1e-3 and 0.1), not a constant of its own, also for a constant column"""
    backprop.check_eps(student, NAME, rng)


@pytest.mark.points(0.25)
def test_batchnorm_backward_alt_works_on_non_contiguous_arrays(student, rng):
    """works for a single feature (D = 1) and on sliced, Fortran-ordered and transposed arrays"""
    backprop.check_layouts(student, NAME, rng)


@pytest.mark.points(0.25)
def test_batchnorm_backward_alt_leaves_dout_and_cache_unchanged(student, rng):
    """leaves dout and the cache unchanged"""
    backprop.check_no_mutation(student, NAME, rng)
