"""The exercise table: the one place an exercise is defined.

Each row says what the student writes (a function, or a value worked by
hand), where (its notebook and the nbgrader ``grade_id`` of its cell), its
contract, its reference, its points and the mistakes it knows. Extraction,
the sandbox, the reports, the gradebook, the self-check and the release
tests loop over this table; none of them names an exercise.

Convention: the visible check of row ``e`` is ``course_lib.checks.check_<e.name>``,
its hidden suite ``autograder/suites/<e.assignment>/test_<e.suite>.py``, and its
mistakes are entries of ``course_lib.mistakes``.

``reference`` is a ``module:attribute`` path inside ``course_lib``; it is a
string so that importing this table never imports a reference
implementation. Each module named there holds only reference code, so that
the student bundle (scripts/bundle.py) leaves them out whole.
"""

from typing import NamedTuple

__all__ = ["Exercise", "FUNCTION", "VALUE", "EXERCISES", "ASSIGNMENTS", "exercise", "exercises_of",
           "exercise_of_grade_id"]

FUNCTION = "function"   # the student defines ``def <name>(...)``
VALUE = "value"         # the student assigns ``<name> = ...``, a value worked out by hand


class Exercise(NamedTuple):
    name: str          # the function or variable the student defines
    kind: str          # FUNCTION or VALUE
    assignment: str    # the notebook it is written in
    grade_id: str      # the nbgrader grade_id of its cell
    signature: str     # the contract, as the notebook states it
    reference: str     # "module:attribute" in course_lib
    points: float      # what its hidden tests are worth together
    mistakes: tuple = ()   # the names of its entries in course_lib.mistakes
    suite: str = ""    # its hidden-suite file is test_<suite>.py (default: its name)

    @property
    def suite_file(self):
        return f"test_{self.suite or self.name}.py"


ASSIGNMENTS = (
    "01_covariate_shift",
    "02_bn_equations",
    "03_cgpa_iq_walkthrough",
    "04_backprop",
    "05_inference",
    "06_experiments",
    "07_beyond_dense",
)


def _function(name, assignment, signature, reference, points, mistakes=()):
    return Exercise(name, FUNCTION, assignment, name, signature, reference, points, tuple(mistakes))


def _by_hand(step, signature, mistakes=(), assignment="03_cgpa_iq_walkthrough"):
    """A value of the notes' CGPA/IQ walkthrough worked by hand (notebook 03 forward, 04 backward): grade_id
    by_hand_<step> assigns <step>_by_hand, 1 point; the hidden suite is the assignment's test_by_hand.py."""
    return Exercise(f"{step}_by_hand", VALUE, assignment, f"by_hand_{step}", signature,
                    f"walkthrough:{step}", 1.0, tuple(mistakes), suite="by_hand")


EXERCISES = (
    _function("standardize", "01_covariate_shift",
              "standardize(X) -> (X_std, mean, std)", "normalize:standardize", 4.0,
              ("ddof1", "std_positive")),
    _function("batchnorm_forward", "02_bn_equations",
              "batchnorm_forward(x, gamma, beta, eps=1e-5) -> (out, cache)", "batchnorm:batchnorm_forward", 6.0,
              ("ddof1", "axis1", "eps_outside", "no_eps", "std_not_var", "swap_gamma_beta", "no_affine", "in_place",
               "float64", "naive_variance")),
    _function("bn_param_count", "02_bn_equations",
              "bn_param_count(units) -> (total, trainable, non_trainable)", "batchnorm:bn_param_count", 2.0),
    _by_hand("z", "z_by_hand: the pre-activations z = X @ W + b, shape (4, 2)"),
    _by_hand("mu", "mu_by_hand: the batch mean of each unit, shape (2,)"),
    _by_hand("var", "var_by_hand: the batch variance of each unit, shape (2,)", ("unbiased", "std")),
    _by_hand("z_hat", "z_hat_by_hand: the normalized pre-activations, shape (4, 2)", ("unbiased",)),
    _by_hand("y", "y_by_hand: the scaled and shifted outputs, shape (4, 2)", ("shared_gamma",)),
    _by_hand("a", "a_by_hand: the activations after ReLU, shape (4, 2)", ("shared_gamma",)),
    _function("dense_forward", "03_cgpa_iq_walkthrough",
              "dense_forward(X, W, b) -> Z", "dense:dense_forward", 2.0,
              ("no_bias", "transposed")),
    _function("hidden_layer_forward", "03_cgpa_iq_walkthrough",
              "hidden_layer_forward(X, W, b, gamma, beta, placement, eps=1e-5) -> A",
              "walkthrough:hidden_layer_forward", 3.0, ("swapped", "no_bias", "no_eps")),
    _by_hand("dbeta", "dbeta_by_hand: dL/dbeta of each neuron, shape (2,)", ("mean",), "04_backprop"),
    _by_hand("dgamma", "dgamma_by_hand: dL/dgamma of each neuron, shape (2,)", ("no_x_hat",), "04_backprop"),
    _by_hand("dx", "dx_by_hand: dL/dz of neuron 2 for students 1 and 2, shape (2,)",
             ("no_n_terms", "no_var_term", "no_gamma"), "04_backprop"),
    _function("batchnorm_backward", "04_backprop",
              "batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)", "batchnorm:batchnorm_backward", 6.0,
              ("no_mean_path", "no_var_path", "no_gamma", "n_minus_1", "dx_is_dx_hat", "own_eps",
               "writes_into_dout")),
    _function("batchnorm_backward_alt", "04_backprop",
              "batchnorm_backward_alt(dout, cache) -> (dx, dgamma, dbeta)", "batchnorm:batchnorm_backward_alt",
              6.0,
              ("no_mean_path", "no_var_path", "no_gamma", "n_minus_1", "dx_is_dx_hat")),
    _function("update_running_stats", "05_inference",
              "update_running_stats(running_mean, running_var, batch_mean, batch_var, momentum=0.9)"
              " -> (new_mean, new_var)", "running_stats:update_running_stats", 4.0,
              ("swapped", "mean_for_var", "in_place")),
    _function("batchnorm_inference", "05_inference",
              "batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5) -> out",
              "running_stats:batchnorm_inference", 4.0,
              ("batch_stats", "eps_outside", "var_as_std", "no_affine", "float64")),
    _function("epochs_to_reach", "06_experiments",
              "epochs_to_reach(history, threshold) -> int or None", "reach:epochs_to_reach", 3.0,
              ("zero_based", "strict", "never_is_zero", "train_metric")),
    _function("spatial_batchnorm_forward", "07_beyond_dense",
              "spatial_batchnorm_forward(x, gamma, beta, eps=1e-5) -> (out, cache)",
              "spatial_batchnorm:spatial_batchnorm_forward", 4.0,
              ("per_sample", "hw_only", "no_transpose")),
    _function("spatial_batchnorm_backward", "07_beyond_dense",
              "spatial_batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)",
              "spatial_batchnorm:spatial_batchnorm_backward", 4.0,
              ("no_transpose", "batch_count", "no_mean_path")),
    _function("layernorm_forward", "07_beyond_dense",
              "layernorm_forward(x, gamma, beta, eps=1e-5) -> (out, cache)", "layernorm:layernorm_forward", 3.0,
              ("batch_axis", "running_stats")),
    _function("layernorm_backward", "07_beyond_dense",
              "layernorm_backward(dout, cache) -> (dx, dgamma, dbeta)", "layernorm:layernorm_backward", 3.0,
              ("batch_axis", "params_over_features", "no_mean_path")),
    _function("groupnorm_forward", "07_beyond_dense",
              "groupnorm_forward(x, gamma, beta, G, eps=1e-5) -> (out, cache)", "groupnorm:groupnorm_forward", 4.0,
              ("strided_groups", "group_size")),
    _function("fold_batchnorm", "07_beyond_dense",
              "fold_batchnorm(W, b, gamma, beta, running_mean, running_var, eps=1e-5) -> (W_folded, b_folded)",
              "folding:fold_batchnorm", 3.0,
              ("bias_no_mean", "bias_unscaled")),
)

_BY_NAME = {e.name: e for e in EXERCISES}
_BY_GRADE_ID = {(e.assignment, e.grade_id): e for e in EXERCISES}


def exercise(name):
    """The Exercise called ``name``; a ValueError lists the known names."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown exercise {name!r}; the exercises are {sorted(_BY_NAME)}") from None


def exercises_of(assignment):
    """The exercises written in ``assignment``, in notebook order."""
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"unknown assignment {assignment!r}; the assignments are {list(ASSIGNMENTS)}")
    return tuple(e for e in EXERCISES if e.assignment == assignment)


def exercise_of_grade_id(assignment, grade_id):
    """The Exercise whose cell in ``assignment`` has ``grade_id``, or None."""
    return _BY_GRADE_ID.get((assignment, grade_id))
