"""The "When does it work?" tab: on demand, a small ensemble of the scenario on screen and
scenario discovery on it (PRIM): the share of futures meeting a goal, the box of
assumptions in which it is met (coverage and density in words) and the peeling trade-off.

Nothing is computed until the button is pressed: the ensemble runs in this process (about
half a second for 400 futures) and the EMA Workbench is imported on the first press (about
2 s). The plain logic is :mod:`whatif.views.discovery`.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import bqplot as bq
import ipywidgets as w
import numpy as np

from whatif import presentation as look
from whatif.errors import WhatifError, one_line
from whatif.presentation import error_html, status_html
from whatif.scenario import Scenario
from whatif.ui.charts import ChartBox, _figure
from whatif.views.discovery import (
    DEFAULT_OUTPUT,
    DEFAULT_STATISTIC,
    DEFAULT_THRESHOLD,
    FUTURES_CHOICES,
    TAB_SAMPLES,
    Ensemble,
    WhenItWorks,
    ensemble,
    finding_html,
    futures_choices,
    output_choices,
    parse_threshold,
    reason_text,
    size_text,
    statistic_choices,
    trade_off,
    when_it_works,
)

INTRO = (
    "<p>Runs the scenario on screen in many <b>futures</b>: each is one point of a Latin "
    "hypercube over the ranges of its uncertain assumptions, run with "
    f"{TAB_SAMPLES:,} Monte Carlo samples of the strike. A future <b>succeeds</b> when the "
    "goal's statistic over its samples reaches the threshold. PRIM (EMA Workbench) then "
    "finds the box of assumptions in which the futures succeed: its <b>coverage</b> is the "
    "share of the successful futures inside it, its <b>density</b> the share of the futures "
    "inside it that succeed. Computed only when you press the button (a few seconds; the "
    "first time also loads the workbench).</p>")


class TradeOffChart:
    """The first box's peeling trajectory: coverage (x) against density (y), the step shown
    as the box marked."""

    def __init__(self):
        x, y = bq.LinearScale(), bq.LinearScale()
        tip = bq.Tooltip(fields=["x", "y"], labels=["coverage", "density"],
                         formats=[".1%", ".1%"])
        self.path = bq.Lines(x=[], y=[], scales={"x": x, "y": y}, marker="circle",
                             marker_size=24, colors=[look.TRAJECTORY], stroke_width=1,
                             labels=[look.TRAJECTORY_LABEL], display_legend=True, tooltip=tip)
        self.chosen = bq.Scatter(x=[], y=[], scales={"x": x, "y": y},
                                 colors=[look.CHOSEN_BOX], default_size=140,
                                 labels=[look.CHOSEN_BOX_LABEL], display_legend=True,
                                 tooltip=tip)
        self.figure = _figure(look.TRADE_OFF, [self.path, self.chosen], x, y, ".0%", ".0%")
        self.figure.fig_margin = {**self.figure.fig_margin, "left": 80}  # the long y label
        self.box = ChartBox(self.figure)
        self._show(False)

    def _show(self, shown: bool) -> None:
        """Show or hide the chart and its legend (hidden: its place kept)."""
        for widget in (self.box, self.figure):
            widget.layout.visibility = "visible" if shown else "hidden"

    def update(self, found: WhenItWorks) -> None:
        """Draw the trajectory of ``found``'s first box; hide the chart if there is none."""
        points = trade_off(found.result)
        if points is None:
            self.clear()
            return
        with self.path.hold_sync():
            self.path.x = points.coverage
            self.path.y = points.density
        with self.chosen.hold_sync():
            self.chosen.x = points.coverage[[points.chosen]]
            self.chosen.y = points.density[[points.chosen]]
        self._show(True)

    def clear(self) -> None:
        empty = np.array([], dtype=float)
        with self.path.hold_sync():
            self.path.x, self.path.y = empty, empty
        with self.chosen.hold_sync():
            self.chosen.x, self.chosen.y = empty, empty
        self._show(False)


class DiscoveryPanel(w.VBox):
    """The tab. ``current()`` returns the scenario on screen and the app's seed.

    The goal (output, threshold) follows the app's goal control whenever that changes
    (:meth:`follow_goal`) and can be set here on its own; the ensemble is kept and reused
    while the scenario, the seed and the number of futures stay the same, so that a new
    goal only reruns the discovery.
    """

    def __init__(self, current: Callable[[], tuple[Scenario, int]]):
        self._current = current
        self.found: WhenItWorks | None = None  # the finding shown
        self._runs: Ensemble | None = None  # the last ensemble and what it was run on
        self._runs_on: tuple[Scenario, int, int] | None = None
        self._app_goal: tuple[str, float] | None = None
        wide, narrow = w.Layout(width="420px"), w.Layout(width="220px")
        self.output = w.Dropdown(options=output_choices(), value=DEFAULT_OUTPUT,
                                 description="Goal", layout=wide)
        self.threshold = w.Text(value=f"{DEFAULT_THRESHOLD:g}", description="at least",
                                continuous_update=False, layout=narrow)
        self.threshold_error = w.HTML("")
        self.threshold_error.add_class("whatif-error")
        self.statistic = w.Dropdown(options=statistic_choices(), value=DEFAULT_STATISTIC,
                                    description="judged on", layout=wide,
                                    tooltip="which statistic of a future's samples must reach "
                                    "the threshold")
        self.futures = w.Dropdown(options=futures_choices(), value=FUTURES_CHOICES[0],
                                  description="Ensemble", layout=narrow,
                                  tooltip=f"futures, each run with {TAB_SAMPLES:,} samples")
        self.button = w.Button(description="Find when it works", icon="search",
                               button_style="primary", layout=w.Layout(width="200px"))
        self.button.on_click(lambda _: self.compute())
        self.progress = w.IntProgress(0, min=0, max=1, description="Working",
                                      layout=w.Layout(width="320px", visibility="hidden"))
        self.status = w.HTML("")
        self.status.add_class("whatif-discovery-status")
        self.stale = w.HTML("")
        self.report = w.HTML("")
        self.report.add_class("whatif-discovery")
        self.chart = TradeOffChart()
        self.output.observe(lambda _: self.check_threshold(), names="value")
        self.threshold.observe(lambda _: self.check_threshold(), names="value")
        super().__init__([
            w.HTML(INTRO),
            w.HBox([self.output, self.statistic]),
            w.HBox([self.threshold, self.threshold_error]),
            w.HBox([self.futures, self.button, self.progress]),
            self.status, self.stale, self.report, self.chart.box,
        ])
        self.add_class("whatif-discovery-panel")

    # --- the goal ------------------------------------------------------------------------
    def check_threshold(self) -> float | None:
        """The typed threshold, or None with the reason shown beside it."""
        try:
            value = parse_threshold(self.output.value, self.threshold.value)
        except WhatifError as exc:
            self.threshold_error.value = error_html(one_line(str(exc)))
            return None
        self.threshold_error.value = ""
        return value

    def follow_goal(self, objective: str, at_least: float) -> None:
        """Take the app's goal when it has changed since it was last taken (a goal set here
        stays until the app's goal moves)."""
        if self._app_goal == (objective, at_least):
            return
        self._app_goal = (objective, at_least)
        self.output.value = objective
        self.threshold.value = f"{at_least:g}"

    def show_scenario(self, scenario: Scenario, seed: int) -> None:
        """Note when the finding shown was made on other assumptions or another seed (it is
        never recomputed without the button)."""
        shown_on = self._runs_on if self.found is not None else None
        if shown_on is None or (shown_on[0] is scenario and shown_on[1] == seed):
            self.stale.value = ""
        else:
            self.stale.value = status_html(
                "The assumptions or the seed have changed since this was computed: press "
                "the button to compute it for the scenario on screen.", error=True)

    # --- computing -----------------------------------------------------------------------
    def compute(self) -> WhenItWorks | None:
        """Run (or reuse) the ensemble of the scenario on screen, then the discovery for the
        goal shown; show the finding. None if refused (the reason is shown)."""
        threshold = self.check_threshold()
        if threshold is None:
            return None
        scenario, seed = self._current()
        futures = int(self.futures.value)
        self.button.disabled = True
        self.progress.value = 0
        self.progress.layout.visibility = "visible"
        try:
            runs = self._runs
            same = self._runs_on is not None and self._runs_on[0] is scenario and \
                self._runs_on[1:] == (seed, futures)
            if not same:
                self._say(f"Running {futures:,} futures × {TAB_SAMPLES:,} samples…")
                runs = ensemble(scenario, futures, TAB_SAMPLES, seed, self._progress)
                self._runs, self._runs_on = runs, (scenario, seed, futures)
            else:  # the same futures: only the discovery runs again
                self.progress.max = 2
                self.progress.value = 1
            self._say("Finding the box…")
            found = when_it_works(scenario, self.output.value, threshold,
                                  self.statistic.value, runs=runs)
        except WhatifError as exc:
            self.found = None
            self.report.value = ""
            self.chart.clear()
            self._say(reason_text(exc), error=True)
            return None
        finally:
            self.button.disabled = False
            self.progress.layout.visibility = "hidden"
        self.progress.value = self.progress.max
        self.found = found
        self.report.value = finding_html(found)
        self.chart.update(found)
        self.stale.value = ""
        self._say(f"{size_text(runs)}. Futures run in {runs.seconds:.1f} s, discovery in "
                  f"{found.seconds:.1f} s.")
        return found

    def _progress(self, done: int, total: int) -> None:
        """One step per chunk of futures, and a last one for the discovery."""
        self.progress.max = total + 1
        self.progress.value = done

    def _say(self, message: str, error: bool = False) -> None:
        self.status.value = status_html(one_line(message), error) if error else (
            f"<span>{escape(message)}</span>")
