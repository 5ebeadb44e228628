"""``python -m course_lib.selfcheck NOTEBOOK...``: a student's self-check with the public checks.

Runs the visible checks of ``course_lib.checks`` on the exercises of a
notebook (the rows of ``course_lib.exercises``) and prints, exercise by
exercise in notebook order, what passes, what fails with the check's own
hint, and what is not started yet. The notebook's check cells call the same
functions, so the two always agree.

The student's code runs in a child process with a time limit, each exercise
in its own namespace: its cell with the definitions it uses from the other
cells, as the grader runs it (``course_lib.cells``). An endless loop or a
crash is reported on the exercise it happened in and the report is still
printed; after a crash the remaining exercises run in a fresh process. Only
JSON lines cross back.

This module ships to students without the reference implementations: it
imports the exercise table, the cell helpers and the checks, nothing else
from ``course_lib``.

Exit status: 0 when every exercise passes, 1 otherwise, 2 for a usage error.
"""

import argparse
import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import checks
from .cells import code_cells, exercise_cell, program
from .checks._report import NOT_IMPLEMENTED, PASS
from .exercises import ASSIGNMENTS, EXERCISES, FUNCTION, exercises_of
from .student import run_cells

__all__ = ["Item", "Result", "UsageError", "find_notebooks", "read_notebook", "assignment_of", "plan",
           "check_item", "child_main", "run_items", "check_notebook", "render", "main"]

PROG = "python -m course_lib.selfcheck"
MARKS = {"pass": PASS, "not_started": "\u2026", "answer": "\u270e", "not_checked": "\u00b7"}
FAIL = "\u2718"
EMPTY_ANSWER = "YOUR ANSWER HERE"   # nbgrader's placeholder in a released markdown answer
REMINDER = ("These are the public checks only: the hidden tests check more (other inputs, shapes, edge cases), "
            "so passing here is a good sign, not a grade.")


class UsageError(Exception):
    """A command line that cannot be run: the message is one line for the student."""


@dataclass(frozen=True)
class Item:
    kind: str        # an exercise's kind (course_lib.exercises.FUNCTION or VALUE), or "answer"
    grade_id: str
    name: str        # the function or value the cell defines, or the answer's grade_id

    @property
    def label(self):
        return self.name


@dataclass(frozen=True)
class Result:
    label: str
    status: str      # pass, fail, not_started, error, missing, stopped, crashed, not_checked, answer
    message: str     # the rest of the report's line
    more: str = ""   # a second line, e.g. the offending line of code
    report: str = ""  # the check's full report, as it prints it (shown with --verbose)

    @property
    def passed(self):
        return self.status == "pass"

    @property
    def checked(self):
        return self.status != "answer"


# -- finding notebooks, their assignment and what to check ------------------------------------------

def find_notebooks(paths):
    """The notebook files named by ``paths`` (files or folders), in order; UsageError if none."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
            if not inside:
                raise UsageError(f"no notebooks (.ipynb files) in the folder {path}")
            found.extend(inside)
        elif not path.exists():
            raise UsageError(f"cannot find {path}: check the path (it should end in .ipynb)")
        elif path.suffix != ".ipynb":
            raise UsageError(f"{path} is not a notebook: give the .ipynb file Jupyter saves")
        else:
            found.append(path)
    return found


def read_notebook(path):
    """The notebook at ``path`` as a dict; UsageError if it is not readable notebook JSON."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror or err}") from None
    except ValueError as err:
        where = f" (line {err.lineno})" if hasattr(err, "lineno") else ""
        raise UsageError(f"{path} is not valid notebook JSON{where}: open it in Jupyter, save it, "
                         "and try again") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise UsageError(f"{path} is JSON but not a Jupyter notebook (it has no list of cells)")
    return nb


def _nbgrader(cell):
    meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    return meta.get("nbgrader", {}) if isinstance(meta, dict) else {}


def assignment_of(path, nb, given=None):
    """``given``, else the assignment the file or folder is named after, else the one whose cells it has."""
    if given is not None:
        return given
    for name in (path.stem, path.parent.name):
        if name in ASSIGNMENTS:
            return name
    owners = {e.grade_id: e.assignment for e in EXERCISES}
    found = set()
    for cell in nb["cells"]:
        grade_id = str(_nbgrader(cell).get("grade_id", ""))
        if grade_id in owners:
            found.add(owners[grade_id])
    if len(found) == 1:
        return found.pop()
    raise UsageError(f"cannot tell which assignment {path} is: pass --assignment ID, one of {', '.join(ASSIGNMENTS)}")


def plan(nb, assignment):
    """What to report, in notebook order: the exercises of the table and the written answers.

    Returns (items, missing): missing lists the exercises whose cell is not in
    the notebook (deleted, or its metadata changed).
    """
    wanted = {e.grade_id: Item(e.kind, e.grade_id, e.name) for e in exercises_of(assignment)}
    items, seen = [], set()
    for cell in nb["cells"]:
        meta = _nbgrader(cell)
        grade_id = meta.get("grade_id")
        if not meta.get("solution") or grade_id in seen:
            continue
        if cell.get("cell_type") == "code" and grade_id in wanted:
            items.append(wanted[grade_id])
        elif cell.get("cell_type") == "markdown" and str(grade_id).startswith("answer_"):
            items.append(Item("answer", grade_id, grade_id))
        else:
            continue
        seen.add(grade_id)
    return items, [item for grade_id, item in wanted.items() if grade_id not in seen]


def _answer(nb, item):
    for cell in nb["cells"]:
        if _nbgrader(cell).get("grade_id") == item.grade_id:
            source = cell.get("source", "")
            text = ("".join(source) if isinstance(source, list) else source).replace(EMPTY_ANSWER, "").strip()
            state = "written" if text else "still empty"
            return Result(item.label, "answer", f"{state} \u2014 graded by your instructor")


def _missing(item):
    return Result(item.label, "missing", f"no exercise cell with grade_id '{item.grade_id}' in this notebook",
                  "the cell was deleted or its metadata changed: copy it back from the released notebook")


# -- the child: run one item's cells and its check ----------------------------------------------

def _one_line(text, limit=300):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _cell_error(err, filename, sources):
    """(one line on the error, the cell's offending line or '') for an exception raised by a cell."""
    if isinstance(err, SyntaxError):
        line, text = err.lineno, f"{type(err).__name__}: {err.msg}"
    else:
        line, tb = None, err.__traceback__
        while tb is not None:   # the deepest frame in the cell: the cells are compiled under ``filename``
            if tb.tb_frame.f_code.co_filename == filename:
                line = tb.tb_lineno
            tb = tb.tb_next
        text = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    # the code comes from the cell itself: a SyntaxError's .text is read from ``filename``, the notebook's JSON
    cell_lines = sources[0].splitlines() if len(sources) == 1 else []
    code = cell_lines[line - 1].strip() if line and 0 < line <= len(cell_lines) else ""
    where = f" (line {line} of the cell)" if line else ""
    return _one_line(text + where), _one_line(f"line {line}: {code}" if code else "")


def _failed(label, report, printed):
    first = report.first_failure
    n_ok = sum(o.passed for o in report.outcomes)
    if len(report.outcomes) == 1 and first.detail == NOT_IMPLEMENTED[0]:
        return Result(label, "not_started", "not started (still raises NotImplementedError)")
    hint = f" \u2014 hint: {_one_line(first.hint)}" if first.hint else ""
    return Result(label, "fail", f"'{first.name}' fails \u2014 {_one_line(first.detail)}{hint}",
                  f"{n_ok} of {len(report.outcomes)} checks pass; the notebook's check cell shows them all",
                  printed)


def check_item(item, parts, filename):
    """Run one exercise's program (``course_lib.cells``) in a fresh namespace, then its public check."""
    namespace, errors = run_cells(parts, filename)
    if errors:
        if isinstance(errors[0], NotImplementedError):
            return Result(item.label, "not_started", "not started (still raises NotImplementedError)")
        text, more = _cell_error(errors[0], filename, [source for _, source in parts[-1:]])
        return Result(item.label, "error", f"your cell raises {text}", more)
    variable = item.name
    if variable not in namespace:
        what = "function" if item.kind == FUNCTION else "variable"
        return Result(item.label, "missing", f"your cell defines no {what} {variable}",
                      f"keep the cell's `{variable}` name as released")
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            getattr(checks, f"check_{item.name}")(namespace[variable])
    except checks.CheckFailed as failed:
        return _failed(item.label, failed.report, printed.getvalue())
    except Exception as err:   # the check could not even run on what the cell defined
        return Result(item.label, "error", f"the check could not run: {_one_line(f'{type(err).__name__}: {err}')}")
    n = sum(line.startswith(f"  {PASS} ") for line in printed.getvalue().splitlines())
    return Result(item.label, "pass", f"all {n} checks pass" if n != 1 else "its check passes",
                  report=printed.getvalue())


def child_main(argv):
    """The child process: ``JOB_FILE LOG_FILE``; appends a JSON line per item started and per result to LOG_FILE."""
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    with open(argv[1], "a", buffering=1, encoding="utf-8") as out:
        for entry in job["items"]:
            item = Item(**entry["item"])
            out.write(json.dumps({"start": item.grade_id}) + "\n")
            try:
                result = check_item(item, entry["parts"], job["filename"])
            except BaseException as err:   # sys.exit() or KeyboardInterrupt in the student's code
                name = "exit() or sys.exit()" if isinstance(err, SystemExit) else type(err).__name__
                result = Result(item.label, "error", f"your code calls {name}: a notebook cell must not end Python")
            out.write(json.dumps({"result": asdict(result)}) + "\n")
    return 0


def _program(cells, grade_id):
    """The parts that run for the exercise cell ``grade_id`` (its last copy), as JSON lists."""
    return [list(part) for part in program(cells, exercise_cell(cells, grade_id)).parts]


# -- the parent: a child per run, with a deadline -----------------------------------------------

def _ended(code):
    """How a child process ended, from its return code."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"it crashed with {signal.Signals(-code).name}"
        return f"it was killed by signal {-code}"
    return f"it exited with status {code}, as os._exit() does"


CHILD = "import sys; from course_lib.selfcheck import child_main; sys.exit(child_main(sys.argv[1:]))"
PACKAGE_ROOT = Path(__file__).resolve().parents[1]   # the child imports this course_lib, installed or not
# POSIX: the child leads its own process group, so that stopping it stops whatever it started too
SESSION = {"start_new_session": True} if os.name == "posix" else {}


def _stop(child):
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if SESSION:
            os.killpg(child.pid, signal.SIGKILL)
        else:
            child.kill()
    child.wait()


def _child_env():
    path = os.pathsep.join(p for p in (str(PACKAGE_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "MPLBACKEND": "Agg"}


def _read_log(log):
    """(results by grade_id, the grade_id started last) from the child's JSON lines."""
    results, started = {}, None
    text = log.read_text(encoding="utf-8") if log.exists() else ""
    for line in text.splitlines():
        try:
            message = json.loads(line)
        except ValueError:   # the last line, cut short when the child was stopped
            continue
        if "start" in message:
            started = message["start"]
        else:
            results[started] = Result(**message["result"])
    return results, started


def _run_child(path, entries, deadline):
    """Run ``entries`` in one child until done, crashed or past ``deadline``.

    Returns (results by grade_id, the grade_id started last, the return code or
    None when stopped at the deadline, the last line the child wrote to stderr).
    """
    with tempfile.TemporaryDirectory(prefix="selfcheck-") as tmp:
        job, log, errors = Path(tmp) / "job.json", Path(tmp) / "log.jsonl", Path(tmp) / "stderr.txt"
        job.write_text(json.dumps({"filename": str(path.resolve()), "items": entries}), encoding="utf-8")
        with open(errors, "wb") as stderr:
            child = subprocess.Popen([sys.executable, "-c", CHILD, str(job), str(log)], cwd=path.resolve().parent,
                                     env=_child_env(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=stderr, **SESSION)
        try:
            code = child.wait(timeout=max(deadline - time.monotonic(), 0.0))
        except subprocess.TimeoutExpired:
            _stop(child)
            code = None
        lines = errors.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        return (*_read_log(log), code, lines[-1] if lines else "")


def run_items(path, nb, items, timeout):
    """Each code item's Result, by grade_id, from child processes sharing ``timeout`` seconds."""
    cells = code_cells(nb)
    entries = [{"item": asdict(i), "parts": _program(cells, i.grade_id)} for i in items]
    deadline, results = time.monotonic() + timeout, {}
    while entries:
        done, started, code, last_error = _run_child(path, entries, deadline)
        results.update(done)
        entries = [e for e in entries if e["item"]["grade_id"] not in results]
        running = next((Item(**e["item"]) for e in entries if e["item"]["grade_id"] == started), None)
        if code is None:   # out of time
            if running:
                results[running.grade_id] = Result(
                    running.label, "stopped", f"still running after {timeout:g} s, so it was stopped "
                    "(an endless loop? a very slow computation?)",
                    "the time limit is for the whole notebook; run with --timeout S to allow more")
            for e in entries:
                item = Item(**e["item"])
                results.setdefault(item.grade_id, Result(
                    item.label, "not_checked", "not checked: the time ran out before its turn"))
            break
        if running is None:   # nothing started, or everything finished: nothing to retry
            for e in entries:
                item = Item(**e["item"])
                results[item.grade_id] = Result(item.label, "crashed",
                                                f"the check's process ended before this exercise ran: {_ended(code)}",
                                                _one_line(last_error))
            break
        entries = [e for e in entries if e["item"]["grade_id"] != running.grade_id]
        results[running.grade_id] = Result(
            running.label, "crashed", f"your code ended the check's process: {_ended(code)}",
            "the exercises after it were checked in a fresh process" if entries else "")
    return results


# -- the report -------------------------------------------------------------------------------

def _checks(n):
    return "1 check" if n == 1 else f"{n} checks"


def _summary(results):
    checked = [r for r in results if r.checked]
    n_ok = sum(r.passed for r in checked)
    first = next((r for r in checked if not r.passed), None)
    if first is None:
        line = f"All {_checks(len(checked))} pass." if checked else "No exercise to check in this notebook."
    else:
        todo = f"start with {first.label}" if first.status == "not_started" else f"fix {first.label} first"
        line = f"{n_ok} of {_checks(len(checked))} pass{'es' if len(checked) == 1 else ''}; {todo}."
    answers = [r for r in results if not r.checked]
    if answers:
        written = sum(r.message.startswith("written") for r in answers)
        line += f" Written answers: {written} of {len(answers)} written."
    return line


def render(title, results, verbose=False):
    """The report of one notebook: a line per exercise, step and answer, then the summary."""
    lines = [title]
    for r in results:
        mark = MARKS.get(r.status, FAIL)
        lines.append(f"  {mark} {r.label}: {r.message}")
        if r.more:
            lines.append(f"      {r.more}")
        if verbose and r.report:
            lines.extend(f"      | {line}" for line in r.report.rstrip().splitlines())
    lines.append(f"  {_summary(results)}")
    return "\n".join(lines)


def check_notebook(path, nb, assignment, timeout):
    """The Results of one notebook, in notebook order, missing cells last."""
    items, missing = plan(nb, assignment)
    ran = run_items(path, nb, [i for i in items if i.kind != "answer"], timeout)
    results = [_answer(nb, i) if i.kind == "answer" else ran[i.grade_id] for i in items]
    return results + [_missing(i) for i in missing]


def _parser(prog=PROG):
    parser = argparse.ArgumentParser(
        prog=prog, description="Check your notebook with the public checks, exercise by exercise: what passes, "
                               "what fails and a hint. Your code runs in a separate process with a time limit.")
    parser.add_argument("paths", nargs="+", metavar="NOTEBOOK",
                        help="a notebook (.ipynb), several, or a folder of them (e.g. notebooks/)")
    parser.add_argument("--assignment", metavar="ID",
                        help=f"which assignment the notebooks are (default: from the file or folder name): "
                             f"{', '.join(ASSIGNMENTS)}")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="S",
                        help="seconds your code may run per notebook (default: 60)")
    parser.add_argument("--verbose", "-v", action="store_true", help="also print each check's full report")
    return parser


def main(argv=None, *, prog=PROG):
    """Run the self-check; returns the exit status (0 all pass, 1 not all, 2 usage error).

    prog: the command as the student typed it, for usage messages (``python -m autograder check`` too).
    """
    try:
        args = _parser(prog).parse_args(sys.argv[1:] if argv is None else list(argv))
    except SystemExit as stop:   # argparse's usage errors and --help
        return stop.code if isinstance(stop.code, int) else 2
    try:
        if args.assignment is not None and args.assignment not in ASSIGNMENTS:
            raise UsageError(f"unknown assignment {args.assignment!r}; the assignments are {', '.join(ASSIGNMENTS)}")
        if not args.timeout > 0:
            raise UsageError("--timeout must be a positive number of seconds")
        notebooks = []
        for path in find_notebooks(args.paths):
            nb = read_notebook(path)
            notebooks.append((path, nb, assignment_of(path, nb, args.assignment)))
    except UsageError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    all_pass, totals = True, [0, 0]
    for k, (path, nb, assignment) in enumerate(notebooks):
        results = check_notebook(path, nb, assignment, args.timeout)
        print(("\n" if k else "") + render(f"{assignment} ({path})", results, args.verbose), flush=True)
        checked = [r for r in results if r.checked]
        all_pass &= all(r.passed for r in checked)
        totals[0] += sum(r.passed for r in checked)
        totals[1] += len(checked)
    if len(notebooks) > 1:
        print(f"\n{len(notebooks)} notebooks: {totals[0]} of {totals[1]} checks pass.")
    print(f"\n{REMINDER}")
    return 0 if all_pass else 1


if __name__ == "__main__":
    sys.exit(main())
