"""A small convolutional network for notebook 07, with batch, layer or group norm.

Layers follow ``modules``: ``forward(x, training) -> out``, ``backward(dout)
-> dx``, trainable ``params`` with their ``grads`` (dicts with the same keys)
and non-trainable ``state``. Feature maps are (N, C, H, W).

The normalization layers hold no normalization code of their own: they call
the functions they are given, the student's exercises of notebook 07. Given
none, each resolves them when it is built with
``defaults.exercise_function``: the reference where it is installed,
otherwise, in the student bundle, the student's own from notebook 07.
Importing this module imports no reference.

``digits_convnet`` builds the notebook's network for scikit-learn's 8x8
digits and ``fit_convnet`` trains it with softmax cross-entropy and SGD
with momentum.
"""

import numpy as np
from threadpoolctl import threadpool_limits

from .bncache import BNCache
from .conv import conv2d_backward, conv2d_forward
from .defaults import exercise_function
from .history import History
from .modules import Dense
from .optim import Momentum

__all__ = ["Conv2D", "SpatialBatchNorm", "LayerNorm2d", "GroupNorm", "ReLU", "MaxPool2", "GlobalAvgPool",
           "Flatten", "ConvNet", "NORMS", "digits_convnet", "softmax_cross_entropy", "fit_convnet",
           "predict_classes"]


def _fn(given, name):
    return exercise_function(name) if given is None else given


def _per_channel(v):
    return v.reshape(1, -1, 1, 1)


class Conv2D:
    """``F`` filters of size k x k over ``c_in`` channels, He-normal w (F, C, k, k) and zero b (F,)."""

    def __init__(self, c_in, filters, k=3, *, pad=1, stride=1, rng=None, dtype=np.float64):
        rng = np.random.default_rng(rng)
        self.stride, self.pad = stride, pad
        std = np.sqrt(2.0 / (c_in * k * k))   # He et al. (2015): keeps the variance through a ReLU
        self.params = {"w": (rng.standard_normal((filters, c_in, k, k)) * std).astype(dtype),
                       "b": np.zeros(filters, dtype)}
        self.grads = {key: np.zeros_like(v) for key, v in self.params.items()}
        self.state = {}

    def forward(self, x, training=False):
        out, self._cache = conv2d_forward(x, self.params["w"], self.params["b"], self.stride, self.pad)
        return out

    def backward(self, dout):
        dx, self.grads["w"], self.grads["b"] = conv2d_backward(dout, self._cache)
        return dx

    def __repr__(self):
        F, C, k, _ = self.params["w"].shape
        return f"Conv2D({C} -> {F}, {k}x{k}, pad={self.pad}, stride={self.stride})"


class SpatialBatchNorm:
    """Batch norm of each of C channels over N*H*W values, with Keras-style running statistics.

    Training: ``forward(x, gamma, beta, eps) -> (out, BNCache)`` and
    ``backward(dout, cache) -> (dx, dgamma, dbeta)``, the functions given (the
    student's ``spatial_batchnorm_forward`` / ``_backward`` of 07); then
    ``running = momentum * running + (1 - momentum) * batch`` with the cache's
    mu and (biased) var. Eval: ``inference(rows, gamma, beta, running_mean,
    running_var, eps)`` on the (N*H*W, C) rows of x (the student's
    ``batchnorm_inference`` of 05).
    """

    def __init__(self, C, *, forward=None, backward=None, inference=None, momentum=0.9, eps=1e-5,
                 dtype=np.float64):
        self.fwd = _fn(forward, "spatial_batchnorm_forward")
        self.bwd = _fn(backward, "spatial_batchnorm_backward")
        self.inf = _fn(inference, "batchnorm_inference")
        self.C, self.momentum, self.eps = int(C), momentum, eps
        self.params = {"gamma": np.ones(C, dtype), "beta": np.zeros(C, dtype)}
        self.grads = {key: np.zeros_like(v) for key, v in self.params.items()}
        self.state = {"running_mean": np.zeros(C, dtype), "running_var": np.ones(C, dtype)}

    def forward(self, x, training=False):
        gamma, beta = self.params["gamma"], self.params["beta"]
        if training:
            out, cache = self.fwd(x, gamma, beta, self.eps)
            if not isinstance(cache, tuple) or len(cache) != len(BNCache._fields):
                raise ValueError(f"spatial_batchnorm_forward must return (out, cache) with cache a BNCache "
                                 f"{BNCache._fields} of the (N*H*W, C) view; got a {type(cache).__name__}")
            cache = BNCache(*cache)   # a plain tuple in BNCache's order is read the same way
            m = self.momentum
            for key, batch in (("running_mean", cache.mu), ("running_var", cache.var)):
                self.state[key] = m * self.state[key] + (1 - m) * np.asarray(batch, self.state[key].dtype)
            self._cache = ("train", cache)
            return out
        x = np.asarray(x)
        N, C, H, W = x.shape
        rows = np.moveaxis(x, 1, -1).reshape(-1, C)          # one row per sample and position
        out = self.inf(rows, gamma.astype(x.dtype), beta.astype(x.dtype), self.state["running_mean"].astype(x.dtype),
                       self.state["running_var"].astype(x.dtype), self.eps)
        self._cache = ("eval", x)
        return np.ascontiguousarray(np.moveaxis(np.asarray(out).reshape(N, H, W, C), -1, 1))

    def backward(self, dout):
        mode, cache = self._cache
        if mode == "train":
            dx, self.grads["gamma"], self.grads["beta"] = self.bwd(dout, cache)
            return dx
        # Eval mode is a fixed affine map of each channel, with the running statistics.
        inv_std = 1 / np.sqrt(self.state["running_var"] + self.eps)
        x_hat = (cache - _per_channel(self.state["running_mean"])) * _per_channel(inv_std)
        self.grads["gamma"] = (dout * x_hat).sum(axis=(0, 2, 3))
        self.grads["beta"] = dout.sum(axis=(0, 2, 3))
        return dout * _per_channel(self.params["gamma"] * inv_std)

    def __repr__(self):
        return f"SpatialBatchNorm({self.C})"


class LayerNorm2d:
    """Layer norm of each sample over all of its C*H*W values, with gamma and beta (C*H*W,).

    ``forward`` / ``backward`` are ``layernorm_forward`` / ``layernorm_backward`` of the (N, C*H*W) view.
    The same in training and eval: no statistic crosses samples.
    """

    def __init__(self, shape, *, forward=None, backward=None, eps=1e-5, dtype=np.float64):
        self.fwd = _fn(forward, "layernorm_forward")
        self.bwd = _fn(backward, "layernorm_backward")
        self.shape, self.eps = tuple(int(n) for n in shape), eps
        D = int(np.prod(self.shape))
        self.params = {"gamma": np.ones(D, dtype), "beta": np.zeros(D, dtype)}
        self.grads = {key: np.zeros_like(v) for key, v in self.params.items()}
        self.state = {}

    def forward(self, x, training=False):
        out, self._cache = self.fwd(x.reshape(len(x), -1), self.params["gamma"], self.params["beta"], self.eps)
        return np.asarray(out).reshape(x.shape)

    def backward(self, dout):
        dx, self.grads["gamma"], self.grads["beta"] = self.bwd(dout.reshape(len(dout), -1), self._cache)
        return np.asarray(dx).reshape(dout.shape)

    def __repr__(self):
        return f"LayerNorm2d({self.shape})"


class GroupNorm:
    """Group norm of each sample's G groups of C/G neighbouring channels, gamma and beta per channel (C,).

    The output is ``forward(x, gamma, beta, G, eps)`` (the student's
    ``groupnorm_forward``). Its gradient needs no backward of its own: within
    a group, group norm is layer norm of the (N*G, C/G*H*W) view with gamma 1
    and beta 0, so ``layernorm_forward`` / ``layernorm_backward`` of that view
    give x_hat and the gradient, and the per-channel affine is added on top.
    """

    def __init__(self, C, G, *, forward=None, layernorm_forward=None, layernorm_backward=None, eps=1e-5,
                 dtype=np.float64):
        if int(G) != G or G < 1 or C % G:
            raise ValueError(f"G must be a positive integer that divides the {C} channels, got {G!r}")
        self.fwd = _fn(forward, "groupnorm_forward")
        self.ln_fwd = _fn(layernorm_forward, "layernorm_forward")
        self.ln_bwd = _fn(layernorm_backward, "layernorm_backward")
        self.C, self.G, self.eps = int(C), int(G), eps
        self.params = {"gamma": np.ones(C, dtype), "beta": np.zeros(C, dtype)}
        self.grads = {key: np.zeros_like(v) for key, v in self.params.items()}
        self.state = {}
        self._cache = None

    def forward(self, x, training=False):
        out, _ = self.fwd(x, self.params["gamma"], self.params["beta"], self.G, self.eps)
        if training:   # only a training step goes backward
            N, M = len(x) * self.G, x[0].size // self.G
            x_hat, ln_cache = self.ln_fwd(x.reshape(N, M), np.ones(M, x.dtype), np.zeros(M, x.dtype), self.eps)
            self._cache = (np.asarray(x_hat).reshape(x.shape), (N, M), ln_cache)
        return out

    def backward(self, dout):
        if self._cache is None:
            raise RuntimeError("GroupNorm.backward needs a forward pass with training=True first")
        x_hat, view, ln_cache = self._cache
        self.grads["gamma"] = (dout * x_hat).sum(axis=(0, 2, 3))
        self.grads["beta"] = dout.sum(axis=(0, 2, 3))
        dx_hat = dout * _per_channel(self.params["gamma"])
        dx, _, _ = self.ln_bwd(dx_hat.reshape(view), ln_cache)
        return np.asarray(dx).reshape(dout.shape)

    def __repr__(self):
        return f"GroupNorm({self.C}, G={self.G})"


class ReLU:
    """max(0, x), elementwise."""

    def __init__(self):
        self.params, self.grads, self.state = {}, {}, {}

    def forward(self, x, training=False):
        self._mask = x > 0
        return np.maximum(x, 0)

    def backward(self, dout):
        return dout * self._mask

    def __repr__(self):
        return "ReLU()"


class MaxPool2:
    """2x2 max pooling with stride 2: (N, C, H, W) -> (N, C, H//2, W//2); an odd last row or column is dropped.

    The gradient goes to the first largest entry of each window, in row-major order, as in PyTorch.
    """

    def __init__(self):
        self.params, self.grads, self.state = {}, {}, {}

    def forward(self, x, training=False):
        N, C, H, W = x.shape
        Ho, Wo = H // 2, W // 2
        windows = (x[:, :, :2 * Ho, :2 * Wo].reshape(N, C, Ho, 2, Wo, 2)
                   .transpose(0, 1, 2, 4, 3, 5).reshape(N, C, Ho, Wo, 4))
        self._arg = windows.argmax(axis=-1)[..., None]                          # (N, C, Ho, Wo, 1)
        self._shape = x.shape
        return np.take_along_axis(windows, self._arg, axis=-1)[..., 0]

    def backward(self, dout):
        N, C, H, W = self._shape
        Ho, Wo = H // 2, W // 2
        dwin = np.zeros((N, C, Ho, Wo, 4), dout.dtype)
        np.put_along_axis(dwin, self._arg, dout[..., None], axis=-1)
        dx = np.zeros(self._shape, dout.dtype)
        dx[:, :, :2 * Ho, :2 * Wo] = dwin.reshape(N, C, Ho, Wo, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(
            N, C, 2 * Ho, 2 * Wo)
        return dx

    def __repr__(self):
        return "MaxPool2()"


class GlobalAvgPool:
    """(N, C, H, W) -> (N, C): the mean of each channel's map."""

    def __init__(self):
        self.params, self.grads, self.state = {}, {}, {}

    def forward(self, x, training=False):
        self._shape = x.shape
        return x.mean(axis=(2, 3))

    def backward(self, dout):
        N, C, H, W = self._shape
        return np.broadcast_to(dout[:, :, None, None] / (H * W), self._shape).copy()

    def __repr__(self):
        return "GlobalAvgPool()"


class Flatten:
    """(N, ...) -> (N, D)."""

    def __init__(self):
        self.params, self.grads, self.state = {}, {}, {}

    def forward(self, x, training=False):
        self._shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, dout):
        return dout.reshape(self._shape)

    def __repr__(self):
        return "Flatten()"


class ConvNet:
    """Layers applied in order to (N, C, H, W) inputs; ``parameters()`` and ``gradients()`` as in ``Sequential``."""

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x, training=False):
        """x: (N, C, H, W) -> the last layer's output, e.g. (N, classes) logits."""
        x = np.asarray(x)
        if x.ndim != 4:
            raise ValueError(f"x must be 4-D with shape (N, C, H, W); got {x.ndim}-D shape {x.shape}")
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, dout):
        """dout: gradient of the loss w.r.t. the last forward's output -> dx (N, C, H, W)."""
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def parameters(self):
        """The trainable parameter arrays, in a fixed order (the layers' own arrays: an optimizer updates them)."""
        return [layer.params[key] for layer in self.layers for key in layer.params]

    def gradients(self):
        """Their gradients from the last backward, in the same order."""
        return [layer.grads[key] for layer in self.layers for key in layer.params]

    @property
    def dtype(self):
        return self.parameters()[0].dtype

    @property
    def classes(self):
        """The number of outputs of the last Dense layer."""
        return next(layer.units for layer in reversed(self.layers) if isinstance(layer, Dense))

    def __repr__(self):
        return "ConvNet(" + " -> ".join(map(repr, self.layers)) + ")"


# The exercise functions each kind of norm layer calls: the keys of ``digits_convnet``'s fns.
NORMS = {
    "bn": ("spatial_batchnorm_forward", "spatial_batchnorm_backward", "batchnorm_inference"),
    "ln": ("layernorm_forward", "layernorm_backward"),
    "gn": ("groupnorm_forward", "layernorm_forward", "layernorm_backward"),
}


def _norm_layer(norm, C, H, W, fns, groups, dtype):
    if norm == "bn":
        return SpatialBatchNorm(C, forward=fns["spatial_batchnorm_forward"],
                                backward=fns["spatial_batchnorm_backward"], inference=fns["batchnorm_inference"],
                                dtype=dtype)
    if norm == "ln":
        return LayerNorm2d((C, H, W), forward=fns["layernorm_forward"], backward=fns["layernorm_backward"],
                           dtype=dtype)
    return GroupNorm(C, groups, forward=fns["groupnorm_forward"], layernorm_forward=fns["layernorm_forward"],
                     layernorm_backward=fns["layernorm_backward"], dtype=dtype)


def digits_convnet(norm=None, *, seed=0, filters=(8, 16), fns=None, groups=2, dtype=np.float64):
    """The network for 1x8x8 digits, with ``norm`` after each convolution::

        Conv(F1, 3x3) -> norm -> ReLU -> MaxPool2 -> Conv(F2, 3x3) -> norm -> ReLU -> GlobalAvgPool -> Dense(10)

    norm : None, "bn" (SpatialBatchNorm), "ln" (LayerNorm2d) or "gn" (GroupNorm with ``groups`` groups)
    fns : {exercise name: function} for the norm layers (the keys are ``NORMS[norm]``);
        the ones left out are resolved once, with ``defaults.exercise_function``
    seed : seeds the initial weights
    """
    if norm not in (None, *NORMS):
        raise ValueError(f"norm must be None, 'bn', 'ln' or 'gn', got {norm!r}")
    fns = dict(fns or {})
    unknown = set(fns) - set(NORMS.get(norm, ()))
    if unknown:
        raise ValueError(f"fns has {sorted(unknown)}, which a {norm!r} network does not call; "
                         f"it calls {list(NORMS.get(norm, ()))}")
    fns = {name: _fn(fns.get(name), name) for name in NORMS.get(norm, ())}
    rng = np.random.default_rng(seed)
    f1, f2 = filters
    if norm == "gn" and (f1 % groups or f2 % groups):
        raise ValueError(f"groups={groups} must divide both numbers of filters {filters}")
    layers = [Conv2D(1, f1, rng=rng, dtype=dtype)]
    layers += [_norm_layer(norm, f1, 8, 8, fns, groups, dtype)] if norm else []
    layers += [ReLU(), MaxPool2(), Conv2D(f1, f2, rng=rng, dtype=dtype)]
    layers += [_norm_layer(norm, f2, 4, 4, fns, groups, dtype)] if norm else []
    layers += [ReLU(), GlobalAvgPool(), Dense(f2, 10, rng=rng, dtype=dtype)]
    return ConvNet(layers)


def softmax_cross_entropy(logits, y):
    """Mean cross-entropy of softmax(logits) for integer labels, and its gradient.

    logits : (N, K); y : (N,) ints in [0, K)
    Returns loss (float) and dlogits (N, K) = (softmax(logits) - one_hot(y)) / N.
    """
    shifted = logits - logits.max(axis=1, keepdims=True)     # exp cannot overflow
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(y))
    dlogits = np.exp(log_p)
    dlogits[rows, y] -= 1
    return float(-log_p[rows, y].mean()), dlogits / len(y)


def _check_data(model, X, y, what):
    X = np.asarray(X)
    if X.ndim != 4 or X.dtype.kind not in "biuf":
        raise ValueError(f"{what[0]} must be a numeric array of shape (N, C, H, W), e.g. (N, 1, 8, 8) for the "
                         f"digits; got shape {X.shape} and dtype {X.dtype}")
    y = np.asarray(y)
    if y.shape != (len(X),):
        raise ValueError(f"{what[1]} must have shape ({len(X)},), one label per image of {what[0]}; got {y.shape}")
    if y.dtype.kind not in "biu" and not (y.dtype.kind == "f" and np.array_equal(y, np.round(y))):
        raise ValueError(f"{what[1]} must hold integer class labels, got dtype {y.dtype}")
    K = model.classes
    if len(y) and (y.min() < 0 or y.max() >= K):
        raise ValueError(f"{what[1]} must hold class labels 0 .. {K - 1}; got values from {y.min()} to {y.max()}")
    return X.astype(model.dtype, copy=False), y.astype(np.intp)


def fit_convnet(model, X, y, *, epochs, batch_size=32, lr=0.05, momentum=0.9, seed=0, X_val=None, y_val=None):
    """Train ``model`` with softmax cross-entropy and SGD with momentum; returns its History.

    X : (N, C, H, W) images; y : (N,) integer labels
    Each epoch visits the samples in an order drawn from ``seed``. The training
    loss and accuracy of an epoch are its batches' means (training mode);
    val_loss and val_metric are measured after the epoch, in eval mode, when
    X_val and y_val are given. Training stops, with ``history.stopped`` set,
    if the loss becomes NaN or inf.
    """
    X, y = _check_data(model, X, y, ("X", "y"))
    if (X_val is None) != (y_val is None):
        raise ValueError("give both X_val and y_val, or neither")
    if X_val is not None:
        X_val, y_val = _check_data(model, X_val, y_val, ("X_val", "y_val"))
    if int(epochs) != epochs or epochs < 1 or int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be positive integers, got {epochs!r} and {batch_size!r}")
    if len(X) == 0:
        raise ValueError("X holds no images")
    rng = np.random.default_rng(seed)
    opt = Momentum(lr, momentum)
    params = model.parameters()
    history = History(metric_name="accuracy")
    # One BLAS thread: these matrices are small, threads only cost time, and the sums run in one order anywhere.
    with threadpool_limits(1, user_api="blas"):
        for epoch in range(1, int(epochs) + 1):
            if not _epoch(model, X, y, rng.permutation(len(X)), int(batch_size), opt, params, history, epoch):
                break
            if X_val is not None:
                logits = model.forward(X_val, training=False)
                history.val_loss.append(softmax_cross_entropy(logits, y_val)[0])
                history.val_metric.append(float((logits.argmax(axis=1) == y_val).mean()))
    return history


def _epoch(model, X, y, order, batch_size, opt, params, history, epoch):
    """One pass over the batches; False, with history.stopped set, when the loss is not finite."""
    losses, sizes, hits = [], [], 0
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        logits = model.forward(X[idx], training=True)
        loss, dlogits = softmax_cross_entropy(logits, y[idx])
        if not np.isfinite(loss):
            history.stopped = (f"training stopped at epoch {epoch}: the loss became {loss}. "
                               "The learning rate is probably too large for this model.")
            return False
        model.backward(dlogits)
        opt.step(params, model.gradients())
        losses.append(loss)
        sizes.append(len(idx))
        hits += int((logits.argmax(axis=1) == y[idx]).sum())
    history.loss.append(float(np.average(losses, weights=sizes)))
    history.metric.append(hits / len(X))
    return True


def predict_classes(model, X, training=False):
    """The predicted class of each image: (N, C, H, W) -> (N,) ints."""
    X = np.asarray(X)
    return model.forward(X.astype(model.dtype, copy=False), training).argmax(axis=1)
