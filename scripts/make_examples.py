"""Write the example class the main job grades: <into>/<student>/<assignment>/<assignment>.ipynb.

    python scripts/make_examples.py [--into build/examples/submitted]

Each student's notebooks are the released ones with their exercise cells
filled from examples/cells.py (see examples/classroom.py).
"""

import argparse

from examples.classroom import SUBMITTED, write


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--into", default=str(SUBMITTED))
    into, n = write(parser.parse_args(argv).into)
    print(f"wrote {n} notebooks under {into}")


if __name__ == "__main__":
    main()
