"""Figures for notebook 07 (``course_lib.beyond``): which values share a statistic, the conv net over seeds,
the batch-size sweep and a sample's output across batches.

Batch norm is blue and no normalization orange, as everywhere in the course; layer norm is green and group
norm purple. Each function draws into the axes it is given (or a new figure) and returns the Figure.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

from ._style import WITH_BN_COLOR, WITHOUT_BN_COLOR, _new_axes

__all__ = ["NORM_COLORS", "plot_norm_groups", "plot_channel_histograms", "plot_epochs_to_target",
           "plot_batch_size_sweep", "plot_batch_dependence"]

NORM_COLORS = {None: WITHOUT_BN_COLOR, "bn": WITH_BN_COLOR, "ln": "tab:green", "gn": "tab:purple"}
_NAMES = {None: "no normalization", "bn": "batch norm", "ln": "layer norm", "gn": "group norm"}

# Which (sample, channel) cells share one mean and variance; the H*W positions of a cell always share them.
_GROUPINGS = {
    "batch norm": lambda n, c, G, N, C: c,
    "layer norm": lambda n, c, G, N, C: n,
    "instance norm": lambda n, c, G, N, C: n * C + c,
    "group norm": lambda n, c, G, N, C: n * G + c // (C // G),
}


def plot_norm_groups(kinds=tuple(_GROUPINGS), *, N=4, C=6, G=2, axes=None):
    """For each normalization, an N x C grid of (sample, channel) cells, each standing for the H*W values of
    one feature map; cells of one colour share one mean and one variance.

    kinds: names among "batch norm", "layer norm", "instance norm", "group norm"; G: group norm's groups.
    """
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    unknown = [k for k in kinds if k not in _GROUPINGS]
    if unknown or not kinds:
        raise ValueError(f"kinds must be names among {list(_GROUPINGS)}; got {kinds}")
    if C % G:
        raise ValueError(f"G = {G} must divide C = {C}")
    fig, axes = _new_axes(axes, ncols=len(kinds), figsize=(3.3 * len(kinds), 3.4))
    axes = np.atleast_1d(axes)
    palette = ListedColormap(plt.get_cmap("tab20")(np.arange(20)))
    for ax, kind in zip(axes, kinds):
        group = np.array([[_GROUPINGS[kind](n, c, G, N, C) for c in range(C)] for n in range(N)])
        ax.imshow(group % 20, cmap=palette, vmin=0, vmax=19, aspect="equal")
        ax.set_xticks(np.arange(C), [str(c + 1) for c in range(C)])
        ax.set_yticks(np.arange(N), [str(n + 1) for n in range(N)])
        ax.set_xticks(np.arange(C + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(N + 1) - 0.5, minor=True)
        ax.grid(which="minor", color="white", lw=2)
        ax.tick_params(which="minor", length=0)
        n_stats = len(np.unique(group))
        ax.set(xlabel="channel", title=f"{kind}{f', G = {G}' if kind == 'group norm' else ''}\n"
                                       f"{n_stats} means and variances")
    axes[0].set_ylabel("sample in the batch")
    return fig


def plot_channel_histograms(before, after, *, channels=(0, 1, 2), axes=None):
    """Histograms of a few channels' values over the batch and every position, before and after normalization.

    before, after: (N, C, H, W) feature maps.
    """
    before, after = np.asarray(before), np.asarray(after)
    if before.ndim != 4 or before.shape != after.shape:
        raise ValueError(f"before and after must be (N, C, H, W) maps of one shape; got {before.shape}, {after.shape}")
    fig, axes = _new_axes(axes, ncols=2, figsize=(12, 3.8))
    colors = plt.get_cmap("Dark2")(np.arange(len(channels)))
    for ax, maps, title in ((axes[0], before, "after the convolution"), (axes[1], after, "after spatial batch norm")):
        for c, color in zip(channels, colors):
            values = maps[:, c].ravel()
            ax.hist(values, bins=40, histtype="step", lw=1.8, color=color, density=True,
                    label=f"channel {c + 1}: mean {values.mean():.2f}, std {values.std():.2f}")
        ax.set(xlabel="value", ylabel="density", title=f"{title} ({maps.shape[0]}·{maps.shape[2]}·{maps.shape[3]} "
                                                       "values per channel)")
        ax.legend(fontsize="small")
        ax.grid(alpha=0.3)
    return fig


def plot_epochs_to_target(reached, *, budget, target, ax=None):
    """Epochs to the target accuracy, one dot per seed, a grey line joining the two runs of a seed.

    reached: {label: [epoch or None per seed]} for two labels; budget: the epochs trained (a run that never
    reached the target is drawn as an open circle above it).
    """
    if len(reached) != 2 or len({len(v) for v in reached.values()}) != 1:
        raise ValueError("reached must map two labels to lists of equal length, one entry per seed")
    fig, ax = _new_axes(ax, figsize=(5, 4.2))
    never = budget + 1
    values = {label: np.array([never if r is None else r for r in runs], float) for label, runs in reached.items()}
    (first, a), (second, b) = values.items()
    for i in range(len(a)):
        ax.plot([0, 1], [a[i], b[i]], color="0.8", lw=1, zorder=1)
    for x, (label, v) in enumerate(values.items()):
        color = WITHOUT_BN_COLOR if "without" in label or "no " in label else WITH_BN_COLOR
        hit = np.array([r is not None for r in reached[label]])
        jitter = np.linspace(-0.06, 0.06, len(v))
        ax.scatter(x + jitter[hit], v[hit], s=45, color=color, zorder=2)
        ax.scatter(x + jitter[~hit], v[~hit], s=45, facecolor="white", edgecolor=color, zorder=2,
                   label=f"{label}: not within {budget} epochs" if (~hit).any() else None)
        ax.plot([x - 0.2, x + 0.2], [np.median(v)] * 2, color="black", lw=2, zorder=3)
    ax.set(xticks=[0, 1], xticklabels=list(values), xlim=(-0.5, 1.5), ylim=(0, never + 0.6),
           ylabel=f"epochs to {target:.0%} validation accuracy",
           title=f"Epochs to {target:.0%}, one dot per seed (bar: median)")
    ax.set_yticks(np.arange(1, never + 1), [str(e) for e in range(1, never)] + ["never"])
    ax.grid(alpha=0.3, axis="y")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="x-small", loc="upper right")
    return fig


def plot_batch_size_sweep(sweep, *, axes=None):
    """Validation accuracy (eval mode) and the share of predictions that change between training and eval mode,
    against the batch size, for each normalization: median line and one dot per seed.

    sweep: a beyond.BatchSizeSweep.
    """
    fig, axes = _new_axes(axes, ncols=2, figsize=(13, 4.4))
    sizes = np.array(sweep.batch_sizes)
    offsets = np.linspace(0.9, 1.1, len(sweep.norms))
    for norm, offset in zip(sweep.norms, offsets):
        color, name = NORM_COLORS.get(norm, "tab:gray"), _NAMES.get(norm, str(norm))
        for ax, values in ((axes[0], sweep.accuracy[norm]), (axes[1], sweep.mismatch[norm])):
            ax.scatter(np.repeat(sizes * offset, values.shape[1]), values.ravel(), color=color, alpha=0.5, s=22)
            ax.plot(sizes, np.median(values, axis=1), "o-", color=color, lw=2,
                    label=f"{name}, median of {values.shape[1]} seeds")
    axes[0].axhline(0.1, color="black", ls=":", lw=1)
    axes[0].text(sizes[0], 0.1, " chance (10 classes)", va="bottom", fontsize="small")
    passes = f"{sweep.epochs} pass{'es' if sweep.epochs > 1 else ''}"
    axes[0].set(ylabel="validation accuracy (eval mode)", ylim=(0, 1),
                title=f"Accuracy after {passes} over the data: compare within a batch size")
    axes[1].set(ylabel="validation predictions that change", ylim=(-0.02, 1),
                title="Training mode (batch statistics) against eval mode")
    for ax in axes:
        ax.set(xscale="log", xlabel="batch size (SGD steps taken)")
        ax.set_xticks(sizes, [f"{s}\n({n} steps)" for s, n in zip(sizes, sweep.steps)])
        ax.minorticks_off()
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    return fig


def plot_batch_dependence(outputs, *, label="logit", ax=None):
    """One sample's output in training mode in many random batches (dots) and in eval mode (a bar), per
    normalization.

    outputs: {name: (train (B,), eval float)}, e.g. one logit of beyond.batch_dependence's result.
    """
    fig, ax = _new_axes(ax, figsize=(7.5, 4))
    names = list(outputs)
    for x, name in enumerate(names):
        train, evaluated = outputs[name]
        train = np.asarray(train, float).ravel()
        norm = next((k for k, v in _NAMES.items() if v == name), name)
        color = NORM_COLORS.get(norm, "tab:gray")
        jitter = np.random.default_rng(x).uniform(-0.15, 0.15, len(train))
        ax.scatter(x + jitter, train, s=18, alpha=0.6, color=color,
                   label="training mode, one dot per batch" if x == 0 else None)
        ax.plot([x - 0.3, x + 0.3], [evaluated] * 2, color="black", lw=2, label="eval mode" if x == 0 else None)
    ax.set_xticks(np.arange(len(names)), names)
    ax.set(ylabel=label, title="One digit's output: training mode in random batches, and eval mode")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize="small")
    return fig
