"""Stage 2: the student's exercise cells, found by their nbgrader grade_id.

Only exercise cells are taken. Each is self-contained (it holds its own
imports), so no other cell a student wrote is ever run. Cell order does not
matter. Whatever had to be guessed is noted in ``problems``, one message per
affected exercise, for the student's feedback.
"""

import re

from course_lib.exercises import exercises_of

from ..records import Extracted, Validated

__all__ = ["extract", "BY_HAND_STEPS", "exercise_ids", "grade_id_of", "cell_source"]

# Notebook 03's hand-entered arrays: grade_id by_hand_<step> assigns <step>_by_hand.
# The steps of course_lib.checks.by_hand.STEPS (not imported: it pulls in numpy and the checks).
BY_HAND_STEPS = ("z", "mu", "var", "z_hat", "y", "a")
BY_HAND_ASSIGNMENT = "03_cgpa_iq_walkthrough"


def exercise_ids(assignment):
    """The grade_ids of the cells graded in ``assignment``, in notebook order of the contract."""
    ids = [e.name for e in exercises_of(assignment)]
    if assignment == BY_HAND_ASSIGNMENT:
        ids = [f"by_hand_{step}" for step in BY_HAND_STEPS] + ids
    return ids


def extract(validated: Validated) -> Extracted:
    """``Extracted.cells``: grade_id -> source of that exercise's cell, with the problems met."""
    submission = validated.submission
    if validated.error is not None:
        return Extracted(submission, error=validated.error)
    code_cells = [cell_source(c) for c in validated.nb["cells"] if c.get("cell_type") == "code"]
    by_id = {}
    for cell in validated.nb["cells"]:
        if cell.get("cell_type") == "code":
            by_id.setdefault(grade_id_of(cell), []).append(cell_source(cell))
    cells, problems = {}, []
    for grade_id in exercise_ids(submission.assignment):
        source, problem = _find(grade_id, by_id.get(grade_id, []), code_cells)
        if source is not None:
            source, magic = _without_magics(source)
            problem = problem or (magic and f"{grade_id}: {magic}")
            cells[grade_id] = source
        if problem:
            problems.append(problem)
    if not cells:
        return Extracted(submission, problems=tuple(problems), error=(
            f"None of the exercise cells of {submission.assignment} were found in this notebook "
            f"(looked for {', '.join(exercise_ids(submission.assignment))}). Is it the right notebook? "
            f"Submit your {submission.assignment}.ipynb, with its exercise cells as released."))
    return Extracted(submission, cells=cells, problems=tuple(problems))


def _find(grade_id, tagged, code_cells):
    """The source for ``grade_id`` and a problem message, or (None, message)."""
    pattern, thing, instead = _definition(grade_id)
    if tagged:
        source = tagged[-1]
        if len(tagged) > 1:
            return source, (f"{grade_id}: the notebook holds {len(tagged)} cells marked as the exercise cell "
                            f"of {grade_id} (a copied cell?); the last one was graded. Keep one.")
        if not pattern.search(source):
            return source, (f"{grade_id}: no {thing} found in its exercise cell{_defined_instead(source, instead)}; "
                            f"keep the name the notebook gives.")
        return source, None
    defining = [s for s in code_cells if pattern.search(s)]
    if defining:
        return defining[-1], (f"{grade_id}: its exercise cell was deleted or lost its nbgrader metadata; the cell "
                              f"that defines {thing} was graded instead. Next time, keep the exercise cell as "
                              "released (copy it back from the released notebook).")
    return None, (f"{grade_id}: no {thing} found: its exercise cell seems to be deleted. Copy the cell back from "
                  f"the released notebook, keep the name the notebook gives, and put your work in it.")


def _definition(grade_id):
    """(regex finding the definition, how to name it, regex listing what was defined instead)."""
    if grade_id.startswith("by_hand_"):
        name = grade_id.removeprefix("by_hand_") + "_by_hand"
        return (re.compile(rf"^{re.escape(name)}\s*(:[^=\n]*)?=(?!=)", re.M), f"assignment {name} = ...",
                re.compile(r"^(\w+_by_hand)\s*(?::[^=\n]*)?=(?!=)", re.M))
    return (re.compile(rf"^(async\s+)?def\s+{re.escape(grade_id)}\s*\(", re.M), f"function {grade_id}",
            re.compile(r"^(?:async\s+)?def\s+(\w+)\s*\(", re.M))


def _defined_instead(source, instead):
    names = [m.group(1) for m in instead.finditer(source)]
    return f" (it defines {', '.join(names)} instead)" if names else ""


def grade_id_of(cell):
    """A cell's nbgrader grade_id, or None (tolerant of any metadata a notebook may hold)."""
    meta = cell.get("metadata")
    nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None


def cell_source(cell):
    """A cell's source as one string, whether stored as a string or a list of lines."""
    source = cell.get("source", "")
    return "".join(map(str, source)) if isinstance(source, list) else str(source)


_MAGIC = re.compile(r"^[ \t]*[%!]")


def _without_magics(source):
    """Comment out IPython-only lines (%magic, !shell) when they are what stops the cell compiling.

    The grader runs plain Python. A cell that compiles is left exactly as written.
    """
    if _compiles(source):
        return source, None
    lines = source.splitlines(keepends=True)
    magic = [i for i, line in enumerate(lines) if _MAGIC.match(line)]
    if not magic:
        return source, None
    for i in magic:
        lines[i] = "# (ignored by the grader) " + lines[i].lstrip()
    cleaned = "".join(lines)
    if not _compiles(cleaned):
        return source, None
    shown = lines[magic[0]].removeprefix("# (ignored by the grader) ").strip()
    return cleaned, (f"line {magic[0] + 1} of an exercise cell ({shown!r}) is IPython syntax, not Python; the "
                     "grader ignored it. Keep exercise cells to plain Python.")


def _compiles(source):
    try:
        compile(source, "<cell>", "exec")   # compiling runs nothing
        return True
    except (SyntaxError, ValueError):
        return False
