"""Figures for ``course_lib.claims``: one per experiment, seeds as dots or bands, BN in blue.

Each function draws into the axes it is given (or a new figure) and returns the Figure.
"""

import matplotlib.pyplot as plt
import numpy as np

from ._style import WITH_BN_COLOR, WITHOUT_BN_COLOR, _new_axes

__all__ = ["plot_sweep", "plot_gradient_norms", "plot_gap", "plot_placement", "plot_drift"]

_ARM_COLORS = {"without BN": WITHOUT_BN_COLOR, "with BN": WITH_BN_COLOR}
_ARM_CMAPS = {"without BN": "Oranges", "with BN": "Blues"}
_CHANCE = np.log(2)


def _shades(label, n):
    return plt.get_cmap(_ARM_CMAPS[label])(np.linspace(0.45, 0.95, n)) if n > 1 else [_ARM_COLORS[label]]


def plot_sweep(sweep, *, epochs, axes=None):
    """Final training loss and epochs to the target against the swept setting, one dot per seed.

    sweep: a claims.Sweep; epochs: the training budget (a run that never reached the target is drawn
    above it). axes: two Axes.
    """
    fig, axes = _new_axes(axes, ncols=2, figsize=(13, 5.4))
    x = np.array(sweep.settings)
    top = 0.85
    for (label, final), offset in zip(sweep.final_loss.items(), (0.92, 1.08)):
        color, diverged = _ARM_COLORS[label], sweep.diverged[label]
        xs = np.repeat(x * offset, len(sweep.seeds)).reshape(final.shape)
        ok = ~diverged
        axes[0].scatter(xs[ok], np.minimum(final[ok], top), color=color, alpha=0.6, s=22)
        axes[0].scatter(xs[diverged], np.full(diverged.sum(), top), marker="x", color=color, s=40,
                        label=f"{label}: diverged" if diverged.any() else None)
        median = np.array([np.median(np.where(d, np.inf, f)) for f, d in zip(final, diverged)])
        axes[0].plot(x, np.minimum(median, top), "o-", color=color, lw=2,
                     label=f"{label}, median of {len(sweep.seeds)} seeds")
        reached = np.array([[np.nan if r is None else r for r in row] for row in sweep.reached[label]], float)
        never = np.isnan(reached)
        axes[1].scatter(xs[~never], reached[~never], color=color, alpha=0.6, s=22)
        stalled = never & ~diverged
        axes[1].scatter(xs[stalled], np.full(stalled.sum(), epochs * 1.25), facecolor="none", edgecolor=color,
                        s=40, label=f"{label}: not reached" if stalled.any() else None)
        axes[1].scatter(xs[diverged], np.full(diverged.sum(), epochs * 1.25), marker="x", color=color, s=40,
                        label=f"{label}: diverged" if diverged.any() else None)
        med = np.array([np.median(np.where(np.isnan(r), np.inf, r)) for r in reached])
        axes[1].plot(x, np.minimum(med, epochs * 1.25), "o-", color=color, lw=2,
                     label=f"{label}, median")
        axes[1].set_ylim(1.5, epochs * 1.5)
    axes[0].axhline(_CHANCE, color="black", ls=":", lw=1)
    axes[0].text(x.min(), _CHANCE, " chance (ln 2)", va="bottom", fontsize="small")
    axes[0].axhline(sweep.target, color="0.4", ls="--", lw=1)
    axes[0].text(x.min(), sweep.target, f" target {sweep.target}", va="bottom", fontsize="small", color="0.3")
    axes[0].set(xscale="log", ylim=(0, top + 0.07), xlabel=sweep.name,
                ylabel=f"training loss after {epochs} epochs", title=f"Final loss against the {sweep.name}")
    axes[0].text(x.max(), top, "diverged or > 0.85 ", ha="right", va="bottom", fontsize="x-small")
    axes[1].axhline(epochs, color="0.4", ls="--", lw=1)
    axes[1].set(xscale="log", yscale="log", xlabel=sweep.name, ylabel=f"epochs to training loss {sweep.target}",
                title=f"Epochs to the target (budget {epochs})")
    ticks = [t for t in (2, 5, 10, 20, 50) if t < epochs] + [epochs]
    axes[1].set_yticks(ticks + [epochs * 1.25], [str(t) for t in ticks] + ["never"])
    for ax in axes:
        ax.set_xticks(x, [f"{v:g}" for v in x])
        ax.minorticks_off()
        ax.grid(alpha=0.3)
    for ax in axes:
        ax.legend(fontsize="small", ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    return fig


def plot_gradient_norms(norms, *, axes=None):
    """Per-layer weight-gradient norms (median over seeds): at initialization for each weight scale,
    and during training at scale 1. norms: a claims.GradientNorms; axes: two Axes."""
    fig, axes = _new_axes(axes, ncols=2, figsize=(13, 5.6))
    for label in norms.at_init:
        for (scale, g), color in zip(norms.at_init[label].items(), _shades(label, len(norms.scales))):
            layers = np.arange(1, g.shape[0] + 1)
            axes[0].plot(layers, np.median(g, axis=1), "o-", color=color, label=f"{label}, weights x {scale:g}")
        for (epoch, g), color in zip(norms.training[label].items(), _shades(label, len(norms.epochs))):
            layers = np.arange(1, g.shape[0] + 1)
            axes[1].plot(layers, np.nanmedian(g, axis=1), "o-", color=color,
                         label=f"{label}, " + ("at initialization" if epoch == 0 else f"after epoch {epoch}"))
    axes[0].set(title="At initialization, for three weight scales")
    axes[1].set(title="During training (weights x 1)")
    for ax in axes:
        ax.set(yscale="log", xlabel="Dense layer (9 = output)", ylabel="norm of the weight gradient (median of seeds)")
        ax.set_xticks(np.arange(1, 10))
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small", ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    return fig


def plot_gap(gap, *, axes=None):
    """Training and validation loss (both in eval mode) over training, and their gap.

    gap: a claims.Gap; axes: two Axes. Lines: median of seeds; bands: min-max.
    """
    fig, axes = _new_axes(axes, ncols=2, figsize=(13, 4.4))
    for label in gap.train:
        color = _ARM_COLORS[label]
        for values, style, part in ((gap.train[label], "--", "training"), (gap.val[label], "-", "validation")):
            axes[0].plot(gap.epochs, np.nanmedian(values, axis=1), style, color=color, lw=2, label=f"{label}, {part}")
        g = gap.gap(label)
        axes[1].plot(gap.epochs, np.nanmedian(g, axis=1), color=color, lw=2, label=f"{label}, median of seeds")
        axes[1].fill_between(gap.epochs, np.nanmin(g, axis=1), np.nanmax(g, axis=1), color=color, alpha=0.2)
    axes[0].set(xlabel="epoch", ylabel="loss (eval mode)", title="Training (dashed) and validation (solid) loss")
    axes[1].axhline(0, color="black", ls=":", lw=1)
    axes[1].set(xlabel="epoch", ylabel="validation loss - training loss", title="The gap (band: min-max over seeds)")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    return fig


def plot_placement(place, *, epochs, axes=None):
    """Epochs to the target and final validation accuracy for each placement of BN, one dot per seed.

    place: a claims.Placement; epochs: the budget (a run that never reached the target is drawn past it).
    """
    fig, axes = _new_axes(axes, ncols=2, figsize=(13, 3.8))
    names = list(place.names)
    y = np.arange(len(names))[::-1]
    for yi, name in zip(y, names):
        color = WITHOUT_BN_COLOR if name == "none" else WITH_BN_COLOR
        reached = np.array([np.nan if r is None else r for r in place.reached[name]], float)
        jitter = np.linspace(-0.12, 0.12, len(reached))
        axes[0].scatter(np.where(np.isnan(reached), epochs * 1.25, reached), yi + jitter, color=color, s=30,
                        facecolor=np.where(np.isnan(reached), "none", color), edgecolor=color)
        axes[0].plot([np.median(np.where(np.isnan(reached), epochs * 1.25, reached))] * 2, [yi - 0.3, yi + 0.3],
                     color="black", lw=2)
        axes[1].scatter(place.val_accuracy[name], yi + jitter, color=color, s=30)
    axes[0].axvline(epochs, color="0.4", ls="--", lw=1)
    axes[0].set(xscale="log", xlabel=f"epochs to training loss {place.target} (bar: median; dashed: the budget)",
                title="How fast it trains (open circle: not within the budget)")
    ticks = [t for t in (2, 5, 10, 20) if t < epochs / 1.8] + [epochs]
    axes[0].set_xticks(ticks + [epochs * 1.25], [str(t) for t in ticks] + ["never"])
    axes[0].minorticks_off()
    lowest = min(np.nanmin(place.val_accuracy[name]) for name in names)
    axes[1].set(xlabel="validation accuracy after the last epoch (eval mode)", title="What it learns",
                xlim=(max(0.45, min(0.75, lowest - 0.03)), 1.0))
    axes[0].set_yticks(y, names)
    axes[1].set_yticks(y, [])
    for ax in axes:
        ax.grid(alpha=0.3, axis="x")
    return fig


def plot_drift(dr, *, axes=None):
    """Each layer's pre-activation spread over training relative to step 0 (median of seeds), without
    and with BN, on a shared axis. dr: a claims.Drift; axes: two Axes."""
    fig, axes = _new_axes(axes, ncols=2, figsize=(13, 4.3))
    for ax, label in zip(axes, dr.spread):
        rel = np.nanmedian(dr.relative(label), axis=2)         # (E + 1, L)
        n_layers = rel.shape[1]
        for l in range(n_layers):
            name = "output" if l == n_layers - 1 else f"hidden {l + 1}"
            ax.plot(dr.epochs, rel[:, l], color=plt.get_cmap("viridis")(l / (n_layers - 0.5)), label=name)
        ax.axhline(1.0, color="black", lw=0.8, ls=":")
        ax.set(xlabel="epoch", yscale="log", title=f"Drift by depth, {label}")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("std of pre-activations / std at step 0")
    ymin = min(ax.get_ylim()[0] for ax in axes)
    ymax = max(ax.get_ylim()[1] for ax in axes)
    for ax in axes:
        ax.set_ylim(ymin, ymax)
    axes[1].legend(fontsize="x-small", ncol=3, loc="upper left")
    return fig
