"""Visible checks: the public tests a student runs after each exercise.

Each ``check_<exercise>(fn)`` runs a handful of cases on the student's
function, prints which passed and, for each failure, what differed and a
hint, and raises ``CheckFailed`` unless every case passed. The checks hold
inputs and expected outputs, never an implementation of an exercise.
"""

from ._report import CheckFailed, Report
from .backward import check_batchnorm_backward, check_batchnorm_backward_alt
from .beyond_dense import (check_fold_batchnorm, check_groupnorm_forward, check_layernorm_backward,
                           check_layernorm_forward, check_spatial_batchnorm_backward, check_spatial_batchnorm_forward)
from .by_hand import (check_a_by_hand, check_by_hand, check_dbeta_by_hand, check_dgamma_by_hand, check_dx_by_hand,
                      check_mu_by_hand, check_var_by_hand, check_y_by_hand, check_z_by_hand, check_z_hat_by_hand)
from .experiments import check_epochs_to_reach
from .forward import check_batchnorm_forward, check_bn_param_count, check_dense_forward, check_hidden_layer_forward
from .inference import check_batchnorm_inference, check_update_running_stats
from .inputs import check_standardize

__all__ = [
    "CheckFailed",
    "Report",
    "check_standardize",
    "check_batchnorm_forward",
    "check_bn_param_count",
    "check_dense_forward",
    "check_hidden_layer_forward",
    "check_by_hand",
    "check_z_by_hand",
    "check_mu_by_hand",
    "check_var_by_hand",
    "check_z_hat_by_hand",
    "check_y_by_hand",
    "check_a_by_hand",
    "check_dbeta_by_hand",
    "check_dgamma_by_hand",
    "check_dx_by_hand",
    "check_batchnorm_backward",
    "check_batchnorm_backward_alt",
    "check_update_running_stats",
    "check_batchnorm_inference",
    "check_epochs_to_reach",
    "check_spatial_batchnorm_forward",
    "check_spatial_batchnorm_backward",
    "check_layernorm_forward",
    "check_layernorm_backward",
    "check_groupnorm_forward",
    "check_fold_batchnorm",
]
