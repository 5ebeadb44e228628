import warnings

import numpy as np
import pytest

from course_lib.data import make_circles_data
from course_lib.model import circles_model, mlp
from course_lib.optim import SGD
from course_lib.reach import epochs_to_reach
from course_lib.train import History, NonFiniteLossError, fit


def test_history_and_learning():
    X, y = make_circles_data(400, seed=0)
    h = fit(circles_model(True, seed=0), X, y, optimizer="adam", epochs=100, validation_split=0.2, progress=False)
    assert h.epochs == len(h.val_metric) == 100 and h.metric_name == "accuracy"
    assert h.loss[-1] < 0.6 * h.loss[0] and h.val_metric[-1] > 0.75 and h.stopped is None


def test_seeded_runs_repeat():
    X, y = make_circles_data(200, seed=1)
    a = fit(circles_model(True, seed=3), X, y, epochs=3, seed=5, progress=False)
    b = fit(circles_model(True, seed=3), X, y, epochs=3, seed=5, progress=False)
    c = fit(circles_model(True, seed=3), X, y, epochs=3, seed=6, progress=False)
    assert a.loss == b.loss and a.loss != c.loss


def test_validation_split_takes_the_last_samples():
    X, y = np.arange(20.0).reshape(10, 2), np.zeros(10)
    seen = []
    model = mlp(2, (), output_activation="sigmoid")
    fit(model, X, y, epochs=1, batch_size=100, validation_split=0.3, progress=False,
        callbacks=[lambda step, epoch, m: seen.append(step)])
    assert seen == [1]  # one batch of the first 7 samples
    h = fit(mlp(2, ()), X, y, loss="mse", metric="mse", epochs=2, validation_split=0.3, progress=False)
    assert len(h.val_loss) == 2


def test_nonfinite_loss_stops_with_a_message():
    X, y = make_circles_data(200, seed=0)
    X = X * 1e3
    model = mlp(2, (64, 64), output_units=1)
    with pytest.warns(RuntimeWarning, match="loss became"):
        h = fit(model, X, y, loss="mse", metric="mse", optimizer=SGD(10.0), epochs=50, progress=False)
    assert h.stopped and "learning rate" in h.stopped and h.epochs < 50
    with pytest.raises(NonFiniteLossError, match="loss became"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit(mlp(2, (64, 64)), X, y, loss="mse", metric="mse", optimizer=SGD(10.0), epochs=50,
                progress=False, on_nonfinite="raise")


def test_epochs_to_reach():
    h = History(val_metric=[0.4, 0.55, 0.61, 0.58, 0.7])
    assert epochs_to_reach(h, 0.6) == 3
    assert epochs_to_reach(h, 0.9) is None
    assert epochs_to_reach([0.7], 0.6) == 1


@pytest.mark.parametrize("kwargs, match", [
    (dict(loss="hinge"), "unknown loss 'hinge'"),
    (dict(metric="f1"), "unknown metric 'f1'"),
    (dict(validation_split=1.0), "validation_split must be in"),
    (dict(epochs=0), "positive integers"),
    (dict(on_nonfinite="ignore"), "on_nonfinite must be"),
])
def test_bad_arguments(kwargs, match):
    X, y = make_circles_data(20, seed=0)
    with pytest.raises(ValueError, match=match):
        fit(circles_model(False), X, y, progress=False, **kwargs)


def test_bad_targets():
    X, _ = make_circles_data(20, seed=0)
    with pytest.raises(ValueError, match=r"y must have shape \(20,\) or \(20, 1\)"):
        fit(circles_model(False), X, np.zeros(19), progress=False)


def test_progress_bar_can_be_on(capsys):
    X, y = make_circles_data(40, seed=0)
    fit(circles_model(False), X, y, epochs=2, progress=True)


def test_trailing_batch_of_one_is_skipped_with_batchnorm():
    X, y = make_circles_data(65, seed=0)          # 2 batches of 32 and one of 1
    steps = []
    h = fit(circles_model(True), X, y, epochs=2, batch_size=32, progress=False,
            callbacks=[lambda step, epoch, m: steps.append(step)])
    assert steps == [1, 2, 3, 4] and h.epochs == 2
    steps.clear()
    fit(circles_model(False), X, y, epochs=1, batch_size=32, progress=False,
        callbacks=[lambda step, epoch, m: steps.append(step)])
    assert steps == [1, 2, 3]                     # without BN the single sample is used


def test_no_training_batch_is_a_clear_error():
    X, y = make_circles_data(4, seed=0)
    with pytest.raises(ValueError, match="no training batch: 1 training sample"):
        fit(circles_model(True), X[:2], y[:2], validation_split=0.5, progress=False)
