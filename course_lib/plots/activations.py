"""Activation figures: one layer's distribution across training, and one neuron through BN."""

import matplotlib.pyplot as plt
import numpy as np

from ._style import WITH_BN_COLOR, WITHOUT_BN_COLOR, _new_axes

__all__ = ["plot_activation_histograms", "plot_activation_ridgeline", "plot_bn_transform"]


def _snapshot_densities(snapshots, bins, value_range=None):
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
    if value_range is not None:
        lo, hi = (float(v) for v in value_range)
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"value_range must be (low, high) with low < high; got {value_range!r}")
        value_range = (lo, hi)
    # Shared edges, so that drift between snapshots is not blurred by rebinning.
    edges = np.histogram_bin_edges(np.concatenate(values), bins=bins, range=value_range)
    return labels, edges, [np.histogram(a, bins=edges, density=True)[0] for a in values]


def _step_colors(n):
    return plt.get_cmap("viridis")(np.linspace(0.0, 0.9, n))


def plot_activation_histograms(snapshots, *, bins=40, value_range=None, ax=None, title=None):
    """Overlay the distribution of one layer's activations at several training steps.

    Parameters
    ----------
    snapshots : sequence of (str, array_like)
        ``(label, activations)`` from early to late; activations of any shape
        (e.g. (N, D): N samples, D units) are flattened, non-finite values dropped.
    bins : int
        Number of bins, shared by all snapshots.
    value_range : (float, float), optional
        The x range the bins cover (values outside it are left out), by default all values.
        Give several figures one range to compare them on one x-axis.
    ax, title : optional Axes to draw into, and title.

    Returns
    -------
    matplotlib.figure.Figure
        One outlined, semi-transparent density histogram per snapshot,
        coloured from dark (early) to light (late).
    """
    labels, edges, densities = _snapshot_densities(snapshots, bins, value_range)
    fig, ax = _new_axes(ax)
    for label, density, c in zip(labels, densities, _step_colors(len(labels))):
        ax.stairs(density, edges, fill=True, facecolor=(*c[:3], 0.2), edgecolor=c, lw=1.6, label=label)
    ax.set(xlabel="activation", ylabel="density", xlim=(edges[0], edges[-1]),
           title=title or "Activation distribution across training")
    ax.legend(fontsize="small", ncols=1 + len(labels) // 8)
    return fig


def plot_activation_ridgeline(snapshots, *, bins=40, value_range=None, ax=None, title=None):
    """One density curve per training step, offset vertically (a ridgeline), earliest on top.

    Parameters are those of ``plot_activation_histograms``. Returns the Figure,
    with one line and one filled region per snapshot.
    """
    labels, edges, densities = _snapshot_densities(snapshots, bins, value_range)
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
    ax.set_xlim(edges[0], edges[-1])
    ax.grid(axis="x", alpha=0.3)
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
