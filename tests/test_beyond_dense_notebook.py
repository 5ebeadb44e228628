"""Notebook 07's experiments (course_lib.beyond), its figures, and the notebook run beside a broken 02.

The experiments run on whatever normalization functions they are given; here
on the references, on small data, so that each property is checked in
seconds. The last tests run the released 07 with its exercises answered, once with
02's batchnorm_forward broken and once with 05's batchnorm_inference
unfinished: the cells that need it say what to fix and are skipped, and
everything else, 07's own checks included, still runs.
"""

import copy
import json
import shutil
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from course_lib import beyond
from course_lib.convnet import ConvNet, SpatialBatchNorm, digits_convnet, fit_convnet
from course_lib.defaults import reference_function
from course_lib.plots import beyond as plots

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "07_beyond_dense"
FNS = {name: reference_function(name) for name in ("spatial_batchnorm_forward", "spatial_batchnorm_backward",
                                                    "layernorm_forward", "layernorm_backward", "groupnorm_forward")}


@pytest.fixture(scope="module")
def small():
    """96 training and 64 validation digits."""
    data = beyond.digits_data()
    return beyond.Digits(data.X[:96], data.y[:96], data.X_val[:64], data.y_val[:64])


def _trained(norm, small, seed=0):
    model = digits_convnet(norm, seed=seed, fns=beyond._fns_for(norm, FNS))
    fit_convnet(model, small.X, small.y, epochs=2, batch_size=16, lr=0.1, seed=seed)
    return model


def test_the_digits_are_those_of_scikit_learns_load_digits():
    from sklearn.datasets import load_digits

    images, target = beyond.load_digits_images()
    theirs = load_digits()
    assert np.array_equal(images, theirs.images) and np.array_equal(target, theirs.target)


def test_digits_data_splits_one_shuffle_and_scales_to_the_unit_interval():
    data = beyond.digits_data(1000, seed=3)
    assert data.X.shape == (1000, 1, 8, 8) and data.X_val.shape == (797, 1, 8, 8)
    assert data.X.min() == 0.0 and data.X.max() == 1.0 and data.X.dtype == np.float64
    images, target = beyond.load_digits_images()
    together = np.concatenate([data.X, data.X_val])[:, 0] * 16
    order = np.random.default_rng(3).permutation(len(images))
    assert np.array_equal(together, images[order]) and np.array_equal(np.concatenate([data.y, data.y_val]),
                                                                      target[order])
    with pytest.raises(ValueError, match="n_train"):
        beyond.digits_data(1797)


def test_train_convnets_one_run_per_seed_on_the_functions_given(small):
    calls = []

    def counting(x, gamma, beta, eps=1e-5):
        calls.append(x.shape)
        return FNS["spatial_batchnorm_forward"](x, gamma, beta, eps)

    runs = beyond.train_convnets("bn", small, seeds=(0, 1), epochs=2,
                                 fns={**FNS, "spatial_batchnorm_forward": counting})
    assert [r.seed for r in runs] == [0, 1] and all(len(r.history.val_metric) == 2 for r in runs)
    assert calls, "the network did not call the forward it was given"
    first = [p.copy() for p in runs[0].model.parameters()]
    assert not all(np.array_equal(a, b) for a, b in zip(first, runs[1].model.parameters()))


def test_folding_a_trained_network_keeps_its_function_and_leaves_it_unchanged(small):
    model = _trained("bn", small)
    before = copy.deepcopy(model)
    folded = beyond.fold_convnet(model, reference_function("fold_batchnorm"))
    assert not any(isinstance(layer, SpatialBatchNorm) for layer in folded.layers)
    assert len(folded.layers) == len(model.layers) - 2
    np.testing.assert_allclose(folded.forward(small.X_val), model.forward(small.X_val), rtol=0, atol=1e-10)
    for a, b in zip(model.parameters(), before.parameters()):
        assert np.array_equal(a, b)
    for layer, old in zip(model.layers, before.layers):
        for key in layer.state:
            assert np.array_equal(layer.state[key], old.state[key])


def test_folding_needs_a_convolution_right_before_each_batch_norm():
    with pytest.raises(ValueError, match="Conv2D"):
        beyond.fold_convnet(ConvNet([SpatialBatchNorm(1, forward=FNS["spatial_batchnorm_forward"],
                                                      backward=FNS["spatial_batchnorm_backward"])]),
                            reference_function("fold_batchnorm"))


def test_only_batch_norm_differs_between_training_and_eval_mode(small):
    for norm in ("bn", "ln", "gn"):
        model = _trained(norm, small)
        state = {i: {k: v.copy() for k, v in layer.state.items()} for i, layer in enumerate(model.layers)}
        biggest, changed = beyond.train_eval_gap(model, small.X_val, 4)
        train, evaluated = beyond.batch_dependence(model, small.X_val[0], small.X_val[1:], batch_size=4, batches=5)
        assert train.shape == (5, 10) and evaluated.shape == (10,)
        if norm == "bn":
            assert biggest > 1e-3 and np.ptp(train, axis=0).max() > 1e-3
        else:
            assert biggest < 1e-12 and changed == 0.0 and np.ptp(train, axis=0).max() < 1e-12
            np.testing.assert_allclose(train[0], evaluated, atol=1e-12)
        for i, layer in enumerate(model.layers):   # the training-mode passes ran on a copy
            for key, value in layer.state.items():
                assert np.array_equal(value, state[i][key])


def test_batch_size_sweep_trains_every_norm_at_every_size(small):
    sweep = beyond.batch_size_sweep(("bn", "ln", "gn"), (4, 32), small, seeds=(0, 1), epochs=1, fns=FNS,
                                    n_mismatch=32)
    assert sweep.steps == (24, 3)
    for norm in sweep.norms:
        accuracy = sweep.accuracy[norm]
        assert accuracy.shape == (2, 2) and ((0 <= accuracy) & (accuracy <= 1)).all()
        assert (norm, 4) in sweep.models and (norm, 32) in sweep.models
    assert (sweep.mismatch["ln"] == 0).all() and (sweep.mismatch["gn"] == 0).all()
    assert sweep.mismatch["bn"].max() > 0
    assert sweep.median("bn").shape == (2,)


# ----------------------------------------------------------------------------- figures

def test_norm_groups_colour_as_many_statistics_as_each_norm_keeps():
    fig = plots.plot_norm_groups(N=4, C=6, G=2)
    titles = [ax.get_title() for ax in fig.axes]
    expected = {"batch norm": 6, "layer norm": 4, "instance norm": 24, "group norm": 8}
    for (kind, n), title in zip(expected.items(), titles):
        assert title.startswith(kind) and f"{n} means and variances" in title
    with pytest.raises(ValueError, match="divide"):
        plots.plot_norm_groups(C=6, G=4)
    with pytest.raises(ValueError, match="kinds"):
        plots.plot_norm_groups(["batchnorm"])


def test_channel_histograms_one_curve_per_channel_and_panel():
    x = np.random.default_rng(0).standard_normal((4, 3, 5, 5))
    fig = plots.plot_channel_histograms(x, x, channels=(0, 2))
    assert [len(ax.patches) for ax in fig.axes] == [2, 2]
    with pytest.raises(ValueError, match="shape"):
        plots.plot_channel_histograms(x, x[:, :2])


def test_epochs_to_target_draws_never_reached_runs_above_the_budget():
    fig = plots.plot_epochs_to_target({"without BN": [5, None, 4], "with BN": [2, 3, 3]}, budget=5, target=0.8)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "never"
    assert "not within 5 epochs" in ax.get_legend().get_texts()[0].get_text()
    with pytest.raises(ValueError, match="two labels"):
        plots.plot_epochs_to_target({"with BN": [1]}, budget=5, target=0.8)


def test_batch_size_sweep_figure_one_median_line_per_norm_and_panel(small):
    sweep = beyond.BatchSizeSweep(("bn", "ln"), (2, 8), (0, 1), 1, (48, 12),
                                  {"bn": np.full((2, 2), 0.5), "ln": np.full((2, 2), 0.6)},
                                  {"bn": np.full((2, 2), 0.3), "ln": np.zeros((2, 2))}, {})
    fig = plots.plot_batch_size_sweep(sweep)
    for ax in fig.axes:
        labels = [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
        assert labels == ["batch norm, median of 2 seeds", "layer norm, median of 2 seeds"]


def test_batch_dependence_figure_one_bar_per_norm():
    fig = plots.plot_batch_dependence({"batch norm": (np.arange(5.0), 2.0), "layer norm": (np.ones(5), 1.0)})
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["batch norm", "layer norm"]
    assert len(ax.collections) == 2


# ----------------------------------------------------------------------------- the notebook beside 02 and 05

def _run_07(tmp_path_factory, broken):
    """The released course with 07's exercises answered and ``broken``'s exercises of other notebooks replaced
    (grade_id -> source, every other exercise answered right); 07 executed."""
    from independent import CELLS, fill_notebook
    from test_notebook_runs import execute

    tree = tmp_path_factory.mktemp("beside_07") / "notebooks"
    shutil.copytree(ROOT / "notebooks", tree)
    for assignment in ("02_bn_equations", "05_inference"):
        fill_notebook(tree / assignment / f"{assignment}.ipynb", {**CELLS, **broken})
    solution = json.loads((ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text(encoding="utf-8"))
    answers = {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in solution["cells"]
               if c["metadata"].get("nbgrader", {}).get("solution")}
    path = tree / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    fill_notebook(path, answers)
    return execute(path, allow_errors=True)


@pytest.fixture(scope="module")
def run_beside_broken_02(tmp_path_factory):
    """02's batchnorm_forward with the N - 1 bug, 05 right."""
    from independent import CELLS

    broken = CELLS["batchnorm_forward"].replace("/ n\n    inv_std", "/ (n - 1)\n    inv_std")
    assert broken != CELLS["batchnorm_forward"]
    return _run_07(tmp_path_factory, {"batchnorm_forward": broken})


@pytest.fixture(scope="module")
def run_beside_unfinished_05(tmp_path_factory):
    """02 right, 05's batchnorm_inference still the released stub."""
    stub = "def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):\n    raise NotImplementedError()\n"
    return _run_07(tmp_path_factory, {"batchnorm_inference": stub})


def _needing(run, assignment):
    return [c for c in run.cells if c.cell_type == "code" and c.source.startswith(f"%%needs {assignment}")]


@pytest.mark.parametrize("beside", ["run_beside_broken_02", "run_beside_unfinished_05"])
def test_released_07_runs_without_error_and_its_checks_pass_beside_an_unfinished_notebook(beside, request):
    from test_notebook_runs import errors, text_of

    run = request.getfixturevalue(beside)
    failures = [(i, o.ename, o.evalue[:300]) for i, o in errors(run)]
    assert not failures, f"07 fails beside an unfinished notebook: {failures}"
    checks = [c for c in run.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("check_")]
    assert len(checks) == 6 and all("Well done!" in text_of(c) for c in checks)


def test_the_cell_that_needs_02_is_skipped_and_names_what_to_fix(run_beside_broken_02):
    from test_notebook_runs import text_of

    needing = _needing(run_beside_broken_02, "02_bn_equations")
    assert len(needing) == 1
    text = text_of(needing[0])
    assert text.startswith("Skipped:") and "batchnorm_forward" in text and "02_bn_equations" in text
    assert "check_batchnorm_forward" in text
    assert not any(text_of(c).startswith("Skipped:") for c in _needing(run_beside_broken_02, "05_inference"))


def test_the_bn_networks_run_on_05s_inference_and_skip_while_it_is_unfinished(run_beside_unfinished_05):
    from test_notebook_runs import text_of

    needing = _needing(run_beside_unfinished_05, "05_inference")
    assert len(needing) >= 5
    for cell in needing:
        text = text_of(cell)
        assert text.startswith("Skipped:") and "batchnorm_inference" in text and "05_inference" in text, text[:200]
    assert not text_of(_needing(run_beside_unfinished_05, "02_bn_equations")[0]).startswith("Skipped:")
