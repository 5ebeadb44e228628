"""The class summary: OUT/summary.md and OUT/summary.png, from every results.json under OUT.

summary.md: the distribution of total scores as a table, mean and median per
assignment, and each test's pass rate, lowest first (the tests most students
fail are the ones to teach again). summary.png: a histogram of total scores
and a bar chart of the SHOWN_TESTS lowest pass rates (a course has over a hundred tests, and
drawing every name took seconds of every class run). Notebooks that could not be graded count in
the scores (as 0) and in the error column, not in the pass rates: they say
nothing about any one test.
"""

import io
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import atomic_write_bytes, atomic_write_text
from .feedback import md_text
from .grades import class_scores
from .limits import NAME_CHARS, cut
from .results import NO_ISOLATION, fmt, iter_results

__all__ = ["ClassStats", "class_stats", "summary_md", "summary_png", "write_summary"]

BINS = 10
SHOWN_TESTS = 30   # the tests summary.png shows, lowest pass rate first; summary.md lists every one


@dataclass(frozen=True)
class ClassStats:
    """What the summary shows, gathered in one pass over the reports.

    totals: student -> total score. assignments: id -> (scores, errors, max points).
    tests: (assignment, test name) -> (passed, graded).
    """

    totals: dict
    max_total: float
    assignments: dict
    tests: dict = field(default_factory=dict)
    unconfined: int = 0   # notebooks graded with --isolation none


def class_stats(out) -> ClassStats:
    order, scores = class_scores(out)
    per_assignment = {a: ([], 0, 0.0) for a in order}
    tests, unconfined = {}, 0
    for _, assignment, doc in iter_results(out):
        got, errors, top = per_assignment[assignment]
        extra = doc.get("extra_data") or {}
        unconfined += extra.get("isolation") == "none"
        failed = extra.get("error") is not None
        per_assignment[assignment] = (got + [float(doc.get("score", 0.0))], errors + failed,
                                      max(top, float(extra.get("max_score") or 0.0)))
        if failed:
            continue
        for t in doc.get("tests", []):
            passed, graded = tests.get((assignment, t.get("name", "")), (0, 0))
            tests[(assignment, t.get("name", ""))] = (passed + (t.get("status") == "passed"), graded + 1)
    totals = {student: sum(row.values()) for student, row in scores.items()}
    max_total = sum(top for _, _, top in per_assignment.values())
    return ClassStats(totals, max_total, per_assignment, tests, unconfined)


def pass_rates(stats):
    """[(rate, assignment, test name, passed, graded)], lowest rate first."""
    rows = [(passed / graded, a, name, passed, graded) for (a, name), (passed, graded) in stats.tests.items()]
    return sorted(rows, key=lambda r: (r[0], r[1], r[2]))


def histogram(values, top, bins=BINS):
    """[(low, high, count)] over [0, top] in equal bins; the last bin includes ``top``."""
    top = max(top, max(values, default=0.0), 1e-9)
    width = top / bins
    counts = [0] * bins
    for v in values:
        counts[min(int(max(v, 0.0) / width), bins - 1)] += 1
    return [(i * width, (i + 1) * width, c) for i, c in enumerate(counts)]


def summary_md(stats: ClassStats) -> str:
    totals = list(stats.totals.values())
    lines = ["# Class summary", "",
             f"{len(totals)} students, {sum(len(s) for s, _, _ in stats.assignments.values())} graded notebooks, "
             f"{sum(e for _, e, _ in stats.assignments.values())} that could not be graded.", ""]
    if stats.unconfined:
        lines += [f"**{stats.unconfined} notebooks were graded without OS isolation (--isolation none).** "
                  f"{NO_ISOLATION}", ""]
    lines += ["## Total scores", "", f"Out of {fmt(stats.max_total)}.", "",
              "| total score | students | |", "|---|---:|---|"]
    for low, high, count in histogram(totals, stats.max_total):
        lines.append(f"| {fmt(round(low, 2))}–{fmt(round(high, 2))} | {count} | {'█' * count} |")
    lines += ["", "## Per assignment", "",
              "| assignment | notebooks | could not be graded | mean | median | out of |",
              "|---|---:|---:|---:|---:|---:|"]
    for assignment, (scores, errors, top) in stats.assignments.items():
        mean = fmt(round(statistics.fmean(scores), 2)) if scores else ""
        median = fmt(round(statistics.median(scores), 2)) if scores else ""
        lines.append(f"| {_cell(assignment)} | {len(scores)} | {errors} | {mean} | {median} | {fmt(top)} |")
    lines += ["", "## Pass rate of each test, lowest first", "",
              "| pass rate | passed | assignment | test |", "|---:|---:|---|---|"]
    for rate, assignment, name, passed, graded in pass_rates(stats):
        lines.append(f"| {rate:.0%} | {passed}/{graded} | {_cell(assignment)} | {_cell(name)} |")
    return "\n".join(lines) + "\n"


def _cell(text):
    """A folder or test name as a table cell: cut, and escaped so that it stays one cell of plain text."""
    return md_text(cut(text, NAME_CHARS))


def summary_png(stats: ClassStats) -> bytes:
    """The figure as PNG bytes (matplotlib's Agg canvas: no display, no pyplot state).

    The axes are placed by hand, from the width of the longest test name measured once: a layout engine
    measures every tick label and draws the figure twice.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    every = pass_rates(stats)
    rates = every[:SHOWN_TESTS]
    labels = [f"{a[:2]} {name}" for _, a, name, _, _ in rates]
    fig = Figure(dpi=100)
    canvas = FigureCanvasAgg(fig)
    longest = max(labels, key=len, default="")
    label_in = Text(text=longest, fontsize=7, figure=fig).get_window_extent(canvas.get_renderer()).width / fig.dpi
    # inches, left to right: margin, histogram, gap, test names, pass-rate bars, margin
    margin, hist_in, gap, bars_in = 0.7, 4.0, 0.5, 3.5
    width, height = margin + hist_in + gap + label_in + bars_in + 0.3, max(4.0, 0.22 * len(rates) + 1.5)
    fig.set_size_inches(width, height)
    top, bottom = 1 - 0.6 / height, 0.6 / height   # room for the titles, and for the x labels
    left = fig.add_axes((margin / width, bottom, hist_in / width, top - bottom))
    right = fig.add_axes(((width - 0.3 - bars_in) / width, bottom, bars_in / width, top - bottom))
    bins = histogram(list(stats.totals.values()), stats.max_total)
    left.bar([low for low, _, _ in bins], [c for _, _, c in bins], width=bins[0][1] - bins[0][0], align="edge",
             color="#4c72b0", edgecolor="white")
    left.set(title="Total scores", xlabel=f"total score (out of {fmt(stats.max_total)})", ylabel="students")
    left.yaxis.get_major_locator().set_params(integer=True)
    right.barh(range(len(rates)), [100 * r for r, *_ in rates], color="#dd8452")
    right.set_yticks(range(len(rates)), labels, fontsize=7)
    right.set_ylim(max(len(rates), 1) - 0.5, -0.5)   # lowest pass rate on top, as in summary.md
    shown = "each test" if len(rates) == len(every) else f"the {len(rates)} of {len(every)} tests passed least"
    right.set(title=f"Pass rate of {shown}\n(graded notebooks; every test in summary.md)",
              xlabel="students passing (%)", xlim=(0, 100))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def write_summary(out):
    """Write ``out/summary.md`` and ``out/summary.png`` atomically; returns both paths."""
    stats = class_stats(out)
    md, png = Path(out) / "summary.md", Path(out) / "summary.png"
    atomic_write_text(md, summary_md(stats))
    atomic_write_bytes(png, summary_png(stats))
    return md, png
