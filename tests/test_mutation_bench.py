"""The mutation bench (bench/mutation.py): its operators make the expected mutants, and its grading
tells a wrong mutant from the solution."""

import ast

import pytest



@pytest.fixture(scope="module")
def bench():
    import mutation   # bench/mutation.py: bench/ is on pytest's pythonpath (pyproject.toml)

    return mutation


SNIPPET = '''import numpy as np


def f(x, eps=1e-5):
    """x: (N, D). Nothing here is mutated."""
    mu = x.mean(axis=0)   # the batch mean
    z = 1 - x * 2
    return (x - mu) / np.sqrt(x.var(axis=0) + eps), mu
'''


def changed_lines(mutants):
    return {m.after.strip() for m in mutants}


def test_operators_make_the_expected_mutants_of_a_snippet(bench):
    mutants = bench.mutants("f", SNIPPET)
    after = changed_lines(mutants)
    assert {
        "def f(x, eps=0.0):", "def f(x, eps=0.001):",                     # default
        "mu = x.mean(axis=1)   # the batch mean", "mu = x.mean(axis=None)   # the batch mean",   # axis
        "return (x - mu) / np.sqrt(x.var(axis=0, ddof=1) + eps), mu",     # ddof
        "return (x + mu) / np.sqrt(x.var(axis=0) + eps), mu",             # arithmetic
        "z = 1 - (x + 2)",                                                # arithmetic, grouped as before
        "z = 0 - x * 2", "z = -1 - x * 2",                                # constant
        "return (x) / np.sqrt(x.var(axis=0) + eps), mu",                  # drop-term
        "return (x - mu) / np.sqrt(x.var(axis=0)), mu",                   # drop-term
        "return (mu, (x - mu) / np.sqrt(x.var(axis=0) + eps))",           # return-order
        "return ((x - mu) / np.sqrt(x.var(axis=0) + eps), mu.astype(float))",   # dtype
    } <= after
    assert len(after) == len(mutants), "each mutant is a different change"
    for m in mutants:
        assert m.source != SNIPPET and "Nothing here is mutated" in m.source
        assert SNIPPET.splitlines()[m.line - 1] == m.before.splitlines()[0]
        ast.parse(m.source)
    assert {op.name for op in bench.OPERATORS} >= {m.operator for m in mutants}


def test_each_operator_is_named_and_documented(bench):
    names = [op.name for op in bench.OPERATORS]
    assert len(set(names)) == len(names)
    assert all(type(op).__doc__ for op in bench.OPERATORS)


def test_a_wrong_mutant_is_killed_and_the_solution_is_not(bench):
    source = bench.solution_cells("01_covariate_shift")["standardize"]
    ddof = next(m for m in bench.mutants("standardize", source) if m.operator == "ddof")
    assert "X.std(axis=0, ddof=1)" in ddof.after
    killed = bench.grade(ddof)
    assert killed.hidden_killed and killed.visible_killed and not killed.equivalent

    unchanged = bench.Mutant("standardize", 0, "none", 1, "nothing", "", "", source)
    kept = bench.grade(unchanged)
    assert (kept.hidden, kept.visible) == ("survived", "survived")
    assert kept.equivalent.startswith("identical on ")
    assert bench.summary([killed, kept])["hidden_score"] == 1.0
