"""Gradescope autograders: a zip per assignment, and what runs inside it.

    python -m autograder gradescope ASSIGNMENT [ASSIGNMENT ...] --out DIR
    python -m autograder gradescope --all --out DIR

writes ``DIR/<assignment>.zip`` (``build``). Gradescope unpacks it into
``/autograder/source``, runs ``setup.sh`` once as root when it builds the image,
and runs ``run_autograder`` for every submission; that script hands over to
``run``, which grades the notebook with ``python -m autograder grade`` and
writes ``/autograder/results/results.json`` whatever happens. The student's
code runs as the unprivileged user that setup.sh creates.

Only the standard library is imported here and in ``run``: they must work
even where the grader's packages do not.
"""

import argparse
import sys
from pathlib import Path

__all__ = ["main"]

EXIT_OK, EXIT_USAGE = 0, 2


def main(argv=None, *, prog="python -m autograder gradescope") -> int:
    """``python -m autograder gradescope ...``; returns the exit status (2 for a usage error)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Build a Gradescope autograder zip per assignment: DIR/<assignment>.zip, the same bytes "
                    "for the same sources. Upload it as the assignment's autograder (Ubuntu 24.04 base image).")
    parser.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="the assignments to build")
    parser.add_argument("--all", action="store_true", help="build every assignment")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="where the zips go")
    try:
        args = parser.parse_args(argv)
        return _build(parser, args)
    except SystemExit as stop:   # argparse's usage errors and --help
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE


def _build(parser, args):
    from course_lib.exercises import ASSIGNMENTS

    from .build import build_zip, requirements

    if args.all == bool(args.assignments):
        parser.error("give the assignments to build, or --all")
    unknown = [a for a in args.assignments if a not in ASSIGNMENTS]
    if unknown:
        parser.error(f"unknown assignment {', '.join(unknown)}; the assignments are: {', '.join(ASSIGNMENTS)}")
    wanted = list(ASSIGNMENTS) if args.all else list(dict.fromkeys(args.assignments))
    pinned = requirements()
    for assignment in wanted:
        path = build_zip(assignment, args.out, requirements_txt=pinned)
        print(f"{path} ({path.stat().st_size // 1024} KiB)")
    print(f"{len(wanted)} autograder zips in {args.out}/: upload each to its Gradescope assignment "
          "(Configure Autograder, Ubuntu 24.04 base image).", file=sys.stderr)
    return EXIT_OK
