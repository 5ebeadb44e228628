"""Private helpers shared by the figure modules: run colours, new axes, the (N, 2) input check.

Runs labelled "with BN" and "without BN" (also "BN", "no BN", "plain") get
``WITH_BN_COLOR`` and ``WITHOUT_BN_COLOR`` in every figure, or shades of them
when several such runs share one.
"""

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["WITH_BN_COLOR", "WITHOUT_BN_COLOR", "_new_axes", "_label_colors", "_check_xy"]

WITH_BN_COLOR = "tab:blue"
WITHOUT_BN_COLOR = "tab:orange"
# Other labels cycle through colours that cannot be mistaken for the two above.
_OTHER_COLORS = ["tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:olive", "tab:cyan", "tab:gray"]


def _new_axes(ax, ncols=1, figsize=(6.4, 4.2)):
    if ax is None:
        return plt.subplots(1, ncols, figsize=figsize, layout="constrained")
    # ax.figure is a SubFigure inside subfigures; its .figure is the root Figure.
    return (ax[0] if ncols > 1 else ax).figure.figure, ax


def _bn_family(label):
    text = str(label).lower().replace("-", " ").replace("_", " ")
    if any(w in text for w in ("without", "no bn", "plain", "no batch")):
        return "without"
    return "with" if any(w in text for w in ("bn", "batchnorm", "batch norm")) else "other"


def _label_colors(labels):
    """Blues for BN runs, oranges for runs without it, other hues for the rest."""
    families = {lab: _bn_family(lab) for lab in labels}
    colors = {}
    for family, base, cmap in (("with", WITH_BN_COLOR, "Blues"), ("without", WITHOUT_BN_COLOR, "Oranges")):
        members = [lab for lab in labels if families[lab] == family]
        # Several BN variants in one figure get shades of the family colour, still told apart.
        shades = [base] if len(members) == 1 else plt.get_cmap(cmap)(np.linspace(0.95, 0.45, len(members)))
        colors.update(zip(members, shades))
    others = [lab for lab in labels if families[lab] == "other"]
    colors.update((lab, _OTHER_COLORS[i % len(_OTHER_COLORS)]) for i, lab in enumerate(others))
    return colors


def _check_xy(X, y):
    """X as float (N, 2) with N >= 2, and y (N,) or (N, 1) as float (N,)."""
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] < 2:
        raise ValueError(f"X must have shape (N, 2): N >= 2 samples of two features; got shape {X.shape}")
    y = np.asarray(y, dtype=float)
    if y.shape not in ((X.shape[0],), (X.shape[0], 1)):
        raise ValueError(f"y must have shape (N,) or (N, 1) with N = {X.shape[0]}; got shape {y.shape}")
    return X, y.ravel()
