"""Load a student's own exercise functions from their earlier notebooks.

Later notebooks run on the student's implementation, not on a reference:
notebook 06 trains its models with the batch norm written in notebooks 02,
04 and 05. ``load_exercises`` reads ``../<assignment>/<assignment>.ipynb``
next to the running notebook, runs each exercise as the grader does (its
cell with the definitions it uses from the notebook's other cells, see
``course_lib.cells``) and returns the functions. In the instructor's copy
that loads the solutions; in a student's copy, their work.

With ``check=True`` each function first passes its visible check, quietly,
so that a broken function is reported by name ("fix it there first")
instead of failing deep inside a training loop.

A notebook's cells that need an earlier notebook's function start with the
``%%needs`` cell magic (``%load_ext course_lib.student`` registers it)::

    %%needs 02_bn_equations: batchnorm_forward
    y, cache = batchnorm_forward(x, gamma, beta)

When the function is ready the cell runs with it defined; when it is not,
the cell says which function to fix and in which notebook, and is skipped
without an error, so "Run All" goes on to the notebook's own exercises and
checks. ``%%needs bn`` asks for the whole of ``student_bn_functions()``, as
``bn``.
"""

import ast
import json
import os
from pathlib import Path

from .bnfunctions import BNFunctions
from .cells import code_cells, exercise_cell, program
from .exercises import ASSIGNMENTS, exercise, exercises_of

__all__ = ["ExerciseNotReady", "notebook_path", "exercise_cells", "run_cells", "load_exercises",
           "student_bn_functions", "needs", "parse_needs", "load_ipython_extension"]


class ExerciseNotReady(RuntimeError):
    """An earlier exercise is missing, unfinished or fails its check."""

    def _render_traceback_(self):   # IPython shows the message alone, without a traceback
        return [f"ExerciseNotReady: {self}"]


def notebook_path(assignment, start=None):
    """The notebook of ``assignment`` beside the current one: ``<start>/../<id>/<id>.ipynb``.

    start defaults to the working directory, which Jupyter sets to the
    running notebook's folder. The assignment's own folder, the notebooks'
    folder and the repository root are tried too, so the same call works in
    a notebook, in a notebook loading its own exercises, and in a script.
    """
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"unknown assignment {assignment!r}; the assignments are {list(ASSIGNMENTS)}")
    start = Path(start or os.getcwd())
    for folder in (start.parent / assignment, start, start / assignment, start / "notebooks" / assignment):
        path = folder / f"{assignment}.ipynb"
        if path.is_file():
            return path
    raise ExerciseNotReady(
        f"cannot find notebook {assignment}: looked for {start.parent / assignment / (assignment + '.ipynb')}. "
        "Keep the course's notebook folders side by side, as they were released."
    )


def exercise_cells(nb, grade_id=None):
    """The sources of the exercise cells (nbgrader solution cells with code) of a notebook dict.

    grade_id: only the cells with this nbgrader grade_id (default: all of them).
    """
    cells = []
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("solution") and grade_id in (None, meta.get("grade_id")):
            source = cell.get("source", "")
            cells.append("".join(source) if isinstance(source, list) else source)
    return cells


def run_cells(parts, path):
    """Run a program's parts, ((label, source), ...), in turn in one fresh namespace; a part that raises is
    skipped, the rest still run.

    Returns (namespace, errors): the exceptions raised, with their tracebacks. The
    last part, the exercise's own cell, is compiled under the file name
    ``str(path)`` with the cell's own line numbers; the others under their label.
    """
    namespace = {"__name__": f"exercises_of_{Path(path).stem}"}
    errors = []
    parts = list(parts)
    for i, (label, source) in enumerate(parts):
        try:
            exec(compile(source, str(path) if i == len(parts) - 1 else f"{path} {label}", "exec"), namespace)
        except Exception as err:   # an unfinished cell must not hide the finished ones
            errors.append(err)
    return namespace, errors


def _check(name, fn, assignment):
    from . import checks   # imported late: the checks import nothing from here, and stay optional

    try:
        getattr(checks, f"check_{name}")(fn, verbose=False)
    except checks.CheckFailed as failed:
        first = failed.report.first_failure
        problem = ("is not written yet (it still raises NotImplementedError)" if "NotImplementedError" in first.detail
                   else f"does not pass its check yet: '{first.name}' fails")
        raise ExerciseNotReady(
            f"your {name} in {assignment} {problem}. Open {assignment}, fix {name} until check_{name} passes, "
            "save the notebook, then rerun this cell."
        ) from None


def load_exercises(assignment, names=None, *, check=True, start=None):
    """The student's functions from ``assignment``'s notebook, as a dict name -> function.

    names: the exercises to load (default: all of that assignment's).
    check: run each function's visible check first and raise
        ExerciseNotReady, naming the failing check, if one does not pass.
    """
    known = [e.name for e in exercises_of(assignment)]
    names = known if names is None else list(names)
    for name in names:
        if exercise(name).assignment != assignment:
            raise ValueError(f"{name} is written in {exercise(name).assignment}, not in {assignment}")
    path = notebook_path(assignment, start)
    try:
        text = path.read_text(encoding="utf-8")
        key = (str(path.resolve()), hash(text), tuple(names), check)
        if key in _LOADED:   # the notebook is unchanged since it was loaded and checked
            return dict(_LOADED[key])
        nb = json.loads(text)
    except (OSError, ValueError) as err:
        raise ExerciseNotReady(f"cannot read {path}: {err}") from None
    cells = code_cells(nb)
    functions = {}
    for name in names:
        own = exercise_cell(cells, exercise(name).grade_id)
        fn = run_cells(program(cells, own).parts, path)[0].get(name) if own else None
        if not callable(fn):
            raise ExerciseNotReady(
                f"{assignment} defines no function {name}: keep its exercise cell as released "
                f"(def {name}(...)), and save the notebook."
            )
        if check:
            _check(name, fn, assignment)
        functions[name] = fn
    _LOADED[key] = dict(functions)
    return functions


_LOADED = {}   # (path, text's hash, names, check) -> functions: a saved notebook is checked once


def student_bn_functions(*, check=True, start=None):
    """The student's batch norm as BNFunctions, for the models and experiments.

    forward from 02_bn_equations, the closed-form backward from 04_backprop,
    inference and the running-statistics update from 05_inference.
    """
    forward = load_exercises("02_bn_equations", ["batchnorm_forward"], check=check, start=start)
    backward = load_exercises("04_backprop", ["batchnorm_backward_alt"], check=check, start=start)
    inference = load_exercises("05_inference", ["batchnorm_inference", "update_running_stats"],
                               check=check, start=start)
    return BNFunctions(
        forward=forward["batchnorm_forward"],
        backward=backward["batchnorm_backward_alt"],
        inference=inference["batchnorm_inference"],
        update=inference["update_running_stats"],
    )


# ----------------------------------------------------------------------------- %%needs

NEEDS_USAGE = ("%%needs takes the notebook and the functions the cell uses, e.g. "
               "'%%needs 02_bn_equations: batchnorm_forward', or '%%needs bn' for all of your batch norm")


def parse_needs(line):
    """'02_bn_equations: f, g' -> ("02_bn_equations", ["f", "g"]); 'bn' -> ("bn", ["bn"])."""
    line = line.strip()
    if line == "bn":
        return "bn", ["bn"]
    assignment, sep, names = line.partition(":")
    names = [n.strip() for n in names.replace(",", " ").split()]
    if not sep or not names or not assignment.strip():
        raise ValueError(NEEDS_USAGE)
    assignment = assignment.strip()
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"%%needs: unknown notebook {assignment!r}; the notebooks are {list(ASSIGNMENTS)}")
    for name in names:
        if name not in {e.name for e in exercises_of(assignment)}:
            raise ValueError(f"%%needs: {assignment} has no exercise {name!r}; "
                             f"its exercises are {[e.name for e in exercises_of(assignment)]}")
    return assignment, names


def needs(line, cell, namespace, start=None):
    """Run cell in namespace with the functions line asks for; None if they are ready, else the message.

    The cell's last expression, if any, is returned as the second item, as a cell's value is. A name the
    namespace already held goes back to its own value after the cell; a new one stays for later cells.
    """
    assignment, names = parse_needs(line)
    try:
        if assignment == "bn":
            functions = {"bn": student_bn_functions(start=start)}
        else:
            functions = load_exercises(assignment, names, start=start)
    except ExerciseNotReady as not_ready:
        wanted = "your batch norm" if assignment == "bn" else f"{', '.join(names)} from {assignment}"
        return (f"Skipped: this cell needs {wanted}. {not_ready}\n"
                "The cells that do not need it still run."), None
    own = {name: namespace[name] for name in functions if name in namespace}
    namespace.update(functions)
    tree = ast.parse(cell)
    shown = tree.body and isinstance(tree.body[-1], ast.Expr) and not cell.rstrip().endswith(";")
    last = tree.body.pop() if shown else None
    try:
        exec(compile(tree, "<cell>", "exec"), namespace)
        value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace) if last else None
    finally:
        # A function the notebook defines itself is only lent out for the cell: 07's own batchnorm_forward,
        # say, is still the notebook's after a cell that needed 02's.
        for name, fn in own.items():
            if namespace.get(name) is functions[name]:
                namespace[name] = fn
    return None, value


def load_ipython_extension(ipython):
    """Registers the %%needs cell magic: ``%load_ext course_lib.student``."""

    def needs_magic(line, cell):
        skipped, value = needs(line, cell, ipython.user_ns)
        if skipped:
            print(skipped)
        return value

    ipython.register_magic_function(needs_magic, "cell", "needs")
