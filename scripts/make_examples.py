"""Write the example class the main job grades: <into>/<student>/<assignment>/<assignment>.ipynb.

    python scripts/make_examples.py [--into build/examples/submitted]

Each student's notebooks are the released ones with their exercise cells
filled from examples/cells.py, so the class is built fresh from what is
released instead of being stored twice.
"""

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))

from cells import STUDENTS  # noqa: E402

from course_lib.exercises import ASSIGNMENTS  # noqa: E402

SUBMITTED = ROOT / "build" / "examples" / "submitted"


def student_notebook(assignment, cells):
    """The released notebook of ``assignment`` with ``cells`` (grade_id -> source) filled in, as text."""
    nb = json.loads((ROOT / "notebooks" / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in cells:
            cell["source"] = cells[grade_id]
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def build():
    """{relative path: text} of the whole example class."""
    return {f"{student}/{a}/{a}.ipynb": student_notebook(a, cells)
            for student, cells in STUDENTS.items() for a in ASSIGNMENTS}


def write(into=SUBMITTED):
    into = Path(into)
    if into.exists():
        shutil.rmtree(into)
    files = build()
    for rel, text in files.items():
        path = into / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return into, len(files)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--into", default=str(SUBMITTED))
    into, n = write(parser.parse_args(argv).into)
    print(f"wrote {n} notebooks under {into}")


if __name__ == "__main__":
    main()
