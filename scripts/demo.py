"""The course's main job: reproduce the notes' circle experiment over several seeds.

    make demo        (or: python scripts/demo.py --seeds 5 --epochs 200)
"""

import argparse
import sys
import time

from course_lib.experiments import circles_experiment, fill_never, spread


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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--threshold", type=float, default=0.6)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    circle_table(list(range(args.seeds)), args.epochs, args.threshold)
    print(f"\n(done in {time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
