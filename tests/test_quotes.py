"""The checker of the numbers that the notebooks' prose quotes (tests/quotes.py)."""

import nbformat
import pytest

import quotes


@pytest.mark.parametrize("text, value", [
    ("0.64", 0.6449), ("about 99%", 0.975), ("a median of 0.640", 0.6404), ("186×", 186.2),
    ("10 000", 10000), (r"$2\times10^{-4}$", 2.04e-4), ("1e-5", 0.96e-5), ("between 0.56 and 19.5", [19.51, 0.557, 3]),
    ("4–6×", [4.2, 5.9]), ("10–20%", [0.1, 0.2]), ("−0.25", -0.2504),
])
def test_a_quote_agrees_with_the_value_it_rounds_from(text, value):
    assert quotes.agree(text, value) is None


@pytest.mark.parametrize("text, value", [
    ("0.64", 0.646), ("about 99%", 0.88), ("186×", 17.0), ("between 0.56 and 19.5", [0.56, 31.5]),
    ("4–6×", [4.2]), ("0.5", [0.5, 0.5]), ("−0.25", 0.25), ("0.64", float("nan")),
])
def test_a_quote_that_the_value_does_not_bear_out_is_reported(text, value):
    assert quotes.agree(text, value) is not None


def test_an_order_of_magnitude_claim():
    assert quotes.agree("about $10^{-8}$", 2.5e-8, "order") is None
    assert quotes.agree("about $10^{-8}$", 4e-8, "order") is not None
    assert quotes.agree("about $10^{-8}$", 2.5e-8) is not None   # hedged: within 10%


def _cell(source, **meta):
    return nbformat.v4.new_markdown_cell(source, metadata=meta)


def test_lint_finds_each_number_that_is_neither_quoted_nor_given():
    nb = nbformat.v4.new_notebook(cells=[
        _cell("We train with lr = 0.1 and reach about 97% accuracy, 3× faster.",
              given=["lr = 0.1"], quotes=[{"text": "about 97%", "value": "acc"}]),
        _cell("Section 2 of [the paper](https://arxiv.org/abs/1502.03167), 2015."),
    ])
    problems = quotes.lint(nb)
    assert [i for i, _ in problems] == [0] and "'3×'" in problems[0][1]


def test_lint_rejects_a_declaration_that_is_not_in_the_cell():
    nb = nbformat.v4.new_notebook(cells=[_cell("It is 0.5.", quotes=[{"text": "0.50", "value": "x"}],
                                                given=["0.5."])])
    assert any("not in the cell" in message for _, message in quotes.lint(nb))


def test_the_values_are_computed_where_the_prose_stands_and_compared():
    from test_notebook_runs import execute_nb

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 0.25\nxs = [1.0, 3.0]"),
        _cell("x is 0.25, and xs range from 1 to 3.", quotes=[{"text": "0.25", "value": "x"},
                                                              {"text": "1 to 3", "value": "xs"}]),
        nbformat.v4.new_code_cell("x = 7"),
        _cell("Now x is about 9.", quotes=[{"text": "about 9", "value": "x"}]),
    ])
    executed = execute_nb(quotes.instrument(nb), ".")
    problems = quotes.compare(nb, executed)
    assert [i for i, _ in problems] == [3] and "about 9" in problems[0][1]
