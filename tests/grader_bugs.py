"""Known mistakes as students write them, as cell sources, for testing the hidden suites.

tests/test_suites.py puts each in place of one solution cell and grades the
result: the test that names the mistake must lose all its points and say the
hint, and no test outside ``test`` and ``also`` may lose any (a mistake is
charged by the test that names it and by the suite's "is right" test, and
as few others as its nature allows).
"""

from typing import NamedTuple

from course_lib.checks.backward import BACKWARD_BUG_HINTS
from course_lib.checks.forward import DENSE_BUG_HINTS, FORWARD_BUG_HINTS
from course_lib.checks.inference import INFERENCE_BUG_HINTS, UPDATE_BUG_HINTS
from course_lib.checks.inputs import DDOF_HINT


class Bug(NamedTuple):
    assignment: str
    cell: str          # grade_id of the cell the source replaces
    source: str
    test: str          # the hidden test that names the mistake
    hint: str          # what its output must say
    also: tuple = ()   # other tests the mistake may fail


FORWARD = '''import numpy as np
from course_lib.bncache import BNCache

def batchnorm_forward(x, gamma, beta, eps=1e-5):
{body}
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    out = gamma * x_hat + beta
    return out, BNCache(x=x, x_hat=x_hat, mu=mu, var=var, inv_std=inv_std, gamma=gamma, eps=eps)
'''

BACKWARD = '''import numpy as np

def batchnorm_backward(dout, cache):
    x, x_hat, mu, var, inv_std, gamma, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = {dx_hat}
    xc = x - mu
    dvar = {dvar}
    dmu = {dmu}
    dx = dx_hat * inv_std + dvar * 2.0 * xc / N + dmu / N
    return dx, dgamma, dbeta
'''
GOOD_BACKWARD = {"dx_hat": "dout * gamma", "dvar": "(dx_hat * xc).sum(axis=0) * -0.5 * inv_std**3",
                 "dmu": "-(dx_hat * inv_std).sum(axis=0) - 2.0 * dvar * xc.mean(axis=0)"}

BACKWARD_ALT = '''import numpy as np

def batchnorm_backward_alt(dout, cache):
    N = dout.shape[0]
    x_hat, inv_std, gamma = cache.x_hat, cache.inv_std, cache.gamma
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = {dx}
    return dx, dgamma, dbeta
'''

UPDATE = '''import numpy as np

def update_running_stats(running_mean, running_var, batch_mean, batch_var, momentum=0.9):
{body}
'''

INFERENCE = '''import numpy as np

def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
{body}
'''

REACH = '''def epochs_to_reach(history, threshold):
    values = history.val_metric if hasattr(history, "val_metric") else history
{body}
'''

_F = "test_batchnorm_forward_"
_B = "test_batchnorm_backward_"
_A = "test_batchnorm_backward_alt_"

BUGS = {
    # ---- the eight mistakes the suites must name ----
    "backward_no_mean_path": Bug(
        "04_backprop", "batchnorm_backward", BACKWARD.format(**{**GOOD_BACKWARD, "dmu": "0.0"}),
        _B + "gradient_through_the_mean_path", BACKWARD_BUG_HINTS["no_mean_path"],
        (_B + "dx_is_right_for_several_batch_sizes",)),
    "backward_no_var_path": Bug(
        "04_backprop", "batchnorm_backward", BACKWARD.format(**{**GOOD_BACKWARD, "dvar": "0.0"}),
        _B + "gradient_through_the_variance_path", BACKWARD_BUG_HINTS["no_var_path"],
        (_B + "dx_is_right_for_several_batch_sizes",)),
    "backward_no_gamma": Bug(
        "04_backprop", "batchnorm_backward", BACKWARD.format(**{**GOOD_BACKWARD, "dx_hat": "dout"}),
        _B + "gamma_scales_the_upstream_gradient", BACKWARD_BUG_HINTS["no_gamma"],
        (_B + "dx_is_right_for_several_batch_sizes",)),
    "forward_ddof1": Bug(
        "02_bn_equations", "batchnorm_forward",
        FORWARD.format(body="    mu = x.mean(axis=0)\n    var = x.var(axis=0, ddof=1)"),
        _F + "uses_the_biased_variance", FORWARD_BUG_HINTS["ddof1"],
        (_F + "is_right_for_several_batch_sizes",)),
    "forward_axis1": Bug(
        "02_bn_equations", "batchnorm_forward",
        FORWARD.format(body="    mu = x.mean(axis=1, keepdims=True)\n    var = x.var(axis=1, keepdims=True)"),
        _F + "statistics_are_over_the_batch_axis", FORWARD_BUG_HINTS["axis1"],
        (_F + "is_right_for_several_batch_sizes", _F + "cache_holds_what_backward_needs",
         _F + "constant_column_gives_beta")),
    "forward_in_place": Bug(
        "02_bn_equations", "batchnorm_forward",
        "import numpy as np\nfrom course_lib.bncache import BNCache\n\n"
        "def batchnorm_forward(x, gamma, beta, eps=1e-5):\n"
        "    mu = x.mean(axis=0)\n    x -= mu\n    var = (x**2).mean(axis=0)\n"
        "    inv_std = 1.0 / np.sqrt(var + eps)\n    x_hat = x * inv_std\n    out = gamma * x_hat + beta\n"
        "    return out, BNCache(x=x, x_hat=x_hat, mu=mu, var=var, inv_std=inv_std, gamma=gamma, eps=eps)\n",
        _F + "leaves_inputs_unchanged", "not `x -= mu`",
        (_F + "cache_holds_what_backward_needs",)),
    "update_momentum_reversed": Bug(
        "05_inference", "update_running_stats",
        UPDATE.format(body="    new_mean = (1 - momentum) * running_mean + momentum * batch_mean\n"
                           "    new_var = (1 - momentum) * running_var + momentum * batch_var\n"
                           "    return new_mean, new_var"),
        "test_update_running_stats_momentum_weighs_the_old_value", UPDATE_BUG_HINTS["swapped"]),
    "inference_batch_stats": Bug(
        "05_inference", "batchnorm_inference",
        INFERENCE.format(body="    mu, var = x.mean(axis=0), x.var(axis=0)\n"
                              "    return gamma * (x - mu) / np.sqrt(var + eps) + beta"),
        "test_batchnorm_inference_uses_running_statistics_not_batch_statistics", INFERENCE_BUG_HINTS["batch_stats"],
        ("test_batchnorm_inference_is_right_for_several_batch_sizes",)),

    # ---- more mistakes, one per property the suites test ----
    "backward_alt_no_mean_path": Bug(
        "04_backprop", "batchnorm_backward_alt",
        BACKWARD_ALT.format(dx="gamma * inv_std / N * (N * dout - x_hat * dgamma)"),
        _A + "gradient_through_the_mean_path", BACKWARD_BUG_HINTS["no_mean_path"],
        (_A + "dx_is_right_for_several_batch_sizes",)),
    "backward_alt_no_var_path": Bug(
        "04_backprop", "batchnorm_backward_alt", BACKWARD_ALT.format(dx="gamma * inv_std / N * (N * dout - dbeta)"),
        _A + "gradient_through_the_variance_path", BACKWARD_BUG_HINTS["no_var_path"],
        (_A + "dx_is_right_for_several_batch_sizes",)),
    "backward_alt_no_gamma": Bug(
        "04_backprop", "batchnorm_backward_alt",
        BACKWARD_ALT.format(dx="inv_std / N * (N * dout - dbeta - x_hat * dgamma)"),
        _A + "gamma_scales_the_upstream_gradient", BACKWARD_BUG_HINTS["no_gamma"],
        (_A + "dx_is_right_for_several_batch_sizes",)),
    "backward_own_eps": Bug(
        "04_backprop", "batchnorm_backward",
        BACKWARD.format(**GOOD_BACKWARD).replace("    N = dout.shape[0]\n",
                                                  "    N = dout.shape[0]\n    inv_std = 1 / np.sqrt(var + 1e-5)\n"),
        _B + "uses_the_eps_of_the_cache", "not an eps of your own"),
    "backward_writes_into_dout": Bug(
        "04_backprop", "batchnorm_backward",
        BACKWARD.format(**{**GOOD_BACKWARD, "dx_hat": "dout"}).replace(
            "    dx_hat = dout\n", "    dx_hat = dout\n    dx_hat *= gamma\n"),
        _B + "leaves_dout_and_cache_unchanged", "compute new arrays"),
    "forward_float64": Bug(
        "02_bn_equations", "batchnorm_forward",
        FORWARD.format(body="    x = np.asarray(x, dtype=float)\n    mu = x.mean(axis=0)\n"
                            "    var = ((x - mu)**2).mean(axis=0)"),
        _F + "float32_keeps_dtype", "work in the input's dtype"),
    "forward_eps_outside": Bug(
        "02_bn_equations", "batchnorm_forward",
        FORWARD.format(body="    mu = x.mean(axis=0)\n    var = x.var(axis=0)").replace(
            "np.sqrt(var + eps)", "(np.sqrt(var) + eps)"),
        _F + "uses_the_eps_it_is_given", FORWARD_BUG_HINTS["eps_outside"],
        (_F + "is_right_for_several_batch_sizes", _F + "cache_holds_what_backward_needs",
         _F + "is_accurate_for_large_offsets", _F + "gamma_scales_and_beta_shifts")),
    "forward_naive_variance": Bug(
        "02_bn_equations", "batchnorm_forward",
        FORWARD.format(body="    mu = x.mean(axis=0)\n    var = (x**2).mean(axis=0) - mu**2"),
        _F + "is_accurate_for_large_offsets", "mean(x**2) - mu**2"),
    "standardize_ddof1": Bug(
        "01_covariate_shift", "standardize",
        "import numpy as np\n\ndef standardize(X):\n    mean, std = X.mean(axis=0), X.std(axis=0, ddof=1)\n"
        "    std_safe = np.where(X.max(axis=0) == X.min(axis=0), 1.0, std)\n"
        "    return (X - mean) / std_safe, mean, np.where(X.max(axis=0) == X.min(axis=0), 0.0, std)\n",
        "test_standardize_std_is_the_population_std", DDOF_HINT,
        ("test_standardize_is_right_for_several_batch_sizes",)),
    "standardize_std_positive": Bug(
        "01_covariate_shift", "standardize",
        "import numpy as np\n\ndef standardize(X):\n    mean, std = X.mean(axis=0), X.std(axis=0)\n"
        "    return (X - mean) / np.where(std > 0, std, 1.0), mean, std\n",
        "test_standardize_constant_columns_become_zeros", "X.max(axis=0) == X.min(axis=0)"),
    "dense_no_bias": Bug(
        "03_cgpa_iq_walkthrough", "dense_forward", "def dense_forward(X, W, b):\n    return X @ W\n",
        "test_dense_forward_adds_the_bias_of_each_unit", DENSE_BUG_HINTS["no_bias"],
        ("test_dense_forward_is_right_for_several_shapes", "test_dense_forward_single_sample_and_single_unit",
         "test_dense_forward_w_is_d_in_by_d_out", "test_dense_forward_float32_and_non_contiguous_inputs")),
    "neuron_ddof1": Bug(
        "03_cgpa_iq_walkthrough", "bn_neuron",
        "import numpy as np\n\ndef bn_neuron(z, gamma, beta, eps=1e-5):\n"
        "    return gamma * (z - z.mean()) / np.sqrt(z.var(ddof=1) + eps) + beta\n",
        "test_bn_neuron_uses_the_biased_variance", FORWARD_BUG_HINTS["ddof1"],
        ("test_bn_neuron_is_right_for_several_batch_sizes",)),
    "by_hand_unbiased_var": Bug(
        "03_cgpa_iq_walkthrough", "by_hand_var", "import numpy as np\nvar_by_hand = np.array([24.0833, 0.0833])\n",
        "test_by_hand_var_is_right_to_two_decimals", "not by 3"),
    "by_hand_shared_gamma": Bug(
        "03_cgpa_iq_walkthrough", "by_hand_y",
        "import numpy as np\ny_by_hand = np.array([[0.41, 0.2], [-1.35, -1.4], [1.35, 1.4], [-0.41, -0.2]])\n",
        "test_by_hand_y_is_right_to_two_decimals", "its own gamma and beta"),
    "update_in_place": Bug(
        "05_inference", "update_running_stats",
        UPDATE.format(body="    running_mean *= momentum\n    running_mean += (1 - momentum) * batch_mean\n"
                           "    running_var *= momentum\n    running_var += (1 - momentum) * batch_var\n"
                           "    return running_mean, running_var"),
        "test_update_running_stats_returns_new_arrays_inputs_unchanged", "compute new arrays"),
    "update_mean_for_var": Bug(
        "05_inference", "update_running_stats",
        UPDATE.format(body="    new_mean = momentum * running_mean + (1 - momentum) * batch_mean\n"
                           "    new_var = momentum * running_var + (1 - momentum) * batch_mean\n"
                           "    return new_mean, new_var"),
        "test_update_running_stats_variance_follows_the_batch_variance", UPDATE_BUG_HINTS["mean_for_var"],
        ("test_update_running_stats_momentum_weighs_the_old_value",
         "test_update_running_stats_uses_the_momentum_it_is_given",
         "test_update_running_stats_shapes_dtypes_and_layouts")),
    "inference_float64": Bug(
        "05_inference", "batchnorm_inference",
        INFERENCE.format(body="    x = np.asarray(x, dtype=np.float64)\n"
                              "    return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta"),
        "test_batchnorm_inference_float32_keeps_dtype", "work in the input's dtype"),
    "inference_eps_outside": Bug(
        "05_inference", "batchnorm_inference",
        INFERENCE.format(body="    return gamma * (x - running_mean) / (np.sqrt(running_var) + eps) + beta"),
        "test_batchnorm_inference_uses_the_eps_it_is_given", INFERENCE_BUG_HINTS["eps_outside"],
        ("test_batchnorm_inference_is_right_for_several_batch_sizes",
         "test_batchnorm_inference_uses_running_statistics_not_batch_statistics",
         "test_batchnorm_inference_works_on_non_contiguous_arrays")),
    "reach_zero_based": Bug(
        "06_experiments", "epochs_to_reach",
        REACH.format(body="    for i, v in enumerate(values):\n        if v >= threshold:\n            return i\n"
                          "    return None"),
        "test_epochs_to_reach_counts_epochs_from_one", "numbered from 1",
        ("test_epochs_to_reach_threshold_reached_with_equality", "test_epochs_to_reach_reads_val_metric_from_a_history",
         "test_epochs_to_reach_first_epoch_even_if_it_dips_later", "test_epochs_to_reach_accepts_arrays_and_tuples")),
    "reach_strict": Bug(
        "06_experiments", "epochs_to_reach",
        REACH.format(body="    for i, v in enumerate(values, start=1):\n        if v > threshold:\n"
                          "            return i\n    return None"),
        "test_epochs_to_reach_threshold_reached_with_equality", "'reaches' means >= threshold"),
    "reach_never_is_zero": Bug(
        "06_experiments", "epochs_to_reach",
        REACH.format(body="    for i, v in enumerate(values, start=1):\n        if v >= threshold:\n"
                          "            return i\n    return 0"),
        "test_epochs_to_reach_returns_none_when_never_reached", "return None",
        ("test_epochs_to_reach_reads_val_metric_from_a_history", "test_epochs_to_reach_accepts_arrays_and_tuples")),
    "reach_train_metric": Bug(
        "06_experiments", "epochs_to_reach",
        REACH.format(body="    values = history.metric if hasattr(history, 'metric') else history\n"
                          "    for i, v in enumerate(values, start=1):\n        if v >= threshold:\n"
                          "            return i\n    return None"),
        "test_epochs_to_reach_reads_val_metric_from_a_history", "history.val_metric"),
}

# The eight mistakes the brief names; each must cost the points of the test that names it.
REQUIRED = ("backward_no_mean_path", "backward_no_var_path", "backward_no_gamma", "forward_ddof1", "forward_axis1",
            "forward_in_place", "update_momentum_reversed", "inference_batch_stats")
