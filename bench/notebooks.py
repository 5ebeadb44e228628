"""Wall time of running all six solution notebooks, each in a fresh kernel.

    python bench/notebooks.py [--repeat 3]

Target: under 3 minutes for the whole course on a 2-core machine. Prints
the median over repeats per notebook, and the kernel start-up alone (a
notebook with one empty cell) measured in the same run, for scale.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from course_lib.exercises import ASSIGNMENTS

ROOT = Path(__file__).resolve().parents[1]

TARGET_S = 180.0


def run(nb, folder):
    start = time.perf_counter()
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    os.environ.pop("MPLBACKEND", None)   # figures drawn inline, as students see them
    times = {a: [] for a in ASSIGNMENTS}
    empty = []
    for _ in range(args.repeat):
        empty.append(run(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")]), ROOT))
        for a in ASSIGNMENTS:
            folder = ROOT / "solutions" / a
            times[a].append(run(nbformat.read(folder / f"{a}.ipynb", as_version=4), folder))
    print(f"Solution notebooks, fresh kernel each, median of {args.repeat} run(s):")
    total = 0.0
    for a in ASSIGNMENTS:
        t = statistics.median(times[a])
        total += t
        print(f"  {a:<26} {t:6.1f} s")
    kernel = statistics.median(empty)
    print(f"  {'all six':<26} {total:6.1f} s   = {total / TARGET_S:.2f} x the 3-minute target")
    print(f"  (a kernel start and stop alone: {kernel:.1f} s, so {6 * kernel:.1f} s of the total is start-up)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
