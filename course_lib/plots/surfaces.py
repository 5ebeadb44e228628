"""Loss landscapes of a bias-free linear model on two features, raw against standardized."""

import numpy as np

from ._style import _check_xy, _new_axes

__all__ = ["condition_number", "loss_surface", "plot_loss_contours"]


def condition_number(X):
    """Largest over smallest eigenvalue of ``X.T @ X / N`` for X (N, D); inf if singular."""
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.size == 0:
        raise ValueError(f"X must be a non-empty 2-D array (N, D); got shape {X.shape}")
    eig = np.linalg.eigvalsh(X.T @ X / X.shape[0])
    return float(eig[-1] / eig[0]) if eig[0] > eig[-1] * 1e-15 else float("inf")


def loss_surface(X, y, w1, w2):
    """Loss ``mean((X @ w - y)**2)`` of a bias-free linear model at every w of a grid.

    Parameters
    ----------
    X : array_like, (N, 2)
    y : array_like, (N,) or (N, 1)
    w1, w2 : array_like, (G1, G2)
        The two weights at each grid point, e.g. from ``np.meshgrid``.

    Returns
    -------
    ndarray, (G1, G2)
    """
    X, y = _check_xy(X, y)
    w1, w2 = np.broadcast_arrays(np.asarray(w1, dtype=float), np.asarray(w2, dtype=float))
    # L(w) = L* + d^T A d with d = w - w* needs O(G1*G2) memory, not the O(N*G1*G2) of
    # explicit residuals, and keeps the small values near the minimum free of cancellation.
    A = X.T @ X / X.shape[0]
    w_opt = np.linalg.lstsq(X, y, rcond=None)[0]
    d1, d2 = w1 - w_opt[0], w2 - w_opt[1]
    return np.mean((X @ w_opt - y) ** 2) + A[0, 0] * d1**2 + 2 * A[0, 1] * d1 * d2 + A[1, 1] * d2**2


def _contour_panel(ax, X, y, grid, name):
    eig, vec = np.linalg.eigh(X.T @ X / X.shape[0])
    eig = np.maximum(eig, eig[-1] * 1e-12)  # a singular X still gets a (very long) valley
    w_opt = np.linalg.lstsq(X, y, rcond=None)[0]
    l_opt = np.mean((X @ w_opt - y) ** 2)
    # Half-width: keep the origin, where training starts, in view.
    R = 1.3 * max(np.abs(w_opt).max(), 1 / np.sqrt(eig[-1]))
    # A polar grid in the whitened coordinates s = sqrt(d^T A d), d = w - w*: a square grid
    # has no points inside the thin ellipses of an ill-conditioned loss; this one follows them.
    # Its radius, 1.5 R sqrt(eig_max), reaches the corners of the window.
    s, t = np.meshgrid(np.linspace(0, 1.5 * R * np.sqrt(eig[-1]), grid), np.linspace(0, 2 * np.pi, grid))
    # Unit-loss direction for each angle, (grid, grid, 2).
    d = (np.stack([np.cos(t), np.sin(t)], axis=-1) / np.sqrt(eig)) @ vec.T
    W1, W2 = w_opt[0] + s * d[..., 0], w_opt[1] + s * d[..., 1]
    # Closed ellipses whose long axis fits the window, then, for an ill-conditioned loss,
    # levels up to the one whose short axis spans it: the walls of a narrow valley.
    closed = eig[0] * R**2 * np.geomspace(0.01, 0.8, 8)
    walls = np.geomspace(closed[-1], 0.9 * eig[-1] * R**2, 6)[1:] if eig[-1] > 2 * eig[0] else []
    # Contouring sqrt(L - L*), linear in s, puts each level exactly where it belongs on the grid.
    excess = np.sqrt(np.maximum(loss_surface(X, y, W1, W2) - l_opt, 0))
    levels = np.sqrt(np.concatenate([closed, walls]))
    ax.contour(W1, W2, excess, levels=levels, cmap="viridis", linewidths=1.2)
    ax.plot(*w_opt, "*", color="crimson", ms=13, label="optimum $w^*$")
    ax.plot(0, 0, "o", color="black", ms=5, label="origin")
    ax.set_aspect("equal")
    ax.set(xlim=(w_opt[0] - R, w_opt[0] + R), ylim=(w_opt[1] - R, w_opt[1] + R),
           xlabel="$w_1$", ylabel="$w_2$", title=f"{name} features")
    ax.text(0.03, 0.97, rf"$\kappa(X^\top X / N)$ = {condition_number(X):.3g}", transform=ax.transAxes,
            va="top", fontsize="small", bbox=dict(boxstyle="round", fc="white", alpha=0.85))
    ax.legend(loc="lower right", fontsize="small")


def plot_loss_contours(X, y, *, axes=None, grid=101):
    """Contours of a linear-regression loss over (w1, w2), raw features against standardized.

    Parameters
    ----------
    X : array_like, (N, 2)
    y : array_like, (N,) or (N, 1)
    axes : optional sequence of two Axes to draw into.
    grid : int
        Grid points along each coordinate (radius and angle around the optimum).

    Returns
    -------
    matplotlib.figure.Figure
        Left, ``mean((X @ w - y)**2)``; right, the same with the columns of X
        standardized (population std) and y centred. Each panel is centred on
        its optimum, has equal aspect and gives the condition number of
        ``X.T @ X / N``.
    """
    X, y = _check_xy(X, y)
    std = X.std(axis=0)
    if not np.all(std > 0):
        raise ValueError("every column of X must vary: a constant feature cannot be standardized")
    if axes is not None and len(axes) != 2:
        raise ValueError(f"axes must hold exactly 2 Axes, got {len(axes)}")
    fig, axes = _new_axes(axes, ncols=2, figsize=(10, 4.8))
    _contour_panel(axes[0], X, y, grid, "raw")
    _contour_panel(axes[1], (X - X.mean(axis=0)) / std, y - y.mean(), grid, "standardized")
    fig.suptitle("Loss contours over the weights: raw against standardized features")
    return fig
