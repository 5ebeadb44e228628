"""Stage 2: what the student wrote for each exercise of the table, found by its nbgrader grade_id.

Each exercise of the assignment (``course_lib.exercises``) is found by its
cell's grade_id; a cell that lost its metadata is found by what it defines.
It is graded as the notebook runs it: its own cell plus the definitions it
uses from the student's other code cells (``course_lib.cells.program``);
the other cells' other statements are never run. Cell order does not matter.
Whatever had to be guessed is noted in ``problems``, one message per
affected exercise, for the student's feedback. The written answers are kept
for the reports, so that no report reads the notebook again.
"""

import re

from course_lib.cells import cell_source, code_cells, grade_id_of, program, without_magics
from course_lib.exercises import FUNCTION, exercises_of

from ..records import Extracted, Validated

__all__ = ["extract", "exercise_ids", "written_answers", "UNANSWERED"]

UNANSWERED = "YOUR ANSWER HERE"   # nbgrader's placeholder in a released markdown answer


def exercise_ids(assignment):
    """The grade_ids of the cells graded in ``assignment``, in notebook order of the table."""
    return [e.grade_id for e in exercises_of(assignment)]


def extract(validated: Validated, context=None) -> Extracted:
    """``Extracted``: grade_id -> the exercise's cell and the program that runs it, with the problems met."""
    submission = validated.submission
    if validated.error is not None:
        return Extracted(submission, error=validated.error)
    nb = validated.nb
    cells = code_cells(nb)
    by_id = {}
    for cell in cells:
        by_id.setdefault(cell.grade_id, []).append(cell)
    sources, programs, problems = {}, {}, []
    for e in exercises_of(submission.assignment):
        cell, problem = _find(e, by_id.get(e.grade_id, []), cells)
        if cell is not None:
            _, magic = without_magics(cell_source(nb["cells"][cell.index]))
            problem = problem or (magic and f"{e.grade_id}: {magic}")
            prog = program(cells, cell)
            sources[e.grade_id] = cell.source
            programs[e.grade_id] = prog.parts
            problem = problem or _unresolved(e, prog.unresolved)
        if problem:
            problems.append(problem)
    answers = written_answers(nb)
    if not sources:
        ids = ", ".join(exercise_ids(submission.assignment))
        return Extracted(submission, answers=answers, problems=tuple(problems), read=True, error=(
            f"None of the exercise cells of {submission.assignment} were found in this notebook "
            f"(looked for {ids}). Is it the right notebook? "
            f"Submit your {submission.assignment}.ipynb, with its exercise cells as released."))
    return Extracted(submission, cells=sources, programs=programs, answers=answers, problems=tuple(problems),
                     read=True)


def written_answers(nb):
    """((grade_id, text), ...) of the markdown answer cells (answer_*), "" for one still unanswered."""
    answers = []
    for cell in nb.get("cells", []):
        grade_id = grade_id_of(cell)
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown" and str(grade_id).startswith("answer_"):
            text = cell_source(cell).strip()
            answers.append((grade_id, "" if text == UNANSWERED else text))
    return tuple(answers)


def _unresolved(e, unresolved):
    if not unresolved:
        return None
    name, where = next(iter(sorted(unresolved.items())))
    return (f"{e.grade_id}: it uses {name}, but {where}, which is not run when this exercise is graded (only "
            f"functions, classes, imports and constants of other cells are). Define {name} in this cell.")


def _find(e, tagged, cells):
    """The Cell for exercise ``e`` and a problem message, or (None, message)."""
    pattern, thing, instead = _definition(e)
    grade_id = e.grade_id
    if tagged:
        cell = tagged[-1]
        if len(tagged) > 1:
            return cell, (f"{grade_id}: the notebook holds {len(tagged)} cells marked as the exercise cell "
                          f"of {grade_id} (a copied cell?); the last one was graded. Keep one.")
        if not pattern.search(cell.source):
            return cell, (f"{grade_id}: no {thing} found in its exercise cell{_defined_instead(cell.source, instead)}; "
                          f"keep the name the notebook gives.")
        return cell, None
    defining = [c for c in cells if pattern.search(c.source)]
    if defining:
        return defining[-1], (f"{grade_id}: its exercise cell was deleted or lost its nbgrader metadata; the cell "
                              f"that defines {thing} was graded instead. Next time, keep the exercise cell as "
                              "released (copy it back from the released notebook).")
    return None, (f"{grade_id}: no {thing} found: its exercise cell seems to be deleted. Copy the cell back from "
                  f"the released notebook, keep the name the notebook gives, and put your work in it.")


def _definition(e):
    """(regex finding the definition, how to name it, regex listing what was defined instead)."""
    name = re.escape(e.name)
    if e.kind == FUNCTION:
        return (re.compile(rf"^(async\s+)?def\s+{name}\s*\(", re.M), f"function {e.name}",
                re.compile(r"^(?:async\s+)?def\s+(\w+)\s*\(", re.M))
    return (re.compile(rf"^{name}\s*(:[^=\n]*)?=(?!=)", re.M), f"assignment {e.name} = ...",
            re.compile(r"^(\w+)\s*(?::[^=\n]*)?=(?!=)", re.M))


def _defined_instead(source, instead):
    names = [m.group(1) for m in instead.finditer(source)]
    return f" (it defines {', '.join(names)} instead)" if names else ""
