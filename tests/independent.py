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
