"""The command line: ``python -m autograder COMMAND``.

    grade SUBMITTED --out OUT    grade a class (autograder.pipeline)
    gradescope ASSIGNMENT ...    build Gradescope autograder zips (autograder.gradescope)
    check NOTEBOOK ...           a student's self-check with the public checks (course_lib.selfcheck)

Arguments, output and exit codes only; the work is done in the modules named,
each imported only by the command that needs it: ``check`` answers a student
in well under a second, without the grader's imports.

Exit status: 0 when every submission was graded, 1 when any could not be
(an unreadable or missing notebook, or a grader error; the others are graded
all the same), 2 for a usage error.
"""

import argparse
import sys
from pathlib import Path

from course_lib.exercises import ASSIGNMENTS

__all__ = ["main", "class_table"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
NOTICES = "not_graded.txt"   # what was found but not graded, and why (the instructor's list)


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
    grade.add_argument("--config", type=Path, default=None, metavar="FILE",
                       help="the course's nbgrader_config.py, for due dates and the late penalty "
                            "(c.LatePenalty; default: ./nbgrader_config.py when there is one)")
    grade.add_argument("--gradebook", nargs="?", const=Path("."), type=Path, default=None, metavar="COURSE",
                       help="also write the grades into nbgrader's gradebook.db of the course folder COURSE "
                            "(default: .), with autograded/ for formgrader and feedback/ for release_feedback")
    grade.add_argument("--isolation", choices=("auto", "namespaces", "seccomp", "none"), default=None,
                       help="how student code is confined (default: $AUTOGRADER_ISOLATION, else auto: the strongest "
                            "this machine allows, printed once; 'none' grades without an OS boundary and every "
                            "report says so)")
    grade.add_argument("--quiet", action="store_true", help="no progress bar and no summary line")
    grade.add_argument("--no-summary", dest="summary", action="store_false",
                       help="no OUT/summary.md and OUT/summary.png: one student's container has no class to sum up "
                            "(Gradescope's), and drawing the figure costs a second")
    for name, (_, summary) in DELEGATED.items():
        commands.add_parser(name, help=summary, add_help=False)
    return parser, grade


# Commands with their own parsers, in their own modules: imported only when used.
DELEGATED = {
    "gradescope": ("autograder.gradescope", "build a Gradescope autograder zip per assignment"),
    "check": ("course_lib.selfcheck", "check notebooks with the public checks, as a student does before submitting"),
}


def main(argv=None, *, run_stage=None):
    """Run the command line; returns the exit status. run_stage: a stand-in for tests."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in DELEGATED:
        import importlib

        # each usage message names the command as it was typed
        return importlib.import_module(DELEGATED[argv[0]][0]).main(argv[1:], prog=f"python -m autograder {argv[0]}")
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
    from . import pipeline
    from .atomic import atomic_write_text
    from .discover import DiscoveryError, find
    from .late import PolicyError, default_config, load_policy

    if args.assignment:
        unknown = [a for a in args.assignment if a not in ASSIGNMENTS]
        if unknown:
            grade.error(f"unknown assignment {', '.join(unknown)}; the assignments are: {', '.join(ASSIGNMENTS)}")
    if args.workers is not None and args.workers < 0:
        grade.error("--workers must be 0 or more")
    if not args.submitted.exists():
        grade.error(f"SUBMITTED {args.submitted} does not exist")
    config = args.config if args.config is not None else default_config()
    if args.config is not None and not config.is_file():
        grade.error(f"--config {config} does not exist")
    try:
        policy = load_policy(config)
    except PolicyError as err:
        grade.error(str(err))
    if args.gradebook is not None and not (args.gradebook / "nbgrader_config.py").is_file():
        grade.error(f"--gradebook {args.gradebook}: no nbgrader_config.py there; give the course folder")
    try:
        found = find(args.submitted, args.assignment)
    except DiscoveryError as err:
        grade.error(str(err))
    for notice in found.notices:
        print(f"not graded: {notice}", file=sys.stderr)
    if found.notices:
        args.out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.out / NOTICES, "".join(f"{n}\n" for n in found.notices))
    submissions = found.submissions
    if args.gradebook is not None:
        submissions = _with_roster(submissions, args)
    if not submissions:
        grade.error(f"no submissions found in {args.submitted} (expected "
                    f"{args.submitted}/<student>/<assignment>/<notebook>.ipynb)")
    if policy.due and not args.quiet:
        print(f"{config}: {policy.describe()}", file=sys.stderr)
    if run_stage is None:
        _isolation(grade, args.isolation)

    from tqdm import tqdm

    with tqdm(total=len(submissions), unit="notebook", desc="grading", file=sys.stderr,
              disable=args.quiet or not sys.stderr.isatty()) as bar:
        graded = pipeline.grade_all(submissions, args.out, args.workers, bar.update, run_stage=run_stage,
                                    policy=policy, summary=args.summary)
    if args.gradebook is not None:
        from .gradebook import GradebookError, record

        try:
            record(graded, args.out, args.gradebook, policy, log=lambda m: print(m, file=sys.stderr))
        except GradebookError as err:
            print(f"the grades are in {args.out}/, but not in the gradebook: {err}", file=sys.stderr)
            return EXIT_FAILED

    print(class_table(graded))
    failed = [g for g in graded if g.error is not None]
    if not args.quiet:
        resumed = sum(g.resumed for g in graded)
        print(f"{len(graded)} notebooks: {len(graded) - resumed} graded, {resumed} up to date; "
              f"{len(failed)} could not be graded. Reports in {args.out}/ (grades.csv, summary.md).",
              file=sys.stderr)
    faults = {}
    for g in failed:
        if g.error.startswith(pipeline.FAULT):   # the grader's own failures: one line per cause
            faults.setdefault(g.error, []).append(f"{g.submission.student}/{g.submission.assignment}")
        else:
            print(f"not graded: {g.submission.student}/{g.submission.assignment}: {_first_line(g.error)}",
                  file=sys.stderr)
    for error, where in faults.items():
        shown = ", ".join(where[:5]) + (f" and {len(where) - 5} more" if len(where) > 5 else "")
        print(f"grader fault on {len(where)} notebook(s) ({shown}), not charged to the students and graded again by "
              f"the next run: {_first_line(error.removeprefix(pipeline.FAULT).strip(), 400)}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


def _isolation(grade, asked):
    """The isolation mode for this run, detected and printed once here; the workers inherit it through the
    environment."""
    import os

    from .sandbox import SandboxSetupError, isolation_mode
    from .sandbox.isolation import ENV, describe, works

    if asked is not None:
        os.environ[ENV] = asked
    try:
        mode = isolation_mode()
    except SandboxSetupError as err:
        grade.error(str(err))
    if not works(mode):
        grade.error(f"--isolation {mode}: that isolation does not work on this machine")
    os.environ[ENV] = mode
    print(f"isolation: {mode}: {describe(mode)}", file=sys.stderr)


def _with_roster(submissions, args):
    """A student of the gradebook's roster who submitted nothing gets a missing notebook (0), not a blank."""
    from .discover import notebook_in
    from .gradebook import roster
    from .records import Submission

    assignments = [a for a in ASSIGNMENTS if any(s.assignment == a for s in submissions)]
    have = {(s.student, s.assignment) for s in submissions}
    absent = [Submission(student, a, notebook_in(args.submitted / student / a, a))
              for student in roster(args.gradebook) for a in assignments if (student, a) not in have]
    return sorted(submissions + absent, key=lambda s: (s.student, ASSIGNMENTS.index(s.assignment)))


def class_table(graded):
    """A plain-text table: a row per student, a column per assignment, and the total."""
    from . import pipeline
    from .reports.results import fmt

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
