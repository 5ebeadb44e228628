"""Figures for the course: training curves, activation drift, loss contours, BN stages.

Every function draws into ``ax`` (or ``axes``) when given one and otherwise
creates a new figure; it returns the ``Figure`` and never calls ``plt.show()``.
In a notebook, end the cell with ``;`` when the call is its last line, or the
figure shows twice. Runs labelled "with BN" and "without BN" (also "BN",
"no BN", "plain") get ``WITH_BN_COLOR`` and ``WITHOUT_BN_COLOR`` in every
figure, or shades of them when several such runs share one.
"""

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np

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

WITH_BN_COLOR = "tab:blue"
WITHOUT_BN_COLOR = "tab:orange"
# Other labels cycle through colours that cannot be mistaken for the two above.
_OTHER_COLORS = ["tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:olive", "tab:cyan", "tab:gray"]
_HISTORY_KEYS = ("loss", "val_loss", "metric", "val_metric")


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


def _key_name(key, metric_name):
    split = "val" if key.startswith("val_") else "train"
    return f"{split} {'loss' if key.endswith('loss') else metric_name}"


def _seed_band(runs):
    """Epochs (E,) and the median, min and max (E,) over runs (1-D arrays) of any lengths."""
    table = np.full((len(runs), max(len(r) for r in runs)), np.nan)
    for i, r in enumerate(runs):
        table[i, : len(r)] = np.where(np.isfinite(r), r, np.nan)  # a diverged epoch leaves a gap
    stats = np.full((3, table.shape[1]), np.nan)
    # nan-reductions warn on all-NaN columns, so only columns with data are reduced.
    ok = np.isfinite(table).any(axis=0)
    stats[:, ok] = [np.nanmedian(table[:, ok], 0), np.nanmin(table[:, ok], 0), np.nanmax(table[:, ok], 0)]
    return np.arange(1, table.shape[1] + 1), *stats


def _check_histories(histories, keys):
    if not isinstance(histories, Mapping):
        raise ValueError(f"histories must be a mapping label -> History, got {type(histories).__name__}")
    if not histories:
        raise ValueError("histories is empty: pass at least one label -> History")
    keys = (keys,) if isinstance(keys, str) else tuple(keys)
    if not keys or any(k not in _HISTORY_KEYS for k in keys):
        raise ValueError(f"keys must be a non-empty subset of {_HISTORY_KEYS}; got {keys}")
    runs_by_label = {}
    for label, value in histories.items():
        # A History is tested for first, in case it is ever made a (named) tuple.
        runs = list(value) if isinstance(value, (list, tuple)) and not hasattr(value, "loss") else [value]
        if not runs:
            raise ValueError(f"histories[{label!r}] is an empty list of runs")
        missing = {f for h in runs for f in _HISTORY_KEYS + ("metric_name",) if not hasattr(h, f)}
        if missing:
            raise ValueError(f"histories[{label!r}] lacks field(s) {sorted(missing)}; expected a History")
        runs_by_label[label] = runs
    return runs_by_label, keys


def plot_training_curves(histories, *, keys=("loss", "val_loss"), ax=None, title=None, logy=False):
    """Plot per-epoch curves of one or several training runs.

    Parameters
    ----------
    histories : Mapping[str, History | Sequence[History]]
        Label -> a History (per-epoch lists ``loss``, ``metric``, ``val_loss``,
        ``val_metric``; ``metric_name``; ``stopped``) or a list of Histories
        from several seeds, drawn as their median line and min-max band.
        Runs may differ in length (a run that stopped early).
    keys : sequence of str
        Any of "loss", "val_loss", "metric", "val_metric". Training keys are
        solid, validation keys dashed; a key whose lists are empty is skipped.
    ax, title : optional Axes to draw into, and title.
    logy : bool
        Logarithmic y axis.

    Returns
    -------
    matplotlib.figure.Figure
        One line per (label, key) with data, epochs from 1. Runs whose
        ``stopped`` is set get an "x" at their last finite value.
    """
    runs_by_label, keys = _check_histories(histories, keys)
    fig, ax = _new_axes(ax)
    colors = _label_colors(list(runs_by_label))
    # Loss and metric share line styles, so when both are drawn the metric gets markers.
    mixed = len({k.endswith("loss") for k in keys}) == 2
    for label, runs in runs_by_label.items():
        for key in keys:
            series = [np.asarray(getattr(h, key), dtype=float) for h in runs]
            if all(len(s) == 0 for s in series):
                continue
            epochs, median, low, high = _seed_band([s for s in series if len(s)])
            ax.plot(epochs, median, "--" if key.startswith("val_") else "-", color=colors[label], lw=1.8,
                    marker="o" if mixed and key.endswith("metric") else None, ms=3.5,
                    label=f"{label}: {_key_name(key, runs[0].metric_name)}")
            if len(runs) > 1:
                ax.fill_between(epochs, low, high, color=colors[label], alpha=0.2, lw=0)
            for h, s in zip(runs, series):
                last = np.flatnonzero(np.isfinite(s))[-1:]
                if getattr(h, "stopped", None) and last.size:
                    ax.scatter(last + 1, s[last], marker="x", s=60, color=colors[label], zorder=3)
    if not ax.lines:
        raise ValueError(f"nothing to plot: every history has empty lists for keys {keys}")
    names = sorted({h.metric_name for runs in runs_by_label.values() for h in runs})
    ylabel = [k for k in ("loss",) if any(k2.endswith("loss") for k2 in keys)]
    ylabel += names if any(k.endswith("metric") for k in keys) else []
    ax.set(xlabel="epoch", ylabel=" / ".join(ylabel), title=title or "Training curves",
           yscale="log" if logy else "linear")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def _snapshot_densities(snapshots, bins):
    """Labels, shared bin edges (B + 1,) and one density (B,) per snapshot."""
    if len(snapshots) == 0:
        raise ValueError("snapshots is empty: pass a sequence of (label, activations) pairs")
    labels, values = [], []
    for item in snapshots:
        if len(item) != 2:
            raise ValueError("each snapshot must be a (label, activations) pair")
        a = np.asarray(item[1], dtype=float).ravel()
        if not np.isfinite(a).any():
            raise ValueError(f"snapshot {item[0]!r} has no finite activations")
        labels.append(str(item[0]))
        values.append(a[np.isfinite(a)])
    # Shared edges, so that drift between snapshots is not blurred by rebinning.
    edges = np.histogram_bin_edges(np.concatenate(values), bins=bins)
    return labels, edges, [np.histogram(a, bins=edges, density=True)[0] for a in values]


def _step_colors(n):
    return plt.get_cmap("viridis")(np.linspace(0.0, 0.9, n))


def plot_activation_histograms(snapshots, *, bins=40, ax=None, title=None):
    """Overlay the distribution of one layer's activations at several training steps.

    Parameters
    ----------
    snapshots : sequence of (str, array_like)
        ``(label, activations)`` from early to late; activations of any shape
        (e.g. (N, D): N samples, D units) are flattened, non-finite values dropped.
    bins : int
        Number of bins, shared by all snapshots.
    ax, title : optional Axes to draw into, and title.

    Returns
    -------
    matplotlib.figure.Figure
        One outlined, semi-transparent density histogram per snapshot,
        coloured from dark (early) to light (late).
    """
    labels, edges, densities = _snapshot_densities(snapshots, bins)
    fig, ax = _new_axes(ax)
    for label, density, c in zip(labels, densities, _step_colors(len(labels))):
        ax.stairs(density, edges, fill=True, facecolor=(*c[:3], 0.2), edgecolor=c, lw=1.6, label=label)
    ax.set(xlabel="activation", ylabel="density", title=title or "Activation distribution across training")
    ax.legend(fontsize="small", ncols=1 + len(labels) // 8)
    return fig


def plot_activation_ridgeline(snapshots, *, bins=40, ax=None, title=None):
    """One density curve per training step, offset vertically (a ridgeline), earliest on top.

    Parameters are those of ``plot_activation_histograms``. Returns the Figure,
    with one line and one filled region per snapshot.
    """
    labels, edges, densities = _snapshot_densities(snapshots, bins)
    centres, n = (edges[:-1] + edges[1:]) / 2, len(labels)
    # The tallest peak reaches 1.5 rows, so neighbouring ridges overlap a little.
    scale = 1.5 / max(d.max() for d in densities)
    fig, ax = _new_axes(ax, figsize=(6.4, 1.5 + 0.45 * n))
    for i, (density, c) in enumerate(zip(densities, _step_colors(n))):
        base = n - 1 - i
        # Each lower (later) ridge is drawn over the one above it, as in a landscape.
        ax.fill_between(centres, base, base + scale * density, color=c, alpha=0.85, zorder=2 * i)
        ax.plot(centres, base + scale * density, color="black", lw=0.8, zorder=2 * i + 1)
    ax.set_yticks(np.arange(n)[::-1], labels)
    ax.set(xlabel="activation", ylabel="training step", ylim=(-0.2, n + 0.7),
           title=title or "Activation distribution across training")
    ax.grid(axis="x", alpha=0.3)
    return fig


def _check_xy(X, y):
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] < 2:
        raise ValueError(f"X must have shape (N, 2): N >= 2 samples of two features; got shape {X.shape}")
    y = np.asarray(y, dtype=float)
    if y.shape not in ((X.shape[0],), (X.shape[0], 1)):
        raise ValueError(f"y must have shape (N,) or (N, 1) with N = {X.shape[0]}; got shape {y.shape}")
    return X, y.ravel()


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


def plot_bn_transform(z, x_hat, y, *, axes=None):
    """Histograms of one neuron's batch through the three stages of batch normalization.

    Parameters
    ----------
    z : array_like, (N,)
        Pre-activations.
    x_hat : array_like, (N,)
        ``(z - mu_B) / sqrt(var_B + eps)``.
    y : array_like, (N,)
        ``gamma * x_hat + beta``.
    axes : optional sequence of three Axes to draw into.

    Returns
    -------
    matplotlib.figure.Figure
        Three panels, each marking the batch mean and giving mean and std.
    """
    arrays = [np.asarray(a, dtype=float) for a in (z, x_hat, y)]
    for name, a in zip(("z", "x_hat", "y"), arrays):
        if a.ndim != 1 or a.size == 0 or a.shape != arrays[0].shape:
            raise ValueError(f"z, x_hat and y must be 1-D arrays (N,) of one length; {name} is {a.shape}")
        if not np.isfinite(a).all():
            raise ValueError(f"{name} contains NaN or inf")
    if axes is not None and len(axes) != 3:
        raise ValueError(f"axes must hold exactly 3 Axes, got {len(axes)}")
    fig, axes = _new_axes(axes, ncols=3, figsize=(12, 3.8))
    titles = ["pre-activation $z$", r"normalized $\hat{x} = (z - \mu_B)\,/\,\sqrt{\sigma_B^2 + \epsilon}$",
              r"scaled and shifted $y = \gamma\,\hat{x} + \beta$"]
    for ax, a, title, c in zip(axes, arrays, titles, (WITHOUT_BN_COLOR, WITH_BN_COLOR, "tab:green")):
        ax.hist(a, bins=30, color=c, alpha=0.8, edgecolor="white", lw=0.5)
        ax.axvline(a.mean(), color="black", ls="--", lw=1)
        # Round-off leaves x_hat's mean at ~1e-17, which would read as a real offset.
        mean = a.mean() if abs(a.mean()) > 1e-9 * max(a.std(), 1.0) else 0.0
        ax.text(0.97, 0.95, f"mean {mean:.3g}\nstd {a.std():.3g}", transform=ax.transAxes, ha="right",
                va="top", fontsize="small", bbox=dict(boxstyle="round", fc="white", alpha=0.85))
        ax.set(title=title, xlabel="value", ylabel="count")
    fig.suptitle("One neuron through batch normalization")
    return fig
