"""Figures with sliders (course_lib.interactive): a widget in JupyterLab, a PNG everywhere else."""

import base64

import nbformat
import pytest

ipywidgets = pytest.importorskip("ipywidgets")

from course_lib.interactive import WIDGET_VIEW, explore  # noqa: E402


def _draw(fig, gamma, beta):
    ax = fig.subplots()
    ax.plot([0, 1], [beta, beta + gamma])
    ax.set_ylim(-3, 3)


def test_moving_a_control_redraws_the_figure():
    gamma = ipywidgets.FloatSlider(value=1.0, min=0.1, max=2.0)
    explorer = explore(_draw, gamma=gamma, beta=ipywidgets.FloatSlider(value=0.0, min=-1, max=1))
    image = explorer.widget().children[1]
    before = image.value
    gamma.value = 2.0
    assert image.value != before and image.value == explorer.png()


def test_the_display_carries_the_widget_and_a_static_png():
    explorer = explore(_draw, gamma=ipywidgets.FloatSlider(value=1.0), beta=ipywidgets.FloatSlider(value=0.5))
    bundle = explorer._repr_mimebundle_()
    assert WIDGET_VIEW in bundle
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert "gamma=1.0" in bundle["text/plain"]


def test_a_notebook_run_without_a_widget_frontend_keeps_the_figure():
    from test_notebook_runs import execute_nb

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import ipywidgets\nfrom course_lib.interactive import explore\n"
        "def draw(fig, gamma):\n    fig.subplots().plot([0, gamma])\n"
        "explore(draw, gamma=ipywidgets.FloatSlider(value=1.0))")])
    outputs = execute_nb(nb, ".").cells[0].outputs
    assert [o.output_type for o in outputs] == ["execute_result"]
    assert "image/png" in outputs[0].data and WIDGET_VIEW in outputs[0].data


@pytest.mark.parametrize("controls, error, words", [
    ({}, ValueError, "at least one control"),
    ({"gamma": 1.0}, TypeError, "not an ipywidgets control"),
])
def test_bad_controls_are_named(controls, error, words):
    with pytest.raises(error, match=words):
        explore(_draw, **controls)
