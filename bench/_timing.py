"""Interleaved timing: peers are measured in alternation within one run, so
a noisy machine slows both alike, and medians are reported."""

import statistics
import time

__all__ = ["interleaved", "median_ms"]


def interleaved(fns, rounds, warmup=2):
    """Time each callable in ``fns`` (name -> fn) ``rounds`` times, alternating.

    Returns name -> list of seconds.
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def median_ms(seconds):
    return 1e3 * statistics.median(seconds)
