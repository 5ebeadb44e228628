"""course_lib.cells: an exercise runs with the definitions it uses from the notebook's other cells.

The unit tests build programs from made-up cells. The agreement tests put a
helper where students put them (another exercise cell, an added cell, after
its use, beside a training run) and check that the notebook's visible check,
the self-check and the grader give the same verdict: full marks.
"""

import copy
import json
from pathlib import Path

import pytest

from autograder import pipeline
from autograder.records import Submission
from course_lib import checks
from course_lib.cells import Cell, code_cells, error_text, program
from course_lib.selfcheck import check_notebook

REPO = Path(__file__).resolve().parents[1]
A02 = "02_bn_equations"


def cells(*sources, grade_ids=None):
    grade_ids = grade_ids or [None] * len(sources)
    return [Cell(i, g, s) for i, (g, s) in enumerate(zip(grade_ids, sources))]


def run(prog):
    namespace = {}
    for label, source in prog.parts:
        exec(compile(source, label, "exec"), namespace)
    return namespace


# ----------------------------------------------------------------------------- the program of a cell

def test_a_cell_takes_the_functions_imports_and_constants_it_uses_and_nothing_else():
    cs = cells("import numpy as np\nimport json\n",
               "SCALE = 2 * 3\nW = np.ones(3)\ndef _h(x):\n    return _g(x) + 1\nprint('training')\n",
               "def f(x):\n    return _h(x) * SCALE + np.sum(x)\n",
               "def _g(x):\n    return x\ndef unused():\n    return W\n",
               grade_ids=[None, None, "f", None])
    prog = program(cs, cs[2])
    taken = "".join(source for _, source in prog.parts)
    assert "import numpy as np" in taken and "SCALE = 2 * 3" in taken and "def _h" in taken and "def _g" in taken
    assert "import json" not in taken and "print(" not in taken and "W = " not in taken and "unused" not in taken
    assert prog.parts[-1] == ("<cell f>", cs[2].source)   # the cell itself runs last
    assert run(prog)["f"](1) == (1 + 1) * 6 + 1


def test_the_last_definition_in_notebook_order_wins_and_code_that_sets_a_name_is_never_taken():
    cs = cells("def h():\n    return 1\n", "def f():\n    return h() + K\n", "def h():\n    return 2\nK = 10\n",
               "K = make_k()\n", grade_ids=[None, "f", None, None])
    prog = program(cs, cs[1])
    assert "return 2" in "".join(s for _, s in prog.parts) and "return 1" not in "".join(s for _, s in prog.parts)
    assert set(prog.unresolved) == {"K"} and "cell 4" in prog.unresolved["K"] and "make_k()" in prog.unresolved["K"]


def test_decorators_classes_and_magics_are_handled_and_a_broken_cell_defines_nothing():
    nb = {"cells": [
        {"cell_type": "code", "metadata": {}, "source": "%matplotlib inline\nimport math\n"},
        {"cell_type": "code", "metadata": {}, "source": "def deco(fn):\n    return fn\n"},
        {"cell_type": "code", "metadata": {}, "source": "@deco\nclass Box:\n    k = math.pi\n"},
        {"cell_type": "code", "metadata": {}, "source": "def broken(:\n"},
        {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "f"}},
         "source": "def f():\n    return Box.k + broken\n"},
    ]}
    cs = code_cells(nb)
    prog = program(cs, cs[-1])
    namespace = run(prog)
    assert namespace["Box"].k == pytest.approx(3.14159, abs=1e-5)
    with pytest.raises(NameError) as info:
        namespace["f"]()
    assert info.value.name == "broken"


def test_a_name_error_says_which_name_and_where_it_belongs():
    try:
        exec("def f():\n    return _helper(1)\nf()", {})
    except NameError as err:
        text = error_text(err, "batchnorm_forward")
    assert text.startswith("NameError: name '_helper' is not defined when batchnorm_forward runs on its own")
    assert "Define _helper in the cell of batchnorm_forward" in text
    assert error_text(ValueError("x"), "f") == "ValueError: x"


# ----------------------------------------------------------------------------- the three verdicts agree

FORWARD = '''import numpy as np
from course_lib.bncache import BNCache


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu, var = _moments(x)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    cache = BNCache(x=x, x_hat=x_hat, mu=mu, var=var, inv_std=inv_std, gamma=gamma, eps=eps)
    return gamma * x_hat + beta, cache
'''
HELPER = '''def _moments(x):
    mu = x.mean(axis=AXIS)
    return mu, ((x - mu) ** 2).mean(axis=AXIS)
'''
TRAINING = "import time\ntime.sleep(60)   # a training run: never run by the grader\n"


def solution():
    return json.loads((REPO / "solutions" / A02 / f"{A02}.ipynb").read_text(encoding="utf-8"))


def code(source, grade_id=None):
    meta = {"nbgrader": {"grade_id": grade_id, "solution": True, "locked": False, "schema_version": 3}} \
        if grade_id else {}
    return {"cell_type": "code", "metadata": meta, "source": source, "outputs": [], "execution_count": None}


def with_cell(nb, grade_id, source):
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            cell["source"] = source
    return nb


def index_of(nb, grade_id):
    return next(i for i, c in enumerate(nb["cells"]) if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                == grade_id)


def case(where):
    """The solution notebook with batchnorm_forward calling a helper defined ``where``."""
    nb = with_cell(solution(), "batchnorm_forward", FORWARD)
    helper = HELPER.replace("AXIS", "0")
    first = index_of(nb, "batchnorm_forward")
    if where == "another exercise cell":
        count = nb["cells"][index_of(nb, "bn_param_count")]
        count["source"] = "".join(count["source"]) + "\n\n" + helper
    elif where == "an added cell":
        nb["cells"].insert(first, code(helper))
    elif where == "a constant in an added cell":
        nb["cells"].insert(1, code("AXIS = 0\n"))
        nb = with_cell(nb, "batchnorm_forward", FORWARD + "\n\n" + HELPER)
    elif where == "a cell after its use":
        nb["cells"].append(code(helper))
    elif where == "a cell that also trains":
        nb["cells"].insert(first + 1, code(helper + "\n\n" + TRAINING))
    elif where == "only code that runs":
        nb["cells"].insert(first, code("_moments = make_moments()\n"))
    return nb


def kernel_verdict(nb):
    """Run All, as the kernel does (the training run shortened), then the notebook's visible check."""
    namespace = {"__name__": "__main__"}
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]).replace("time.sleep(60)", "time.sleep(0)")
        if "check_" in source or "%" in source or "!" in source.split("\n")[0]:
            continue   # the check cells: the one that matters is called below
        try:
            exec(compile(source, "<cell>", "exec"), namespace)
        except Exception:   # a cell that fails in the kernel leaves the others' definitions
            pass
    try:
        checks.check_batchnorm_forward(namespace["batchnorm_forward"], verbose=False)
    except checks.CheckFailed:
        return False
    return True


def grader_score(nb, tmp_path):
    path = tmp_path / "submitted" / "s" / A02 / f"{A02}.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(nb), encoding="utf-8")
    [graded] = pipeline.grade_student([Submission("s", A02, path)], tmp_path / "out", fingerprint="t")
    forward = [o for o in graded.outcomes if o.exercise == "batchnorm_forward"]
    return sum(o.score for o in forward), sum(o.max_score for o in forward), graded


PLACES = ["another exercise cell", "an added cell", "a constant in an added cell", "a cell after its use",
          "a cell that also trains"]


@pytest.mark.parametrize("where", PLACES)
def test_the_check_the_selfcheck_and_the_grader_agree_on_a_helper_in(where, tmp_path):
    nb = case(where)
    assert kernel_verdict(nb)
    path = tmp_path / f"{A02}.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    [result] = [r for r in check_notebook(path, nb, A02, timeout=60) if r.label == "batchnorm_forward"]
    assert result.status == "pass", result
    score, maximum, graded = grader_score(nb, tmp_path)
    assert graded.error is None and score == maximum > 0, [o.output for o in graded.outcomes if o.score < o.max_score]


def test_a_name_only_code_sets_is_named_with_the_cell_that_should_hold_it(tmp_path):
    nb = case("only code that runs")
    score, maximum, graded = grader_score(nb, tmp_path)
    assert score == 0 and maximum > 0
    assert any("_moments" in p and "make_moments()" in p and "Define _moments in this cell" in p
               for p in graded.problems), graded.problems
    failed = [o.output for o in graded.outcomes if o.exercise == "batchnorm_forward"]
    assert all("name '_moments' is not defined when batchnorm_forward runs on its own" in out for out in failed), \
        failed[0]
    path = tmp_path / f"{A02}.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    [result] = [r for r in check_notebook(path, nb, A02, timeout=60) if r.label == "batchnorm_forward"]
    assert result.status == "fail" and "_moments" in result.message
