"""The course's main job: the notes' circle experiment over several seeds, then a graded example class.

    make demo        (or: python scripts/demo.py --seeds 5 --epochs 200)

The example class (examples/cells.py: a correct student, a buggy one, a
half-finished one and one who tries to cheat) is written into released
notebooks under build/examples/submitted and graded by the autograder;
reports land in build/examples/graded.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

from course_lib.experiments import circles_experiment, fill_never, spread
from examples.classroom import write

ROOT = Path(__file__).resolve().parents[1]


def circle_table(seeds, epochs, threshold):
    print(f"Concentric circles, the notes' 2-3-2-1 network, SGD lr 0.01, batch 32, {len(seeds)} seeds.")
    print(f"Epochs until validation accuracy first reaches {threshold:.0%} ('-' = not within {epochs} epochs):\n")
    results = {}
    for batchnorm in (False, True):
        runs = circles_experiment(batchnorm, seeds=seeds, epochs=epochs, threshold=threshold)
        results[batchnorm] = [r.epochs_to_threshold for r in runs]
    print(f"{'seed':>6}  {'without BN':>10}  {'with BN':>8}")
    for i, seed in enumerate(seeds):
        cells = ["-" if results[b][i] is None else str(results[b][i]) for b in (False, True)]
        print(f"{seed:>6}  {cells[0]:>10}  {cells[1]:>8}")
    print()
    for batchnorm, label in ((False, "without BN"), (True, "with BN")):
        med, lo, hi, reached = spread(results[batchnorm], never=epochs + 1)
        bound = "" if reached == len(seeds) else f" (runs that never reached counted as {epochs + 1})"
        print(f"{label:>10}: median {med:g} epochs, range {lo:g}-{hi:g}, reached in {reached}/{len(seeds)} runs{bound}")
    plain, bn = (fill_never(results[b], never=epochs + 1) for b in (False, True))
    faster = sum(b < p for b, p in zip(bn, plain))
    print(f"\nBN was faster for {faster} of {len(seeds)} seeds. The notes report one run (about 80 epochs "
          f"without BN, about 20 with); here the runs without BN alone range from {min(plain)} to {max(plain)}.")
    return results


def grade_examples(out):
    """Build the example class and grade it with the autograder's command line; returns its exit status."""
    submitted, n = write()
    print(f"Grading an example class of 4 students x 6 notebooks ({submitted.relative_to(ROOT)}):")
    print("alice is right everywhere, bob makes the classic mistakes, carol stopped halfway, and mallory")
    print("tries to cheat (patches numpy, reads the reference, kills the grader, hangs it).\n", flush=True)
    cmd = [sys.executable, "-m", "autograder", "grade", str(submitted), "--out", str(out), "--workers", "2", "--quiet"]
    status = subprocess.run(cmd, cwd=ROOT).returncode
    print(f"\nEach student's results.json (Gradescope's format), feedback.md and feedback.html are in {out.relative_to(ROOT)}/<student>/"
          "<assignment>/;\nthe class's grades.csv, summary.md and summary.png beside them.")
    return status


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--threshold", type=float, default=0.6)
    parser.add_argument("--no-grading", action="store_true", help="skip grading the example class")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    circle_table(list(range(args.seeds)), args.epochs, args.threshold)
    status = 0
    if not args.no_grading:
        print()
        status = grade_examples(ROOT / "build" / "examples" / "graded")
    print(f"\n(done in {time.perf_counter() - start:.1f} s)")
    return status


if __name__ == "__main__":
    sys.exit(main())
