"""Example students for the grader's demo: cells written apart from the reference.

    CORRECT    every exercise right, written differently from the reference
    BUGGY      the classic mistakes (N - 1 variance, a missing gradient path, the
               momentum the PyTorch way round, batch statistics at inference, a
               reshape without the transpose, layer norm over the batch, a folded
               bias without the mean)
    PARTIAL    half done: some exercises still the released stubs
    MALICIOUS  tries to cheat: patches numpy, reads the reference, kills its process,
               returns objects that equal everything

``classroom`` writes them into released notebooks under
build/examples/submitted/; tests/independent.py reuses CORRECT.
"""

import numpy as np

from course_lib.data import cgpa_iq_example

CORRECT = {
    "standardize": '''import numpy as np

def standardize(X):
    X = np.asarray(X, dtype=float)
    mean = np.sum(X, axis=0) / X.shape[0]
    std = np.sqrt(np.sum((X - mean) ** 2, axis=0) / X.shape[0])
    X_std = np.zeros_like(X)
    nonzero = std > 1e-12 * np.maximum(np.abs(mean), 1.0)   # round-off leaves ~1e-17 on a constant column
    X_std[:, nonzero] = (X[:, nonzero] - mean[nonzero]) / std[nonzero]
    return X_std, mean, std
''',
    "batchnorm_forward": '''import numpy as np
from course_lib.bncache import BNCache

def batchnorm_forward(x, gamma, beta, eps=1e-5):
    n = x.shape[0]
    mu = np.sum(x, axis=0) / n
    centred = x - mu
    var = np.sum(centred * centred, axis=0) / n
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = centred * inv_std
    out = gamma * x_hat + beta
    return out, BNCache(x=x, x_hat=x_hat, mu=mu, var=var, inv_std=inv_std, gamma=gamma, eps=eps)
''',
    "bn_param_count": '''def bn_param_count(units):
    trainable = units + units          # gamma, beta
    non_trainable = units + units      # moving mean, moving variance
    return trainable + non_trainable, trainable, non_trainable
''',
    "dense_forward": '''import numpy as np

def dense_forward(X, W, b):
    return np.dot(X, W) + b[None, :]
''',
    "hidden_layer_forward": '''import numpy as np

def hidden_layer_forward(X, W, b, gamma, beta, placement, eps=1e-5):
    def normalize(h):
        centred = h - h.sum(axis=0) / len(h)
        return gamma * centred / np.sqrt((centred ** 2).sum(axis=0) / len(h) + eps) + beta
    pre = np.dot(X, W) + b
    if placement == "before":
        return np.where(normalize(pre) > 0, normalize(pre), 0.0)
    if placement == "after":
        return normalize(np.where(pre > 0, pre, 0.0))
    raise ValueError(placement)
''',
    "batchnorm_backward": '''import numpy as np

def batchnorm_backward(dout, cache):
    x, x_hat, mu, var, inv_std, gamma, eps = cache
    n = x.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dinv = (dx_hat * (x - mu)).sum(axis=0)
    dvar = dinv * -0.5 * (var + eps) ** -1.5
    dmu = -(dx_hat * inv_std).sum(axis=0) - 2 * dvar * (x - mu).mean(axis=0)
    dx = dx_hat * inv_std + 2 * dvar * (x - mu) / n + dmu / n
    return dx, dgamma, dbeta
''',
    "batchnorm_backward_alt": '''import numpy as np

def batchnorm_backward_alt(dout, cache):
    n = dout.shape[0]
    dbeta = dout.sum(0)
    dgamma = np.einsum("nd,nd->d", dout, cache.x_hat)
    dx = cache.gamma * cache.inv_std * (dout - dbeta / n - cache.x_hat * dgamma / n)
    return dx, dgamma, dbeta
''',
    "update_running_stats": '''def update_running_stats(running_mean, running_var, batch_mean, batch_var, momentum=0.9):
    new_mean = running_mean + (1 - momentum) * (batch_mean - running_mean)
    new_var = running_var + (1 - momentum) * (batch_var - running_var)
    return new_mean, new_var
''',
    "batchnorm_inference": '''import numpy as np

def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
    scale = gamma / np.sqrt(running_var + eps)
    return x * scale + (beta - running_mean * scale)
''',
    "epochs_to_reach": '''def epochs_to_reach(history, threshold):
    values = history.val_metric if hasattr(history, "val_metric") else history
    hits = [i for i, v in enumerate(values) if v >= threshold]
    return hits[0] + 1 if hits else None
''',
    "spatial_batchnorm_forward": '''import numpy as np
from course_lib.bncache import BNCache

def spatial_batchnorm_forward(x, gamma, beta, eps=1e-5):
    N, C, H, W = x.shape
    rows = np.moveaxis(x, 1, -1).reshape(-1, C)          # channels last, then one row per sample and position
    m = rows.shape[0]
    mu = rows.sum(axis=0) / m
    centred = rows - mu
    var = (centred * centred).sum(axis=0) / m
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = centred * inv_std
    gamma, beta = np.asarray(gamma, x.dtype), np.asarray(beta, x.dtype)
    out = np.moveaxis((x_hat * gamma + beta).reshape(N, H, W, C), -1, 1)
    return out, BNCache(x=rows, x_hat=x_hat, mu=mu, var=var, inv_std=inv_std, gamma=gamma, eps=eps)
''',
    "spatial_batchnorm_backward": '''import numpy as np

def spatial_batchnorm_backward(dout, cache):
    N, C, H, W = dout.shape
    g = np.moveaxis(dout, 1, -1).reshape(-1, C)
    m = g.shape[0]
    dbeta = g.sum(axis=0)
    dgamma = (g * cache.x_hat).sum(axis=0)
    dx = cache.gamma * cache.inv_std / m * (m * g - dbeta - cache.x_hat * dgamma)
    return np.moveaxis(dx.reshape(N, H, W, C), -1, 1), dgamma, dbeta
''',
    "layernorm_forward": '''import numpy as np
from course_lib.bncache import LNCache

def layernorm_forward(x, gamma, beta, eps=1e-5):
    d = x.shape[1]
    centred = x - x.sum(axis=1, keepdims=True) / d
    inv_std = 1 / np.sqrt((centred ** 2).sum(axis=1, keepdims=True) / d + eps)
    x_hat = centred * inv_std
    gamma, beta = np.asarray(gamma, x.dtype), np.asarray(beta, x.dtype)
    return x_hat * gamma + beta, LNCache(x_hat=x_hat, inv_std=inv_std, gamma=gamma, eps=eps)
''',
    "layernorm_backward": '''import numpy as np

def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache.x_hat, cache.inv_std, cache.gamma
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).mean(axis=1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
''',
    "groupnorm_forward": '''import numpy as np

def groupnorm_forward(x, gamma, beta, G, eps=1e-5):
    N, C, H, W = x.shape
    size = C // G
    x_hat = np.empty(x.shape, dtype=x.dtype)
    for g in range(G):                                    # channels g*size .. (g+1)*size - 1
        part = x[:, g * size:(g + 1) * size]
        mu = part.mean(axis=(1, 2, 3), keepdims=True)
        var = part.var(axis=(1, 2, 3), keepdims=True)
        x_hat[:, g * size:(g + 1) * size] = (part - mu) / np.sqrt(var + eps)
    gamma, beta = np.asarray(gamma, x.dtype), np.asarray(beta, x.dtype)
    return x_hat * gamma[:, None, None] + beta[:, None, None], (x_hat, G, eps)
''',
    "fold_batchnorm": '''import numpy as np

def fold_batchnorm(W, b, gamma, beta, running_mean, running_var, eps=1e-5):
    scale = gamma / np.sqrt(running_var + eps)
    return W * scale[None, :], beta + scale * (b - running_mean)
''',
}




def hand_answers():
    """The walkthrough's numbers at full precision, step by step."""
    ex = cgpa_iq_example()
    z = ex.X @ ex.W + ex.b
    mu, var = z.mean(0), z.var(0)
    z_hat = (z - mu) / np.sqrt(var + ex.eps)
    y = ex.gamma * z_hat + ex.beta
    # notebook 04: back through BN for its upstream gradient; dx of neuron 2 for students 1 and 2
    dout = np.array([[1.0, 2.0], [-1.0, 0.0], [0.0, -1.0], [2.0, 1.0]])
    n, r = len(z), 1 / np.sqrt(var + ex.eps)
    dbeta, dgamma = dout.sum(0), (dout * z_hat).sum(0)
    dx = ex.gamma * r / n * (n * dout - dbeta - z_hat * dgamma)
    return {"z": z, "mu": mu, "var": var, "z_hat": z_hat, "y": y, "a": np.maximum(y, 0),
            "dbeta": dbeta, "dgamma": dgamma, "dx": dx[:2, 1]}


CORRECT.update({f"by_hand_{k}": f"import numpy as np\n{k}_by_hand = np.array({np.round(v, 2).tolist()})\n"
                for k, v in hand_answers().items()})

BUGGY = {
    **CORRECT,
    "batchnorm_forward": CORRECT["batchnorm_forward"].replace("/ n\n    inv_std", "/ (n - 1)\n    inv_std"),
    "batchnorm_backward": CORRECT["batchnorm_backward"].replace(
        "dx = dx_hat * inv_std + 2 * dvar * (x - mu) / n + dmu / n", "dx = dx_hat * inv_std + 2 * dvar * (x - mu) / n"),
    "update_running_stats": '''def update_running_stats(running_mean, running_var, batch_mean, batch_var, momentum=0.9):
    # momentum on the new batch, as in PyTorch
    return (1 - momentum) * running_mean + momentum * batch_mean, (1 - momentum) * running_var + momentum * batch_var
''',
    "batchnorm_inference": '''import numpy as np

def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
    mu, var = x.mean(axis=0), x.var(axis=0)      # the batch's own statistics
    return gamma * (x - mu) / np.sqrt(var + eps) + beta
''',
    "by_hand_var": "import numpy as np\nvar_by_hand = np.array([24.08, 0.08])\n",
    "spatial_batchnorm_forward": CORRECT["spatial_batchnorm_forward"].replace(
        "np.moveaxis(x, 1, -1).reshape(-1, C)", "x.reshape(-1, C)").replace(
        "np.moveaxis((x_hat * gamma + beta).reshape(N, H, W, C), -1, 1)", "(x_hat * gamma + beta).reshape(N, C, H, W)"),
    "layernorm_forward": CORRECT["layernorm_forward"].replace("x.sum(axis=1, keepdims=True) / d",
                                                              "x.mean(axis=0)").replace(
        "(centred ** 2).sum(axis=1, keepdims=True) / d", "(centred ** 2).mean(axis=0)"),
    "fold_batchnorm": CORRECT["fold_batchnorm"].replace("scale * (b - running_mean)", "scale * b"),
}

PARTIAL = {k: v for k, v in CORRECT.items()
           if k in ("standardize", "batchnorm_forward", "bn_param_count", "dense_forward", "by_hand_z", "by_hand_mu")}

MALICIOUS = {
    **{k: v for k, v in CORRECT.items() if k.startswith("by_hand_")},
    "standardize": '''import numpy as np
np.allclose = lambda *a, **k: True          # make every comparison pass?
np.testing.assert_allclose = lambda *a, **k: None

def standardize(X):
    return X, X[0], X[0]
''',
    "batchnorm_forward": '''def batchnorm_forward(x, gamma, beta, eps=1e-5):
    namespace = {}
    import course_lib, os                    # borrow the reference implementation from disk?
    source = open(os.path.join(os.path.dirname(course_lib.__file__), "..", "..", "..", "course_lib", "batchnorm.py")).read()
    exec(source, namespace)
    return namespace["batchnorm_forward"](x, gamma, beta, eps)
''',
    "bn_param_count": '''class Anything(tuple):
    def __eq__(self, other):
        return True

def bn_param_count(units):
    return Anything((0, 0, 0))
''',
    "batchnorm_backward": '''import os

def batchnorm_backward(dout, cache):
    os._exit(0)                              # end the grader's process?
''',
    "batchnorm_backward_alt": '''import os, signal

def batchnorm_backward_alt(dout, cache):
    os.kill(os.getppid(), signal.SIGKILL)    # kill the grader?
''',
    "update_running_stats": '''import glob

def update_running_stats(running_mean, running_var, batch_mean, batch_var, momentum=0.9):
    for path in glob.glob("/**/results.json", recursive=True):   # overwrite results?
        open(path, "w").write('{"score": 100}')
    return running_mean, running_var
''',
    "groupnorm_forward": '''def groupnorm_forward(x, gamma, beta, G, eps=1e-5):
    from course_lib.groupnorm import groupnorm_forward as reference   # import the reference?
    return reference(x, gamma, beta, G, eps)
''',
    "epochs_to_reach": '''def epochs_to_reach(history, threshold):
    while True:                              # hang the grader?
        pass
''',
}

STUDENTS = {"alice": CORRECT, "bob": BUGGY, "carol": PARTIAL, "mallory": MALICIOUS}
