"""A Sequential MLP built from a short spec, with Keras-style parameter counts.

The notes' circle model, with batch norm after each hidden activation::

    Sequential.from_spec("Dense(3, relu) -> BatchNorm -> Dense(2, relu) -> BatchNorm -> Dense(1, sigmoid)",
                         input_dim=2, seed=0)

``mlp`` builds the same kind of model from layer sizes, with batch norm
before or after each hidden activation.
"""

import re
from dataclasses import dataclass

import numpy as np

from ._validate import check_2d
from .defaults import default_bn_functions
from .modules import Activation, BatchNorm, Dense, LayerNorm

__all__ = ["Sequential", "Summary", "parse_spec", "mlp", "circles_model", "housing_model", "HOUSING_HIDDEN"]

_TOKEN = re.compile(r"^\s*(\w+)\s*(?:\((.*)\))?\s*$")
_LAYER_NAMES = {"dense": "Dense", "batchnorm": "BatchNorm", "batchnormalization": "BatchNorm",
                "layernorm": "LayerNorm", "activation": "Activation", "relu": "ReLU",
                "sigmoid": "Sigmoid", "tanh": "Tanh"}


def _value(text):
    text = text.strip()
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text.strip("'\"")


def parse_spec(spec):
    """Turn a spec into a list of (layer name, args, kwargs).

    ``spec`` is a string of layers joined by ``->`` (or ``→``), or a list of
    such layer strings. A layer is ``Dense(units[, activation])``,
    ``BatchNorm[(momentum=..., eps=..., convention=...)]``, ``LayerNorm``,
    ``ReLU``, ``Sigmoid``, ``Tanh`` or ``Activation(name)``.
    """
    if isinstance(spec, str):
        parts = re.split(r"->|→", spec)
    else:
        parts = list(spec)
    if not parts or not any(str(p).strip() for p in parts):
        raise ValueError("the model spec is empty")
    layers = []
    for part in parts:
        m = _TOKEN.match(str(part))
        name = _LAYER_NAMES.get(m.group(1).lower()) if m else None
        if name is None:
            raise ValueError(
                f"cannot read layer {str(part).strip()!r} in the model spec; expected e.g. "
                "'Dense(3, relu)', 'BatchNorm', 'LayerNorm' or 'ReLU'"
            )
        args, kwargs = [], {}
        for item in filter(None, (s.strip() for s in (m.group(2) or "").split(","))):
            if "=" in item:
                key, val = item.split("=", 1)
                kwargs[key.strip()] = _value(val)
            else:
                args.append(_value(item))
        layers.append((name, tuple(args), kwargs))
    return layers


@dataclass(frozen=True)
class Summary:
    """Rows of (layer, output shape, parameter count) and Keras' three totals."""

    rows: tuple
    total: int
    trainable: int
    non_trainable: int

    def __str__(self):
        lines = [f"{'Layer':<36}{'Output shape':<16}{'Param #':>10}", "-" * 62]
        lines += [f"{name:<36}{str(shape):<16}{count:>10,}" for name, shape, count in self.rows]
        lines += ["-" * 62, f"Total params: {self.total:,}", f"Trainable params: {self.trainable:,}",
                  f"Non-trainable params: {self.non_trainable:,}"]
        return "\n".join(lines)


class Sequential:
    """Layers applied in order to (N, input_dim) inputs."""

    def __init__(self, layers, input_dim):
        self.layers = list(layers)
        self.input_dim = int(input_dim)

    @classmethod
    def from_spec(cls, spec, input_dim, *, seed=0, convention="keras", bn_fns=None, dtype=np.float64):
        """Build a model from a spec (see ``parse_spec``) with seeded Glorot initialisation.

        bn_fns: the BNFunctions every BatchNorm calls; None resolves them once, at the
        first BatchNorm, with ``defaults.default_bn_functions``.
        """
        if int(input_dim) != input_dim or input_dim < 1:
            raise ValueError(f"input_dim must be a positive integer, got {input_dim!r}")
        rng = np.random.default_rng(seed)
        layers, d = [], int(input_dim)
        for name, args, kwargs in parse_spec(spec):
            if name == "Dense":
                if not args:
                    raise ValueError("Dense needs a number of units, e.g. Dense(3, relu)")
                act = args[1] if len(args) > 1 else kwargs.get("activation")
                layer = Dense(d, args[0], act, rng=rng, dtype=dtype)
                d = layer.units
            elif name == "BatchNorm":
                if bn_fns is None:
                    bn_fns = default_bn_functions()
                kwargs.setdefault("convention", convention)
                layer = BatchNorm(d, fns=bn_fns, dtype=dtype, **kwargs)
            elif name == "LayerNorm":
                layer = LayerNorm(d, dtype=dtype, **kwargs)
            elif name == "Activation":
                layer = Activation(args[0] if args else kwargs.get("activation"))
            else:
                layer = Activation(name.lower())
            layers.append(layer)
        return cls(layers, input_dim)

    @property
    def output_activation(self):
        """The activation applied last ("linear" if none)."""
        last = self.layers[-1] if self.layers else None
        return last.activation if isinstance(last, (Dense, Activation)) else "linear"

    def forward(self, x, training=False, logits=False):
        """x: (N, input_dim) -> (N, output units). logits=True leaves out the final activation."""
        x = check_2d(x)
        if x.shape[1] != self.input_dim:
            raise ValueError(f"the model expects {self.input_dim} input features, got {x.shape[1]}")
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            x = layer.forward(x, training, logits and i == last)
        return x

    def backward(self, dout):
        """dout: gradient of the loss w.r.t. the last forward's output -> dx (N, input_dim)."""
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def predict(self, x):
        """Eval-mode output (running statistics in every BatchNorm)."""
        return self.forward(x, training=False)

    def _refs(self):
        # Read afresh each time: freezing a layer (trainable = False) between runs must take effect.
        return [(layer, key) for layer in self.layers if getattr(layer, "trainable", True) for key in layer.params]

    def parameters(self):
        """The trainable parameter arrays, in a fixed order."""
        return [layer.params[key] for layer, key in self._refs()]

    def gradients(self):
        """Their gradients from the last backward, in the same order."""
        return [layer.grads[key] for layer, key in self._refs()]

    def summary(self):
        """Parameter counts as Keras' ``model.summary()`` gives them."""
        rows, trainable, non_trainable, d = [], 0, 0, self.input_dim
        for i, layer in enumerate(self.layers):
            n_params = sum(p.size for p in layer.params.values())
            n_state = sum(s.size for s in layer.state.values())
            if isinstance(layer, Dense):
                d = layer.units
            if getattr(layer, "trainable", True):
                trainable += n_params
            else:
                non_trainable += n_params
            non_trainable += n_state
            rows.append((f"{type(layer).__name__.lower()}_{i} ({type(layer).__name__})", (None, d), n_params + n_state))
        return Summary(tuple(rows), trainable + non_trainable, trainable, non_trainable)

    def __repr__(self):
        return "Sequential(" + " -> ".join(map(repr, self.layers)) + ")"


def mlp(input_dim, hidden, *, activation="relu", output_units=1, output_activation=None, batchnorm=False,
        bn_position="after", bn_input=False, seed=0, convention="keras", bn_fns=None, dtype=np.float64):
    """An MLP with optional batch norm on each hidden layer.

    bn_position="after": Dense(units, act) -> BatchNorm, as in the notes' Keras models.
    bn_position="before": Dense(units) -> BatchNorm -> act, as in the paper.
    bn_input=True also normalizes the inputs (the notes' California Housing model).
    No batch norm follows the output layer.
    """
    if bn_position not in ("before", "after"):
        raise ValueError(f"bn_position must be 'before' or 'after' the activation, got {bn_position!r}")
    spec = ["BatchNorm"] if batchnorm and bn_input else []
    for units in hidden:
        if batchnorm and bn_position == "before":
            spec += [f"Dense({units})", "BatchNorm", f"Activation({activation})"]
        else:
            spec += [f"Dense({units}, {activation})"] + (["BatchNorm"] if batchnorm else [])
    spec.append(f"Dense({output_units}, {output_activation or 'linear'})")
    return Sequential.from_spec(spec, input_dim, seed=seed, convention=convention, bn_fns=bn_fns, dtype=dtype)


HOUSING_HIDDEN = (300, 256, 128, 100, 500, 100)


def circles_model(batchnorm, *, seed=0, **kwargs):
    """The notes' circle classifier: 2 -> Dense(3, relu) -> Dense(2, relu) -> Dense(1, sigmoid),
    with BatchNorm after each hidden layer when ``batchnorm``."""
    return mlp(2, (3, 2), output_activation="sigmoid", batchnorm=batchnorm, seed=seed, **kwargs)


def housing_model(batchnorm, *, seed=0, **kwargs):
    """The notes' California Housing regressor, 8 -> 300 -> 256 -> 128 -> 100 -> 500 -> 100 -> 1 (ReLU).

    With ``batchnorm``, a BatchNorm before each hidden Dense, as in the notes'
    code: one on the inputs and one after each hidden layer but the last.
    """
    spec = []
    for units in HOUSING_HIDDEN:
        if batchnorm:
            spec.append("BatchNorm")
        spec.append(f"Dense({units}, relu)")
    spec.append("Dense(1)")
    return Sequential.from_spec(spec, 8, seed=seed, **kwargs)
