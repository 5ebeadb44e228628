"""Wall time of running the solution notebooks, each in a fresh kernel.

    python bench/notebooks.py [--repeat 3] [--only 06_experiments ...] [--cells 5]

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
from datetime import datetime
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


def cell_times(nb):
    """(seconds, cell index, first line) of each code cell of an executed notebook, from nbclient's timing."""
    out = []
    for i, cell in enumerate(nb.cells):
        timing = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type == "code" and "shell.execute_reply" in timing and "iopub.execute_input" in timing:
            seconds = (datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
                       - datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))).total_seconds()
            first = next((line for line in cell.source.splitlines() if line and not line.startswith("%")), "")
            out.append((seconds, i, first[:60]))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", nargs="+", choices=ASSIGNMENTS, default=list(ASSIGNMENTS),
                        help="time these notebooks only")
    parser.add_argument("--cells", type=int, default=0, metavar="N",
                        help="also print each notebook's N slowest code cells (from the last run)")
    args = parser.parse_args(argv)
    os.environ.pop("MPLBACKEND", None)   # figures drawn inline, as students see them
    times = {a: [] for a in args.only}
    empty, cells = [], {}
    for _ in range(args.repeat):
        empty.append(run(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")]), ROOT))
        for a in args.only:
            folder = ROOT / "solutions" / a
            nb = nbformat.read(folder / f"{a}.ipynb", as_version=4)
            times[a].append(run(nb, folder))
            cells[a] = cell_times(nb)
    print(f"Solution notebooks, fresh kernel each, median of {args.repeat} run(s):")
    total = 0.0
    for a in args.only:
        t = statistics.median(times[a])
        total += t
        print(f"  {a:<26} {t:6.1f} s   = {t / NOTEBOOK_TARGET_S:.2f} x its {NOTEBOOK_TARGET_S:.0f} s budget"
              f"   (runs: {', '.join(f'{x:.1f}' for x in times[a])})")
    if args.cells:
        for a in args.only:
            print(f"\n{a}: its {args.cells} slowest code cells (last run)")
            for seconds, i, first in sorted(cells[a], reverse=True)[:args.cells]:
                print(f"  cell {i:>3} {seconds:6.1f} s   {first}")
        print()
    kernel = statistics.median(empty)
    n = len(args.only)
    print(f"  {'all ' + str(n):<26} {total:6.1f} s   = {total / TARGET_S:.2f} x the {TARGET_S:.0f} s budget"
          + ("" if n == len(ASSIGNMENTS) else " of the whole course"))
    print(f"  (a kernel start and stop alone, the empty notebook: {kernel:.1f} s, so {n * kernel:.1f} s of the "
          "total is start-up)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
