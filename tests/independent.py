"""Exercise answers written apart from the reference, as a student's cells (examples/cells.py).

tests/test_notebook_runs.py pastes them into the released notebooks and runs
the course, so the notebooks are known to work with any correct
implementation, not only with the instructor's.
"""

import json

from examples.cells import CORRECT as CELLS, hand_answers  # noqa: F401
from examples.classroom import fill


def fill_notebook(path, cells):
    """Write ``cells`` (grade_id -> source) into the matching cells of a notebook file."""
    path.write_text(json.dumps(fill(json.loads(path.read_text()), cells)))
