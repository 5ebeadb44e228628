"""A notebook's code cells, and the program an exercise cell needs from them.

In the notebook, a helper defined in one cell is seen by every other cell.
So an exercise is graded on its own cell plus the definitions it uses from
the student's other code cells: functions, classes, imports and simple
constant assignments (``EPS = 1e-5``, ``SIZES = (2, 3)``), found by name and
taken in notebook order. Top-level statements of other cells (a training
run, a plot) are never run.

    cells = code_cells(nb)
    prog = program(cells, cells[3])
    prog.parts        ((label, source), ...): the definitions used, then the cell itself
    prog.unresolved   {name: why}: names the cell uses that only running code defines

The grader, ``python -m course_lib.selfcheck`` and ``load_exercises`` all
build what they run with ``program``, so the three agree. Only ``ast`` and
``symtable`` are used: reading a cell runs nothing of it.
"""

import ast
import builtins
import re
import symtable
from typing import NamedTuple

__all__ = ["Cell", "Program", "code_cells", "grade_id_of", "cell_source", "exercise_cell", "program", "error_text", "without_magics"]

_BUILTINS = frozenset(dir(builtins)) | {"__name__", "__file__", "__builtins__", "__doc__"}
_CONSTANT_NODES = (ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.UnaryOp, ast.BinOp, ast.Name,
                   ast.Load, ast.unaryop, ast.operator)


class Cell(NamedTuple):
    index: int           # its position among the notebook's cells (0-based), as Jupyter counts them
    grade_id: str | None
    source: str

    @property
    def label(self):
        return f"cell {self.grade_id}" if self.grade_id else f"cell {self.index + 1}"


class Program(NamedTuple):
    parts: tuple         # ((label, source), ...): each run in turn, in one namespace
    unresolved: dict     # name -> where it is set by code the grader does not run


class _Definition(NamedTuple):
    cell: Cell
    names: tuple         # what it binds
    source: str          # its own lines, decorators included
    uses: frozenset      # the global names it reads


def grade_id_of(cell):
    """A cell's nbgrader grade_id, or None (tolerant of any metadata a notebook may hold)."""
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
    grade_id = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
    return grade_id if isinstance(grade_id, str) else None


def cell_source(cell):
    """A cell's source as one string, whether stored as a string or a list of lines."""
    source = cell.get("source", "")
    return "".join(map(str, source)) if isinstance(source, list) else str(source)


def code_cells(nb):
    """The code cells of a notebook dict, in order, as Cells (IPython-only lines commented out: ``without_magics``)."""
    return [Cell(i, grade_id_of(c), without_magics(cell_source(c))[0]) for i, c in enumerate(nb.get("cells", []))
            if isinstance(c, dict) and c.get("cell_type") == "code"]


def _parse(source):
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):   # a cell that does not compile defines nothing the grader can take
        return None


def _global_reads(source):
    """The global names ``source`` reads, in any of its scopes (functions, classes, comprehensions)."""
    try:
        top = symtable.symtable(source, "<cell>", "exec")
    except (SyntaxError, ValueError):
        return frozenset()
    reads, stack = set(), [top]
    while stack:
        table = stack.pop()
        stack.extend(table.get_children())
        for sym in table.get_symbols():
            if table.get_type() == "module":
                if sym.is_referenced():
                    reads.add(sym.get_name())
            elif sym.is_global() and not sym.is_declared_global():
                reads.add(sym.get_name())
            elif sym.is_declared_global() and sym.is_referenced():
                reads.add(sym.get_name())
    return frozenset(reads)


def _is_constant(node):
    return all(isinstance(n, _CONSTANT_NODES) for n in ast.walk(node))


def _bound(node):
    """The names a top-level statement binds, and whether the grader may take it as a definition."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return (node.name,), True
    if isinstance(node, ast.Import):
        return tuple((a.asname or a.name).split(".")[0] for a in node.names), True
    if isinstance(node, ast.ImportFrom):
        return tuple(a.asname or a.name for a in node.names if a.name != "*"), True
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = tuple(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        simple = (node.value is not None and all(isinstance(t, ast.Name) for t in targets)
                  and _is_constant(node.value))
        return names, simple
    if isinstance(node, (ast.AugAssign,)) and isinstance(node.target, ast.Name):
        return (node.target.id,), False
    names = tuple(n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    return names, False


def _statements(cell):
    """(definitions the grader may take, {name: a description of the code that sets it otherwise})."""
    tree = _parse(cell.source)
    if tree is None:
        return [], {}
    lines = cell.source.splitlines(keepends=True)
    definitions, by_code = [], {}
    for node in tree.body:
        names, takeable = _bound(node)
        if not names:
            continue
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", ())])
        text = "".join(lines[first - 1:node.end_lineno])
        if takeable:
            definitions.append(_Definition(cell, names, text, _global_reads(text)))
        else:
            shown = " ".join(text.split())
            shown = shown if len(shown) <= 60 else shown[:59] + "\u2026"
            for name in names:
                by_code[name] = f"{cell.label} sets it by running `{shown}`"
    return definitions, by_code


def exercise_cell(cells, grade_id):
    """The Cell with nbgrader ``grade_id`` (the last, as the kernel keeps the last definition), or None."""
    found = [c for c in cells if c.grade_id == grade_id]
    return found[-1] if found else None


def program(cells, own):
    """The Program of the exercise cell ``own``: the definitions it uses from the other cells, then ``own``.

    cells: the notebook's Cells (``code_cells``); own: one of them. A name is
    taken from the last cell, in notebook order, that defines it; what a taken
    definition uses is taken too.
    """
    defined, set_by_code = {}, {}
    for cell in cells:
        if cell.index == own.index:
            continue
        definitions, by_code = _statements(cell)
        for name, where in by_code.items():
            set_by_code[name] = where
            defined.pop(name, None)
        for d in definitions:
            for name in d.names:
                defined[name] = d
                set_by_code.pop(name, None)
    tree = _parse(own.source)
    own_names = set()
    for node in tree.body if tree is not None else ():
        own_names.update(_bound(node)[0])
    wanted = [n for n in sorted(_global_reads(own.source)) if n not in own_names]
    taken, unresolved, seen = {}, {}, set(own_names)
    while wanted:
        name = wanted.pop()
        if name in seen or name in _BUILTINS:
            continue
        seen.add(name)
        d = defined.get(name)
        if d is None:
            if name in set_by_code:
                unresolved[name] = set_by_code[name]
            continue
        taken[id(d)] = d
        wanted.extend(d.uses - seen)
    order = sorted(taken.values(), key=lambda d: (d.cell.index, _position(d)))
    parts = tuple((f"<{d.cell.label}>", d.source) for d in order) + ((f"<{own.label}>", own.source),)
    return Program(parts, unresolved)


def _position(definition):
    """Where a definition starts in its cell: definitions of one cell keep their order."""
    return definition.cell.source.find(definition.source)


def error_text(err, exercise):
    """What ``exercise``'s code raised, in words; a NameError also says why the name may be missing."""
    name = getattr(err, "name", None) if isinstance(err, NameError) else None
    if not isinstance(name, str):
        return f"{type(err).__name__}: {err}"
    return (f"NameError: name '{name}' is not defined when {exercise} runs on its own: its cell runs with the "
            f"functions, classes, imports and constants (NAME = 1.5) of your other cells, but no other statement "
            f"of theirs. Define {name} in the cell of {exercise}, or as one of those in any cell")


_MAGIC = re.compile(r"^[ \t]*[%!]")
_IGNORED = "# (ignored by the grader) "


def without_magics(source):
    """(source, note): IPython-only lines (%magic, !shell) commented out when they are what stops it compiling.

    Plain Python is what runs outside the kernel. A cell that compiles is left
    exactly as written, with no note.
    """
    if _compiles(source):
        return source, None
    lines = source.splitlines(keepends=True)
    magic = [i for i, line in enumerate(lines) if _MAGIC.match(line)]
    if not magic:
        return source, None
    for i in magic:
        lines[i] = _IGNORED + lines[i].lstrip()
    cleaned = "".join(lines)
    if not _compiles(cleaned):
        return source, None
    shown = lines[magic[0]].removeprefix(_IGNORED).strip()
    return cleaned, (f"line {magic[0] + 1} of an exercise cell ({shown!r}) is IPython syntax, not Python; the "
                     "grader ignored it. Keep exercise cells to plain Python.")


def _compiles(source):
    try:
        compile(source, "<cell>", "exec")   # compiling runs nothing
        return True
    except (SyntaxError, ValueError):
        return False
