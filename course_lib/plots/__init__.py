"""Figures for the course: training curves, activation drift, loss contours, BN stages.

Every function draws into ``ax`` (or ``axes``) when given one and otherwise
creates a new figure; it returns the ``Figure`` and never calls ``plt.show()``.
In a notebook, end the cell with ``;`` when the call is its last line, or the
figure shows twice. Runs labelled "with BN" and "without BN" (also "BN",
"no BN", "plain") get ``WITH_BN_COLOR`` and ``WITHOUT_BN_COLOR`` in every
figure, or shades of them when several such runs share one.

Submodules, one topic each:

- ``curves``: per-epoch training curves, several seeds as a band
- ``activations``: activation histograms and ridgeline across training, one neuron through BN
- ``surfaces``: condition number, loss surface and loss contours of a linear model
- ``boundaries``: a binary classifier's decision boundary
- ``claims``: the deep network's claims of notebook 06
- ``beyond``: notebook 07's feature maps, groups, conv-net runs, batch-size sweep and batch dependence
- ``_style``: the shared colours, axes and input check
"""

from ._style import WITH_BN_COLOR, WITHOUT_BN_COLOR
from .activations import plot_activation_histograms, plot_activation_ridgeline, plot_bn_transform
from .boundaries import plot_decision_boundary
from .curves import plot_training_curves
from .surfaces import condition_number, loss_surface, plot_loss_contours

__all__ = [
    "WITH_BN_COLOR",
    "WITHOUT_BN_COLOR",
    "plot_training_curves",
    "plot_activation_histograms",
    "plot_activation_ridgeline",
    "loss_surface",
    "condition_number",
    "plot_loss_contours",
    "plot_decision_boundary",
    "plot_bn_transform",
]
