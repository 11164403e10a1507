"""Controls generated from the parameter registry: one per assumption, none written by hand.

Each control shows the label, the unit and the allowed range, with the source in its
tooltip. A slider moves the value; a text box beside it takes typed values. A value
that fails validation (the registry's own check) shows its message beside the control
and leaves the last good value in place.

Every input is named by its label and unit for screen readers: each widget's own
``description``, shown only to them (class ``whatif-sr-label``: the label above says it
on screen). A slider's handle takes its name from that description (the app's Voilà
template; ipywidgets does not name it).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import ipywidgets as w
from ipywidgets.widgets.widget_description import DescriptionStyle
from ipywidgets.widgets.widget_string import HTMLStyle, TextStyle

from whatif.errors import WhatifError
from whatif.outputs import OBJECTIVES, OUTPUTS
from whatif.params import GROUPS, REGISTRY, Assumption, Parameter
from whatif.presentation import error_html
from whatif.views.controls import nice_step, range_text, show_number, table_text, tooltip
from whatif.views.run import SAMPLE_CHOICES, RunSettings, parse_goal

#: hides a widget's description on screen but not from screen readers (the app's CSS)
SR_LABEL = "whatif-sr-label"


class SharedLooks:
    """Layouts and styles for many controls at once.

    Each ipywidget has its own layout and style model unless given one; a page has to
    create every model before it shows anything, and the controls are most of them. The
    controls of one app share these (none of them is changed after construction).
    """

    def __init__(self):
        self.plain = w.Layout()
        self.label = w.Layout(width="100%")
        self.error = w.Layout(margin="0 0 0 4px")
        self.slider = w.Layout(flex="1 1 0%", width="auto", min_width="0")
        self.text = w.Layout(width="80px", flex="0 0 80px")
        self.choice = w.Layout(width="220px")
        self.stages = w.Layout(width="100%")
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
        #: what a screen reader calls each of its inputs: the label and the unit
        self.name = f"{parameter.label}{unit}"
        self.label = w.HTML(
            f'<span title="{escape(tip)}">{escape(parameter.label)}{escape(unit)}</span>',
            layout=looks.label, style=looks.html,
        )
        self.label.add_class("whatif-label")
        self.error = w.HTML("", layout=looks.error, style=looks.html)
        self.error.add_class("whatif-error")
        self.range_note = w.HTML("", layout=looks.plain, style=looks.html)
        self.range_note.add_class("whatif-range")
        self.input = self._make_input(tip)
        self.show_range(parameter.default, uncertain=False)
        row = [self.input] if self.text is None else [self.input, self.text]
        super().__init__([self.label, w.HBox(row, layout=looks.plain),
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
                                description=self.name, layout=looks.choice,
                                style=looks.description)
            widget.add_class(SR_LABEL)
            widget.observe(self._from_widget, names="value")
            return widget
        if p.is_table:
            hint = ("name:aimpoints; name:aimpoints" if p.kind == "stages"
                    else "day:drones/day; day:drones/day")
            widget = w.Text(value=table_text(p, p.default), tooltip=tip, continuous_update=False,
                            placeholder=hint, description=self.name,
                            layout=looks.stages, style=looks.text_style)
            widget.add_class(SR_LABEL)
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
                                 description=self.name, readout=False, layout=looks.slider,
                                 style=looks.slider_style)
        else:
            widget = w.FloatSlider(value=central, min=lo, max=max(top, central),
                                   step=nice_step(top - lo, lo, central),
                                   continuous_update=True, tooltip=tip,
                                   description=self.name, readout=False, layout=looks.slider,
                                   style=looks.slider_style)
        widget.add_class(SR_LABEL)
        widget.observe(self._from_widget, names="value")
        self.text = w.Text(value=show_number(central, p), continuous_update=False, tooltip=tip,
                           description=self.name, layout=looks.text, style=looks.text_style)
        self.text.add_class("whatif-value")
        self.text.add_class(SR_LABEL)
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
            self._set_quietly(self.text, show_number(value, self.parameter))
        self.clear_error()
        self._on_change(self.parameter.name, value)

    def _from_text(self, change) -> None:
        if self._muted:
            return
        p = self.parameter
        typed = change["new"].strip()
        try:
            if p.is_table:
                value = p.parse(typed)
            else:
                value = p.check_number(typed)
        except WhatifError as exc:
            self.show_error(str(exc))
            return
        self.clear_error()
        if p.is_table:
            self._on_change(p.name, value)
            return
        if value > self.input.max:
            self.input.max = value if p.kind == "real" else int(value)
        self._set_quietly(self.input, int(value) if p.kind == "integer" else value)
        self._set_quietly(self.text, show_number(value, p))
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
        self.error.value = error_html(message)

    def clear_error(self) -> None:
        if self.error.value:
            self.error.value = ""

    def set_value(self, value: Any) -> None:
        """Show ``value`` (from a scenario) without triggering a model run."""
        p = self.parameter
        if p.is_table:
            self._set_quietly(self.input, table_text(p, value))
        elif p.kind == "choice":
            self._set_quietly(self.input, value)
        else:
            central = value.central if isinstance(value, Assumption) else float(value)
            if central > self.input.max:
                self.input.max = central if p.kind == "real" else int(central)
            self._set_quietly(self.input, int(central) if p.kind == "integer" else central)
            self._set_quietly(self.text, show_number(central, p))
            self._shown = central
        self.clear_error()

    def show_range(self, assumption: Any, uncertain: bool) -> None:
        """Show the allowed range and, in Monte Carlo mode, the distribution drawn from."""
        text = range_text(self.parameter, assumption, uncertain)
        html = f'<span style="color:#666;font-size:85%">{escape(text)}</span>' if text else ""
        if self.range_note.value != html:
            self.range_note.value = html


def goal_description(objective: str) -> str:
    """The goal's threshold box's label: ``at least`` and the unit of ``objective``."""
    unit = OUTPUTS[objective].unit
    return f"at least [{unit}]" if unit else "at least"


class ControlsPanel(w.VBox):
    """The left column: every assumption's control in its group, and the "Uncertainty"
    settings (point estimate or Monte Carlo, samples, seed, the solver's goal).

    ``on_parameter(name, value)`` is called when a control's value changes;
    ``on_settings()`` when the settings change (a refused goal calls nothing and keeps
    the last good one, see :meth:`check_goal`).
    """

    def __init__(self, on_parameter: Callable[[str, Any], None],
                 on_settings: Callable[[], None]):
        self._on_settings = on_settings
        defaults = RunSettings()
        self._goal = (defaults.objective, defaults.at_least)  # the last valid goal
        looks = SharedLooks()  # one layout/style model for all controls, not one each
        self.controls = {name: ParameterControl(p, on_parameter, looks)
                         for name, p in REGISTRY.items()}
        groups = [w.VBox([c for c in self.controls.values() if c.parameter.group == g])
                  for g in GROUPS]
        self.mode = w.ToggleButtons(options=[("Point estimate", "point"), ("Monte Carlo", "mc")],
                                    value=defaults.mode, tooltip="Point estimate: central "
                                    "values, expected strike outcome (instant). Monte Carlo: "
                                    "ranges.", style={"button_width": "auto"})
        full = w.Layout(width="100%")
        self.samples = w.Dropdown(options=list(SAMPLE_CHOICES), value=defaults.samples,
                                  description="Samples", layout=w.Layout(width="200px"))
        self.seed = w.BoundedIntText(value=defaults.seed, min=0, max=2**31 - 1,
                                     description="Seed", layout=w.Layout(width="200px"))
        self.objective = w.Dropdown(options=[(OUTPUTS[o].label, o) for o in OBJECTIVES],
                                    value=defaults.objective, description="Goal", layout=full)
        self.at_least = w.Text(value=str(defaults.at_least),
                               description=goal_description(defaults.objective),
                               continuous_update=False, layout=w.Layout(width="220px"),
                               style={"description_width": "initial"})
        self.at_least_error = w.HTML("")
        self.confidence = w.FloatSlider(value=defaults.confidence, min=0.5, max=0.99,
                                        step=0.01, description="Confidence",
                                        readout_format=".0%", continuous_update=True,
                                        layout=full)
        for widget in (self.mode, self.samples, self.seed, self.objective, self.confidence):
            widget.observe(self._settings_changed, names="value")
        self.at_least.observe(self._at_least_changed, names="value")
        uncertainty = w.VBox([self.mode, self.samples, self.seed, self.objective,
                              w.HBox([self.at_least, self.at_least_error],
                                     layout=w.Layout(flex_flow="row wrap")),
                              self.confidence])
        self.accordion = w.Accordion(children=groups + [uncertainty],
                                     titles=(*GROUPS, "Uncertainty"), selected_index=0)
        super().__init__([self.accordion], layout=w.Layout(width="100%"))

    def settings(self) -> RunSettings:
        """The settings in force (with the last valid goal)."""
        objective, at_least = self._goal
        return RunSettings(mode=self.mode.value, samples=int(self.samples.value),
                           seed=int(self.seed.value), objective=objective, at_least=at_least,
                           confidence=float(self.confidence.value))

    def check_goal(self) -> bool:
        """Validate the goal as the solver would; keep the last good one if it fails."""
        try:
            at_least = parse_goal(self.objective.value, self.at_least.value,
                                  self.confidence.value)
        except WhatifError as exc:
            self.at_least_error.value = error_html(str(exc))
            return False
        self.at_least_error.value = ""
        self._goal = (self.objective.value, at_least)
        return True

    def _settings_changed(self, change) -> None:
        self.at_least.description = goal_description(self.objective.value)
        self.check_goal()
        self._on_settings()

    def _at_least_changed(self, change) -> None:
        if self.check_goal():
            self._on_settings()
