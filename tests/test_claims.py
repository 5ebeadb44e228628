"""course_lib.claims: the stacked training is the course's own training, and each experiment
measures what it says it measures. Small sizes throughout: every test runs in well under a second."""

import numpy as np
import pytest

from course_lib import claims
from course_lib.bnfunctions import BNFunctions
from course_lib.defaults import reference_bn_functions
from course_lib.model import Sequential, mlp
from course_lib.modules import Dense
from course_lib.optim import SGD
from course_lib.train import fit

BN = reference_bn_functions()
DATA = claims.circle_data(n_train=64, n_val=32)


def _course_model(where, seed):
    """The course's Sequential for a claims network with BN after the Dense layers in ``where``."""
    layers = claims.bn_layers(where)
    spec = []
    for l, on in enumerate(layers[:-1]):
        spec += [f"Dense({claims.HIDDEN[l]}, relu)"] + (["BatchNorm"] if on else [])
    spec += ["Dense(1)"] + (["BatchNorm"] if layers[-1] else []) + ["Sigmoid"]
    return Sequential.from_spec(spec, 2, seed=seed, convention="notes", bn_fns=BN)


@pytest.mark.parametrize("where", ["none", "hidden", (2, 5), "all"])
def test_a_member_trains_exactly_as_fit_trains_the_course_model(where):
    seeds = [3, 7]
    stack = claims.DeepStack.from_seeds(seeds, bn=where, bn_fns=BN)
    run = claims.train_stack(stack, DATA, 0.1, seeds, epochs=3, batch_size=16)
    model = _course_model(where, seed=7)
    history = fit(model, DATA.X, DATA.y, loss="bce", metric="accuracy", optimizer=SGD(0.1), epochs=3,
                  batch_size=16, validation_data=(DATA.X_val, DATA.y_val), seed=7, progress=False)
    np.testing.assert_allclose(run.loss[1:, 1], history.loss, rtol=1e-10)
    np.testing.assert_allclose(run.val_loss[-1, 1], history.val_loss[-1], rtol=1e-10)
    np.testing.assert_allclose(run.val_accuracy[-1, 1], history.val_metric[-1])


def test_initial_weights_are_the_course_models_times_the_scale():
    stack = claims.DeepStack.from_seeds([4, 4], [1.0, 3.0], bn="none")
    dense = [layer for layer in mlp(2, claims.HIDDEN, seed=4).layers if isinstance(layer, Dense)]
    assert len(stack.W) == len(dense) == 9
    for W, layer in zip(stack.W, dense):
        np.testing.assert_array_equal(W[0], layer.params["W"])
        np.testing.assert_allclose(W[1], 3.0 * layer.params["W"])


def test_training_is_deterministic_and_members_do_not_interact():
    def train(seeds, lrs):
        stack = claims.DeepStack.from_seeds(seeds, bn="hidden", bn_fns=BN)
        return claims.train_stack(stack, DATA, lrs, seeds, epochs=2, batch_size=16)

    both = train([0, 1], [0.1, 0.3])
    again = train([0, 1], [0.1, 0.3])
    alone = train([1], [0.3])
    np.testing.assert_array_equal(both.loss, again.loss)
    np.testing.assert_allclose(both.loss[:, 1], alone.loss[:, 0], rtol=1e-12)


def test_a_diverging_member_is_frozen_without_disturbing_the_others():
    seeds = [0, 1]
    stack = claims.DeepStack.from_seeds(seeds, [1.0, 10.0], bn="hidden", bn_fns=BN)
    run = claims.train_stack(stack, DATA, [0.1, 1e4], seeds, epochs=3, batch_size=16)
    alone = claims.train_stack(claims.DeepStack.from_seeds([0], bn="hidden", bn_fns=BN), DATA, 0.1, [0],
                               epochs=3, batch_size=16)
    assert run.diverged[1] > 0 and run.diverged[0] == 0
    assert np.isnan(run.loss[-1, 1])
    np.testing.assert_allclose(run.loss[:, 0], alone.loss[:, 0], rtol=1e-12)


def test_every_bn_layer_calls_the_given_forward_once_per_step_for_all_members():
    calls = []

    def forward(x, gamma, beta, eps):
        calls.append(x.shape)
        return BN.forward(x, gamma, beta, eps)

    counting = BNFunctions(forward, BN.backward, BN.inference, BN.update)
    stack = claims.DeepStack.from_seeds([0, 1, 2], bn=(1, 4), bn_fns=counting)
    claims.train_stack(stack, DATA, 0.1, [0, 1, 2], epochs=1, batch_size=32)
    # the starting loss, then two batches of 32: two BN layers each time, (N, 3 members x 16 features)
    assert calls == [(64, 48)] * 2 + [(32, 48)] * 4


def test_with_bn_only_the_output_layers_scale_reaches_the_logits():
    # BN after each hidden layer cancels a common scale of its weights: scaling all nine layers by c
    # multiplies the logits by c (the output layer's own factor; the biases start at zero), up to
    # the small eps in each BN layer. Without BN the factor would be c**9.
    X = DATA.X[:32]
    logits = {}
    for c in (1.0, 10.0):
        stack = claims.DeepStack.from_seeds([5], [c], bn="hidden", bn_fns=BN)
        logits[c] = stack.forward(X, training=True, update=False)[0]
    expected = 10.0 * logits[1.0]
    np.testing.assert_allclose(logits[10.0], expected, rtol=0, atol=0.01 * np.abs(expected).max())


def test_gradient_norms_are_those_of_the_course_models_backward():
    seeds = [2, 6]
    stack = claims.DeepStack.from_seeds(seeds, bn="hidden", bn_fns=BN)
    norms = claims._first_batch_norms(stack, DATA, seeds, batch_size=16)
    assert norms.shape == (9, 2)
    model = _course_model("hidden", seed=6)
    rows = np.random.default_rng(6).permutation(len(DATA.X))[:16]
    from course_lib.losses import sigmoid_binary_cross_entropy
    _, dout = sigmoid_binary_cross_entropy(model.forward(DATA.X[rows], training=True, logits=True), DATA.y[rows, None])
    model.backward(dout)
    expected = [np.linalg.norm(layer.grads["W"]) for layer in model.layers if isinstance(layer, Dense)]
    np.testing.assert_allclose(norms[:, 1], expected, rtol=1e-10)


def test_drift_at_step_zero_is_the_spread_of_each_dense_layers_z():
    dr = claims.drift(bn_fns=BN, seeds=[1, 3], epochs=2, data=DATA)
    assert dr.spread["with BN"].shape == (3, 9, 2)
    np.testing.assert_allclose(dr.relative("without BN")[0], 1.0)
    model = _course_model("none", seed=3)
    a, expected = DATA.X, []
    for layer in model.layers:
        if isinstance(layer, Dense):
            expected.append(layer.forward(a, logits=True).std())
        a = layer.forward(a)
    np.testing.assert_allclose(dr.spread["without BN"][0, :, 1], expected, rtol=1e-12)


def test_sweeps_have_one_row_per_setting_and_a_column_per_seed():
    sweep = claims.init_sweep((0.5, 2.0), bn_fns=BN, seeds=[0, 1, 2], epochs=2, data=DATA)
    for label in ("without BN", "with BN"):
        assert sweep.final_loss[label].shape == sweep.reached[label].shape == (2, 3)
        assert sweep.trained(label).shape == (2,)
    assert "weight scale" in sweep.table()
    lr = claims.lr_sweep((0.1,), bn_fns=BN, seeds=[0], epochs=1, data=DATA)
    assert lr.settings == (0.1,) and lr.final_loss["with BN"].shape == (1, 1)


def test_epochs_to_and_largest_working_read_the_losses_as_they_say():
    losses = np.array([[0.7, 0.7, 0.7], [0.5, 0.1, np.nan], [0.15, 0.1, np.nan]])
    assert claims.epochs_to(losses, 0.2) == [2, 1, None]
    final = np.array([[0.1, 0.1, 0.5], [0.1, 0.5, np.nan], [0.1, 0.1, 0.1]])
    assert claims.largest_working((0.1, 1.0, 10.0), final[:2], 0.2) == 0.1
    assert claims.largest_working((0.1, 1.0, 10.0), final, 0.2) == 10.0
    assert claims.largest_working((1.0,), [[0.5, 0.5]], 0.2) is None


def test_the_gap_is_validation_minus_training_in_eval_mode_on_each_seeds_own_data():
    gap = claims.generalization_gap(bn_fns=BN, seeds=[0, 1], epochs=4, every=2, n_val=64)
    assert list(gap.epochs) == [0, 2, 4]
    np.testing.assert_allclose(gap.gap("with BN"), gap.val["with BN"] - gap.train["with BN"])
    # at step 0, before any update, the two arms compute the same thing (BN in eval mode with
    # running mean 0 and variance 1 is nearly the identity), so their losses nearly agree
    np.testing.assert_allclose(gap.train["with BN"][0], gap.train["without BN"][0], rtol=1e-3)
    stacked = claims.circle_data(n_val=64, noise=0.2, seed=[0, 1])
    single = claims.circle_data(n_val=64, noise=0.2, seed=1)
    np.testing.assert_array_equal(stacked.X[1], single.X)
    assert not np.array_equal(stacked.X[0], stacked.X[1])


def test_placement_puts_bn_where_it_is_asked():
    assert claims.bn_layers("none") == (False,) * 9
    assert claims.bn_layers("hidden") == (True,) * 8 + (False,)
    assert claims.bn_layers("all") == (True,) * 9
    assert claims.bn_layers((1, 9)) == (True,) + (False,) * 7 + (True,)
    place = claims.placement({"first": (1,), "output": (9,)}, bn_fns=BN, seeds=[0, 1], epochs=2, data=DATA)
    assert place.names == ("first", "output")
    assert place.loss["output"].shape == (3, 2) and place.val_accuracy["first"].shape == (2,)


@pytest.mark.parametrize("call, words", [
    (lambda: claims.bn_layers("some"), "where must be"),
    (lambda: claims.bn_layers((0, 3)), "layer numbers run from 1 to 9"),
    (lambda: claims.init_sweep((1.0, -2.0), bn_fns=BN), "scales must be positive"),
    (lambda: claims.init_sweep((1.0,), bn_fns=BN, lr=0), "lr must be positive"),
    (lambda: claims.lr_sweep((), bn_fns=BN), "lrs must be positive numbers, at least one"),
    (lambda: claims.drift(bn_fns=BN, seeds=[1, 1]), "seeds must be distinct"),
    (lambda: claims.gradient_norms(epochs=(-1,), bn_fns=BN), "epochs must be epoch numbers"),
    (lambda: claims.generalization_gap(bn_fns=BN, every=0), "every must be a positive number"),
    (lambda: claims.DeepStack.from_seeds([0], bn="hidden"), "bn_fns is needed"),
    (lambda: claims.DeepStack.from_seeds([0], [0.0]), "weight scales must be positive"),
    (lambda: claims.train_stack(claims.DeepStack.from_seeds([0, 1], bn="none"), DATA, 0.1, [0], epochs=1),
     "one seed per member"),
    (lambda: claims.train_stack(claims.DeepStack.from_seeds([0], bn="none"), DATA, 0.1, [0], epochs=1, batch_size=1),
     "batch_size must be an integer from 2"),
    (lambda: claims.train_stack(claims.DeepStack.from_seeds([0], bn="none"), DATA, -0.1, [0], epochs=1),
     "learning rates must be positive"),
    (lambda: claims.train_stack(claims.DeepStack.from_seeds([0], bn="none"), DATA, 0.1, [0], epochs=1, spread_epochs=(0,)),
     "spread_epochs needs a probe batch"),
    (lambda: claims.train_stack(claims.DeepStack.from_seeds([0], bn="none"), claims.circle_data(64, 32, seed=[0, 1]),
                                0.1, [0], epochs=1), "one data set per member"),
])
def test_bad_arguments_are_named(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_each_figure_draws_its_experiment():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course_lib.plots.claims import plot_drift, plot_gap, plot_gradient_norms, plot_placement, plot_sweep

    sweep = claims.init_sweep((0.5, 2.0), bn_fns=BN, seeds=[0, 1], epochs=2, data=DATA)
    fig = plot_sweep(sweep, epochs=2)
    medians = [line for line in fig.axes[0].get_lines() if "median" in str(line.get_label())]
    assert len(fig.axes) == 2 and len(medians) == 2
    np.testing.assert_allclose(medians[1].get_ydata(), np.median(sweep.final_loss["with BN"], axis=1))
    grads = claims.gradient_norms((1.0,), (0, 1), bn_fns=BN, seeds=[0], data=DATA)
    assert len(plot_gradient_norms(grads).axes[1].get_lines()) == 4       # 2 arms x 2 epochs
    gap = claims.generalization_gap(bn_fns=BN, seeds=[0], epochs=2, every=1, n_val=32)
    assert len(plot_gap(gap).axes) == 2
    place = claims.placement({"none": "none", "all": "all"}, bn_fns=BN, seeds=[0], epochs=1, data=DATA)
    assert [t.get_text() for t in plot_placement(place, epochs=1).axes[0].get_yticklabels()] == ["none", "all"]
    dr = claims.drift(bn_fns=BN, seeds=[0], epochs=1, data=DATA)
    fig = plot_drift(dr)
    assert [len(ax.get_lines()) for ax in fig.axes] == [10, 10]             # 9 layers and the line at 1
    plt.close("all")
