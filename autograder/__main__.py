"""``python -m autograder grade SUBMITTED --out OUT``: see autograder.cli."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
