"""Exercise answers written apart from the reference, as a student's cells.

tests/test_notebook_runs.py pastes them into the released notebooks and runs
the course, so the notebooks are known to work with any correct
implementation, not only with the instructor's.
"""

import json

import numpy as np

from course_lib.data import cgpa_iq_example

CELLS = {
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
    "bn_neuron": '''import math

def bn_neuron(z, gamma, beta, eps=1e-5):
    n = len(z)
    mu = sum(z) / n
    var = sum((v - mu) ** 2 for v in z) / n
    import numpy as np
    return np.array([gamma * (v - mu) / math.sqrt(var + eps) + beta for v in z])
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
}


def hand_answers():
    """The walkthrough's numbers at full precision, step by step."""
    ex = cgpa_iq_example()
    z = ex.X @ ex.W + ex.b
    mu, var = z.mean(0), z.var(0)
    z_hat = (z - mu) / np.sqrt(var + ex.eps)
    y = ex.gamma * z_hat + ex.beta
    return {"z": z, "mu": mu, "var": var, "z_hat": z_hat, "y": y, "a": np.maximum(y, 0)}


CELLS.update({f"by_hand_{k}": f"import numpy as np\n{k}_by_hand = np.array({np.round(v, 2).tolist()})\n"
              for k, v in hand_answers().items()})


def fill_notebook(path, cells):
    """Write ``cells`` (grade_id -> source) into the matching cells of a notebook file."""
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in cells:
            cell["source"] = cells[grade_id]
    path.write_text(json.dumps(nb))
