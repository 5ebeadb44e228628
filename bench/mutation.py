"""Mutation testing of the graders: does each hidden suite and each visible check catch small bugs?

    python bench/mutation.py [--exercise NAME ...] [--json PATH] [--jobs 2] [--timeout 20] [--strict]

For each function exercise of the exercise table, the solution cell (the cell
of solutions/<assignment>/<assignment>.ipynb whose nbgrader grade_id is the
exercise's) is rewritten by each operator of OPERATORS, one change at a time.
Each mutant is graded twice:

    hidden   run_suite(assignment, InProcessStudent(cells), only=exercise), the mutant
             replacing the solution cell; killed if it scores below full marks
    visible  course_lib.checks.check_<exercise>(fn, verbose=False); killed if it raises

A mutant that runs past --timeout seconds in either counts as killed by it. A
mutant that survives both is called with the solution on EQUIVALENCE_CALLS
random inputs (bench/_mutation_inputs.py); if every result and every input
after the call is the same, it is listed as equivalent, else as an escape.

Target: every non-equivalent mutant killed by the hidden suite, and at least
95% by the visible check. The exit status is 0 unless --strict is given and
the target is missed.
"""

import argparse
import ast
import contextlib
import copy
import json
import multiprocessing
import os
import signal
import sys
import time
import zlib
from dataclasses import asdict, dataclass, field
from functools import lru_cache, partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

import numpy as np  # noqa: E402

import course_lib.checks as checks  # noqa: E402
from _mutation_inputs import calls, same  # noqa: E402
from autograder.sandbox.inprocess import InProcessStudent  # noqa: E402
from autograder.suites.runner import run_suite  # noqa: E402
from course_lib.exercises import EXERCISES, FUNCTION, exercise  # noqa: E402

TARGET_HIDDEN, TARGET_VISIBLE = 1.0, 0.95
EQUIVALENCE_CALLS = 200


# ---- mutation operators: each yields the nodes that may replace one node of the solution ----------

def _with(node, **changes):
    new = copy.copy(node)
    for name, value in changes.items():
        setattr(new, name, value)
    return new


def _number(node):
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


class Arithmetic:
    """An arithmetic operator swapped for a usual confusion: + -, * /, ** *, @ *, / //."""
    name = "arithmetic"
    SWAPS = {ast.Add: (ast.Sub,), ast.Sub: (ast.Add,), ast.Mult: (ast.Div, ast.Add), ast.Div: (ast.Mult, ast.FloorDiv),
             ast.Pow: (ast.Mult,), ast.MatMult: (ast.Mult,), ast.FloorDiv: (ast.Div,), ast.Mod: (ast.FloorDiv,)}

    def variants(self, node, parent):
        if isinstance(node, (ast.BinOp, ast.AugAssign)):
            for op in self.SWAPS.get(type(node.op), ()):
                yield _with(node, op=op())


class Comparison:
    """A comparison swapped: == !=, < <= >, > >= <, is / is not, in / not in."""
    name = "comparison"
    SWAPS = {ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,), ast.Lt: (ast.LtE, ast.Gt), ast.LtE: (ast.Lt, ast.GtE),
             ast.Gt: (ast.GtE, ast.Lt), ast.GtE: (ast.Gt, ast.LtE), ast.Is: (ast.IsNot,), ast.IsNot: (ast.Is,),
             ast.In: (ast.NotIn,), ast.NotIn: (ast.In,)}

    def variants(self, node, parent):
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                for new in self.SWAPS.get(type(op), ()):
                    yield _with(node, ops=node.ops[:i] + [new()] + node.ops[i + 1:])


class Boolean:
    """Boolean logic changed: and/or swapped, `not` dropped, an if negated, a conditional's branches swapped."""
    name = "boolean"

    def variants(self, node, parent):
        if isinstance(node, ast.BoolOp):
            yield _with(node, op=ast.Or() if isinstance(node.op, ast.And) else ast.And())
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node.operand
        if isinstance(parent, (ast.If, ast.While)) and node is parent.test:
            yield ast.UnaryOp(ast.Not(), node)
        if isinstance(node, ast.IfExp):
            yield _with(node, body=node.orelse, orelse=node.body)


class Sign:
    """A unary minus dropped: -x -> x."""
    name = "sign"

    def variants(self, node, parent):
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            yield node.operand


class Default:
    """A keyword default changed: a small one (eps) to 0 or 1e-3, a fraction (momentum) to 1 - it or 0.99."""
    name = "default"

    def variants(self, node, parent):
        if isinstance(parent, ast.arguments) and _number(node) and node in parent.defaults + parent.kw_defaults:
            c = node.value
            if 0 < c < 1e-2:
                yield from (_with(node, value=0.0), _with(node, value=1e-3 if c != 1e-3 else 1e-2))
            elif 0 < c < 1:
                yield from (_with(node, value=round(1 - c, 12)), _with(node, value=0.99 if c != 0.99 else 0.9))


class Axis:
    """An axis argument changed: axis=0 -> 1 or None, axis=1 -> 0 or None, axis=None -> 0."""
    name = "axis"

    def variants(self, node, parent):
        if isinstance(parent, ast.keyword) and parent.arg == "axis" and isinstance(node, ast.Constant):
            for value in {0: (1, None), 1: (0, None), None: (0,)}.get(node.value, (None,)):
                yield ast.Constant(value)


class Constant:
    """A numeric constant changed: 0 <-> 1, 0.5 <-> 2, c -> c + 1, c -> 0, c -> -c; True <-> False."""
    name = "constant"

    def variants(self, node, parent):
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            yield ast.Constant(not node.value)
        elif _number(node):
            c, kind = node.value, type(node.value)
            swaps = {0: (1,), 1: (0,), 0.5: (2,), 2: (0.5,)}.get(c, ())
            for value in dict.fromkeys((*swaps, c + 1, 0)):
                if value != c:
                    yield ast.Constant(kind(value) if value == int(value) else value)
            if c != 0:
                yield ast.UnaryOp(ast.USub(), node)


class DropTerm:
    """A term of a sum, difference, product, quotient or power dropped: a + b -> a, a + b -> b."""
    name = "drop-term"

    def variants(self, node, parent):
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow,
                                                                ast.MatMult)):
            yield from (node.left, node.right)


class CallArguments:
    """A call's argument dropped (each positional and each keyword), or its first two arguments swapped."""
    name = "call-args"

    def variants(self, node, parent):
        if isinstance(node, ast.Call):
            for i in range(len(node.args)):
                yield _with(node, args=node.args[:i] + node.args[i + 1:])
            for i in range(len(node.keywords)):
                yield _with(node, keywords=node.keywords[:i] + node.keywords[i + 1:])
            if len(node.args) >= 2:
                yield _with(node, args=[node.args[1], node.args[0], *node.args[2:]])


class Ddof:
    """ddof=1 added to a var or std: the unbiased estimate instead of the biased one."""
    name = "ddof"

    def variants(self, node, parent):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("var", "std") \
                and not any(k.arg == "ddof" for k in node.keywords):
            yield _with(node, keywords=node.keywords + [ast.keyword("ddof", ast.Constant(1))])


class ReturnOrder:
    """Two neighbouring elements of a returned tuple swapped."""
    name = "return-order"

    def variants(self, node, parent):
        if isinstance(parent, ast.Return) and isinstance(node, ast.Tuple):
            for i in range(len(node.elts) - 1):
                elts = list(node.elts)
                elts[i], elts[i + 1] = elts[i + 1], elts[i]
                yield _with(node, elts=elts)


class Dtype:
    """A dtype-setting call removed (x.astype(t) -> x, np.asarray(x, ...) -> x), or one added to what is
    returned (r -> r.astype(float), for each element of a returned tuple)."""
    name = "dtype"
    CONVERSIONS = ("asarray", "array", "asanyarray", "float", "int")

    def variants(self, node, parent):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", None))
            if name == "astype" and isinstance(node.func, ast.Attribute):
                yield node.func.value
            if name in self.CONVERSIONS and node.args:
                yield node.args[0]
        if isinstance(parent, ast.Return) and node is parent.value:
            elts = node.elts if isinstance(node, ast.Tuple) else [node]
            for i, elt in enumerate(elts):
                if not isinstance(elt, ast.Constant):
                    wrapped = ast.Call(ast.Attribute(elt, "astype", ast.Load()), [ast.Name("float", ast.Load())], [])
                    tuple_ = isinstance(node, ast.Tuple)
                    yield _with(node, elts=[*elts[:i], wrapped, *elts[i + 1:]]) if tuple_ else wrapped


OPERATORS = (Default(), Axis(), Ddof(), Arithmetic(), Comparison(), Boolean(), Sign(), Constant(), DropTerm(),
             CallArguments(), ReturnOrder(), Dtype())


# ---- mutants of a solution cell -----------------------------------------------------------------

@dataclass(frozen=True)
class Mutant:
    exercise: str
    number: int
    operator: str
    line: int           # in the solution cell, 1-based
    change: str         # the node before -> after, e.g. "x.var(axis=0) -> x.var(axis=1)"
    before: str         # the changed lines, as in the cell
    after: str          # the same lines in the mutant
    source: str         # the whole mutant cell

    def diff(self):
        return "\n".join([f"- {s.strip()}" for s in self.before.splitlines()] +
                         [f"+ {s.strip()}" for s in self.after.splitlines()])


@lru_cache(maxsize=None)
def _notebook(assignment):
    return json.loads((ROOT / "solutions" / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8"))


def solution_cells(assignment):
    """grade_id -> source of every solution code cell of the assignment's solution notebook."""
    return {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"]) if isinstance(c["source"], list)
            else c["source"] for c in _notebook(assignment)["cells"]
            if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("solution")}


def _splice(source, node, text):
    """``source`` with the span of ``node`` replaced by ``text``; also the old and new lines of that span."""
    lines = source.splitlines(keepends=True)
    first, last = lines[node.lineno - 1].encode(), lines[node.end_lineno - 1].encode()   # offsets are in bytes
    new = first[:node.col_offset].decode() + text + last[node.end_col_offset:].decode()
    before = "".join(lines[node.lineno - 1:node.end_lineno])
    return "".join(lines[:node.lineno - 1]) + new + "".join(lines[node.end_lineno:]), before, new


def _rewrite(source, node, new):
    """The mutant's source: ``new`` unparsed in place of ``node``, in parentheses only where they matter."""
    text = ast.unparse(new)
    plain = _splice(source, node, text)
    if isinstance(node, ast.stmt):
        return plain
    grouped = _splice(source, node, f"({text})")
    try:
        return plain if ast.dump(ast.parse(plain[0])) == ast.dump(ast.parse(grouped[0])) else grouped
    except SyntaxError:
        return grouped


def mutants(name, source, operators=OPERATORS):
    """The mutants of the function ``name`` in ``source``, one change each, without duplicates, by line."""
    tree = ast.parse(source)
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    body = fn.body[1:] if ast.get_docstring(fn) is not None else fn.body
    parents = {}
    for top in [fn.args, *body]:
        parents[top] = fn
        for node in ast.walk(top):
            for child in ast.iter_child_nodes(node):
                parents[child] = node
    found, seen = [], {source}
    for node in sorted((n for n in parents if hasattr(n, "end_lineno")), key=lambda n: (n.lineno, n.col_offset)):
        for op in operators:
            for new in op.variants(node, parents[node]):
                text, before, after = _rewrite(source, node, new)
                if text not in seen:
                    seen.add(text)
                    change = f"{ast.unparse(node)} -> {ast.unparse(new)}"
                    found.append(Mutant(name, len(found) + 1, op.name, node.lineno, change, before, after, text))
    return found


# ---- grading one mutant, in a worker ------------------------------------------------------------

class Timeout(KeyboardInterrupt):
    """Raised in a mutant that runs too long; a KeyboardInterrupt, so that pytest ends its session."""


@contextlib.contextmanager
def _time_limit(seconds):
    """Interrupt the block after ``seconds``, and every half second after that until it ends.

    Yields a list that is not empty once the limit was hit, even if the block caught the interrupt.
    """
    fired = []

    def interrupt(signum, frame):
        fired.append(signum)
        raise Timeout()
    old = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)
    try:
        yield fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class Result:
    mutant: Mutant
    hidden: str = ""            # "survived", or why it was killed
    visible: str = ""
    equivalent: str = ""        # the reason, for a mutant both miss that behaves as the solution
    seconds: float = 0.0
    hidden_killed: bool = field(init=False, default=False)
    visible_killed: bool = field(init=False, default=False)

    def __post_init__(self):
        self.hidden_killed, self.visible_killed = self.hidden != "survived", self.visible != "survived"


def _hidden(e, source, seconds):
    student = InProcessStudent({**solution_cells(e.assignment), e.grade_id: source})
    try:
        with _time_limit(seconds) as fired:
            outcomes = run_suite(e.assignment, student, only=e.name)
    except Timeout:
        fired = True
    finally:
        student.close()
    if fired:
        return f"timeout after {seconds} s"
    lost = [o.name for o in outcomes if o.score < o.max_score]
    return f"lost {len(lost)} of {len(outcomes)} tests: {lost[0]}" if lost else "survived"


def _load(e, source):
    namespace = {"__name__": f"mutant_{e.name}"}
    exec(compile(source, f"<mutant {e.name}>", "exec"), namespace)
    return namespace[e.name]


def _visible(e, source, seconds):
    check = getattr(checks, f"check_{e.name}")
    try:
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), _time_limit(seconds):
            check(_load(e, source), verbose=False)
    except Timeout:
        return f"timeout after {seconds} s"
    except Exception as err:   # noqa: BLE001 -- any failure of the check kills the mutant
        return f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[:160]
    return "survived"


def _run(fn, args, kwargs):
    """What a call gives: its result or the type of its error, and its inputs afterwards."""
    args, kwargs = copy.deepcopy((args, kwargs))
    try:
        result = ("returned", fn(*args, **kwargs))
    except Exception as err:   # noqa: BLE001
        result = ("raised", type(err).__name__)
    return result, args, kwargs


def _equivalent(m, e, seconds):
    """The reason the mutant looks equivalent to the solution, or "" if some random input tells them apart."""
    solution, mutant = _load(e, solution_cells(e.assignment)[e.grade_id]), _load(e, m.source)
    rng = np.random.default_rng(zlib.crc32(e.name.encode()))
    try:
        with _time_limit(seconds), np.errstate(all="ignore"):
            for args, kwargs in calls(e.name, rng, EQUIVALENCE_CALLS):
                if not same(_run(solution, args, kwargs), _run(mutant, args, kwargs)):
                    return ""
    except Timeout:
        return ""
    return f"identical on {EQUIVALENCE_CALLS} random inputs: {m.operator} {m.change}"


def grade(m, seconds=20.0):
    """Grade one mutant by the hidden suite and the visible check, and look for equivalence if both miss it."""
    e, start = exercise(m.exercise), time.perf_counter()
    r = Result(m, _hidden(e, m.source, seconds), _visible(e, m.source, seconds))
    if not (r.hidden_killed or r.visible_killed):
        r.equivalent = _equivalent(m, e, seconds)
    r.seconds = round(time.perf_counter() - start, 3)
    return r


# ---- the report ---------------------------------------------------------------------------------

def summary(results):
    """Counts and scores of a list of results: killed / non-equivalent for each grader."""
    live = [r for r in results if not r.equivalent]
    hidden, visible = sum(r.hidden_killed for r in live), sum(r.visible_killed for r in live)
    return {"generated": len(results), "equivalent": len(results) - len(live), "non_equivalent": len(live),
            "hidden_killed": hidden, "visible_killed": visible,
            "hidden_score": hidden / len(live) if live else 1.0, "visible_score": visible / len(live) if live else 1.0,
            "timeouts": sum("timeout" in r.hidden + r.visible for r in results)}


def report(results, names):
    by_exercise = {n: [r for r in results if r.mutant.exercise == n] for n in names}
    table = {n: summary(rs) for n, rs in by_exercise.items()}
    overall = summary(results)
    print(f"{'exercise':24} {'mutants':>7} {'equiv':>5} {'hidden':>13} {'visible':>13} {'timeouts':>8}")
    for n, s in [*table.items(), ("overall", overall)]:
        print(f"{n:24} {s['generated']:7} {s['equivalent']:5} "
              f"{s['hidden_killed']:4} {s['hidden_score']:7.1%} {s['visible_killed']:4} {s['visible_score']:7.1%} "
              f"{s['timeouts']:8}")
    met = overall["hidden_score"] >= TARGET_HIDDEN and overall["visible_score"] >= TARGET_VISIBLE
    print(f"\ntarget (hidden {TARGET_HIDDEN:.0%}, visible {TARGET_VISIBLE:.0%}): {'met' if met else 'MISSED'}")
    equivalents = [r for r in results if r.equivalent]
    print(f"\nequivalent ({len(equivalents)}):")
    for r in equivalents:
        print(f"  {r.mutant.exercise} line {r.mutant.line}: {r.equivalent}")
    escapes = [r for r in results if not r.equivalent and not (r.hidden_killed and r.visible_killed)]
    print(f"\nescapes ({len(escapes)}):")
    for r in escapes:
        missed = " and ".join(g for g, killed in (("hidden", r.hidden_killed), ("visible", r.visible_killed))
                              if not killed)
        print(f"  {r.mutant.exercise} line {r.mutant.line} ({r.mutant.operator}), missed by {missed}:")
        print("    " + "\n    ".join(r.mutant.diff().splitlines()))
    return {"target": {"hidden": TARGET_HIDDEN, "visible": TARGET_VISIBLE, "met": met}, "overall": overall,
            "exercises": table, "mutants": [_record(r) for r in results]}, met


def _record(r):
    """A result as JSON data, without the mutant's whole source."""
    data = asdict(r)
    del data["mutant"]["source"]
    return data


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exercise", action="append", help="a function exercise (repeatable; default: all)")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds a mutant may run in each grader")
    parser.add_argument("--strict", action="store_true", help="exit 1 if the target is missed")
    args = parser.parse_args(argv)
    names = [e.name for e in EXERCISES if e.kind == FUNCTION]
    for n in args.exercise or ():
        if n not in names:
            parser.error(f"{n!r} is not a function exercise; they are {names}")
    names = [n for n in names if n in (args.exercise or names)]

    start = time.perf_counter()
    todo = [m for n in names for m in mutants(n, solution_cells(exercise(n).assignment)[exercise(n).grade_id])]
    print(f"{len(todo)} mutants of {len(names)} exercises, {args.jobs} workers", file=sys.stderr)
    results = []
    # fork: the workers start with the suites, the checks and numpy already imported
    with multiprocessing.get_context("fork").Pool(args.jobs, maxtasksperchild=100) as pool:
        for r in pool.imap_unordered(partial(grade, seconds=args.timeout), todo):
            results.append(r)
            if len(results) % 50 == 0:
                print(f"  {len(results)}/{len(todo)} graded", file=sys.stderr)
    order = {(m.exercise, m.number): i for i, m in enumerate(todo)}
    results.sort(key=lambda r: order[r.mutant.exercise, r.mutant.number])
    data, met = report(results, names)
    data["seconds"] = round(time.perf_counter() - start, 1)
    print(f"\n{len(results)} mutants graded in {data['seconds']} s")
    if args.json:
        args.json.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
