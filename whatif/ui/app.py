"""The what-if app: controls in a side panel on the left that scrolls on its own; on the
right the heading, the scenario's title, the headline strip and the tabs, whose first
shows the production and P(success) charts on the first screen (1280×720 and up).

Everything it shows comes from :func:`whatif.engine.simulate`,
:func:`whatif.engine.missiles_needed`, :func:`whatif.sensitivity.tornado` and
:func:`whatif.sensitivity.sobol`; the app holds an immutable
:class:`~whatif.scenario.Scenario` and replaces it on every change.

:class:`WhatifApp` lays out the panels and passes changes between them:

- the side panel: :class:`~whatif.ui.scenarios.ScenarioBar` (pick, upload, reset, save,
  export, download the samples, status), then
  :class:`~whatif.ui.controls.ControlsPanel` (the assumptions and the settings)
- :class:`~whatif.ui.headline.HeadlinePanel`: the headline strip, and under it
  ``working_slot``: "show the working" (:class:`~whatif.ui.working.WorkingPanel`) in a
  section that opens on demand
- tabs: :class:`~whatif.ui.charts.ChartsPanel`,
  :class:`~whatif.ui.sensitivity.SensitivityPanel`,
  :class:`~whatif.ui.discovery.DiscoveryPanel`,
  :class:`~whatif.ui.scenarios.ComparePanel`, :class:`~whatif.ui.record.RecordPanel`,
  :class:`~whatif.ui.plan.PlanPanel`

Their plain logic (what to compute, the text shown, the files offered) is in
:mod:`whatif.views`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import ipywidgets as w

from whatif.engine import SimulationResult, SolveResult
from whatif.errors import WhatifError, one_line
from whatif.params import Assumption
from whatif.resources import scenario_path, user_dir
from whatif.scenario import PLAN_REPLACES, SITE_REPLACES, Scenario
from whatif.ui.charts import ChartsPanel
from whatif.ui.controls import ControlsPanel
from whatif.ui.discovery import DiscoveryPanel
from whatif.ui.headline import HeadlinePanel, TitleLine
from whatif.ui.plan import PlanPanel
from whatif.ui.record import RecordPanel
from whatif.ui.scenarios import ComparePanel, ScenarioBar, refresh_options
from whatif.ui.sensitivity import SensitivityPanel
from whatif.ui.working import WORKING_TITLE, WorkingPanel
from whatif.views import scenarios
from whatif.views.controls import shifted
from whatif.views.headline import HEADER, STYLE, headline_figures, headline_values
from whatif.views.run import RefreshQueue, day_zero_check, other_path, run
from whatif.views.scenarios import download_html, scenario_files


class WhatifApp(w.VBox):
    """The whole app. ``WhatifApp()`` starts on the defaults; see :meth:`from_environment`.

    ``immediate=True`` recomputes synchronously on every change (tests); otherwise
    changes arriving while a run is queued are coalesced into one run. Saved scenarios
    and exported briefs go to ``save_dir`` (default ``data/scenarios/user/``).

    The panels' widgets are also attributes of the app under their old names
    (``app.mode``, ``app.status``, ``app.production_chart``, …) for tests and scripts.
    """

    def __init__(self, scenario: Scenario | None = None, immediate: bool = False,
                 save_dir: Path | None = None):
        self.scenario = scenario or Scenario.from_yaml(scenario_path("baseline"))
        self.save_dir = Path(save_dir) if save_dir is not None else user_dir()
        self.result: SimulationResult | None = None
        self.solve: SolveResult | None = None
        self.last_refresh_seconds = 0.0
        self.queue = RefreshQueue(self.refresh, self._update_sensitivity, immediate)

        self.settings_panel = ControlsPanel(self._parameter_changed,
                                            lambda: self.queue.request())
        self.scenario_bar = ScenarioBar(self.save_dir, self._pick_scenario)
        self.title = TitleLine("")
        self.headline = HeadlinePanel()
        self.charts = ChartsPanel()
        self.matters = SensitivityPanel(self._request_sensitivity)
        # "When does it work?": computed only when its button is pressed
        self.discovery_panel = DiscoveryPanel(lambda: (self.scenario, int(self.seed.value)))
        self.compare_panel = ComparePanel(self.save_dir, self.compare)
        self.record_panel = RecordPanel()  # the launch record and the fits: drawn once
        self.plan_panel = PlanPanel(self.apply_plan, self.optimise_plan)
        self.tabs = w.Tab(children=[self.charts, self.matters, self.discovery_panel,
                                    self.compare_panel, self.plan_panel,
                                    self.record_panel.widget],
                          titles=("Charts", "What matters most?", "When does it work?",
                                  "Compare scenarios", "Plan", "Record vs model"))
        self.tabs.observe(self._tab_changed, names="selected_index")
        self._name_widgets()

        self.upload.observe(self._uploaded, names="value")
        self.reset_button.on_click(lambda _: self.reset())
        self.save_button.on_click(lambda _: self.save())
        self.export_button.on_click(lambda _: self.export_brief())
        self.interactive_button.on_click(lambda _: self.export_interactive_brief())
        self.samples_button.on_click(lambda _: self.download_samples())

        #: "show the working", right under the headline strip: one closed section (its
        #: header a single line) holding a section per headline figure, filled when opened
        self.working = WorkingPanel()
        self.working_section = w.Accordion(children=[self.working], titles=(WORKING_TITLE,),
                                           selected_index=None)
        self.working_section.observe(self._working_toggled, names="selected_index")
        self.working_slot = w.Box([self.working_section])
        self.working_slot.add_class("whatif-working-slot")
        #: the side panel: scrolls on its own, and from the keyboard (focusable; named
        #: by the app's Voilà template)
        self.side_panel = w.VBox([self.scenario_bar, self.settings_panel], tabbable=True)
        self.side_panel.add_class("whatif-side")
        main = w.VBox([w.HTML(HEADER), self.title, self.headline, self.working_slot,
                       self.tabs])
        main.add_class("whatif-main")
        layout = w.HBox([self.side_panel, main])
        layout.add_class("whatif-layout")
        super().__init__([w.HTML(STYLE), layout])
        self.add_class("whatif-app")
        self.load(self.scenario)

    def _name_widgets(self) -> None:
        """The panels' widgets under the app's names (used by tests, scripts, benchmarks)."""
        panel, bar, compare, matters = (self.settings_panel, self.scenario_bar,
                                        self.compare_panel, self.matters)
        self.controls = panel.controls
        self.accordion = panel.accordion
        self.mode = panel.mode
        self.samples = panel.samples
        self.seed = panel.seed
        self.objective = panel.objective
        self.at_least = panel.at_least
        self.at_least_error = panel.at_least_error
        self.confidence = panel.confidence
        self.scenario_picker = bar.picker
        self.upload = bar.upload
        self.reset_button = bar.reset_button
        self.save_name = bar.save_name
        self.save_button = bar.save_button
        self.export_button = bar.export_button
        self.interactive_button = bar.interactive_button
        self.interactive_progress = bar.interactive_progress
        self.samples_button = bar.samples_button
        self.samples_format = bar.samples_format
        self.download = bar.download
        self.status = bar.status
        self.production_chart = self.charts.production_chart
        self.success_chart = self.charts.success_chart
        self.hits_chart = self.charts.hits_chart
        self.grid_chart = self.charts.grid_chart
        self.path_note = self.charts.path_note
        self.compare_a = compare.a
        self.compare_b = compare.b
        self.compare_table = compare.table
        self.compare_export_button = compare.export_button
        self.compare_export_format = compare.export_format
        self.compare_download = compare.download
        self.compare_chart = compare.chart
        self.sensitivity_output = matters.output
        self.sobol_samples = matters.sobol_samples
        self.sobol_error = matters.sobol_error
        self.tornado_chart = matters.tornado_chart
        self.sobol_chart = matters.sobol_chart

    # --- construction ----------------------------------------------------------------
    @classmethod
    def from_environment(cls) -> WhatifApp:
        """The app on ``$WHATIF_SCENARIO`` if set (as ``whatif app FILE`` does), else the
        defaults, with its figures computed.

        The first computation runs here rather than after the cell, so that a kernel
        Voilà pre-heats holds a finished app (and has loaded the compiled model) before
        any page asks for it. If ``$WHATIF_READY_FILE`` is set (``whatif app`` sets it),
        that file is then written: the command prints its address once it exists.
        """
        path = os.environ.get("WHATIF_SCENARIO")  # a file or a bundled name
        scenario = Scenario.from_yaml(scenario_path(path)) if path else None
        app = cls(scenario)
        app.queue.run_pending()
        ready = os.environ.get("WHATIF_READY_FILE")
        if ready:
            try:
                Path(ready).write_text(f"{os.getpid()}\n", encoding="utf-8")
            except OSError:  # only a signal to `whatif app`: never a reason to fail
                pass
        return app

    @property
    def immediate(self) -> bool:
        """Recompute synchronously on every change (see :class:`RefreshQueue`)."""
        return self.queue.immediate

    @immediate.setter
    def immediate(self, value: bool) -> None:
        self.queue.immediate = value

    @property
    def sensitivity(self):
        """The tornado of the chosen output (DataFrame)."""
        return self.matters.sensitivity

    @property
    def sobol_indices(self):
        """The Sobol indices of the chosen output (DataFrame; None if none)."""
        return self.matters.sobol_indices

    # --- state changes ---------------------------------------------------------------
    def load(self, scenario: Scenario) -> None:
        """Show ``scenario`` in every control and recompute."""
        self.scenario = scenario
        for name, control in self.controls.items():
            control.set_value(scenario.values[name])
        self.title.show(scenario)
        self.plan_panel.show(scenario)
        self.queue.request()

    def apply_plan(self, sites, plan, inventory) -> str | None:
        """Replace the scenario's sites, plan and inventory (each None for none; what they
        replace goes back to its default); the error message if refused, else None."""
        scenario = self.scenario
        if sites is not None:
            scenario = scenario.without(*SITE_REPLACES)
        if plan is not None:
            scenario = scenario.without(*PLAN_REPLACES)
        try:
            scenario = scenario.with_plan(sites=sites, plan=plan, inventory=inventory)
        except WhatifError as exc:
            return str(exc)
        if scenario.system is not None and not scenario.plan:
            return ("plan: the sites need a plan: add salvos (a day and missiles per site), "
                    "or find one with Optimise")
        self.scenario = scenario
        for name, control in self.controls.items():  # the defaults put back, shown
            control.set_value(scenario.values[name])
        self.title.show(scenario)
        self.queue.request()
        return None

    def optimise_plan(self, sites, inventory, missiles: int, salvos: int, objective: str,
                      samples: int, progress=None):
        """The best plan for the sites shown (:func:`whatif.optimise.optimise_plan`) on the
        current assumptions and seed."""
        from whatif.optimise import optimise_plan

        scenario = self.scenario.without(*SITE_REPLACES) if sites is not None \
            else self.scenario
        scenario = scenario.with_plan(sites=sites, plan=None, inventory=inventory)
        return optimise_plan(scenario, missiles, salvos=salvos, objective=objective,
                             samples=samples, seed=int(self.seed.value), progress=progress)

    def reset(self) -> None:
        """Every assumption back to its cited default."""
        self.load(Scenario.default().with_text(title="Defaults — every assumption as cited",
                                               note=""))
        self._say("All assumptions reset to their defaults.")

    def set_value(self, name: str, value: Any) -> None:
        """Change one assumption as its control would (used by tests and scripts)."""
        self._parameter_changed(name, value)
        self.controls[name].set_value(self.scenario.values[name])

    def _parameter_changed(self, name: str, value: Any) -> None:
        control = self.controls[name]
        current = self.scenario.values[name]
        try:
            if isinstance(current, Assumption) and not isinstance(value, (dict, Assumption)):
                value = shifted(current, float(value), control.parameter)
            self.scenario = self.scenario.with_values(**{name: value})
        except WhatifError as exc:
            control.show_error(str(exc))
            return
        control.clear_error()
        self.queue.request()

    # --- scenarios -------------------------------------------------------------------
    def _pick_scenario(self, name: str) -> None:
        path = scenario_files(self.save_dir).get(name)
        try:
            scenario = Scenario.from_yaml(path)
        except WhatifError as exc:
            self._say(str(exc), error=True)
        else:
            self.load(scenario)
            self._say(f"Loaded {name}.")

    def _uploaded(self, change) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0]
        name = item["name"] if isinstance(item, dict) else item.name
        content = item["content"] if isinstance(item, dict) else item.content
        self.load_text(bytes(content), name)
        # forget the file, so that choosing the same file again loads it again
        self.upload.unobserve(self._uploaded, names="value")
        self.upload.value = ()
        self.upload.observe(self._uploaded, names="value")

    def load_text(self, data: bytes, name: str = "uploaded file") -> bool:
        """Load a scenario from YAML bytes; on error, say why and keep the current state."""
        try:  # the same capped reading as files: size, UTF-8, YAML limits
            scenario = Scenario.from_bytes(data, origin=name)
        except WhatifError as exc:
            self._say(str(exc), error=True)
            return False
        self.load(scenario)
        self._say(f"Loaded {name}.")
        return True

    def save(self) -> Path | None:
        """Save the current settings as YAML in ``save_dir`` and offer a download."""
        try:
            path, text = scenarios.save_scenario(self.scenario, self.save_name.value,
                                                 self.save_dir)
        except (WhatifError, OSError) as exc:
            self._say(f"Not saved: {one_line(str(exc))}", error=True)
            return None
        self.download.value = download_html(path.name, text, "text/yaml")
        refresh_options((self.scenario_picker, self.compare_a, self.compare_b), self.save_dir)
        self._say(f"Saved {path}.")
        return path

    def export_brief(self) -> Path | None:
        """Write the HTML brief of the current settings next to saved scenarios; offer it."""
        settings = self.settings_panel.settings()
        self._say("Writing the brief…")
        try:
            path, html = scenarios.export_brief(self.scenario, settings.draws, settings.seed,
                                                self.save_dir)
        except (WhatifError, OSError) as exc:
            self._say(f"No brief: {one_line(str(exc))}", error=True)
            return None
        self.download.value = download_html(path.name, html, "text/html")
        self._say(f"Brief written to {path}.")
        return path

    def export_interactive_brief(self) -> Path | None:
        """Write the interactive brief of the current settings next to saved scenarios
        (:func:`whatif.interactive.export_interactive_brief`, the progress bar moving while
        the grid runs); offer it."""
        from whatif.interactive import DEFAULT_SAMPLES, export_interactive_brief

        bar = self.interactive_progress
        settings = self.settings_panel.settings()
        self._say(f"Writing the interactive brief: every combination at {DEFAULT_SAMPLES:,} "
                  f"samples, seed {settings.seed} (about a minute)…")
        bar.value, bar.layout.display = 0.0, None
        try:
            path, html = export_interactive_brief(
                self.scenario, settings.seed, self.save_dir,
                lambda done, total: setattr(bar, "value", done / total if total else 1.0))
        except (WhatifError, OSError) as exc:
            self._say(f"No interactive brief: {one_line(str(exc))}", error=True)
            return None
        finally:
            bar.layout.display = "none"
        self.download.value = download_html(path.name, html, "text/html")
        self._say(f"Interactive brief written to {path}.")
        return path

    def download_samples(self) -> str | None:
        """Offer every sample of the run on screen (inputs and outputs, one row each) as a
        file in the chosen format; its file name, or None if refused (said why)."""
        if self.result is None:
            return None
        self._say("Preparing the samples file…")  # an Excel file of 10,000 samples: ~5 s
        try:
            name, data, mime = scenarios.samples_download(self.result,
                                                          self.samples_format.value)
        except WhatifError as exc:
            self._say(f"No samples file: {one_line(str(exc))}", error=True)
            return None
        self.download.value = download_html(name, data, mime)
        rows = len(self.result.outputs)
        self._say(f"Samples of the run on screen: {rows:,} row{'s' if rows != 1 else ''}, "
                  f"{scenarios.size_text(len(data))}; use the link to save them.")
        return name

    def compare(self) -> None:
        """Headline figures of two scenarios side by side, and their production curves."""
        try:
            self.compare_panel.compare(self.scenario, self.settings_panel.settings(),
                                       self.save_dir)
        except WhatifError as exc:
            self._say(str(exc), error=True)

    # --- running the model -----------------------------------------------------------
    def _request_sensitivity(self) -> None:
        self.queue.request(sensitivity_only=True)

    def _tab_changed(self, change) -> None:
        if self.sensitivity_tab_shown and self.matters.sobol_stale:
            self._request_sensitivity()
        if self.tabs.selected_index == self.tabs.children.index(self.record_panel.widget):
            self.record_panel.show_backtest()  # the projections, on the tab's first showing

    def refresh(self) -> None:
        """Run the model on the current settings and update the headline and the charts."""
        self.queue.taken()
        started = time.perf_counter()
        settings = self.settings_panel.settings()
        self.result, self.solve = run(self.scenario, settings)
        uncertain = settings.mode == "mc"
        for name, control in self.controls.items():
            control.show_range(self.scenario.values[name], uncertain)
        self.headline.update(self.result, self.solve)
        self.charts.update(self.result, self.solve, other_path(self.scenario),
                           day_zero_check(self.scenario))
        self.record_panel.update(self.scenario)
        self.plan_panel.update(self.result)
        if self.working_shown:
            self.working.update(self.scenario, self.result)
        self.discovery_panel.follow_goal(settings.objective, settings.at_least)
        self.discovery_panel.show_scenario(self.scenario, settings.seed)
        self._update_sensitivity()
        self.last_refresh_seconds = time.perf_counter() - started

    @property
    def working_shown(self) -> bool:
        """Whether "show the working" is open (its numbers are made only then)."""
        return self.working_section.selected_index == 0

    def _working_toggled(self, change) -> None:
        if self.working_shown and self.result is not None:
            self.working.update(self.scenario, self.result)

    @property
    def sensitivity_tab_shown(self) -> bool:
        return self.tabs.selected_index == self.tabs.children.index(self.matters)

    def _update_sensitivity(self) -> None:
        """The tornado (always; deterministic, ~1 ms) and, while the "What matters most?"
        tab is shown, the Sobol indices of the chosen output for the current settings."""
        self.queue.taken(sensitivity_only=True)
        self.matters.update(self.scenario, int(self.seed.value), self.sensitivity_tab_shown)

    def _say(self, message: str, error: bool = False) -> None:
        self.scenario_bar.say(message, error)


def headline_text(app: WhatifApp) -> dict[str, str]:
    """The headline values as shown (key → P50 text), for tests and scripts."""
    return headline_values(headline_figures(app.result, app.solve))


__all__ = ["WhatifApp", "headline_text"]
