"""Layer objects that hold parameters and caches, for building models.

Each layer has ``forward(x, training) -> out`` and ``backward(dout) -> dx``,
keeps its trainable parameters in ``params`` and their gradients in
``grads`` (dicts of arrays with the same keys), and its non-trainable state
in ``state``. Parameter counts follow Keras' ``model.summary()``.

A ``BatchNorm`` layer calls the batch-norm functions it is given. Given
none, it resolves them when it is built (``defaults.default_bn_functions``):
the reference where ``course_lib.batchnorm`` is installed, otherwise, in the
student bundle, the student's own from their notebooks. ``REFERENCE_BN``,
the reference set, is resolved on first use too, so importing this module
imports no reference implementation. Nor does it import ``layernorm``, which
is batch norm's code on the other axis: the student bundle leaves it out, and
there a ``LayerNorm`` layer cannot be built.
"""

import numpy as np

from .bnfunctions import BNFunctions
from .conventions import get_convention, init_running_stats, update_running_stats_convention
from .defaults import default_bn_functions, reference_bn_functions
from .layers import ACTIVATIONS, affine_backward, affine_forward, check_activation

# BNFunctions is defined in bnfunctions; it is named here too, where the notebooks import it from.
__all__ = ["BNFunctions", "Dense", "Activation", "BatchNorm", "LayerNorm"]


def __getattr__(name):
    if name == "REFERENCE_BN":   # the reference batch norm, imported on first use (see the module's docstring)
        globals()[name] = value = reference_bn_functions()
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Dense:
    """``activation(x @ W + b)`` with Glorot-uniform W and zero b, as Keras initialises them.

    W: (D_in, units), b: (units,)
    """

    def __init__(self, d_in, units, activation=None, *, rng=None, dtype=np.float64):
        if int(units) != units or units < 1:
            raise ValueError(f"units must be a positive integer, got {units!r}")
        self.activation = check_activation(activation)
        self.units = int(units)
        rng = np.random.default_rng(rng)
        limit = np.sqrt(6.0 / (d_in + units))
        self.params = {
            "W": rng.uniform(-limit, limit, size=(d_in, units)).astype(dtype),
            "b": np.zeros(units, dtype),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.state = {}
        self._act_forward, self._act_backward = ACTIVATIONS[self.activation]
        self._cache = None

    def forward(self, x, training=False, logits=False):
        """logits=True skips the activation (for a loss fused with a sigmoid)."""
        z, affine_cache = affine_forward(x, self.params["W"], self.params["b"])
        if logits or self.activation == "linear":
            self._cache = (affine_cache, None)
            return z
        out, act_cache = self._act_forward(z)
        self._cache = (affine_cache, act_cache)
        return out

    def backward(self, dout):
        affine_cache, act_cache = self._cache
        if act_cache is not None:
            dout = self._act_backward(dout, act_cache)
        dx, self.grads["W"], self.grads["b"] = affine_backward(dout, affine_cache)
        return dx

    def __repr__(self):
        return f"Dense({self.units}, {self.activation})"


class Activation:
    """An activation on its own, for batch norm placed between a Dense and its activation."""

    def __init__(self, activation):
        self.activation = check_activation(activation)
        self._forward, self._backward = ACTIVATIONS[self.activation]
        self.params, self.grads, self.state = {}, {}, {}

    def forward(self, x, training=False, logits=False):
        if logits:
            self._cache = None
            return x
        out, self._cache = self._forward(x)
        return out

    def backward(self, dout):
        return dout if self._cache is None else self._backward(dout, self._cache)

    def __repr__(self):
        return f"Activation({self.activation})"


class BatchNorm:
    """Batch normalization over D features, with train and eval modes.

    Trainable: gamma (D,) starting at 1, beta (D,) at 0.
    State: running_mean (D,) at 0, running_var (D,) at 1, and the batch count.

    In training mode (``forward(x, training=True)``) it normalizes with the
    batch statistics and folds them into the running statistics under
    ``convention``; in eval mode it uses the running statistics. With
    ``trainable=False`` (fine-tuning with frozen BN, as Keras does) it always
    runs in eval mode and its gamma and beta are not updated.

    ``fns`` are the BNFunctions it calls; None takes ``default_bn_functions()``:
    the reference, or the student's own where no reference is installed.
    """

    def __init__(self, D, *, convention="keras", momentum=None, eps=None, fns=None,
                 trainable=True, dtype=np.float64):
        self.convention = get_convention(convention)
        self.momentum = self.convention.momentum if momentum is None else momentum
        self.eps = self.convention.eps if eps is None else eps
        self.fns = default_bn_functions() if fns is None else fns
        self.trainable = trainable
        self.D = int(D)
        self.params = {"gamma": np.ones(D, dtype), "beta": np.zeros(D, dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.stats = init_running_stats(D, dtype)
        self._cache = None

    @property
    def state(self):
        return {"running_mean": self.stats.mean, "running_var": self.stats.var}

    def forward(self, x, training=False, logits=False):
        gamma, beta = self.params["gamma"], self.params["beta"]
        if training and self.trainable:
            out, cache = self.fns.forward(x, gamma, beta, self.eps)
            self._cache = ("train", cache)
            mu, var = _batch_stats(x, cache)
            self.stats = update_running_stats_convention(
                self.stats, mu, var, x.shape[0], self.convention, self.momentum, update=self.fns.update
            )
            return out
        out = self.fns.inference(x, gamma, beta, self.stats.mean, self.stats.var, self.eps)
        self._cache = ("eval", x)
        return out

    def backward(self, dout):
        mode, cache = self._cache
        if mode == "train":
            dx, self.grads["gamma"], self.grads["beta"] = self.fns.backward(dout, cache)
            return dx
        # Eval mode is an affine map with fixed statistics.
        inv_std = 1.0 / np.sqrt(self.stats.var + self.eps)
        x_hat = (cache - self.stats.mean) * inv_std
        self.grads["gamma"] = np.einsum("nd,nd->d", dout, x_hat)
        self.grads["beta"] = dout.sum(axis=0)
        return dout * (self.params["gamma"] * inv_std)

    def __repr__(self):
        return f"BatchNorm({self.D}, convention={self.convention.name!r})"


def _batch_stats(x, cache):
    """The batch mean and biased variance, from the cache when it has them."""
    mu, var = getattr(cache, "mu", None), getattr(cache, "var", None)
    if mu is None or var is None:
        x = np.asarray(x)
        mu, var = x.mean(axis=0), x.var(axis=0)
    return mu, var


class LayerNorm:
    """Layer normalization over D features; the same in training and eval."""

    def __init__(self, D, *, eps=1e-5, dtype=np.float64):
        self._ln = _layernorm()
        self.D, self.eps = int(D), eps
        self.params = {"gamma": np.ones(D, dtype), "beta": np.zeros(D, dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.state = {}

    def forward(self, x, training=False, logits=False):
        out, self._cache = self._ln.layernorm_forward(x, self.params["gamma"], self.params["beta"], self.eps)
        return out

    def backward(self, dout):
        dx, self.grads["gamma"], self.grads["beta"] = self._ln.layernorm_backward(dout, self._cache)
        return dx

    def __repr__(self):
        return f"LayerNorm({self.D})"


def _layernorm():
    try:
        from . import layernorm
    except ModuleNotFoundError as err:
        if err.name != f"{__package__}.layernorm":
            raise
        raise ModuleNotFoundError("LayerNorm is not part of the student bundle: layer normalization is batch "
                                  "norm's code on the other axis", name=err.name) from None
    return layernorm
