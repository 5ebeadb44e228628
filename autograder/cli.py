"""The command line: ``python -m autograder grade SUBMITTED --out OUT``.

Arguments, output and exit codes only; the grading is autograder.pipeline's.

Exit status: 0 when every submission was graded, 1 when any could not be
(an unreadable or missing notebook, or a grader error; the others are graded
all the same), 2 for a usage error.
"""

import argparse
import sys
from pathlib import Path

from course_lib.exercises import ASSIGNMENTS

from . import pipeline
from .discover import DiscoveryError, discover
from .reports.results import fmt

__all__ = ["main", "class_table"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _parser():
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    grade = commands.add_parser(
        "grade", help="grade submitted notebooks and write the reports",
        description="Grade SUBMITTED (laid out like nbgrader's submitted/: SUBMITTED/<student>/<assignment>/"
                    "<notebook>.ipynb, or one notebook file) and write OUT/<student>/<assignment>/results.json "
                    "and feedback.md, OUT/grades.csv, OUT/summary.md and OUT/summary.png. A re-run skips the "
                    "notebooks whose reports are up to date.",
        epilog="exit status: 0 all graded, 1 some submission could not be graded, 2 usage error")
    grade.add_argument("submitted", type=Path, metavar="SUBMITTED", help="the submitted/ folder, or one .ipynb")
    grade.add_argument("--out", type=Path, required=True, metavar="OUT", help="where the reports go")
    grade.add_argument("--workers", type=int, default=None, metavar="N",
                       help="worker processes, one student at a time each (default: one per CPU; "
                            "0 grades in this process)")
    grade.add_argument("--assignment", nargs="+", action="extend", metavar="ID",
                       help="grade only these assignments; a student without one gets a 'missing notebook' result")
    grade.add_argument("--quiet", action="store_true", help="no progress bar and no summary line")
    return parser, grade


def main(argv=None, *, run_stage=None):
    """Run the command line; returns the exit status. run_stage: a stand-in for tests."""
    parser, grade = _parser()
    try:
        args = parser.parse_args(argv)
        return _grade(grade, args, run_stage)
    except SystemExit as stop:   # argparse's usage errors and --help
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    except KeyboardInterrupt:
        print("\ninterrupted; the reports written so far are complete: run the same command again to "
              "grade the rest", file=sys.stderr)
        return 130


def _grade(grade, args, run_stage):
    if args.assignment:
        unknown = [a for a in args.assignment if a not in ASSIGNMENTS]
        if unknown:
            grade.error(f"unknown assignment {', '.join(unknown)}; the assignments are: {', '.join(ASSIGNMENTS)}")
    if args.workers is not None and args.workers < 0:
        grade.error("--workers must be 0 or more")
    if not args.submitted.exists():
        grade.error(f"SUBMITTED {args.submitted} does not exist")
    try:
        submissions = discover(args.submitted, args.assignment)
    except DiscoveryError as err:
        grade.error(str(err))
    if not submissions:
        grade.error(f"no submissions found in {args.submitted} (expected "
                    f"{args.submitted}/<student>/<assignment>/<notebook>.ipynb)")

    from tqdm import tqdm

    with tqdm(total=len(submissions), unit="notebook", desc="grading", file=sys.stderr,
              disable=args.quiet or not sys.stderr.isatty()) as bar:
        graded = pipeline.grade_all(submissions, args.out, args.workers, bar.update, run_stage=run_stage)

    print(class_table(graded))
    failed = [g for g in graded if g.error is not None]
    if not args.quiet:
        resumed = sum(g.resumed for g in graded)
        print(f"{len(graded)} notebooks: {len(graded) - resumed} graded, {resumed} up to date; "
              f"{len(failed)} could not be graded. Reports in {args.out}/ (grades.csv, summary.md).",
              file=sys.stderr)
    for g in failed:
        print(f"not graded: {g.submission.student}/{g.submission.assignment}: {_first_line(g.error)}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


def class_table(graded):
    """A plain-text table: a row per student, a column per assignment, and the total."""
    assignments = [a for a in ASSIGNMENTS if any(g.submission.assignment == a for g in graded)]
    short = {a: a.split("_")[0] for a in assignments}
    if len(set(short.values())) < len(short):
        short = {a: a for a in assignments}
    rows, out_of = {}, {a: 0.0 for a in assignments}
    for g in graded:
        a = g.submission.assignment
        if a not in out_of:
            continue
        cell = "error" if g.error is not None else fmt(g.score)
        rows.setdefault(g.submission.student, {})[a] = (cell, pipeline.graded_score(g))
        out_of[a] = max(out_of[a], g.max_score)
    header = ["student", *(short[a] for a in assignments), "total"]
    body = [[student, *(row.get(a, ("-", 0.0))[0] for a in assignments), fmt(sum(s for _, s in row.values()))]
            for student, row in sorted(rows.items())]
    body.append(["(out of)", *(fmt(out_of[a]) for a in assignments), fmt(sum(out_of.values()))])
    widths = [max(len(str(r[i])) for r in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in [header, *body]]
    return "\n".join(lines)


def _first_line(text, limit=160):
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[:limit - 1] + "…"
