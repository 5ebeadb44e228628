"""How fast a student's self-check answers: `python -m autograder check NOTEBOOK`, per notebook.

    python bench/check_speed.py [--rounds 5] [--only 02_bn_equations ...]

Target (the speed issue): within 1.0 s of wall time for any one notebook,
measured against its own import floor, `python -c "import numpy"`, timed in
the same rounds. Each round runs the floor and then every notebook's check
once, each in a fresh process as a student's command is; medians of the
rounds are reported. The notebooks are the solution notebooks, whose every
check runs (and passes), so nothing is skipped early.
"""

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

from _timing import interleaved

from course_lib.exercises import ASSIGNMENTS

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 1.0


def command(*args):
    def run():
        done = subprocess.run([sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
        if done.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(args)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", nargs="+", choices=ASSIGNMENTS, default=list(ASSIGNMENTS))
    args = parser.parse_args(argv)
    fns = {"floor": command("-c", "import numpy")}
    for a in args.only:
        fns[a] = command("-m", "autograder", "check", str(Path("solutions") / a / f"{a}.ipynb"))
    times = {name: statistics.median(t) for name, t in interleaved(fns, args.rounds, warmup=1).items()}
    floor = times.pop("floor")
    print(f"`python -m autograder check NOTEBOOK`, median of {args.rounds} interleaved rounds")
    print(f"  import floor, python -c 'import numpy': {floor:5.2f} s")
    worst = max(times.values())
    for a, t in times.items():
        print(f"  {a:<26} {t:5.2f} s = {t / TARGET_S:4.2f} x the {TARGET_S:g} s target   "
              f"({t - floor:+5.2f} s over the floor, {t / floor:4.1f} x it)")
    print(f"  slowest: {worst:5.2f} s   target <= {TARGET_S:g} s   {'met' if worst <= TARGET_S else 'NOT MET'}")


if __name__ == "__main__":
    main()
