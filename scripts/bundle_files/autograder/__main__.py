"""``python -m autograder check NOTEBOOK ...``, the one command of the student bundle."""

import sys

USAGE = "usage: python -m autograder check NOTEBOOK [NOTEBOOK ...]"
EXIT_USAGE = 2


def main(argv=None):
    """Run ``check`` with course_lib.selfcheck; any other command is a usage error. Returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["check"]:
        try:
            from course_lib.selfcheck import main as check
        except ModuleNotFoundError as err:
            if err.name != "course_lib.selfcheck":
                raise
            print("this copy of the course has no self-check (course_lib/selfcheck.py); "
                  "run the check cell after each exercise instead", file=sys.stderr)
            return EXIT_USAGE
        return check(argv[1:])
    if argv[:1] in (["-h"], ["--help"]):
        print(f"{USAGE}\n\ncheck your notebook with the public checks, exercise by exercise")
        return 0
    said = f"`{argv[0]}` is not available here" if argv else "no command given"
    print(f"{said}: only `check` is available in the student bundle.\n{USAGE}", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
