"""The mistake catalogue: each known mistake of each exercise, written once.

A Mistake names its exercise (a row of ``course_lib.exercises``), says what
the student should do instead (``hint``, the words both the visible check
and the hidden suite show when an answer matches it), and gives the mistake
as a student writes it (``source``, the exercise's cell). ``test`` is the
hidden test that names it and ``also`` the others it may fail.

From this one catalogue come the mistakes' outputs stored for the visible
checks (``course_lib/checks/expected.json``, with the hints), the outputs
the hidden suites compute on their own inputs (``autograder/suites/mistakes.py``)
and the corpora the project's tests grade. The sources are nearly the
solutions, so this module is instructor-side: the student bundle leaves it out.
"""

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from .compare import DTYPE_HINT, UNCHANGED_HINT

__all__ = ["Mistake", "MISTAKES", "mistakes_of", "mistake", "hints", "run", "value"]


class Mistake(NamedTuple):
    exercise: str      # the table's row it belongs to
    name: str
    hint: str          # what to do instead, as the checks and the suites say it
    source: str        # the exercise's cell, as a student with this mistake writes it
    test: str = ""     # the hidden test that names it
    also: tuple = ()   # other hidden tests it may fail


# Hints that one mistake shares across exercises (the same slip in two places).
DDOF1 = "use the biased batch variance, dividing by N (np.var's default), not N - 1"
EPS_OUTSIDE = "eps goes inside the square root: (x - mu) / sqrt(var + eps)"
NO_EPS = "add eps to the variance before the square root"
STD_NOT_VAR = "divide by the standard deviation sqrt(var + eps), not by the variance"
SWAP = "out = gamma * x_hat + beta: gamma scales, beta shifts"
NO_AFFINE = "after normalizing, scale and shift: out = gamma * x_hat + beta"
NO_MEAN_PATH = "x reaches out through mu too: include the gradient through the mean, dmu"
NO_VAR_PATH = "x reaches out through var too: include the gradient through the variance, dvar"
NO_GAMMA = "dx_hat = dout * gamma: the scale multiplies the upstream gradient"
N_MINUS_1 = "the forward pass divides by N (biased variance); so do the derivatives of mu and var"
DX_IS_DX_HAT = "dx is not dx_hat: x_hat depends on x directly and through mu and var"
IN_PLACE, DTYPE = UNCHANGED_HINT, DTYPE_HINT
UNBIASED = "the batch variance divides by the batch size 4, not by 3"
SHARED_GAMMA = "each neuron has its own gamma and beta: neuron 1 uses gamma[0], beta[0]"

FORWARD = '''import numpy as np
from course_lib.bncache import BNCache


def batchnorm_forward(x, gamma, beta, eps=1e-5):
{stats}
    inv_std = 1.0 / {denom}
    x_hat = (x - mu) * inv_std
    out = {out}
    return out, BNCache(x=x, x_hat=x_hat, mu=mu, var=var, inv_std=inv_std, gamma=gamma, eps=eps)
'''
STATS = "    mu = x.mean(axis=0)\n    var = x.var(axis=0)"


def _forward(stats=STATS, denom="np.sqrt(var + eps)", out="gamma * x_hat + beta"):
    return FORWARD.format(stats=stats, denom=denom, out=out)


LAYER = '''import numpy as np


def hidden_layer_forward(X, W, b, gamma, beta, placement, eps=1e-5):
    z = {z}

    def bn(v):
        mu, var = v.mean(axis=0), v.var(axis=0)
        return gamma * (v - mu) / {denom} + beta

    if placement == {before!r}:
        return np.maximum(bn(z), 0.0)
    return bn(np.maximum(z, 0.0))
'''


def _layer(z="np.asarray(X, dtype=float) @ W + b", denom="np.sqrt(var + eps)", before="before"):
    return LAYER.format(z=z, denom=denom, before=before)


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
    dx = {dx}
    return dx, dgamma, dbeta
'''


def _backward(dx_hat="dout * gamma", dvar="(dx_hat * xc).sum(axis=0) * -0.5 * inv_std**3",
              dmu="-(dx_hat * inv_std).sum(axis=0) - 2.0 * dvar * xc.mean(axis=0)",
              dx="dx_hat * inv_std + dvar * 2.0 * xc / N + dmu / N", before=""):
    source = BACKWARD.format(dx_hat=dx_hat, dvar=dvar, dmu=dmu, dx=dx)
    return source.replace("    N = dout.shape[0]\n", "    N = dout.shape[0]\n" + before)


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
STANDARDIZE = '''import numpy as np


def standardize(X):
{body}
'''

_F, _B, _A = "test_batchnorm_forward_", "test_batchnorm_backward_", "test_batchnorm_backward_alt_"
_L, _U, _I, _R = "test_hidden_layer_forward_", "test_update_running_stats_", "test_batchnorm_inference_", "test_epochs_to_reach_"


# ---- notebook 07: beyond the dense layer ----
SPATIAL_FORWARD = """import numpy as np
from course_lib.bncache import BNCache


def spatial_batchnorm_forward(x, gamma, beta, eps=1e-5):
    N, C, H, W = x.shape
    rows = {rows}
    mu = rows.mean(axis=0)
    var = rows.var(axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (rows - mu) * inv_std
    out = {back}
    return out, BNCache(x=rows, x_hat=x_hat, mu=mu, var=var, inv_std=inv_std, gamma=gamma, eps=eps)
"""
# statistics taken on the 4-D array over ``axes`` (the right ones are (0, 2, 3)), the cache as rows anyway
SPATIAL_AXES = """import numpy as np
from course_lib.bncache import BNCache


def spatial_batchnorm_forward(x, gamma, beta, eps=1e-5):
    N, C, H, W = x.shape
    mu = x.mean(axis={axes}, keepdims=True)
    var = x.var(axis={axes}, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    out = gamma.reshape(1, C, 1, 1) * x_hat + beta.reshape(1, C, 1, 1)
    rows = x.transpose(0, 2, 3, 1).reshape(-1, C)
    x_hat_rows = x_hat.transpose(0, 2, 3, 1).reshape(-1, C)
    return out, BNCache(x=rows, x_hat=x_hat_rows, mu=mu.ravel(), var=var.ravel(), inv_std=inv_std.ravel(),
                        gamma=gamma, eps=eps)
"""
SPATIAL_BACKWARD = """import numpy as np


def spatial_batchnorm_backward(dout, cache):
    N, C, H, W = dout.shape
    x_hat, inv_std, gamma = cache.x_hat, cache.inv_std, cache.gamma
    d = {rows}
    M = {M}
    dbeta = d.sum(axis=0)
    dgamma = (d * x_hat).sum(axis=0)
    dx = {dx}
    return {back}, dgamma, dbeta
"""
SB_ROWS, SB_BACK = "dout.transpose(0, 2, 3, 1).reshape(-1, C)", "dx.reshape(N, H, W, C).transpose(0, 3, 1, 2)"
SB_DX = "gamma * inv_std / M * (M * d - dbeta - x_hat * dgamma)"


def _spatial_backward(rows=SB_ROWS, M="d.shape[0]", dx=SB_DX, back=SB_BACK):
    return SPATIAL_BACKWARD.format(rows=rows, M=M, dx=dx, back=back)


LN_FORWARD = """import numpy as np
from course_lib.bncache import LNCache


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis={axis}, keepdims=True)
    var = x.var(axis={axis}, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    out = gamma * x_hat + beta
    return out, LNCache(x_hat=x_hat, inv_std=inv_std, gamma=gamma, eps=eps)
"""
# Batch norm's running statistics carried over to layer norm: the per-sample statistics are averaged
# into a running mean and variance, kept from call to call, and the batch is normalized with those,
# as batch norm does at inference. A sample's output then depends on the other samples and on the
# batches before it.
LN_RUNNING = """import numpy as np
from course_lib.bncache import LNCache

running_mu, running_var = 0.0, 1.0   # kept from batch to batch, as batch norm keeps them


def layernorm_forward(x, gamma, beta, eps=1e-5, momentum=0.9):
    global running_mu, running_var
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    running_mu = momentum * running_mu + (1 - momentum) * float(mu.mean())
    running_var = momentum * running_var + (1 - momentum) * float(var.mean())
    inv_std = np.full_like(mu, 1.0 / (running_var + eps) ** 0.5)
    x_hat = (x - running_mu) * inv_std
    out = gamma * x_hat + beta
    return out, LNCache(x_hat=x_hat, inv_std=inv_std, gamma=gamma, eps=eps)
"""
LN_BACKWARD = """import numpy as np


def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma, eps = cache
    dbeta = dout.sum(axis={p})
    dgamma = (dout * x_hat).sum(axis={p})
    dx_hat = dout * gamma
    n = x_hat.shape[{k}]
    dx = inv_std / n * (n * dx_hat{mean} - x_hat * (dx_hat * x_hat).sum(axis={k}, keepdims=True))
    return dx, dgamma, dbeta
"""
LN_MEAN = " - dx_hat.sum(axis={k}, keepdims=True)"


def _ln_backward(p=0, k=1, mean=True):
    return LN_BACKWARD.format(p=p, k=k, mean=LN_MEAN.format(k=k) if mean else "")


GN_FORWARD = """import numpy as np


def groupnorm_forward(x, gamma, beta, G, eps=1e-5):
    N, C, H, W = x.shape
    groups = {groups}
    mu = groups.mean(axis={axes}, keepdims=True)
    var = groups.var(axis={axes}, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = ((groups - mu) * inv_std).reshape(N, C, H, W)
    out = gamma.reshape(1, C, 1, 1) * x_hat + beta.reshape(1, C, 1, 1)
    return out, (x_hat, inv_std.reshape(N, -1), gamma, G, eps)
"""
FOLD = """import numpy as np


def fold_batchnorm(W, b, gamma, beta, running_mean, running_var, eps=1e-5):
    s = gamma / np.sqrt({var} + eps)
    W_folded = W * s
    b_folded = {bias}
    return W_folded, b_folded
"""
_SF, _SB = "test_spatial_batchnorm_forward_", "test_spatial_batchnorm_backward_"
_LF, _LB, _GF, _FB = "test_layernorm_forward_", "test_layernorm_backward_", "test_groupnorm_forward_", \
    "test_fold_batchnorm_"


def _walkthrough():
    """The walkthrough's numbers with each hand-worked slip: {(exercise, name): value}."""
    from .data import cgpa_iq_example

    ex = cgpa_iq_example()
    z = ex.X @ ex.W + ex.b
    mu = z.mean(axis=0)
    z_hat = (z - mu) / np.sqrt(z.var(axis=0) + ex.eps)
    var1 = z.var(axis=0, ddof=1)
    y_shared = ex.gamma[0] * z_hat + ex.beta[0]
    # notebook 04: back through BN with the upstream gradient dout; dx asked for neuron 2, students 1 and 2
    dout = np.array([[1.0, 2.0], [-1.0, 0.0], [0.0, -1.0], [2.0, 1.0]])
    N, r = len(z), 1.0 / np.sqrt(z.var(axis=0) + ex.eps)
    dbeta, dgamma = dout.sum(axis=0), (dout * z_hat).sum(axis=0)
    entries = ([0, 1], [1, 1])
    no_n_terms = ex.gamma * r * dout
    no_var_term = ex.gamma * r / N * (N * dout - dbeta)
    no_gamma = r / N * (N * dout - dbeta - z_hat * dgamma)
    return {("var_by_hand", "unbiased"): var1, ("var_by_hand", "std"): z.std(axis=0),
            ("z_hat_by_hand", "unbiased"): (z - mu) / np.sqrt(var1 + ex.eps),
            ("y_by_hand", "shared_gamma"): y_shared, ("a_by_hand", "shared_gamma"): np.maximum(y_shared, 0.0),
            ("dbeta_by_hand", "mean"): dout.mean(axis=0), ("dgamma_by_hand", "no_x_hat"): dout.sum(axis=0),
            ("dx_by_hand", "no_n_terms"): no_n_terms[entries], ("dx_by_hand", "no_var_term"): no_var_term[entries],
            ("dx_by_hand", "no_gamma"): no_gamma[entries]}


def _by_hand(exercise, name, hint):
    """A hand-worked slip, typed in as a student types it: the numbers rounded to 4 decimals."""
    numbers = np.round(_walkthrough()[exercise, name], 4).tolist()
    return Mistake(exercise, name, hint, f"import numpy as np\n{exercise} = np.array({numbers})\n",
                   f"test_by_hand_{exercise.removesuffix('_by_hand')}_is_right_to_two_decimals")


MISTAKES = (
    # ---- standardize ----
    Mistake("standardize", "ddof1",
            "use the population standard deviation, dividing by N: np.std's default (ddof=0), not ddof=1",
            STANDARDIZE.format(body="    X = np.asarray(X, dtype=float)\n"
                                    "    mean, std = X.mean(axis=0), X.std(axis=0, ddof=1)\n"
                                    "    constant = X.max(axis=0) == X.min(axis=0)\n"
                                    "    X_std = np.where(constant, 0.0, (X - mean) / np.where(constant, 1.0, std))\n"
                                    "    return X_std, mean, np.where(constant, 0.0, std)"),
            "test_standardize_std_is_the_population_std", ("test_standardize_is_right_for_several_batch_sizes",)),
    Mistake("standardize", "std_positive",
            "find the constant columns exactly, with X.max(axis=0) == X.min(axis=0), and map them to 0; "
            "`std > 0` is not enough, as the computed std of a column of 0.1s is about 1e-17, not 0",
            STANDARDIZE.format(body="    X = np.asarray(X, dtype=float)\n    mean, std = X.mean(axis=0), X.std(axis=0)\n"
                                    "    return (X - mean) / np.where(std > 0, std, 1.0), mean, std"),
            "test_standardize_constant_columns_become_zeros"),
    # ---- batchnorm_forward ----
    Mistake("batchnorm_forward", "ddof1", DDOF1,
            _forward(stats="    mu = x.mean(axis=0)\n    var = x.var(axis=0, ddof=1)"),
            _F + "uses_the_biased_variance", (_F + "is_right_for_several_batch_sizes",)),
    Mistake("batchnorm_forward", "axis1", "statistics are per feature, over the batch: mean and var along axis=0",
            _forward(stats="    mu = x.mean(axis=1, keepdims=True)\n    var = x.var(axis=1, keepdims=True)"),
            _F + "statistics_are_over_the_batch_axis",
            (_F + "is_right_for_several_batch_sizes", _F + "cache_holds_what_backward_needs",
             _F + "constant_column_gives_beta")),
    Mistake("batchnorm_forward", "eps_outside", EPS_OUTSIDE, _forward(denom="(np.sqrt(var) + eps)"),
            _F + "uses_the_eps_it_is_given",
            (_F + "is_right_for_several_batch_sizes", _F + "cache_holds_what_backward_needs",
             _F + "is_accurate_for_large_offsets", _F + "gamma_scales_and_beta_shifts")),
    Mistake("batchnorm_forward", "no_eps", NO_EPS, _forward(denom="np.sqrt(var)")),
    Mistake("batchnorm_forward", "std_not_var", STD_NOT_VAR, _forward(denom="(var + eps)")),
    Mistake("batchnorm_forward", "swap_gamma_beta", SWAP, _forward(out="beta * x_hat + gamma")),
    Mistake("batchnorm_forward", "no_affine", NO_AFFINE, _forward(out="x_hat")),
    Mistake("batchnorm_forward", "in_place", IN_PLACE,
            "import numpy as np\nfrom course_lib.bncache import BNCache\n\n\n"
            "def batchnorm_forward(x, gamma, beta, eps=1e-5):\n"
            "    mu = x.mean(axis=0)\n    x -= mu\n    var = (x**2).mean(axis=0)\n"
            "    inv_std = 1.0 / np.sqrt(var + eps)\n    x_hat = x * inv_std\n    out = gamma * x_hat + beta\n"
            "    return out, BNCache(x=x, x_hat=x_hat, mu=mu, var=var, inv_std=inv_std, gamma=gamma, eps=eps)\n",
            _F + "leaves_inputs_unchanged", (_F + "cache_holds_what_backward_needs",)),
    Mistake("batchnorm_forward", "float64", DTYPE,
            _forward(stats="    x = np.asarray(x, dtype=float)\n    mu = x.mean(axis=0)\n"
                           "    var = ((x - mu)**2).mean(axis=0)"),
            _F + "float32_keeps_dtype"),
    Mistake("batchnorm_forward", "naive_variance",
            "compute the variance as the mean of (x - mu)**2: mean(x**2) - mu**2 subtracts two huge, "
            "almost equal numbers and loses the digits that matter",
            _forward(stats="    mu = x.mean(axis=0)\n    var = (x**2).mean(axis=0) - mu**2"),
            _F + "is_accurate_for_large_offsets"),
    # ---- bn_param_count: no catalogued mistake ----
    # ---- hand-worked values ----
    _by_hand("var_by_hand", "unbiased", UNBIASED),
    _by_hand("var_by_hand", "std", "this looks like the standard deviation; the variance is its square"),
    _by_hand("z_hat_by_hand", "unbiased", UNBIASED),
    _by_hand("y_by_hand", "shared_gamma", SHARED_GAMMA),
    _by_hand("a_by_hand", "shared_gamma", SHARED_GAMMA),
    _by_hand("dbeta_by_hand", "mean",
             "beta is shared by the 4 students, so their gradients add up: dbeta is the sum of dout over the "
             "batch, not its mean"),
    _by_hand("dgamma_by_hand", "no_x_hat",
             "gamma multiplies x_hat: dgamma is the sum over the batch of dout * x_hat, each student's dout "
             "weighted by its own x_hat"),
    _by_hand("dx_by_hand", "no_n_terms",
             "x reaches the output through mu and var too, and both are shared by the batch: dx has the direct "
             "term gamma * r * dout and also the two terms with 1/N, through the mean and through the variance"),
    _by_hand("dx_by_hand", "no_var_term",
             "the path through the variance is missing: it adds a term proportional to x_hat * dgamma / N"),
    _by_hand("dx_by_hand", "no_gamma", "dx_hat = gamma * dout: neuron 2 has gamma = 2, which scales its dx"),
    # ---- dense_forward ----
    Mistake("dense_forward", "no_bias", "add the bias b to every row: Z = X @ W + b",
            "def dense_forward(X, W, b):\n    return X @ W\n",
            "test_dense_forward_adds_the_bias_of_each_unit",
            ("test_dense_forward_is_right_for_several_shapes", "test_dense_forward_single_sample_and_single_unit",
             "test_dense_forward_w_is_d_in_by_d_out", "test_dense_forward_float32_and_non_contiguous_inputs")),
    Mistake("dense_forward", "transposed", "W has shape (D_in, D_out): Z = X @ W + b, with X (N, D_in)",
            "def dense_forward(X, W, b):\n    return X @ W.T + b\n"),
    # ---- hidden_layer_forward ----
    Mistake("hidden_layer_forward", "swapped",
            "placement='before' means BN before the activation, ReLU(BN(X @ W + b)); "
            "placement='after' means BN after it, BN(ReLU(X @ W + b))",
            _layer(before="after"), _L + "bn_before_the_activation",
            (_L + "bn_after_the_activation", _L + "is_right_on_the_notes_example", _L + "bias_decides_what_relu_cuts",
             _L + "dead_neuron_after_relu_gives_beta")),
    Mistake("hidden_layer_forward", "no_bias",
            "add the bias: z = X @ W + b. BN before the activation cancels b, but with BN after ReLU, b decides "
            "which values ReLU cuts, so it changes the output",
            _layer(z="np.asarray(X, dtype=float) @ W"), _L + "bias_decides_what_relu_cuts"),
    Mistake("hidden_layer_forward", "no_eps",
            "divide by sqrt(var + eps), with eps inside: it changes a neuron of small variance, and after ReLU a "
            "neuron can be 0 for the whole batch, where only eps keeps BN finite (it then gives beta)",
            _layer(denom="np.sqrt(var)"), _L + "dead_neuron_after_relu_gives_beta"),
    # ---- batchnorm_backward ----
    Mistake("batchnorm_backward", "no_mean_path", NO_MEAN_PATH, _backward(dmu="0.0"),
            _B + "gradient_through_the_mean_path", (_B + "dx_is_right_for_several_batch_sizes",)),
    Mistake("batchnorm_backward", "no_var_path", NO_VAR_PATH, _backward(dvar="0.0"),
            _B + "gradient_through_the_variance_path", (_B + "dx_is_right_for_several_batch_sizes",)),
    Mistake("batchnorm_backward", "no_gamma", NO_GAMMA, _backward(dx_hat="dout"),
            _B + "gamma_scales_the_upstream_gradient", (_B + "dx_is_right_for_several_batch_sizes",)),
    Mistake("batchnorm_backward", "n_minus_1", N_MINUS_1,
            _backward(dx="dx_hat * inv_std + dvar * 2.0 * xc / (N - 1) + dmu / N")),
    Mistake("batchnorm_backward", "dx_is_dx_hat", DX_IS_DX_HAT, _backward(dx="dx_hat * inv_std")),
    Mistake("batchnorm_backward", "own_eps", "use what the cache holds: its inv_std, or 1 / sqrt(var + eps) with the cache's eps, "
            "not an eps of your own",
            _backward(before="    inv_std = 1 / np.sqrt(var + 1e-5)\n"), _B + "uses_the_eps_of_the_cache"),
    Mistake("batchnorm_backward", "writes_into_dout", IN_PLACE,
            _backward(dx_hat="dout").replace("    dx_hat = dout\n", "    dx_hat = dout\n    dx_hat *= gamma\n"),
            _B + "leaves_dout_and_cache_unchanged"),
    # ---- batchnorm_backward_alt ----
    Mistake("batchnorm_backward_alt", "no_mean_path", NO_MEAN_PATH,
            BACKWARD_ALT.format(dx="gamma * inv_std / N * (N * dout - x_hat * dgamma)"),
            _A + "gradient_through_the_mean_path", (_A + "dx_is_right_for_several_batch_sizes",)),
    Mistake("batchnorm_backward_alt", "no_var_path", NO_VAR_PATH,
            BACKWARD_ALT.format(dx="gamma * inv_std / N * (N * dout - dbeta)"),
            _A + "gradient_through_the_variance_path", (_A + "dx_is_right_for_several_batch_sizes",)),
    Mistake("batchnorm_backward_alt", "no_gamma", NO_GAMMA,
            BACKWARD_ALT.format(dx="inv_std / N * (N * dout - dbeta - x_hat * dgamma)"),
            _A + "gamma_scales_the_upstream_gradient", (_A + "dx_is_right_for_several_batch_sizes",)),
    Mistake("batchnorm_backward_alt", "n_minus_1", N_MINUS_1,
            BACKWARD_ALT.format(dx="gamma * inv_std * (dout - dbeta / N - x_hat * dgamma / (N - 1))")),
    Mistake("batchnorm_backward_alt", "dx_is_dx_hat", DX_IS_DX_HAT, BACKWARD_ALT.format(dx="dout * gamma * inv_std")),
    # ---- update_running_stats ----
    Mistake("update_running_stats", "swapped",
            "in the notes' convention momentum weighs the OLD running value: "
            "momentum * running + (1 - momentum) * batch (PyTorch's momentum is the other way round)",
            UPDATE.format(body="    new_mean = (1 - momentum) * running_mean + momentum * batch_mean\n"
                               "    new_var = (1 - momentum) * running_var + momentum * batch_var\n"
                               "    return new_mean, new_var"),
            _U + "momentum_weighs_the_old_value"),
    Mistake("update_running_stats", "mean_for_var",
            "update the running variance with the batch variance, not the batch mean",
            UPDATE.format(body="    new_mean = momentum * running_mean + (1 - momentum) * batch_mean\n"
                               "    new_var = momentum * running_var + (1 - momentum) * batch_mean\n"
                               "    return new_mean, new_var"),
            _U + "variance_follows_the_batch_variance",
            (_U + "momentum_weighs_the_old_value", _U + "uses_the_momentum_it_is_given",
             _U + "shapes_dtypes_and_layouts")),
    Mistake("update_running_stats", "in_place", IN_PLACE,
            UPDATE.format(body="    running_mean *= momentum\n    running_mean += (1 - momentum) * batch_mean\n"
                               "    running_var *= momentum\n    running_var += (1 - momentum) * batch_var\n"
                               "    return running_mean, running_var"),
            _U + "returns_new_arrays_inputs_unchanged"),
    # ---- batchnorm_inference ----
    Mistake("batchnorm_inference", "batch_stats",
            "at inference, normalize with running_mean and running_var, not the statistics of x",
            INFERENCE.format(body="    mu, var = x.mean(axis=0), x.var(axis=0)\n"
                                  "    return gamma * (x - mu) / np.sqrt(var + eps) + beta"),
            _I + "uses_running_statistics_not_batch_statistics", (_I + "is_right_for_several_batch_sizes",)),
    Mistake("batchnorm_inference", "eps_outside", "eps goes inside the square root: sqrt(running_var + eps)",
            INFERENCE.format(body="    return gamma * (x - running_mean) / (np.sqrt(running_var) + eps) + beta"),
            _I + "uses_the_eps_it_is_given",
            (_I + "is_right_for_several_batch_sizes", _I + "uses_running_statistics_not_batch_statistics",
             _I + "works_on_non_contiguous_arrays")),
    Mistake("batchnorm_inference", "var_as_std",
            "running_var is a variance: divide by its square root, sqrt(running_var + eps)",
            INFERENCE.format(body="    return gamma * (x - running_mean) / (running_var + eps) + beta")),
    Mistake("batchnorm_inference", "no_affine", "after normalizing, scale and shift: gamma * x_hat + beta",
            INFERENCE.format(body="    return (x - running_mean) / np.sqrt(running_var + eps)")),
    Mistake("batchnorm_inference", "float64", DTYPE,
            INFERENCE.format(body="    x = np.asarray(x, dtype=np.float64)\n"
                                  "    return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta"),
            _I + "float32_keeps_dtype"),
    # ---- epochs_to_reach ----
    Mistake("epochs_to_reach", "zero_based", "epochs are numbered from 1: the first epoch is epoch 1 (enumerate(values, start=1))",
            REACH.format(body="    for i, v in enumerate(values):\n        if v >= threshold:\n            return i\n"
                              "    return None"),
            _R + "counts_epochs_from_one",
            (_R + "threshold_reached_with_equality", _R + "reads_val_metric_from_a_history",
             _R + "first_epoch_even_if_it_dips_later", _R + "accepts_arrays_and_tuples")),
    Mistake("epochs_to_reach", "strict", "'reaches' means >= threshold: an epoch whose value equals the threshold reaches it",
            REACH.format(body="    for i, v in enumerate(values, start=1):\n        if v > threshold:\n"
                              "            return i\n    return None"),
            _R + "threshold_reached_with_equality"),
    Mistake("epochs_to_reach", "never_is_zero", "return None (not 0, -1 or the number of epochs) when no epoch reaches the threshold",
            REACH.format(body="    for i, v in enumerate(values, start=1):\n        if v >= threshold:\n"
                              "            return i\n    return 0"),
            _R + "returns_none_when_never_reached",
            (_R + "reads_val_metric_from_a_history", _R + "accepts_arrays_and_tuples")),
    Mistake("epochs_to_reach", "train_metric",
            ("given a History, use history.val_metric (the validation metric of each epoch), not "
             "history.metric or history.loss; given a list, use the list"),
            REACH.format(body="    values = history.metric if hasattr(history, 'metric') else history\n"
                              "    for i, v in enumerate(values, start=1):\n        if v >= threshold:\n"
                              "            return i\n    return None"),
            _R + "reads_val_metric_from_a_history"),
    # ---- spatial_batchnorm_forward ----
    Mistake("spatial_batchnorm_forward", "per_sample",
            "batch norm's statistics are per channel: one mean and one variance for each channel, over the N "
            "samples and the H*W positions (axes 0, 2 and 3), not per sample over its channels and positions "
            "(that is layer norm)",
            SPATIAL_AXES.format(axes=(1, 2, 3)), _SF + "statistics_are_per_channel_over_n_h_w",
            (_SF + "is_right_for_several_shapes",)),
    Mistake("spatial_batchnorm_forward", "hw_only",
            "average each channel over the batch too: over its N*H*W values (axes 0, 2 and 3), not over the "
            "H*W positions of one sample's map (that is instance norm)",
            SPATIAL_AXES.format(axes=(2, 3)), _SF + "statistics_are_per_channel_over_n_h_w",
            (_SF + "is_right_for_several_shapes",)),
    Mistake("spatial_batchnorm_forward", "no_transpose",
            "move the channels last before reshaping: x.transpose(0, 2, 3, 1).reshape(-1, C), and back with "
            "reshape(N, H, W, C).transpose(0, 3, 1, 2); x.reshape(-1, C) alone puts values of several "
            "channels in one column",
            SPATIAL_FORWARD.format(rows="x.reshape(N * H * W, C)", back="(gamma * x_hat + beta).reshape(N, C, H, W)"),
            _SF + "transposes_before_reshaping", (_SF + "is_right_for_several_shapes",)),
    # ---- spatial_batchnorm_backward ----
    Mistake("spatial_batchnorm_backward", "no_transpose",
            "bring dout into the cache's rows: dout.transpose(0, 2, 3, 1).reshape(-1, C), and dx back with "
            "reshape(N, H, W, C).transpose(0, 3, 1, 2); a reshape alone puts values of several channels in "
            "one column",
            _spatial_backward(rows="dout.reshape(-1, C)", back="dx.reshape(N, C, H, W)"),
            _SB + "transposes_before_reshaping", (_SB + "dx_is_right_for_several_shapes",)),
    Mistake("spatial_batchnorm_backward", "batch_count",
            "a channel's mean and variance average N*H*W values, so batch norm's 1/N becomes 1/(N*H*W): the "
            "number of rows of the (N*H*W, C) view, not the batch size N",
            _spatial_backward(M="N"), _SB + "averages_over_all_n_h_w_values",
            (_SB + "dx_is_right_for_several_shapes",)),
    Mistake("spatial_batchnorm_backward", "no_mean_path", NO_MEAN_PATH,
            _spatial_backward(dx="gamma * inv_std / M * (M * d - x_hat * dgamma)"),
            _SB + "gradient_through_the_mean_path", (_SB + "dx_is_right_for_several_shapes",)),
    # ---- layernorm_forward ----
    Mistake("layernorm_forward", "batch_axis",
            "layer norm normalizes each sample over its own D features: mean and var along axis=1 "
            "(keepdims=True), not over the batch (axis=0)",
            LN_FORWARD.format(axis=0), _LF + "statistics_are_over_each_samples_features",
            (_LF + "is_right_for_several_shapes",)),
    Mistake("layernorm_forward", "running_stats",
            "layer norm keeps no running statistics: normalize each sample with its own mean and variance, "
            "over its features, in every call; nothing carries over from one batch (or one sample) to the next",
            LN_RUNNING, _LF + "keeps_no_running_statistics", (_LF + "is_right_for_several_shapes",)),
    # ---- layernorm_backward ----
    Mistake("layernorm_backward", "batch_axis",
            "layer norm's mean and variance are per sample, so the sums in dx run over the D features of each "
            "row (axis=1, keepdims=True), not over the batch (axis=0) as in batch norm",
            _ln_backward(k=0), _LB + "sums_run_over_each_samples_features",
            (_LB + "dx_is_right_for_several_shapes",)),
    Mistake("layernorm_backward", "params_over_features",
            "gamma and beta are per feature and shared by the samples, as in batch norm: dgamma and dbeta sum "
            "over the batch (axis=0), one entry per feature",
            _ln_backward(p=1), _LB + "dgamma_and_dbeta_sum_over_the_batch",
            (_LB + "returns_three_gradients_of_the_right_shapes", _LB + "dx_is_right_for_several_shapes")),
    Mistake("layernorm_backward", "no_mean_path", NO_MEAN_PATH, _ln_backward(mean=False),
            _LB + "gradient_through_the_mean_path", (_LB + "dx_is_right_for_several_shapes",)),
    # ---- groupnorm_forward ----
    Mistake("groupnorm_forward", "strided_groups",
            "a group is C // G neighbouring channels (0 .. C/G - 1, then C/G .. 2C/G - 1, ...): "
            "x.reshape(N, G, -1) keeps them together; x.reshape(N, C // G, G, H, W) puts every G-th "
            "channel in one group",
            GN_FORWARD.format(groups="x.reshape(N, C // G, G, H, W)", axes=(1, 3, 4)),
            _GF + "groups_are_neighbouring_channels", (_GF + "is_right_for_several_shapes",)),
    Mistake("groupnorm_forward", "group_size",
            "G is the number of groups, each of C // G channels: x.reshape(N, G, -1), "
            "not x.reshape(N, C // G, -1)",
            GN_FORWARD.format(groups="x.reshape(N, C // G, -1)", axes=2),
            _GF + "g_is_the_number_of_groups", (_GF + "is_right_for_several_shapes",)),
    # ---- fold_batchnorm ----
    # Folding with a batch's variance instead of the running one is not catalogued: fold_batchnorm is given
    # running_mean and running_var, so that mistake is made where its arguments are picked (a BNCache's mu and
    # var instead of the layer's running statistics), never inside it. The check's trained-layer case shows
    # what a folded layer must reproduce: the network's output in eval mode.
    Mistake("fold_batchnorm", "bias_no_mean",
            "the folded bias subtracts the running mean too: b' = (b - running_mean) * s + beta, with "
            "s = gamma / sqrt(running_var + eps); b * s + beta leaves out the -gamma * running_mean / "
            "sqrt(running_var + eps) term",
            FOLD.format(var="running_var", bias="b * s + beta"), _FB + "folded_bias_subtracts_the_running_mean",
            (_FB + "folded_layer_equals_dense_then_bn_in_eval_mode",)),
    Mistake("fold_batchnorm", "bias_unscaled",
            "batch norm scales the whole pre-activation x @ W + b, its bias included: "
            "b' = (b - running_mean) * s + beta, not b - running_mean * s + beta",
            FOLD.format(var="running_var", bias="b - running_mean * s + beta"), _FB + "bias_is_scaled_too",
            (_FB + "folded_layer_equals_dense_then_bn_in_eval_mode",)),
)

_BY_KEY = {(m.exercise, m.name): m for m in MISTAKES}


def mistakes_of(exercise):
    """The Mistakes of ``exercise``, in catalogue order."""
    return tuple(m for m in MISTAKES if m.exercise == exercise)


def mistake(exercise, name):
    """The Mistake ``name`` of ``exercise``; a KeyError names what is known."""
    try:
        return _BY_KEY[exercise, name]
    except KeyError:
        raise KeyError(f"no mistake {name!r} of {exercise!r}; it has {[m.name for m in mistakes_of(exercise)]}") \
            from None


def hints():
    """{exercise: {name: hint}}: the part of the catalogue students may see (it goes into expected.json)."""
    out = {}
    for m in MISTAKES:
        out.setdefault(m.exercise, {})[m.name] = m.hint
    return out


@lru_cache(maxsize=None)
def _namespace(exercise, name):
    m = mistake(exercise, name)
    namespace = {"__name__": f"mistake_{exercise}_{name}"}
    exec(compile(m.source, f"<mistake {exercise}/{name}>", "exec"), namespace)
    return namespace


def run(exercise, name, *args, **kwargs):
    """What the function ``exercise`` with mistake ``name`` returns for these arguments (trusted code only)."""
    return _namespace(exercise, name)[exercise](*args, **kwargs)


def value(exercise, name):
    """The value a student with mistake ``name`` assigns to ``exercise`` (a value worked by hand)."""
    return _namespace(exercise, name)[exercise]
