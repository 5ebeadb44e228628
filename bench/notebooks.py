"""Wall time of running the solution notebooks, each in a fresh kernel.

    python bench/notebooks.py [--repeat 3] [--only 06_experiments ...]

Budget (the speed issue): the whole course within 90 s on a 2-core machine,
no notebook over 30 s. Prints the median over repeats per notebook as a
fraction of its budget, and the kernel start-up alone (a notebook with one
empty cell) measured in the same rounds, for scale: on a shared machine it
shows how loaded the machine was.
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

TARGET_S = 90.0           # all notebooks together
NOTEBOOK_TARGET_S = 30.0  # any one of them


def run(nb, folder):
    start = time.perf_counter()
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", nargs="+", choices=ASSIGNMENTS, default=list(ASSIGNMENTS),
                        help="time these notebooks only")
    args = parser.parse_args(argv)
    os.environ.pop("MPLBACKEND", None)   # figures drawn inline, as students see them
    times = {a: [] for a in args.only}
    empty = []
    for _ in range(args.repeat):
        empty.append(run(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")]), ROOT))
        for a in args.only:
            folder = ROOT / "solutions" / a
            times[a].append(run(nbformat.read(folder / f"{a}.ipynb", as_version=4), folder))
    print(f"Solution notebooks, fresh kernel each, median of {args.repeat} run(s):")
    total = 0.0
    for a in args.only:
        t = statistics.median(times[a])
        total += t
        print(f"  {a:<26} {t:6.1f} s   = {t / NOTEBOOK_TARGET_S:.2f} x its {NOTEBOOK_TARGET_S:.0f} s budget"
              f"   (runs: {', '.join(f'{x:.1f}' for x in times[a])})")
    kernel = statistics.median(empty)
    n = len(args.only)
    print(f"  {'all ' + str(n):<26} {total:6.1f} s   = {total / TARGET_S:.2f} x the {TARGET_S:.0f} s budget"
          + ("" if n == len(ASSIGNMENTS) else " of the whole course"))
    print(f"  (a kernel start and stop alone, the empty notebook: {kernel:.1f} s, so {n * kernel:.1f} s of the "
          "total is start-up)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
