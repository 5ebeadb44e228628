"""Numbers quoted in a notebook's prose, and the values the notebook computes for them.

Every number a markdown cell states as a result ("about 99% on red flowers", "a median of 0.64")
is declared in that cell's metadata, with the expression that computes it in the notebook's own
namespace at that point::

    "quotes": [{"text": "about 99%", "value": "accuracy['test, red only']"},
               {"text": "between 0.56 and 19.5", "value": "ratios", "tol": 0.0}]

- ``text`` occurs verbatim in the cell. Its number is compared with ``value``; a percentage is
  read as a fraction; two numbers joined by "–", " to " or " and " are a range, compared with the
  smallest and the largest of ``value``.
- The number must be ``value`` at the precision it is written with (0.64 covers [0.635, 0.645]),
  unless the text hedges ("about", "≈", "roughly", "nearly", "around", "~"): then within 10%, or
  within ``tol`` (relative) where given. ``"tol": "order"`` claims an order of magnitude: the
  value is within a factor of √10 of the number ("about $10^{-8}$").

Numbers that are not results (settings, definitions, given data: "lr = 0.1", "hue < 0.2") are
listed in ``"given": ["lr = 0.1", ...]``, again as text that occurs in the cell.

``lint`` finds every number in prose that is neither quoted nor given, so that nothing is
quoted without a check. ``instrument`` puts a code cell before each cell with quotes that prints
the computed values; ``compare`` reads them back from the executed notebook.

    python tests/quotes.py NOTEBOOK [...]          # the numbers not yet declared
    python tests/quotes.py --run NOTEBOOK [...]    # also execute, and compare every quote
"""

import json
import math
import re
import sys
from pathlib import Path

import nbformat

MARKER = "<<quoted values>>"
HEDGES = ("about", "≈", r"\approx", "roughly", "nearly", "around", "~", r"\sim", "almost")
HEDGE_TOL = 0.10

# A number as prose writes it: 1.5, 0.64, 10 000, 99%, 186×, 2\times10^{-4}, 1e-5, −3.
_NUMBER = re.compile(
    r"(?<![\w.])(?P<sign>[-−]?)(?P<mantissa>\d{1,3}(?:[  ]\d{3})+|\d+(?:\.\d+)?|\.\d+)"
    r"(?:\^\{?(?P<bare>[-−]?\d+)\}?|\s*(?:\\times|×|\\cdot)\s*10\^\{?(?P<pow>[-−]?\d+)\}?|[eE](?P<exp>[-−]?\d+))?"
    r"(?P<percent>\s*\\?%)?"
)
# What lint looks for: decimals, percentages, multiples (3×) and hedged integers ("about 4000").
_SUSPECT = re.compile(
    r"(?<![\w.{^_])(?:\d+(?:\.\d+)?\s?\\?%|\d+(?:\.\d+)?\s?×|\d*\.\d+|"
    r"(?:about|≈|\\approx|roughly|nearly|around|almost)\s+\$?\d[\d  ]*)"
)
_RANGE = re.compile(r"\s*(?:–|—|-|\bto\b|\band\b|\\text\{--\}|--)\s*")


class QuoteError(AssertionError):
    pass


def _float(match):
    mantissa = match["mantissa"].replace(" ", "").replace(" ", "")
    value = float(mantissa)
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    power = match["pow"] or match["exp"]
    scale = 10.0 ** int(power.replace("−", "-")) if power else 1.0
    if match["bare"]:                      # 10^{-8}: a power, written to no finer than itself
        value, decimals = value ** int(match["bare"].replace("−", "-")), 0
        return (-value if match["sign"] else value), 0.0
    if match["percent"]:
        scale /= 100.0
    sign = -1.0 if match["sign"] else 1.0
    return sign * value * scale, 0.5 * 10.0 ** -decimals * scale


def numbers(text):
    """The numbers of a quote's text, each as (value, half a unit of its last written digit)."""
    found = list(_NUMBER.finditer(text))
    if not found:
        raise QuoteError(f"no number in quote {text!r}")
    if len(found) > 2:
        raise QuoteError(f"quote {text!r} holds more than two numbers: quote them one by one")
    if len(found) == 2 and not _RANGE.fullmatch(text[found[0].end():found[1].start()]):
        raise QuoteError(f"quote {text!r}: two numbers are a range only when joined by '–', 'to' or 'and'")
    parsed = [_float(m) for m in found]
    if len(parsed) == 2 and found[1]["percent"] and not found[0]["percent"]:   # "10–20%"
        parsed[0] = (parsed[0][0] / 100.0, parsed[0][1] / 100.0)
    return parsed


def hedged(text):
    return any(h in text for h in HEDGES)


def agree(text, computed, tol=None):
    """None when the computed value(s) bear out the quote's text, else the reason they do not."""
    quoted = numbers(text)
    values = [float(v) for v in _flat(computed)]
    if not values or not all(math.isfinite(v) for v in values):
        return f"{text!r}: the notebook computed {computed!r}"
    targets = [min(values), max(values)] if len(quoted) == 2 else values
    if len(quoted) == 1 and len(values) != 1:
        return f"{text!r} quotes one number, the expression gave {len(values)}"
    for (q, half_unit), v in zip(quoted, targets):
        if tol == "order":
            ok = q != 0 and v != 0 and (q > 0) == (v > 0) and abs(math.log10(v / q)) <= 0.5
        elif tol is not None or hedged(text):
            ok = abs(v - q) <= (HEDGE_TOL if tol is None else tol) * abs(q) + half_unit
        else:
            ok = abs(v - q) <= half_unit * (1 + 1e-9)
        if not ok:
            return f"{text!r} is not what the notebook computed: {_show(targets)}"
    return None


def _flat(value):
    if isinstance(value, (list, tuple)):
        return [x for item in value for x in _flat(item)]
    return [value]


def _show(values):
    return " – ".join(f"{v:.6g}" for v in values)


def _source(cell):
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def declared(cell):
    return cell.metadata.get("quotes", []), cell.metadata.get("given", [])


def lint(nb):
    """The problems with a notebook's declarations: [(cell index, message)]."""
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        source = _source(cell)
        quotes, given = declared(cell)
        rest = source
        for entry in quotes:
            if set(entry) - {"text", "value", "tol"} or not {"text", "value"} <= set(entry):
                problems.append((i, f"a quote needs 'text' and 'value' (and may have 'tol'): {entry!r}"))
                continue
            if entry["text"] not in source:
                problems.append((i, f"quoted text {entry['text']!r} is not in the cell"))
            try:
                numbers(entry["text"])
            except QuoteError as err:
                problems.append((i, str(err)))
            rest = rest.replace(entry["text"], " ")
        for text in given:
            if text not in source:
                problems.append((i, f"given text {text!r} is not in the cell"))
            rest = rest.replace(text, " ")
        rest = re.sub(r"\[[^\]]*\]\([^)]*\)|arXiv:\S+|https?://\S+", " ", rest)
        for match in _SUSPECT.finditer(rest):
            context = rest[max(0, match.start() - 30):match.end() + 30].replace("\n", " ")
            problems.append((i, f"number {match.group().strip()!r} is neither quoted nor given: ...{context}..."))
    return problems


def instrument(nb):
    """A copy of nb with a cell before each markdown cell with quotes, printing their computed values."""
    out = nbformat.from_dict(json.loads(json.dumps(nb)))
    cells = []
    for i, cell in enumerate(nb.cells):
        quotes, _ = declared(cell)
        if cell.cell_type == "markdown" and quotes:
            exprs = ", ".join(f"({q['value']})" for q in quotes)
            cells.append(nbformat.v4.new_code_cell(
                "import json as _quotes_json, numpy as _quotes_np\n"
                f"print({MARKER!r} + _quotes_json.dumps([{i}, "
                f"[_quotes_np.asarray(_v, dtype=float).tolist() for _v in ({exprs},)]]))",
                metadata={"quotes_probe": i}))
        cells.append(out.cells[i])
    out.cells = cells
    return out


def computed(executed):
    """{markdown cell index: [value per quote]} from an instrumented, executed notebook."""
    values = {}
    for cell in executed.cells:
        if "quotes_probe" not in cell.metadata:
            continue
        text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        line = next((ln for ln in text.splitlines() if ln.startswith(MARKER)), None)
        errors = [f"{o.ename}: {o.evalue}" for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        index = cell.metadata["quotes_probe"]
        values[index] = json.loads(line[len(MARKER):])[1] if line else errors or ["no output"]
    return values


def compare(nb, executed):
    """The quotes of nb that the executed, instrumented copy does not bear out: [(cell index, message)]."""
    values = computed(executed)
    problems = []
    for i, cell in enumerate(nb.cells):
        quotes, _ = declared(cell)
        if cell.cell_type != "markdown" or not quotes:
            continue
        got = values.get(i)
        if got is None or len(got) != len(quotes) or any(isinstance(g, str) for g in got):
            problems.append((i, f"the values of {[q['value'] for q in quotes]} could not be computed: {got}"))
            continue
        for quote, value in zip(quotes, got):
            reason = agree(quote["text"], value, quote.get("tol"))
            if reason:
                problems.append((i, f"{reason}  (value: {quote['value']})"))
    return problems


def main(argv):
    run = "--run" in argv
    paths = [Path(a) for a in argv if a != "--run"]
    status = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        problems = lint(nb)
        if run and not problems:
            from test_notebook_runs import execute_nb   # noqa: PLC0415 (the tests' own runner)

            problems = compare(nb, execute_nb(instrument(nb), path.parent))
        for i, message in problems:
            print(f"{path.name} cell {i}: {message}")
        n = sum(len(declared(c)[0]) for c in nb.cells)
        print(f"{path.name}: {n} quotes, {len(problems)} problem(s)")
        status |= bool(problems)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
