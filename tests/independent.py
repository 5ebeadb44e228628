"""Exercise answers written apart from the reference, as a student's cells (examples/cells.py).

tests/test_notebook_runs.py pastes them into the released notebooks and runs
the course, so the notebooks are known to work with any correct
implementation, not only with the instructor's.
"""

import json

import numpy as np

from course_lib.data import cgpa_iq_example
from examples.cells import CORRECT
from examples.cells import hand_answers as forward_hand_answers
from examples.classroom import fill

# Notebook 04's upstream gradient, as the notebook states it.
DOUT = [[1, 2], [-1, 0], [0, -1], [2, 1]]


def hand_answers():
    """The walkthrough's numbers at full precision, step by step: 03's forward, then 04's backward,
    each gradient written out as a sum over the 4 students (dx of neuron 2, students 1 and 2)."""
    answers = forward_hand_answers()
    ex = cgpa_iq_example()
    z = ex.X @ ex.W + ex.b
    n = len(z)
    dbeta, dgamma, dx = [], [], []
    for j in range(2):
        mu = sum(z[i, j] for i in range(n)) / n
        var = sum((z[i, j] - mu) ** 2 for i in range(n)) / n
        x_hat = [(z[i, j] - mu) / (var + ex.eps) ** 0.5 for i in range(n)]
        dbeta.append(sum(DOUT[i][j] for i in range(n)))
        dgamma.append(sum(DOUT[i][j] * x_hat[i] for i in range(n)))
        if j == 1:   # dL/dz by the chain rule through x_hat, mu and var, one student at a time
            g, s = ex.gamma[j], (var + ex.eps) ** 0.5
            for i in (0, 1):
                direct = g * DOUT[i][j] / s
                through_mean = -g * dbeta[j] / (n * s)
                through_var = -g * x_hat[i] * dgamma[j] / (n * s)
                dx.append(direct + through_mean + through_var)
    answers.update(dbeta=np.array(dbeta, float), dgamma=np.array(dgamma), dx=np.array(dx))
    return answers


# The by-hand answers from the chain rule above, not from examples/cells.py's closed form.
CELLS = dict(CORRECT)
CELLS.update({f"by_hand_{k}": f"import numpy as np\n{k}_by_hand = np.array({np.round(v, 2).tolist()})\n"
              for k, v in hand_answers().items()})


def fill_notebook(path, cells):
    """Write ``cells`` (grade_id -> source) into the matching cells of a notebook file."""
    path.write_text(json.dumps(fill(json.loads(path.read_text()), cells)))


# Notebook 07, written apart from course_lib's references (spatial_batchnorm, layernorm, groupnorm, folding)
# and from examples/cells.py's (whose spatial_batchnorm_forward is used as it is).
CELLS.update({
    "spatial_batchnorm_backward": '''import numpy as np

def spatial_batchnorm_backward(dout, cache):
    N, C, H, W = dout.shape
    d = np.moveaxis(dout, 1, -1).reshape(-1, C)
    x, x_hat, mu, var, inv_std, gamma, eps = cache
    m = d.shape[0]
    dbeta = d.sum(axis=0)
    dgamma = (d * x_hat).sum(axis=0)
    dx_hat = d * gamma
    dvar = (dx_hat * (x - mu)).sum(axis=0) * -0.5 * inv_std ** 3
    dmu = -(dx_hat * inv_std).sum(axis=0)
    dx = dx_hat * inv_std + dvar * 2 * (x - mu) / m + dmu / m
    return np.moveaxis(dx.reshape(N, H, W, C), -1, 1), dgamma, dbeta
''',
    "layernorm_forward": '''import numpy as np
from course_lib.bncache import LNCache

def layernorm_forward(x, gamma, beta, eps=1e-5):
    d = x.shape[1]
    mu = x.sum(axis=1, keepdims=True) / d
    centred = x - mu
    var = (centred ** 2).sum(axis=1, keepdims=True) / d
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = centred * inv_std
    return x_hat * gamma + beta, LNCache(x_hat=x_hat, inv_std=inv_std, gamma=gamma, eps=eps)
''',
    "layernorm_backward": '''import numpy as np

def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma, eps = cache
    d = x_hat.shape[1]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    g = dout * gamma
    # the gradient of each row through its own mean and variance, term by term
    dx = inv_std * (g - g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma, dbeta
''',
    "groupnorm_forward": '''import numpy as np

def groupnorm_forward(x, gamma, beta, G, eps=1e-5):
    N, C, H, W = x.shape
    out = np.empty_like(x)
    stds = []
    k = C // G
    for g in range(G):
        block = x[:, g * k:(g + 1) * k]
        mu = block.mean(axis=(1, 2, 3), keepdims=True)
        var = ((block - mu) ** 2).mean(axis=(1, 2, 3), keepdims=True)
        out[:, g * k:(g + 1) * k] = (block - mu) / np.sqrt(var + eps)
        stds.append(np.sqrt(var + eps).reshape(N))
    x_hat = out.copy()
    out = out * gamma[None, :, None, None] + beta[None, :, None, None]
    return out, (x_hat, 1 / np.stack(stds, axis=1), gamma, G, eps)
''',
    "fold_batchnorm": '''import numpy as np

def fold_batchnorm(W, b, gamma, beta, running_mean, running_var, eps=1e-5):
    scale = gamma / np.sqrt(running_var + eps)
    return W * scale[None, :], beta + scale * (b - running_mean)
''',
})
