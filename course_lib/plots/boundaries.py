"""Decision boundary of a binary classifier on two features, with the data over it."""

import numpy as np

from ._style import _check_xy, _new_axes

__all__ = ["plot_decision_boundary"]


def plot_decision_boundary(predict_proba, X, y, *, ax=None, title=None, resolution=200, threshold=0.5):
    """Fill a binary classifier's probability over the plane and overlay the data.

    Parameters
    ----------
    predict_proba : callable
        Maps points (M, 2) to probabilities of class 1, shape (M,) or (M, 1).
    X : array_like, (N, 2)
    y : array_like, (N,)
        Labels 0 or 1.
    ax, title : optional Axes to draw into (a colorbar is added beside it), and title.
    resolution : int
        Grid points per axis.
    threshold : float
        Probability at which the boundary line is drawn.

    Returns
    -------
    matplotlib.figure.Figure
    """
    X, y = _check_xy(X, y)
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y must hold class labels 0 and 1 only")
    # A 10% margin keeps the outermost points off the edge.
    margin = np.where(np.ptp(X, axis=0) > 0, 0.1 * np.ptp(X, axis=0), 0.5)
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    G1, G2 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    p = np.asarray(predict_proba(np.column_stack([G1.ravel(), G2.ravel()])), dtype=float)
    if p.shape not in ((G1.size,), (G1.size, 1)):
        raise ValueError(
            f"predict_proba must return shape (M,) or (M, 1) for M = {G1.size} points; got {p.shape}"
        )
    if np.any((p < 0) | (p > 1)):
        raise ValueError("predict_proba returned values outside [0, 1]: pass probabilities, not logits")
    P = p.reshape(G1.shape)

    fig, ax = _new_axes(ax, figsize=(6.4, 5))
    filled = ax.contourf(G1, G2, P, levels=np.linspace(0, 1, 21), cmap="RdBu_r", vmin=0, vmax=1, alpha=0.65)
    fig.colorbar(filled, ax=ax, label="P(y = 1)", ticks=np.linspace(0, 1, 6))
    finite = P[np.isfinite(P)]
    if finite.size and finite.min() < threshold < finite.max():
        ax.contour(G1, G2, P, levels=[threshold], colors="black", linewidths=1.8)
    # Black edges and two marker shapes keep points visible over the region of their own colour.
    for cls, color, marker in ((0, "#2166ac", "o"), (1, "#b2182b", "s")):
        ax.scatter(*X[y == cls].T, s=24, color=color, marker=marker, edgecolor="black", lw=0.6,
                   label=f"class {cls}")
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title or f"Decision boundary (p = {threshold:g})")
    ax.legend(loc="upper right", fontsize="small")
    return fig
