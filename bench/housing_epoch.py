"""One training epoch of the notes' California Housing model: course_lib against
a plain PyTorch loop and against Keras 3 on the torch backend, same architecture,
optimizer, batch size and data.

Model: 8 -> 300 -> 256 -> 128 -> 100 -> 500 -> 100 -> 1, ReLU, SGD (lr 0.01),
MSE, batch 32, validation_split 0.2, float32; with BN before each hidden Dense
as in the notes, and without. The PyTorch peer is what one writes by hand:
nn.Sequential, torch.optim.SGD, a shuffled pass over the training rows in
batches of 32, then the validation loss in eval mode, as fit() does.
Target: course_lib trains an epoch at least 2x faster than each peer.

    python bench/housing_epoch.py [--epochs 3]
"""

import argparse
import os
import statistics
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402

from course_lib.housing import load_california_housing  # noqa: E402
from course_lib.model import HOUSING_HIDDEN, housing_model  # noqa: E402
from course_lib.optim import SGD  # noqa: E402
from course_lib.train import fit  # noqa: E402

from _timing import interleaved  # noqa: E402


def keras_model(batchnorm):
    import keras

    layers = [keras.Input(shape=(8,))]
    for units in HOUSING_HIDDEN:
        if batchnorm:
            layers.append(keras.layers.BatchNormalization())
        layers.append(keras.layers.Dense(units, activation="relu"))
    layers.append(keras.layers.Dense(1))
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse", metrics=["mse"])
    return model


def torch_model(batchnorm):
    import torch

    layers, d = [], 8
    for units in HOUSING_HIDDEN:
        if batchnorm:
            layers.append(torch.nn.BatchNorm1d(d))
        layers += [torch.nn.Linear(d, units), torch.nn.ReLU()]
        d = units
    layers.append(torch.nn.Linear(d, 1))
    return torch.nn.Sequential(*layers)


def torch_epoch_runner(X, y, batchnorm, batch_size=32):
    """One more epoch of a plain PyTorch training loop, split and batches as fit() makes them."""
    import torch

    n_train = int(len(X) * 0.8)
    X_t, y_t = torch.from_numpy(X[:n_train]), torch.from_numpy(y[:n_train, None])
    X_v, y_v = torch.from_numpy(X[n_train:]), torch.from_numpy(y[n_train:, None])
    model = torch_model(batchnorm)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = torch.nn.MSELoss()
    generator = torch.Generator().manual_seed(0)

    def epoch():
        model.train()
        order = torch.randperm(n_train, generator=generator)
        for start in range(0, n_train, batch_size):
            idx = order[start:start + batch_size]
            if batchnorm and len(idx) == 1:   # BN cannot train on one sample; fit() skips it too
                continue
            opt.zero_grad()
            loss = loss_fn(model(X_t[idx]), y_t[idx])
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            loss_fn(model(X_v), y_v).item()

    return epoch


def epoch_runners(X, y, batchnorm):
    """Callables that each train one more epoch of a fresh model: ours, PyTorch's and Keras'."""
    k_model = keras_model(batchnorm)
    o_model = housing_model(batchnorm, dtype=np.float32)
    seeds = iter(range(10**6))

    def keras_epoch():
        k_model.fit(X, y, epochs=1, batch_size=32, validation_split=0.2, verbose=0)

    def our_epoch():
        fit(o_model, X, y, loss="mse", metric="mse", optimizer=SGD(0.01), epochs=1, batch_size=32,
            validation_split=0.2, seed=next(seeds), progress=False)

    return {"keras": keras_epoch, "torch": torch_epoch_runner(X, y, batchnorm), "ours": our_epoch}


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per framework and variant")
    args = parser.parse_args(argv)
    import keras
    import torch

    X, y = load_california_housing()
    # Standardized inputs keep plain SGD finite without BN, so both variants time real arithmetic.
    X = ((X - X.mean(axis=0)) / X.std(axis=0)).astype(np.float32)
    y = y.astype(np.float32)
    print(f"California Housing, one epoch = {int(len(X) * 0.8)} samples in batches of 32 "
          f"(torch {torch.__version__}, {torch.get_num_threads()} threads; keras {keras.__version__} on torch); "
          f"median of {args.epochs} interleaved epochs after a warm-up epoch")
    for batchnorm in (False, True):
        # One warm-up epoch each (Keras traces its step), then epochs in alternation.
        times = interleaved(epoch_runners(X, y, batchnorm), rounds=args.epochs, warmup=1)
        k, t, o = (statistics.median(times[name]) for name in ("keras", "torch", "ours"))
        label = "with BN   " if batchnorm else "without BN"
        print(f"  {label}: course_lib {o:6.2f} s/epoch   torch {t:6.2f} s/epoch, speed-up {t / o:5.2f}x   "
              f"keras {k:6.2f} s/epoch, speed-up {k / o:5.2f}x   (target >= 2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
