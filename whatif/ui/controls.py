"""Controls generated from the parameter registry: one per assumption, none written by hand.

Each control shows the label, the unit and the allowed range, with the source in its
tooltip. A slider moves the value; a text box beside it takes typed values. A value
that fails validation (the registry's own check) shows its message beside the control
and leaves the last good value in place.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape
from typing import Any

import ipywidgets as w
from ipywidgets.widgets.widget_description import DescriptionStyle
from ipywidgets.widgets.widget_string import HTMLStyle, TextStyle

from whatif.errors import WhatifError
from whatif.params import Assumption, Parameter, Stage, parse_stages

LABEL_WIDTH = "230px"


def _nice_step(span: float, *anchors: float) -> float:
    """A power-of-ten slider step with every anchor (bounds, default) on the grid.

    The browser snaps a slider to ``min + k·step``; a default off that grid would be
    moved (and reported back as a change) on first display.
    """
    step = 10.0 ** math.floor(math.log10(span / 400)) if span > 0 else 1.0
    while step > 1e-6 and any(abs(a / step - round(a / step)) > 1e-9 for a in anchors):
        step /= 10
    return step


def _show(value: float, parameter: Parameter) -> str:
    if parameter.kind == "integer" or float(value).is_integer():
        return f"{int(round(value))}"
    return f"{value:.6g}"


def tooltip(parameter: Parameter) -> str:
    """Source (and date, URL) of a parameter's default, for hover text."""
    parts = [f"{parameter.label} [{parameter.unit or '-'}]", f"Source: {parameter.source}"]
    if parameter.source_date:
        parts.append(f"Date: {parameter.source_date}")
    if parameter.source_url:
        parts.append(parameter.source_url)
    return "\n".join(parts)


class SharedLooks:
    """Layouts and styles for many controls at once.

    Each ipywidget has its own layout and style model unless given one; a page has to
    create every model before it shows anything, and the controls are most of them. The
    controls of one app share these (none of them is changed after construction).
    """

    def __init__(self):
        self.plain = w.Layout()
        self.label = w.Layout(width=LABEL_WIDTH)
        self.error = w.Layout(margin="0 0 0 4px")
        self.slider = w.Layout(width="220px")
        self.text = w.Layout(width="90px")
        self.choice = w.Layout(width="180px")
        self.stages = w.Layout(width="300px")
        self.html = HTMLStyle()
        self.slider_style = w.SliderStyle()
        self.text_style = TextStyle()
        self.description = DescriptionStyle()


class ParameterControl(w.VBox):
    """One assumption's control: label, input, unit and range, and an error line.

    ``looks``: layouts and styles shared with other controls (default: its own).
    """

    def __init__(self, parameter: Parameter, on_change: Callable[[str, Any], None],
                 looks: SharedLooks | None = None):
        self.parameter = parameter
        self._on_change = on_change
        self._muted = False
        self.looks = looks = looks or SharedLooks()
        self._shown: float | None = None  # the last value set from Python
        tip = tooltip(parameter)
        unit = f" [{parameter.unit}]" if parameter.unit else ""
        self.label = w.HTML(
            f'<span title="{escape(tip)}">{escape(parameter.label)}{escape(unit)}</span>',
            layout=looks.label, style=looks.html,
        )
        self.error = w.HTML("", layout=looks.error, style=looks.html)
        self.error.add_class("whatif-error")
        self.range_note = w.HTML("", layout=looks.plain, style=looks.html)
        self.range_note.add_class("whatif-range")
        self.input = self._make_input(tip)
        self.show_range(parameter.default, uncertain=False)
        row = [self.label, self.input]
        if self.text is not None:
            row.append(self.text)
        super().__init__([w.HBox(row, layout=looks.plain),
                          w.HBox([self.range_note, self.error], layout=looks.plain)],
                         layout=looks.plain)
        self.add_class("whatif-control")
        self.add_class(f"whatif-param-{parameter.name}")

    # --- building ----------------------------------------------------------------------
    def _make_input(self, tip: str) -> w.Widget:
        p = self.parameter
        looks = self.looks
        self.text: w.Text | None = None
        if p.kind == "choice":
            widget = w.Dropdown(options=list(p.choices), value=p.default, tooltip=tip,
                                layout=looks.choice, style=looks.description)
            widget.observe(self._from_widget, names="value")
            return widget
        if p.kind == "stages":
            widget = w.Text(value=_stages_text(p.default), tooltip=tip, continuous_update=False,
                            placeholder="name:aimpoints; name:aimpoints",
                            layout=looks.stages, style=looks.text_style)
            widget.observe(self._from_text, names="value")
            self.text = None
            return widget
        central = p.default.central
        lo, hi = p.lower_bound, p.upper_bound
        # a usable slider span: the bounds, unless they dwarf the documented range
        # (typed values may still use the whole range; the slider then stretches)
        documented = max(p.default.high, central, 1.0)
        top = hi if hi <= 10 * documented else 10 * documented
        if p.kind == "integer":
            widget = w.IntSlider(value=int(central), min=int(lo), max=int(max(top, central)),
                                 step=1, continuous_update=True, tooltip=tip,
                                 readout=False, layout=looks.slider, style=looks.slider_style)
        else:
            widget = w.FloatSlider(value=central, min=lo, max=max(top, central),
                                   step=_nice_step(top - lo, lo, central),
                                   continuous_update=True,
                                   tooltip=tip, readout=False, layout=looks.slider,
                                   style=looks.slider_style)
        widget.observe(self._from_widget, names="value")
        self.text = w.Text(value=_show(central, p), continuous_update=False, tooltip=tip,
                           layout=looks.text, style=looks.text_style)
        self.text.add_class("whatif-value")
        self.text.observe(self._from_text, names="value")
        return widget

    # --- events ------------------------------------------------------------------------
    def _from_widget(self, change) -> None:
        if self._muted:
            return
        value = change["new"]
        step = getattr(self.input, "step", None)
        if step and self._shown is not None and abs(value - self._shown) < step / 2:
            return  # the browser snapping a value we set, not a user's move
        self._shown = value
        if self.text is not None:
            self._set_quietly(self.text, _show(value, self.parameter))
        self.clear_error()
        self._on_change(self.parameter.name, value)

    def _from_text(self, change) -> None:
        if self._muted:
            return
        p = self.parameter
        typed = change["new"].strip()
        try:
            if p.kind == "stages":
                value = parse_stages(typed, p)
            else:
                value = p.check_number(typed)
        except WhatifError as exc:
            self.show_error(str(exc))
            return
        self.clear_error()
        if p.kind == "stages":
            self._on_change(p.name, value)
            return
        if value > self.input.max:
            self.input.max = value if p.kind == "real" else int(value)
        self._set_quietly(self.input, int(value) if p.kind == "integer" else value)
        self._set_quietly(self.text, _show(value, p))
        self._shown = value
        self._on_change(p.name, value)

    def _set_quietly(self, widget: w.Widget, value: Any) -> None:
        self._muted = True
        try:
            widget.value = value
        finally:
            self._muted = False

    # --- state -------------------------------------------------------------------------
    def show_error(self, message: str) -> None:
        self.error.value = f'<span style="color:#b00020">⚠ {escape(message)}</span>'

    def clear_error(self) -> None:
        if self.error.value:
            self.error.value = ""

    def set_value(self, value: Any) -> None:
        """Show ``value`` (from a scenario) without triggering a model run."""
        p = self.parameter
        if p.kind == "stages":
            self._set_quietly(self.input, _stages_text(value))
        elif p.kind == "choice":
            self._set_quietly(self.input, value)
        else:
            central = value.central if isinstance(value, Assumption) else float(value)
            if central > self.input.max:
                self.input.max = central if p.kind == "real" else int(central)
            self._set_quietly(self.input, int(central) if p.kind == "integer" else central)
            self._set_quietly(self.text, _show(central, p))
            self._shown = central
        self.clear_error()

    def show_range(self, assumption: Any, uncertain: bool) -> None:
        """Show the allowed range and, in Monte Carlo mode, the distribution drawn from."""
        p = self.parameter
        text = f"allowed {p.range_text()}" if p.kind in ("real", "integer") else ""
        if uncertain and isinstance(assumption, Assumption) and not assumption.is_fixed:
            text += (f" · drawn {assumption.dist} {_show(assumption.low, p)}–"
                     f"{_show(assumption.high, p)}")
        html = f'<span style="color:#666;font-size:85%">{escape(text)}</span>' if text else ""
        if self.range_note.value != html:
            self.range_note.value = html


def _stages_text(stages: tuple[Stage, ...]) -> str:
    return "; ".join(str(s) for s in stages)


