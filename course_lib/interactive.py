"""Figures with sliders, that still show a figure where no widget frontend runs.

    explore(draw, gamma=FloatSlider(...), eps=FloatLogSlider(...))

``draw(fig, **values)`` draws into a fresh matplotlib ``Figure`` for the controls' current
values. In JupyterLab the cell shows the controls above the figure, and moving one redraws it.
Everywhere else (nbconvert, a CI run, a notebook viewer) the same output carries a PNG of the
figure at the controls' starting values, so the reader still sees it: the display bundle holds
both the widget view and ``image/png``, and each frontend picks the richest one it can show.

The figures are not pyplot figures, so the inline backend never shows them a second time.
"""

import base64
import io

from matplotlib.figure import Figure

__all__ = ["Explorer", "explore"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class Explorer:
    """Controls and the figure they drive; displays as a widget, or as a PNG without one."""

    def __init__(self, draw, controls, figsize=(9.0, 3.6)):
        if not controls:
            raise ValueError("explore needs at least one control, e.g. gamma=FloatSlider(...)")
        for name, control in controls.items():
            if not hasattr(control, "value") or not hasattr(control, "observe"):
                raise TypeError(f"control {name!r} is not an ipywidgets control: {control!r}")
        self.draw, self.controls, self.figsize = draw, dict(controls), figsize
        self._view = None

    @property
    def values(self):
        return {name: control.value for name, control in self.controls.items()}

    def png(self):
        """The figure for the controls' current values, as PNG bytes."""
        fig = Figure(figsize=self.figsize, layout="constrained")
        self.draw(fig, **self.values)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=80)
        return buffer.getvalue()

    def widget(self):
        """The controls above an image that follows them (built once)."""
        if self._view is None:
            import ipywidgets as w

            image = w.Image(value=self.png(), format="png")

            def redraw(_change):
                image.value = self.png()

            for control in self.controls.values():
                control.observe(redraw, names="value")
            self._view = w.VBox([w.HBox(list(self.controls.values())), image])
        return self._view

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.widget()._repr_mimebundle_(include=include, exclude=exclude)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data = dict(data)
        data["image/png"] = base64.b64encode(self.widget().children[1].value).decode("ascii")
        data["text/plain"] = f"<figure: {', '.join(f'{k}={v!r}' for k, v in self.values.items())}>"
        return data


def explore(draw, *, figsize=(9.0, 3.6), **controls):
    """An Explorer of draw(fig, **values) over the given ipywidgets controls; end a cell with it."""
    return Explorer(draw, controls, figsize)
