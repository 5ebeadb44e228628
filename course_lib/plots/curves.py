"""Training curves: per-epoch loss and metric of one or several runs, seeds as a band."""

from collections.abc import Mapping

import numpy as np

from ._style import _label_colors, _new_axes

__all__ = ["plot_training_curves"]

_HISTORY_KEYS = ("loss", "val_loss", "metric", "val_metric")


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


def plot_training_curves(histories, *, keys=("loss", "val_loss"), ax=None, title=None, logy=False, colors=None,
                         seeds="band"):
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
    colors : Mapping[str, color], optional
        A colour per label, overriding the default (blues for BN runs,
        oranges for runs without BN, which gives two BN variants two shades
        of blue).
    seeds : "band" or "lines"
        Several seeds of one label are drawn as their median and either the
        min-max band or one thin line per seed (clearer where bands overlap).

    Returns
    -------
    matplotlib.figure.Figure
        One line per (label, key) with data, epochs from 1. Runs whose
        ``stopped`` is set get an "x" at their last finite value.
    """
    runs_by_label, keys = _check_histories(histories, keys)
    if seeds not in ("band", "lines"):
        raise ValueError(f"seeds must be 'band' or 'lines', got {seeds!r}")
    fig, ax = _new_axes(ax)
    colors = {**_label_colors(list(runs_by_label)), **(colors or {})}
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
            if len(runs) > 1 and seeds == "band":
                ax.fill_between(epochs, low, high, color=colors[label], alpha=0.2, lw=0)
            elif len(runs) > 1:
                for s in series:
                    ax.plot(np.arange(1, len(s) + 1), s, "--" if key.startswith("val_") else "-",
                            color=colors[label], lw=0.7, alpha=0.45)
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
