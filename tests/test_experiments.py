"""fit_seeds trains several seeds at once and must give exactly what fit gives seed by seed."""

import warnings
from pathlib import Path

import numpy as np
import pytest

from course_lib.data import make_circles_data
from course_lib.experiments import circles_experiment, fit_seeds
from course_lib.model import housing_model, mlp
from course_lib.optim import SGD
from course_lib.student import student_bn_functions
from course_lib.train import fit

ROOT = Path(__file__).resolve().parents[1]

X, Y = make_circles_data(400, noise=0.1, seed=0)
SEEDS = (0, 1, 2, 3)


def circles(batchnorm, position, seed, bn_fns=None):
    return mlp(2, (3, 2), output_activation="sigmoid", batchnorm=batchnorm, bn_position=position, seed=seed,
               bn_fns=bn_fns)


def both(build, lr, batch_size, epochs, X=X, y=Y, loss="bce", metric="accuracy"):
    """(models, histories) from fit seed by seed, then from fit_seeds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        alone = [build(seed) for seed in SEEDS]
        h_alone = [fit(m, X, y, loss=loss, metric=metric, optimizer=SGD(lr), epochs=epochs, batch_size=batch_size,
                       validation_split=0.2, seed=seed, progress=False) for m, seed in zip(alone, SEEDS)]
        together = [build(seed) for seed in SEEDS]
        h_together = fit_seeds(together, X, y, seeds=SEEDS, loss=loss, metric=metric, lr=lr, epochs=epochs,
                               batch_size=batch_size, validation_split=0.2)
    return (alone, h_alone), (together, h_together)


def assert_same(alone, together):
    (models_a, hist_a), (models_t, hist_t) = alone, together
    for ha, ht in zip(hist_a, hist_t):
        assert (ha.loss, ha.metric, ha.val_loss, ha.val_metric, ha.stopped) == \
               (ht.loss, ht.metric, ht.val_loss, ht.val_metric, ht.stopped)
    for ma, mt in zip(models_a, models_t):
        for la, lt in zip(ma.layers, mt.layers):
            for key in la.params:
                np.testing.assert_array_equal(la.params[key], lt.params[key])
            if hasattr(la, "stats"):
                np.testing.assert_array_equal(la.stats.mean, lt.stats.mean)
                np.testing.assert_array_equal(la.stats.var, lt.stats.var)
                assert la.stats.count == lt.stats.count


@pytest.mark.parametrize("batchnorm, position, batch_size", [
    (False, "after", 32), (True, "after", 32), (True, "before", 4), (True, "after", 7)])
def test_fit_seeds_gives_exactly_what_fit_gives_seed_by_seed(batchnorm, position, batch_size):
    assert_same(*both(lambda seed: circles(batchnorm, position, seed), lr=0.05, batch_size=batch_size, epochs=4))


def test_a_seed_that_diverges_stops_as_in_fit_while_the_others_go_on():
    # The instructor's notebooks' batch norm, as a student's: unlike the reference, it does not refuse inf.
    bn = student_bn_functions(start=ROOT / "solutions" / "06_experiments")
    X_c, y_c = make_circles_data(1000, noise=0.1, seed=0)
    alone, together = both(lambda seed: circles(True, "after", seed, bn), lr=6.0, batch_size=32, epochs=30,
                           X=X_c, y=y_c)
    stopped = [h.stopped is not None for h in together[1]]
    assert any(stopped) and not all(stopped), "the case must mix stopped and finished runs"
    assert_same(alone, together)


def test_fit_seeds_regression_in_float32_and_its_callbacks_see_what_fits_see():
    rng = np.random.default_rng(0)
    X_h = rng.normal(size=(200, 8)).astype(np.float32)
    y_h = (X_h[:, 0] - 2 * X_h[:, 3] + 0.1 * rng.normal(size=200)).astype(np.float32)
    assert_same(*both(lambda seed: housing_model(True, seed=seed, dtype=np.float32), lr=0.01, batch_size=32,
                      epochs=2, X=X_h, y=y_h, loss="mse", metric="mse"))

    def probe(seen):
        # What a probe reads: an eval-mode prediction and the input layer's running variance.
        return lambda step, epoch, model: seen.append((step, epoch, model.predict(X_h[:5]).tolist(),
                                                       model.layers[0].stats.var.tolist()))
    alone = {seed: [] for seed in SEEDS}
    for seed in SEEDS:
        fit(housing_model(True, seed=seed, dtype=np.float32), X_h, y_h, loss="mse", metric="mse", optimizer=SGD(0.01),
            epochs=2, batch_size=32, validation_split=0.2, seed=seed, progress=False, callbacks=[probe(alone[seed])])
    together = {seed: [] for seed in SEEDS}

    def probe_all(step, epoch, models):
        for i, model in models.items():
            probe(together[SEEDS[i]])(step, epoch, model)
    fit_seeds([housing_model(True, seed=seed, dtype=np.float32) for seed in SEEDS], X_h, y_h, seeds=SEEDS,
              loss="mse", metric="mse", lr=0.01, epochs=2, batch_size=32, validation_split=0.2, callbacks=[probe_all])
    assert together == alone and len(alone[0]) == 10


def test_circles_experiment_keeps_the_models_it_was_asked_for():
    runs = circles_experiment(True, seeds=[0, 1], epochs=3, keep_models=True)
    X_all, y_all = make_circles_data(1000, noise=0.1, seed=0)
    for run in runs:
        predicted = run.model.predict(X_all[800:])[:, 0] > 0.5
        assert run.history.val_metric[-1] == np.mean(predicted == (y_all[800:] > 0.5))
    assert circles_experiment(False, seeds=[0], epochs=1)[0].model is None


@pytest.mark.parametrize("lr", [np.float64(0.01), np.float32(0.01)])
def test_fit_seeds_in_float32_gives_fits_numbers_whatever_the_type_of_the_learning_rate(lr):
    # A float64 learning rate makes SGD's step lr * g a float64 product; fit_seeds must not round it to float32.
    rng = np.random.default_rng(1)
    X_h = rng.normal(size=(160, 8)).astype(np.float32)
    y_h = (X_h[:, 0] - 2 * X_h[:, 3] + 0.1 * rng.normal(size=160)).astype(np.float32)
    assert_same(*both(lambda seed: housing_model(False, seed=seed, dtype=np.float32), lr=lr, batch_size=32,
                      epochs=2, X=X_h, y=y_h, loss="mse", metric="mse"))
