"""Tests of course_lib.plots: each figure's structure, the loss helpers and bad input."""

from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from course_lib.plots import (  # noqa: E402
    WITH_BN_COLOR,
    WITHOUT_BN_COLOR,
    condition_number,
    loss_surface,
    plot_activation_histograms,
    plot_activation_ridgeline,
    plot_bn_transform,
    plot_decision_boundary,
    plot_loss_contours,
    plot_training_curves,
)


@dataclass
class History:
    """Stand-in with the fields of course_lib.train.History."""

    loss: list
    metric: list
    val_loss: list
    val_metric: list
    metric_name: str = "accuracy"
    stopped: str | None = None


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def make_history(epochs=8, offset=0.0, val=True, stopped=None):
    loss = list(np.linspace(1.0, 0.2, epochs) + offset)
    metric = list(np.linspace(0.5, 0.9, epochs))
    return History(loss, metric, [v + 0.05 for v in loss] if val else [],
                   [m - 0.05 for m in metric] if val else [], stopped=stopped)


def fill_collections(ax):
    return [c for c in ax.collections if type(c).__name__.endswith("PolyCollection")]


# ---------------------------------------------------------------- training curves

def test_training_curves_one_line_per_label_and_key():
    fig = plot_training_curves({"with BN": make_history(), "without BN": make_history(offset=0.3)})
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert len(ax.lines) == 4
    styles = {line.get_label(): line.get_linestyle() for line in ax.lines}
    assert styles["with BN: train loss"] == "-" and styles["with BN: val loss"] == "--"
    colors = {line.get_label(): line.get_color() for line in ax.lines}
    assert colors["with BN: train loss"] == WITH_BN_COLOR
    assert colors["without BN: train loss"] == WITHOUT_BN_COLOR
    assert ax.lines[0].get_xdata()[0] == 1  # epochs count from 1
    assert ax.get_title() and ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    assert not fill_collections(ax)


def test_training_curves_several_seeds_draw_median_and_band():
    runs = [make_history(offset=o) for o in (0.0, 0.1, 0.4)]
    fig = plot_training_curves({"with BN": runs}, keys=("loss",))
    (ax,) = fig.axes
    assert len(ax.lines) == 1
    np.testing.assert_allclose(ax.lines[0].get_ydata(), np.array(runs[1].loss))  # the median
    assert len(fill_collections(ax)) == 1


def test_training_curves_given_colors_and_seeds_as_thin_lines():
    runs = [make_history(offset=o) for o in (0.0, 0.1, 0.4)]
    histories = {"BN after ReLU": runs, "BN before ReLU": runs[:2]}
    fig = plot_training_curves(histories, keys=("loss",), colors={"BN after ReLU": WITH_BN_COLOR, "BN before ReLU": "tab:green"},
                               seeds="lines")
    (ax,) = fig.axes
    assert not fill_collections(ax)
    medians = [line for line in ax.lines if not line.get_label().startswith("_")]
    assert [line.get_label() for line in medians] == ["BN after ReLU: train loss", "BN before ReLU: train loss"]
    # Two BN variants get two different colours, not two shades of the BN blue.
    assert medians[0].get_color() == WITH_BN_COLOR and medians[1].get_color() == "tab:green"
    thin = [line for line in ax.lines if line.get_label().startswith("_")]
    assert len(thin) == 5 and all(line.get_linewidth() < medians[0].get_linewidth() for line in thin)
    with pytest.raises(ValueError, match="seeds"):
        plot_training_curves(histories, seeds="dots")


def test_training_curves_shorter_stopped_run_and_empty_key():
    stopped = make_history(epochs=3, val=False, stopped="loss became nan")
    stopped.loss.append(float("nan"))
    runs = {"without BN": [make_history(), stopped], "with BN": make_history(val=False)}
    fig = plot_training_curves(runs, keys=("loss", "val_loss"), logy=True)
    (ax,) = fig.axes
    # "with BN" has no validation data, so its val_loss line is skipped.
    assert sorted(line.get_label() for line in ax.lines) == [
        "with BN: train loss", "without BN: train loss", "without BN: val loss"]
    assert len(ax.lines[0].get_xdata()) == 8
    assert ax.get_yscale() == "log"
    # The stopped run is marked at its last finite epoch.
    markers = [c for c in ax.collections if c not in fill_collections(ax)]
    assert len(markers) == 1 and tuple(markers[0].get_offsets()[0]) == (3.0, stopped.loss[2])


def test_training_curves_metric_keys_and_given_axes():
    fig, axes = plt.subplots(1, 2)
    out = plot_training_curves({"a": make_history()}, keys=("metric", "val_metric"), ax=axes[1], title="acc")
    assert out is fig and len(axes[1].lines) == 2 and not axes[0].lines
    assert axes[1].get_ylabel() == "accuracy" and axes[1].get_title() == "acc"


@pytest.mark.parametrize("histories, keys, match", [
    ({}, ("loss",), "empty"),
    ([make_history()], ("loss",), "mapping"),
    ({"a": []}, ("loss",), "empty list"),
    ({"a": make_history()}, ("accuracy",), "keys"),
    ({"a": make_history(val=False)}, ("val_loss",), "nothing to plot"),
    ({"a": object()}, ("loss",), "History"),
])
def test_training_curves_bad_input(histories, keys, match):
    with pytest.raises(ValueError, match=match):
        plot_training_curves(histories, keys=keys)


# ---------------------------------------------------------------- activations

def snapshots(n=4):
    rng = np.random.default_rng(0)
    return [(f"step {100 * i}", rng.normal(i, 1 + 0.2 * i, size=(64, 8))) for i in range(n)]


def test_activation_histograms_one_patch_per_snapshot():
    fig = plot_activation_histograms(snapshots(), bins=20)
    (ax,) = fig.axes
    assert len(ax.patches) == 4
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"step {100 * i}" for i in range(4)]
    # Early and late snapshots get different colours from the sequential map.
    assert ax.patches[0].get_edgecolor() != ax.patches[-1].get_edgecolor()
    assert ax.get_xlabel() and ax.get_ylabel() == "density" and ax.get_title()


def test_activation_ridgeline_one_curve_per_snapshot():
    fig = plot_activation_ridgeline(snapshots(6), bins=25)
    (ax,) = fig.axes
    assert len(ax.lines) == 6 and len(fill_collections(ax)) == 6
    heights = {t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks())}
    assert heights["step 0"] == max(heights.values())  # earliest on top
    assert ax.get_xlabel() and ax.get_title()


@pytest.mark.parametrize("plot", [plot_activation_histograms, plot_activation_ridgeline])
def test_activation_plots_share_the_x_range_they_are_given(plot):
    # Two runs whose values spread differently, drawn side by side on one x-axis.
    narrow, wide = snapshots(3), [(label, 5 * a) for label, a in snapshots(3)]
    axes = [plot(s, bins=30, value_range=(-8, 12)).axes[0] for s in (narrow, wide)]
    assert [ax.get_xlim() for ax in axes] == [(-8.0, 12.0), (-8.0, 12.0)]
    drawn = [line.get_xdata() for ax in axes for line in ax.lines] or \
        [p.get_path().vertices[:, 0] for ax in axes for p in ax.patches]
    assert all(x.min() >= -8 and x.max() <= 12 for x in drawn)


@pytest.mark.parametrize("plot", [plot_activation_histograms, plot_activation_ridgeline])
def test_activation_plots_bad_input(plot):
    with pytest.raises(ValueError, match="empty"):
        plot([])
    with pytest.raises(ValueError, match="finite"):
        plot([("step 0", [np.nan, np.inf])])
    with pytest.raises(ValueError, match="value_range"):
        plot(snapshots(2), value_range=(1.0, -1.0))


# ---------------------------------------------------------------- loss contours

def scaled_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.normal(0, 1, n), rng.normal(3, 100, n)])
    return X, X @ np.array([2.0, 0.05]) + 0.1 * rng.normal(size=n)


def test_loss_surface_matches_direct_loop():
    X, y = scaled_data(30)
    w1, w2 = np.meshgrid(np.linspace(-1, 3, 5), np.linspace(-0.2, 0.3, 4))
    expected = np.empty(w1.shape)
    for i in range(w1.shape[0]):
        for j in range(w1.shape[1]):
            expected[i, j] = np.mean((X @ np.array([w1[i, j], w2[i, j]]) - y) ** 2)
    np.testing.assert_allclose(loss_surface(X, y, w1, w2), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(loss_surface(X, y[:, None], w1, w2), expected, rtol=1e-9, atol=1e-12)


def test_condition_number():
    assert condition_number(np.eye(2)) == pytest.approx(1.0)
    assert condition_number(np.diag([1.0, 10.0])) == pytest.approx(100.0)
    assert condition_number(np.array([[1.0, 2.0], [2.0, 4.0]])) == np.inf


def test_loss_contours_raw_much_worse_conditioned_than_standardized():
    X, y = scaled_data()
    fig = plot_loss_contours(X, y, grid=41)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    kappas = []
    for ax in fig.axes:
        text = [t.get_text() for t in ax.texts if "kappa" in t.get_text()][0]
        kappas.append(float(text.split("=")[-1]))
        assert ax.get_aspect() == 1.0
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
        assert any(type(c).__name__ == "QuadContourSet" for c in ax.collections)
    assert kappas[0] > 1000 * kappas[1]
    assert kappas[0] == pytest.approx(condition_number(X), rel=1e-2)
    Xs = (X - X.mean(0)) / X.std(0)
    assert kappas[1] == pytest.approx(condition_number(Xs), rel=1e-2)


def test_loss_contours_panels_centred_on_optimum():
    X, y = scaled_data()
    fig = plot_loss_contours(X, y, grid=31)
    w_opt = np.linalg.lstsq(X, y, rcond=None)[0]
    assert np.mean(fig.axes[0].get_xlim()) == pytest.approx(w_opt[0])
    assert np.mean(fig.axes[0].get_ylim()) == pytest.approx(w_opt[1])


@pytest.mark.parametrize("X, y, match", [
    (np.ones((10, 3)), np.ones(10), r"\(N, 2\)"),
    (np.ones(10), np.ones(10), r"\(N, 2\)"),
    (np.random.default_rng(0).normal(size=(10, 2)), np.ones(9), "y must have shape"),
    (np.column_stack([np.arange(10.0), np.ones(10)]), np.ones(10), "constant feature"),
])
def test_loss_contours_bad_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        plot_loss_contours(X, y)


# ---------------------------------------------------------------- decision boundary

def blobs(n=40):
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(-1, 0.5, (n, 2)), rng.normal(1, 0.5, (n, 2))])
    return X, np.repeat([0, 1], n)


def logistic(Z):
    return 1 / (1 + np.exp(-(Z[:, 0] + Z[:, 1])))


@pytest.mark.parametrize("proba", [logistic, lambda Z: logistic(Z)[:, None]])
def test_decision_boundary_accepts_flat_and_column_output(proba):
    X, y = blobs()
    fig = plot_decision_boundary(proba, X, y, resolution=30, title="logistic")
    ax, cbar = fig.axes  # the plot and its colorbar
    assert ax.get_title() == "logistic" and ax.get_xlabel() and ax.get_ylabel()
    assert len([c for c in ax.collections if type(c).__name__ == "PathCollection"]) == 2
    # Filled probability plus the threshold line.
    assert len([c for c in ax.collections if type(c).__name__ == "QuadContourSet"]) == 2
    lo, hi = ax.get_xlim()
    assert lo < X[:, 0].min() and hi > X[:, 0].max()


def test_decision_boundary_bad_input():
    X, y = blobs()
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot_decision_boundary(logistic, np.ones((5, 3)), np.zeros(5))
    with pytest.raises(ValueError, match="predict_proba must return"):
        plot_decision_boundary(lambda Z: np.column_stack([1 - logistic(Z), logistic(Z)]), X, y, resolution=10)
    with pytest.raises(ValueError, match="logits"):
        plot_decision_boundary(lambda Z: Z[:, 0] * 10, X, y, resolution=10)
    with pytest.raises(ValueError, match="0 and 1"):
        plot_decision_boundary(logistic, X, y + 1, resolution=10)


# ---------------------------------------------------------------- BN transform

def test_bn_transform_three_panels():
    z = np.random.default_rng(2).normal(3, 2, 128)
    x_hat = (z - z.mean()) / np.sqrt(z.var() + 1e-5)
    fig = plot_bn_transform(z, x_hat, 1.5 * x_hat + 0.5)
    assert len(fig.axes) == 3
    for ax in fig.axes:
        assert ax.patches and ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert "mean 0\n" in fig.axes[1].texts[0].get_text()  # round-off noise shown as 0


def test_bn_transform_bad_input():
    with pytest.raises(ValueError, match="1-D"):
        plot_bn_transform(np.ones(5), np.ones(4), np.ones(5))
    with pytest.raises(ValueError, match="1-D"):
        plot_bn_transform(np.ones((5, 2)), np.ones((5, 2)), np.ones((5, 2)))
    with pytest.raises(ValueError, match="3 Axes"):
        plot_bn_transform(np.ones(5), np.ones(5), np.ones(5), axes=plt.subplots(1, 2)[1])
