"""The notes' claims about batch norm that the course had not tested, tested on a deep network.

The notes say BN makes training "less sensitive to weight initialization",
that it "can use higher learning rates" ("in deep networks the difference is
much larger"), that it acts as a mild regularizer, eases vanishing and
exploding gradients, "can be applied to some layers and not others" and is
"not applied to the output layer". A 2-3-2-1 network is too shallow to show
any of it, so every experiment here trains the circle classifier with eight
hidden layers of 16 ReLU units::

    2 -> Dense(16, relu) -> [BN] -> ... (8 hidden layers) ... -> Dense(1) -> [BN] -> sigmoid

BN follows each hidden activation, as in the notes' Keras code; ``bn`` says
which of the nine Dense layers carry one (the ninth, the output layer, on its
logit). Running statistics follow the course's ``notes`` convention
(momentum 0.9, eps 1e-5).

Each experiment trains many copies of that network, over seeds and over the
setting it sweeps, and trains them in lockstep as one ``DeepStack``: member
k has its own weights, learning rate and batch order, and every BN layer
normalizes the (N, K * 16) matrix of all members' features in one call of
the student's ``bn_fns.forward``. Since batch norm works column by column,
that is the same as K separate calls; ``tests/test_claims.py`` checks a
member against ``model.mlp`` trained by ``train.fit``.

Everything is float64 and seeded: the results do not depend on the number of
BLAS threads.
"""

from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from .data import make_circles_data
from .experiments import _losses
from .model import mlp
from .modules import Dense, _batch_stats

__all__ = [
    "HIDDEN", "EPS", "MOMENTUM", "TARGET", "SEEDS", "EPOCHS", "LR", "ARMS", "PLACEMENTS",
    "CircleData", "circle_data", "bn_layers", "DeepStack", "StackRun", "train_stack",
    "epochs_to", "largest_working",
    "Sweep", "init_sweep", "lr_sweep", "GradientNorms", "gradient_norms", "Gap", "generalization_gap",
    "Placement", "placement", "Drift", "drift",
]

HIDDEN = (16,) * 8          # eight hidden layers of 16 units: nine Dense layers with the output
EPS = 1e-5                  # the "notes" convention: eps 1e-5, momentum 0.9 weighing the old value
MOMENTUM = 0.9


@dataclass(frozen=True)
class CircleData:
    """Training and validation circles: X (N, 2), y (N,) of 0/1, and X_val (M, 2), y_val (M,).

    Or one data set per member of a stack: X (K, N, 2), y (K, N), X_val (K, M, 2), y_val (K, M).
    """

    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray


def circle_data(n_train=256, n_val=512, noise=0.1, seed=0):
    """Concentric circles (course_lib.data), n_train points to train on and n_val to validate on.

    Both come from one draw of ``make_circles_data(n_train + n_val, seed=seed)``, shuffled by it:
    the first n_train rows train, the rest validate. seed may be a list of K seeds: then one draw
    per seed, stacked (see CircleData).
    """
    if not np.isscalar(seed):
        draws = [circle_data(n_train, n_val, noise, s) for s in seed]
        return CircleData(*(np.stack([getattr(d, f) for d in draws]) for f in ("X", "y", "X_val", "y_val")))
    X, y = make_circles_data(n_train + n_val, noise=noise, seed=seed)
    return CircleData(X[:n_train], y[:n_train], X[n_train:], y[n_train:])


def bn_layers(where, n_layers=len(HIDDEN) + 1):
    """Which Dense layers carry BN, as a tuple of n_layers bools (the last is the output layer).

    where: "none", "hidden" (every hidden layer, the notes' models), "all" (the output too),
    or an iterable of 1-based layer numbers, e.g. (1, 2) for the first two hidden layers.
    """
    if isinstance(where, str):
        named = {"none": (), "hidden": range(1, n_layers), "all": range(1, n_layers + 1)}
        if where not in named:
            raise ValueError(f"where must be 'none', 'hidden', 'all' or layer numbers, got {where!r}")
        where = named[where]
    where = set(where)
    bad = sorted(w for w in where if w not in range(1, n_layers + 1))
    if bad:
        raise ValueError(f"layer numbers run from 1 to {n_layers} (the output layer); got {bad}")
    return tuple(i in where for i in range(1, n_layers + 1))


def _relu_mask(z):
    return z > 0


class DeepStack:
    """K MLPs of one shape (``HIDDEN`` ReLU layers and a logit), trained in lockstep.

    W[l]: (K, D_in, D_out) and b[l]: (K, D_out) for each of the L Dense layers.
    bn: L bools; where bn[l], a BN layer follows Dense l's activation (for the output layer, its
    logit) and has gamma[l], beta[l], running_mean[l], running_var[l], each (K * D_out,):
    member k's features are columns k * D_out ... (k + 1) * D_out - 1.
    """

    def __init__(self, W, b, bn, bn_fns):
        if len(W) != len(bn):
            raise ValueError(f"bn must say for each of the {len(W)} Dense layers whether BN follows it; "
                             f"got {len(bn)} entries")
        if any(bn) and bn_fns is None:
            raise ValueError("bn_fns is needed when a layer has BN: pass your batch norm, e.g. bn_fns=bn")
        self.W, self.b, self.bn, self.fns = list(W), list(b), tuple(bool(v) for v in bn), bn_fns
        self.K = W[0].shape[0]
        width = [w.shape[2] for w in W]
        self.gamma = [np.ones(self.K * d) if on else None for d, on in zip(width, self.bn)]
        self.beta = [np.zeros(self.K * d) if on else None for d, on in zip(width, self.bn)]
        self.running_mean = [np.zeros(self.K * d) if on else None for d, on in zip(width, self.bn)]
        self.running_var = [np.ones(self.K * d) if on else None for d, on in zip(width, self.bn)]

    @classmethod
    def from_seeds(cls, seeds, scales=1.0, *, bn="hidden", bn_fns=None, hidden=HIDDEN):
        """Member k: the Glorot-uniform weights of ``model.mlp(..., seed=seeds[k])`` times scales[k].

        seeds: (K,) ints; scales: a number or (K,). bn: see ``bn_layers``.
        """
        seeds = [int(s) for s in seeds]
        scales = np.broadcast_to(np.asarray(scales, dtype=float), (len(seeds),))
        if not np.all(scales > 0):
            raise ValueError(f"weight scales must be positive, got {scales}")
        layers = [[layer for layer in mlp(2, hidden, seed=s).layers if isinstance(layer, Dense)] for s in seeds]
        W = [np.stack([m[l].params["W"] * c for m, c in zip(layers, scales)]) for l in range(len(hidden) + 1)]
        b = [np.zeros((len(seeds), w.shape[2])) for w in W]
        return cls(W, b, bn_layers(bn, len(W)), bn_fns)

    def params(self):
        """The trainable arrays, each with the members on its first axis (gamma, beta: (K, D))."""
        out = []
        for l in range(len(self.W)):
            out += [self.W[l], self.b[l]]
            if self.bn[l]:
                out += [self.gamma[l].reshape(self.K, -1), self.beta[l].reshape(self.K, -1)]
        return out

    def _bn(self, l, a, training, update):
        """BN of layer l on a (K, N, D): members side by side as (N, K * D), one call of bn_fns."""
        K, N, D = a.shape
        x = a.transpose(1, 0, 2).reshape(N, K * D)
        if training:
            out, cache = self.fns.forward(x, self.gamma[l], self.beta[l], EPS)
            if update:
                mu, var = _batch_stats(x, cache)
                self.running_mean[l], self.running_var[l] = self.fns.update(
                    self.running_mean[l], self.running_var[l], mu, var, MOMENTUM)
        else:
            out, cache = self.fns.inference(x, self.gamma[l], self.beta[l], self.running_mean[l],
                                            self.running_var[l], EPS), None
        return out.reshape(N, K, D).transpose(1, 0, 2), cache

    def forward(self, X, training=False, update=True):
        """X: (K, N, 2) or (N, 2) -> logits (K, N, 1) and the caches for ``backward``.

        training: BN uses the batch's statistics (and, if update, folds them into the running ones);
        otherwise the running statistics. Also returns the pre-activations z (K, N, D) of every Dense.
        """
        a = np.broadcast_to(X, (self.K, *X.shape)) if X.ndim == 2 else X
        caches, zs = [], []
        last = len(self.W) - 1
        for l, (W, b) in enumerate(zip(self.W, self.b)):
            z = a @ W + b[:, None, :]
            zs.append(z)
            out = np.maximum(z, 0) if l < last else z
            bn_cache = None
            if self.bn[l]:
                out, bn_cache = self._bn(l, out, training, update)
            caches.append((a, z, bn_cache))
            a = out
        return a, caches, zs

    def backward(self, dlogits, caches):
        """dlogits: (K, N, 1) -> gradients in the order of ``params()``, each with K on its first axis."""
        grads = []
        dout = dlogits
        last = len(self.W) - 1
        for l in range(last, -1, -1):
            a, z, bn_cache = caches[l]
            layer_grads = []
            if self.bn[l]:
                K, N, D = dout.shape
                dx, dgamma, dbeta = self.fns.backward(dout.transpose(1, 0, 2).reshape(N, K * D), bn_cache)
                dout = dx.reshape(N, K, D).transpose(1, 0, 2)
                layer_grads = [dgamma.reshape(K, D), dbeta.reshape(K, D)]
            if l < last:
                dout = dout * _relu_mask(z)
            dW = a.transpose(0, 2, 1) @ dout
            db = dout.sum(axis=1)
            grads = [dW, db] + layer_grads + grads
            dout = dout @ self.W[l].transpose(0, 2, 1)
        return grads

    def dW_norms(self, grads):
        """The Frobenius norm of each Dense layer's weight gradient: (L, K)."""
        per_layer = [g for g, p in zip(grads, self.params()) if p.ndim == 3]
        return np.array([np.sqrt((g * g).sum(axis=(1, 2))) for g in per_layer])


def _bce_with_logits(z, y):
    """z: (K, N, 1) logits, y: (N,) or (K, N) -> loss (K,) (mean over N) and dz (K, N, 1)."""
    return _losses(z, y[None, :, None] if y.ndim == 1 else y[:, :, None], fused=True)


@dataclass
class StackRun:
    """Per-epoch records of a DeepStack's K members; row e is after epoch e (row 0: before training).

    loss: (E + 1, K) training loss (row 0: on the whole training set at the start, in training mode;
    then the mean of the epoch's batch losses); val_loss, val_accuracy: (E + 1, K) in eval mode, or
    NaN where not measured; diverged: (K,) the epoch at which a member's loss or weights stopped
    being finite (0 if never); grad_norms: {epoch: (L, K)} weight-gradient norms of each Dense on
    the first batch of that epoch; spread: {epoch: (L, K)} std of each Dense's pre-activations on
    the probe batch after that epoch.
    """

    loss: np.ndarray
    val_loss: np.ndarray
    val_accuracy: np.ndarray
    train_loss_eval: np.ndarray
    diverged: np.ndarray
    grad_norms: dict = field(default_factory=dict)
    spread: dict = field(default_factory=dict)


_BLOWN_UP = 1e6      # a loss, logit or weight this large: the run has left any useful region


def train_stack(stack, data, lr, seeds, *, epochs, batch_size=64, val_every=None, grad_epochs=(),
                spread_epochs=(), probe=None, validate=True):
    """Train every member with SGD on data.X, in batches shuffled per epoch by its own seed.

    Member k's batches are those ``train.fit(..., seed=seeds[k])`` takes: the permutation of
    ``np.random.default_rng(seeds[k])`` each epoch. lr: a number or (K,).
    val_every: measure the validation loss and accuracy, and the training loss in eval mode
    (``train_loss_eval``), every that many epochs and after the last; None: after the last only.
    validate=False measures none of them and keeps no running statistics (for experiments that
    read only the training loss).
    grad_epochs, spread_epochs: epochs (0: at initialization) at which to record the gradient
    norms (on the first batch of the next epoch) and the pre-activation spreads (on ``probe``, an
    (M, 2) batch, in training mode without updating the running statistics).
    A member whose loss, logits or weights blow up (not finite, or over 1e6) is marked diverged and
    frozen at its initial weights, so that it stays finite in the BN calls it shares; its records
    from then on are NaN.

    Returns a StackRun.
    """
    K = stack.K
    lr = np.broadcast_to(np.asarray(lr, dtype=float), (K,)).copy()
    if not np.all(lr > 0):
        raise ValueError(f"learning rates must be positive, got {lr}")
    if len(seeds) != K:
        raise ValueError(f"one seed per member: the stack has {K} members, got {len(seeds)} seeds")
    n = data.X.shape[-2]
    if data.X.ndim == 3 and len(data.X) != K:
        raise ValueError(f"one data set per member: the stack has {K} members, the data {len(data.X)}")
    if int(batch_size) != batch_size or not 2 <= batch_size <= n:
        raise ValueError(f"batch_size must be an integer from 2 to the {n} training points, got {batch_size!r}")
    if int(epochs) != epochs or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if spread_epochs and probe is None:
        raise ValueError("spread_epochs needs a probe batch: pass probe=X, an (M, 2) array")
    rngs = [np.random.default_rng(int(s)) for s in seeds]
    starts = [s for s in range(0, n, batch_size) if n - s >= 2]   # fit skips a last batch of one with BN
    sizes = np.array([min(batch_size, n - s) for s in starts])
    params = stack.params()
    initial = [p.copy() for p in params]
    steps = [lr.reshape(K, *(1,) * (p.ndim - 1)) for p in params]    # views: freezing a member zeroes its lr
    run = StackRun(*(np.full((epochs + 1, K), np.nan) for _ in range(4)), np.zeros(K, dtype=int))
    alive = np.ones(K, dtype=bool)
    # One BLAS thread: these matrices are small, and the sums then run in one order on any machine.
    with np.errstate(all="ignore"), threadpool_limits(1, user_api="blas"):
        logits, _, _ = stack.forward(data.X, training=True, update=False)
        run.loss[0] = _bce_with_logits(logits, data.y)[0]
        _measure(stack, data, run, 0, probe, spread_epochs, val_every)
        for epoch in range(1, epochs + 1):
            orders = np.stack([rng.permutation(n) for rng in rngs])        # (K, n)
            losses = []
            for i, start in enumerate(starts):
                rows = orders[:, start:start + batch_size]
                if data.X.ndim == 3:
                    Xb, yb = np.take_along_axis(data.X, rows[..., None], 1), np.take_along_axis(data.y, rows, 1)
                else:
                    Xb, yb = data.X[rows], data.y[rows]
                logits, caches, _ = stack.forward(Xb, training=True, update=validate)
                loss, dlogits = _bce_with_logits(logits, yb)
                grads = stack.backward(dlogits, caches)
                if i == 0 and epoch - 1 in grad_epochs:
                    run.grad_norms[epoch - 1] = np.where(alive, stack.dW_norms(grads), np.nan)
                for p, g, step in zip(params, grads, steps):
                    p -= step * g
                losses.append(loss)
                blown = ~(loss < _BLOWN_UP) | ~(np.abs(logits).max(axis=(1, 2)) < _BLOWN_UP)
                if i == len(starts) - 1:
                    for p in params:
                        blown |= ~(np.abs(p).reshape(K, -1).max(axis=1) < _BLOWN_UP)
                alive = _freeze(stack, params, initial, lr, alive, blown, run, epoch)
            run.loss[epoch] = np.where(alive, np.average(np.array(losses), axis=0, weights=sizes), np.nan)
            _measure(stack, data, run, epoch, probe, spread_epochs, val_every if validate else None,
                     last=validate and epoch == epochs, alive=alive)
    return run


def _freeze(stack, params, initial, lr, alive, blown, run, epoch):
    """Mark the members that blew up in this step as diverged and reset them; returns the alive mask."""
    newly = blown & alive
    if newly.any():
        run.diverged[newly] = epoch
        lr[newly] = 0.0
        for p, p0 in zip(params, initial):
            p[newly] = p0[newly]
        for l, on in enumerate(stack.bn):
            if on:
                cols = np.repeat(newly, stack.W[l].shape[2])
                stack.running_mean[l][cols], stack.running_var[l][cols] = 0.0, 1.0
    return alive & ~newly


def _measure(stack, data, run, epoch, probe, spread_epochs, val_every, last=False, alive=None):
    alive = np.ones(stack.K, dtype=bool) if alive is None else alive
    if epoch in spread_epochs:
        _, _, zs = stack.forward(probe, training=True, update=False)
        run.spread[epoch] = np.where(alive, np.array([z.std(axis=(1, 2)) for z in zs]), np.nan)
    if last or (val_every and epoch % val_every == 0):
        logits, _, _ = stack.forward(data.X_val, training=False)
        val_loss, _ = _bce_with_logits(logits, data.y_val)
        accuracy = ((logits[:, :, 0] > 0) == (np.atleast_2d(data.y_val) > 0.5)).mean(axis=1)
        run.val_loss[epoch] = np.where(alive, val_loss, np.nan)
        run.val_accuracy[epoch] = np.where(alive, accuracy, np.nan)
        logits, _, _ = stack.forward(data.X, training=False)
        run.train_loss_eval[epoch] = np.where(alive, _bce_with_logits(logits, data.y)[0], np.nan)


# ---------------------------------------------------------------- the experiments

TARGET = 0.2          # "trains": the training loss (binary cross-entropy) falls to 0.2; chance is ln 2 = 0.69
SEEDS = range(5)
EPOCHS = 60           # 4 batches of 64 per epoch: 240 SGD steps
LR = 0.1              # the learning rate of every experiment but the learning-rate sweep
ARMS = (("without BN", "none"), ("with BN", "hidden"))


def epochs_to(losses, target=TARGET):
    """The first epoch (1-based) at which each run's loss is <= target, or None.

    losses: (E + 1, K) as in StackRun.loss (row 0 before training) -> list of K ints or None.
    """
    losses = np.asarray(losses)
    hit = np.nan_to_num(losses[1:], nan=np.inf) <= target
    return [int(np.argmax(col)) + 1 if col.any() else None for col in hit.T]


def largest_working(settings, final_loss, target=TARGET):
    """The largest setting at which most runs end with a loss <= target (None if at none).

    settings: (S,); final_loss: (S, seeds), NaN for a run that diverged.
    """
    final_loss = np.nan_to_num(np.asarray(final_loss, dtype=float), nan=np.inf)
    works = (final_loss <= target).sum(axis=1) > final_loss.shape[1] / 2
    return max((s for s, ok in zip(settings, works) if ok), default=None)


def _bn_or_default(bn_fns):
    if bn_fns is None:
        from .defaults import default_bn_functions
        return default_bn_functions()
    return bn_fns


def _check_seeds(seeds):
    seeds = [int(s) for s in seeds]
    if len(seeds) < 1 or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct integers, at least one; got {seeds}")
    return seeds


def _check_positive(values, name):
    values = tuple(float(v) for v in values)
    if not values or min(values) <= 0:
        raise ValueError(f"{name} must be positive numbers, at least one; got {values}")
    return values


@dataclass(frozen=True)
class Sweep:
    """Runs over a grid of one setting (weight scale or learning rate), with and without BN.

    settings: (S,); for each arm label ("without BN", "with BN"): final_loss (S, seeds), the last
    epoch's training loss, NaN where the run diverged; reached (S, seeds), the epoch at which the
    training loss first fell to ``target`` (None: never); diverged (S, seeds) bool.
    """

    name: str
    settings: tuple
    seeds: tuple
    target: float
    final_loss: dict
    reached: dict
    diverged: dict

    def trained(self, label):
        """(S,) how many seeds end with a training loss <= target, at each setting."""
        return (np.nan_to_num(self.final_loss[label], nan=np.inf) <= self.target).sum(axis=1)

    def epochs(self, label, setting=None):
        """The epochs to the target of every run that reached it (at one setting, or at all)."""
        rows = self.reached[label] if setting is None else self.reached[label][[self.settings.index(setting)]]
        return [int(r) for r in rows.ravel() if r is not None]

    def table(self):
        """One line per setting and arm: runs that train, epochs to the target, final loss."""
        n = len(self.seeds)
        lines = [f"{self.name:>13}  {'':<10}  {'trained':>7}  {'diverged':>8}  {'epochs to ' + str(self.target):>24}"
                 f"  {'final training loss':>26}",
                 f"{'':>13}  {'':<10}  {'':>7}  {'':>8}  {'median (range)':>24}  {'median (range)':>26}"]
        for i, v in enumerate(self.settings):
            for label in self.final_loss:
                e = [r for r in self.reached[label][i] if r is not None]
                median = np.median([np.inf if r is None else r for r in self.reached[label][i]])
                epochs = "never" if not e else (f"{median:g}" if np.isfinite(median) else "never") + \
                    f" ({min(e)}-{max(e)})" + ("" if len(e) == n else f", {n - len(e)} never")
                f = self.final_loss[label][i]
                loss = "all diverged" if np.isnan(f).all() else \
                    f"{np.nanmedian(f):.3f} ({np.nanmin(f):.3f}-{np.nanmax(f):.3f})"
                lines.append(f"{v:>13g}  {label:<10}  {self.trained(label)[i]:>5}/{n}  "
                             f"{self.diverged[label][i].sum():>6}/{n}  {epochs:>24}  {loss:>26}")
        return "\n".join(lines)


def _sweep(name, settings, seeds, bn_fns, data, epochs, scale_of, lr_of, target):
    combos = [(v, s) for v in settings for s in seeds]
    shape = (len(settings), len(seeds))
    final, reached, diverged = {}, {}, {}
    for label, where in ARMS:
        stack = DeepStack.from_seeds([s for _, s in combos], [scale_of(v) for v, _ in combos], bn=where,
                                     bn_fns=bn_fns)
        run = train_stack(stack, data, [lr_of(v) for v, _ in combos], [s for _, s in combos], epochs=epochs,
                          validate=False)
        final[label] = run.loss[-1].reshape(shape)
        reached[label] = np.array(epochs_to(run.loss, target), dtype=object).reshape(shape)
        diverged[label] = (run.diverged > 0).reshape(shape)
    return Sweep(name, tuple(settings), tuple(seeds), target, final, reached, diverged)


def init_sweep(scales=(0.1, 0.3, 1.0, 3.0, 10.0), *, bn_fns=None, seeds=SEEDS, lr=LR, epochs=EPOCHS,
               target=TARGET, data=None):
    """Train with every weight scaled by each of ``scales`` (1 = Glorot, Keras' default), with and without BN.

    Returns a Sweep over the scales: final training loss and epochs to ``target``, per seed.
    """
    scales, seeds = _check_positive(scales, "scales"), _check_seeds(seeds)
    (lr,) = _check_positive([lr], "lr")
    return _sweep("weight scale", scales, seeds, _bn_or_default(bn_fns), data or circle_data(), epochs,
                  lambda v: v, lambda v: lr, target)


def lr_sweep(lrs=(0.01, 0.1, 0.3, 1.0, 3.0, 10.0), *, bn_fns=None, seeds=SEEDS, epochs=EPOCHS,
             target=TARGET, data=None):
    """Train at each SGD learning rate, Glorot weights, with and without BN.

    Returns a Sweep over the learning rates; ``largest_working`` reads its ceiling.
    """
    lrs, seeds = _check_positive(lrs, "lrs"), _check_seeds(seeds)
    return _sweep("learning rate", lrs, seeds, _bn_or_default(bn_fns), data or circle_data(), epochs,
                  lambda v: 1.0, lambda v: v, target)


@dataclass(frozen=True)
class GradientNorms:
    """Norms of each Dense layer's weight gradient (layers 1 ... L, L = the output layer).

    at_init[label][scale]: (L, seeds) on the first batch, with all weights times ``scale``.
    training[label][epoch]: (L, seeds) on the first batch of epoch + 1, Glorot weights (epoch 0: at
    initialization); NaN for a run that diverged.
    """

    scales: tuple
    epochs: tuple
    seeds: tuple
    at_init: dict
    training: dict


def gradient_norms(scales=(0.3, 1.0, 3.0), epochs=(0, 1, 10, 30), *, bn_fns=None, seeds=SEEDS, lr=LR,
                   data=None):
    """Per-layer gradient norms at initialization for each weight scale, and during training at scale 1."""
    scales, seeds = _check_positive(scales, "scales"), _check_seeds(seeds)
    epochs = tuple(int(e) for e in epochs)
    if not epochs or min(epochs) < 0:
        raise ValueError(f"epochs must be epoch numbers >= 0 (0: at initialization); got {epochs}")
    bn_fns, data = _bn_or_default(bn_fns), data or circle_data()
    at_init, training = {}, {}
    for label, where in ARMS:
        stack = DeepStack.from_seeds([s for _ in scales for s in seeds], [c for c in scales for _ in seeds],
                                     bn=where, bn_fns=bn_fns)
        norms = _first_batch_norms(stack, data, [s for _ in scales for s in seeds])
        at_init[label] = dict(zip(scales, np.split(norms, len(scales), axis=1)))
        stack = DeepStack.from_seeds(seeds, bn=where, bn_fns=bn_fns)
        run = train_stack(stack, data, lr, seeds, epochs=max(epochs) + 1, grad_epochs=epochs, validate=False)
        training[label] = run.grad_norms
    return GradientNorms(scales, epochs, tuple(seeds), at_init, training)


def _first_batch_norms(stack, data, seeds, batch_size=64):
    """(L, K) weight-gradient norms on each member's first batch of its first epoch."""
    rows = np.stack([np.random.default_rng(s).permutation(len(data.X))[:batch_size] for s in seeds])
    with np.errstate(all="ignore"), threadpool_limits(1, user_api="blas"):
        logits, caches, _ = stack.forward(data.X[rows], training=True, update=False)
        return stack.dW_norms(stack.backward(_bce_with_logits(logits, data.y[rows])[1], caches))


@dataclass(frozen=True)
class Gap:
    """Training and validation loss, both in eval mode, after each epoch in ``epochs``.

    For each arm label, train and val: (len(epochs), seeds); NaN for a run that diverged.
    ``gap(label)`` is val - train.
    """

    epochs: np.ndarray
    seeds: tuple
    train: dict
    val: dict

    def gap(self, label):
        """(len(epochs), seeds): validation loss minus training loss."""
        return self.val[label] - self.train[label]


def generalization_gap(*, bn_fns=None, seeds=SEEDS, lr=LR, epochs=EPOCHS, every=6, noise=0.2, n_val=1024):
    """The train-validation gap with and without BN, on noisier circles that can be overfitted.

    Each seed draws its own data set too (``circle_data(noise=noise, seed=seed)``: 256 training
    and n_val validation points), since a gap depends on the draw of the data as much as on the
    initial weights. Both losses in eval mode (running statistics).
    """
    seeds = _check_seeds(seeds)
    if int(every) != every or every < 1:
        raise ValueError(f"every must be a positive number of epochs, got {every!r}")
    bn_fns, data = _bn_or_default(bn_fns), circle_data(n_val=n_val, noise=noise, seed=seeds)
    measured = np.arange(0, epochs + 1, every)
    train, val = {}, {}
    for label, where in ARMS:
        run = train_stack(DeepStack.from_seeds(seeds, bn=where, bn_fns=bn_fns), data, lr, seeds, epochs=epochs,
                          val_every=every)
        train[label], val[label] = run.train_loss_eval[measured], run.val_loss[measured]
    return Gap(measured, tuple(seeds), train, val)


PLACEMENTS = {
    "none": "none",
    "layers 1-4": (1, 2, 3, 4),
    "layers 5-8": (5, 6, 7, 8),
    "all hidden (the notes)": "hidden",
    "all hidden + output": "all",
}


@dataclass(frozen=True)
class Placement:
    """For each placement name: loss (E + 1, seeds) training loss per epoch; val_accuracy (seeds,)
    after the last epoch (eval mode); reached: epochs to ``target`` per seed (None: never)."""

    names: tuple
    seeds: tuple
    target: float
    loss: dict
    val_accuracy: dict
    reached: dict


def placement(placements=PLACEMENTS, *, bn_fns=None, seeds=SEEDS, lr=LR, epochs=30, target=TARGET,
              data=None):
    """Train with BN on some layers only, on all hidden layers, and on the output layer too.

    30 epochs by default: every placement with BN reaches the target well within them.

    placements: name -> which Dense layers carry BN (see ``bn_layers``; layer 9 is the output).
    """
    seeds = _check_seeds(seeds)
    where = {name: bn_layers(w) for name, w in dict(placements).items()}
    bn_fns, data = _bn_or_default(bn_fns), data or circle_data()
    loss, val_accuracy, reached = {}, {}, {}
    for name, layers in where.items():
        run = train_stack(DeepStack.from_seeds(seeds, bn=[i + 1 for i, on in enumerate(layers) if on],
                                               bn_fns=bn_fns), data, lr, seeds, epochs=epochs)
        loss[name], val_accuracy[name], reached[name] = run.loss, run.val_accuracy[-1], epochs_to(run.loss, target)
    return Placement(tuple(where), tuple(seeds), target, loss, val_accuracy, reached)


@dataclass(frozen=True)
class Drift:
    """Std of each Dense layer's pre-activations z on a fixed probe batch, after each epoch.

    spread[label]: (E + 1, L, seeds), row 0 at initialization; ``relative`` divides by row 0.
    """

    epochs: np.ndarray
    seeds: tuple
    spread: dict

    def relative(self, label):
        """(E + 1, L, seeds): each layer's spread over training, relative to its spread at step 0."""
        return self.spread[label] / self.spread[label][:1]


def drift(*, bn_fns=None, seeds=SEEDS, lr=LR, epochs=EPOCHS, data=None):
    """Notebook 01's telephone game on the deep network, with and without BN.

    The probe batch is the whole training set (256 points); BN normalizes it with its own batch
    statistics, as in a training step, without touching the running statistics.
    """
    seeds = _check_seeds(seeds)
    bn_fns, data = _bn_or_default(bn_fns), data or circle_data()
    spread = {}
    for label, where in ARMS:
        run = train_stack(DeepStack.from_seeds(seeds, bn=where, bn_fns=bn_fns), data, lr, seeds, epochs=epochs,
                          spread_epochs=range(epochs + 1), probe=data.X, validate=False)
        spread[label] = np.array([run.spread[e] for e in range(epochs + 1)])
    return Drift(np.arange(epochs + 1), tuple(seeds), spread)
