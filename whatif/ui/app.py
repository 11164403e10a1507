"""The what-if app: controls on the left, headline figures and live charts on the right.

Everything it shows comes from :func:`whatif.engine.simulate`,
:func:`whatif.engine.missiles_needed`, :func:`whatif.sensitivity.tornado` and
:func:`whatif.sensitivity.sobol`; the app holds an immutable
:class:`~whatif.scenario.Scenario` and replaces it on every change.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import time
from html import escape
from pathlib import Path
from typing import Any

import ipywidgets as w

from whatif.engine import SimulationResult, SolveResult, check_objective, missiles_needed, simulate
from whatif.errors import WhatifError
from whatif.outputs import OBJECTIVES, OUTPUTS
from whatif.params import DATA_DIR, GROUPS, REGISTRY, Assumption
from whatif.scenario import Scenario
from whatif.sensitivity import sobol, tornado
from whatif.ui.charts import (
    BandChart,
    CompareChart,
    SobolChart,
    SuccessChart,
    TornadoChart,
    WeeklyHitsChart,
)
from whatif.ui.controls import ParameterControl, SharedLooks
from whatif.ui.headline import STYLE, headline_figures, headline_html
from whatif.ui.record import RecordPanel

SCENARIO_DIR = DATA_DIR / "scenarios"
USER_DIR = SCENARIO_DIR / "user"
SAMPLE_CHOICES = (500, 1_000, 2_000, 5_000, 10_000)
#: Sobol base sample sizes offered; the chain runs N × (uncertain assumptions + 2) times
SOBOL_SAMPLE_CHOICES = (256, 1_024, 4_096)
SOBOL_NOTE = ("<small><b>S1</b> (first order): the share of the output's variance that an "
              "assumption causes on its own; <b>ST</b> (total order): its share including its "
              "interactions with the others (ST − S1 is the interaction part). Over the "
              "uncertain assumptions' distributions, expected strike outcome; values near 0 "
              "can come out slightly negative (sampling noise).</small>")
CURRENT = "(current settings)"
#: daily series drawn with P10–P90 bands (the rest are shown as means)
CHART_BANDS = ("production_baseline", "production_strike", "grid_damaged_baseline",
               "grid_damaged_strike")


def scenario_files(save_dir: Path = USER_DIR) -> dict[str, Path]:
    """Scenario files offered in the app: ``data/scenarios/*.yaml`` and saved ones."""
    files = {p.name: p for p in sorted(SCENARIO_DIR.glob("*.yaml"))}
    files.update({f"saved/{p.name}": p for p in sorted(Path(save_dir).glob("*.yaml"))})
    return files


def shifted(assumption: Assumption, central: float, parameter) -> Any:
    """The assumption with its central value moved to ``central``.

    A fixed value becomes ``central``. A distribution keeps its shape: it is shifted by
    the same amount (scaled, for a lognormal), its ends held within the parameter's bounds.
    """
    if assumption.is_fixed:
        return central
    lo, hi = parameter.lower_bound, parameter.upper_bound
    if assumption.dist == "lognormal" and assumption.central > 0 and central > 0:
        ratio = central / assumption.central
        low, high = assumption.low * ratio, assumption.high * ratio
    else:
        delta = central - assumption.central
        low, high = assumption.low + delta, assumption.high + delta
    low, high = max(lo, min(low, central)), min(hi, max(high, central))
    if parameter.kind == "integer":
        low, high = float(round(low)), float(round(high))
    spec = {"low": low, "high": high, "dist": assumption.dist}
    if assumption.dist != "uniform":
        spec["mode"] = central
    return spec


class WhatifApp(w.VBox):
    """The whole app. ``WhatifApp()`` starts on the defaults; see :meth:`from_environment`.

    ``immediate=True`` recomputes synchronously on every change (tests); otherwise
    changes arriving while a run is queued are coalesced into one run.
    """

    def __init__(self, scenario: Scenario | None = None, immediate: bool = False,
                 save_dir: Path | None = None):
        self.scenario = scenario or Scenario.from_yaml(SCENARIO_DIR / "baseline.yaml")
        self.immediate = immediate
        self.save_dir = Path(save_dir) if save_dir is not None else USER_DIR
        self.result: SimulationResult | None = None
        self.solve: SolveResult | None = None
        self.last_refresh_seconds = 0.0
        self._pending = False
        self._dirty = False  # a full refresh is queued
        self._sensitivity_dirty = False  # only the "What matters most?" tab is queued
        self._sobol_stale = True  # the Sobol chart lags the settings (computed when shown)
        self.sensitivity = None  # tornado of the chosen output (DataFrame)
        self.sobol_indices = None  # Sobol indices of the chosen output (DataFrame)
        self._last_goal = ("capacity_loss", 0.5)

        # --- controls, generated from the registry -----------------------------------
        looks = SharedLooks()  # one layout/style model for all controls, not one each
        self.controls = {name: ParameterControl(p, self._parameter_changed, looks)
                         for name, p in REGISTRY.items()}
        groups = [w.VBox([c for c in self.controls.values() if c.parameter.group == g])
                  for g in GROUPS]
        self.mode = w.ToggleButtons(options=[("Point estimate", "point"), ("Monte Carlo", "mc")],
                                    value="point", tooltip="Point estimate: central values, "
                                    "expected strike outcome (instant). Monte Carlo: ranges.")
        self.samples = w.Dropdown(options=list(SAMPLE_CHOICES), value=2_000,
                                  description="Samples", layout=w.Layout(width="200px"))
        self.seed = w.BoundedIntText(value=0, min=0, max=2**31 - 1, description="Seed",
                                     layout=w.Layout(width="200px"))
        self.objective = w.Dropdown(options=[(OUTPUTS[o].label, o) for o in OBJECTIVES],
                                    value="capacity_loss", description="Goal",
                                    layout=w.Layout(width="420px"))
        self.at_least = w.Text(value="0.5", description="at least", continuous_update=False,
                               layout=w.Layout(width="200px"))
        self.at_least_error = w.HTML("")
        self.confidence = w.FloatSlider(value=0.8, min=0.5, max=0.99, step=0.01,
                                        description="Confidence", readout_format=".0%",
                                        continuous_update=True, layout=w.Layout(width="320px"))
        for widget in (self.mode, self.samples, self.seed, self.objective, self.confidence):
            widget.observe(self._settings_changed, names="value")
        self.at_least.observe(self._at_least_changed, names="value")
        uncertainty = w.VBox([self.mode, self.samples, self.seed, self.objective,
                              w.HBox([self.at_least, self.at_least_error]), self.confidence])
        self.accordion = w.Accordion(children=groups + [uncertainty],
                                     titles=tuple(GROUPS) + ("Uncertainty",), selected_index=0)
        self.reset_button = w.Button(description="Reset to defaults", icon="undo")
        self.reset_button.on_click(lambda _: self.reset())

        # --- scenarios ----------------------------------------------------------------
        self.scenario_picker = w.Dropdown(options=[CURRENT, *scenario_files(self.save_dir)], value=CURRENT,
                                          description="Scenario", layout=w.Layout(width="360px"))
        self.scenario_picker.observe(self._pick_scenario, names="value")
        self.upload = w.FileUpload(accept=".yaml,.yml", multiple=False, description="Upload YAML")
        self.upload.observe(self._uploaded, names="value")
        self.save_name = w.Text(placeholder="name for the saved scenario", layout=w.Layout(width="220px"))
        self.save_button = w.Button(description="Save as YAML", icon="save")
        self.save_button.on_click(lambda _: self.save())
        self.download = w.HTML("")
        self.export_button = w.Button(description="Export brief", icon="file")
        self.export_button.on_click(lambda _: self.export_brief())
        self.status = w.HTML("")
        self.status.add_class("whatif-status")
        self.title = w.HTML("")
        scenario_bar = w.VBox([
            w.HBox([self.scenario_picker, self.upload, self.reset_button]),
            w.HBox([self.save_name, self.save_button, self.export_button, self.download]),
            self.status,
        ])

        # --- outputs ------------------------------------------------------------------
        self.headline = w.HTML("")
        self.headline.add_class("whatif-headline")
        self.production_chart = BandChart("National Shahed-type production per day",
                                          "drones/day", "production_baseline",
                                          "production_strike", target=True)
        self.success_chart = SuccessChart()
        self.hits_chart = WeeklyHitsChart()
        self.grid_chart = BandChart("Grid capacity out of action", "GW",
                                    "grid_damaged_baseline", "grid_damaged_strike",
                                    scale=1e-3, y_format=",.1f")
        charts = w.GridBox([c.figure for c in (self.production_chart, self.success_chart,
                                               self.hits_chart, self.grid_chart)],
                           layout=w.Layout(grid_template_columns="repeat(2, minmax(380px, 1fr))"))
        self.compare_a = w.Dropdown(options=[CURRENT, *scenario_files(self.save_dir)], value=CURRENT,
                                    description="A", layout=w.Layout(width="360px"))
        self.compare_b = w.Dropdown(options=[CURRENT, *scenario_files(self.save_dir)],
                                    value="kagan-25-30.yaml", description="B",
                                    layout=w.Layout(width="360px"))
        self.compare_button = w.Button(description="Compare", icon="columns")
        self.compare_button.on_click(lambda _: self.compare())
        self.compare_table = w.HTML("")
        self.compare_chart = CompareChart()
        compare = w.VBox([w.HBox([self.compare_a, self.compare_b, self.compare_button]),
                          self.compare_table, self.compare_chart.figure])
        self.sensitivity_output = w.Dropdown(options=[(o.label, n) for n, o in OUTPUTS.items()],
                                             value="drones_denied", description="Output",
                                             layout=w.Layout(width="520px"))
        self.sensitivity_output.observe(lambda _: self._request_sensitivity(), names="value")
        self.tornado_chart = TornadoChart()
        self.sobol_samples = w.Dropdown(options=[(f"{n:,}", n) for n in SOBOL_SAMPLE_CHOICES],
                                        value=1_024, description="Sobol N",
                                        tooltip="Base sample size of the Sobol indices: more "
                                        "is steadier and slower", layout=w.Layout(width="200px"))
        self.sobol_samples.observe(lambda _: self._request_sensitivity(), names="value")
        self.sobol_error = w.HTML("")
        self.sobol_chart = SobolChart()
        matters = w.VBox([self.sensitivity_output, self.tornado_chart.figure,
                          w.HBox([self.sobol_samples, self.sobol_error]), w.HTML(SOBOL_NOTE),
                          self.sobol_chart.figure])
        self.record_panel = RecordPanel()  # the launch record and the fits: drawn once
        self.tabs = w.Tab(children=[charts, matters, compare, self.record_panel.widget],
                          titles=("Charts", "What matters most?", "Compare scenarios",
                                  "Record vs model"))
        self.matters = matters
        self.tabs.observe(self._tab_changed, names="selected_index")

        left = w.VBox([self.accordion], layout=w.Layout(width="560px", min_width="520px"))
        right = w.VBox([self.title, scenario_bar, self.headline, self.tabs],
                       layout=w.Layout(flex="1 1 auto"))
        super().__init__([w.HTML(STYLE), w.HBox([left, right])])
        self.add_class("whatif-app")
        self.load(self.scenario)

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
        path = os.environ.get("WHATIF_SCENARIO")
        scenario = Scenario.from_yaml(path) if path else None
        app = cls(scenario)
        app._run_pending()
        ready = os.environ.get("WHATIF_READY_FILE")
        if ready:
            try:
                Path(ready).write_text(f"{os.getpid()}\n", encoding="utf-8")
            except OSError:  # only a signal to `whatif app`: never a reason to fail
                pass
        return app

    # --- state changes ---------------------------------------------------------------
    def load(self, scenario: Scenario) -> None:
        """Show ``scenario`` in every control and recompute."""
        self.scenario = scenario
        for name, control in self.controls.items():
            control.set_value(scenario.values[name])
        self.title.value = (f"<h3 style='margin:4px 0'>{escape(scenario.title)}</h3>"
                            + (f"<div style='color:#555'>{escape(scenario.note)}</div>"
                               if scenario.note else ""))
        self._request_refresh()

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
        self._request_refresh()

    def _settings_changed(self, change) -> None:
        self._check_goal()
        self._request_refresh()

    def _at_least_changed(self, change) -> None:
        if self._check_goal():
            self._request_refresh()

    def _check_goal(self) -> bool:
        """Validate the goal as the solver would; keep the last good one if it fails."""
        text = self.at_least.value.strip()
        try:
            try:
                at_least = float(text)
            except ValueError:
                raise WhatifError(f"at_least: {text!r} is not a number") from None
            check_objective(self.objective.value, at_least, self.confidence.value, 300)
        except WhatifError as exc:
            self.at_least_error.value = f'<span style="color:#b00020">⚠ {escape(str(exc))}</span>'
            return False
        self.at_least_error.value = ""
        self._last_goal = (self.objective.value, at_least)
        return True

    def _goal(self) -> tuple[str, float]:
        """The objective and threshold in force (the last valid ones)."""
        return self._last_goal

    # --- scenarios -------------------------------------------------------------------
    def _pick_scenario(self, change) -> None:
        if change["new"] == CURRENT:
            return
        path = scenario_files(self.save_dir).get(change["new"])
        try:
            scenario = Scenario.from_yaml(path)
        except WhatifError as exc:
            self._say(str(exc), error=True)
        else:
            self.load(scenario)
            self._say(f"Loaded {change['new']}.")
        finally:
            self.scenario_picker.unobserve(self._pick_scenario, names="value")
            self.scenario_picker.value = CURRENT
            self.scenario_picker.observe(self._pick_scenario, names="value")

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
        try:
            scenario = Scenario.from_text(data.decode("utf-8"), origin=name)
        except UnicodeDecodeError:
            self._say(f"{name}: not a text file", error=True)
            return False
        except WhatifError as exc:
            self._say(str(exc), error=True)
            return False
        self.load(scenario)
        self._say(f"Loaded {name}.")
        return True

    def save(self) -> Path | None:
        """Save the current settings as YAML under ``data/scenarios/user/`` and offer a download."""
        raw = self.save_name.value.strip() or self.scenario.title
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", raw).strip("-").lower() or "scenario"
        scenario = self.scenario.with_text(title=raw)
        text = scenario.to_yaml()
        self.save_dir.mkdir(parents=True, exist_ok=True)
        path = self.save_dir / f"{slug}.yaml"
        path.write_text(text, encoding="utf-8")
        href = "data:text/yaml;base64," + base64.b64encode(text.encode("utf-8")).decode("ascii")
        self.download.value = f'<a download="{slug}.yaml" href="{href}">Download {slug}.yaml</a>'
        options = [CURRENT, *scenario_files(self.save_dir)]
        for picker in (self.scenario_picker, self.compare_a, self.compare_b):
            value = picker.value
            picker.options = options
            picker.value = value if value in options else CURRENT
        self._say(f"Saved {path}.")
        return path

    def export_brief(self) -> Path:
        """Write the HTML brief of the current settings next to saved scenarios; offer it."""
        from whatif.brief import brief_html

        samples = 0 if self.mode.value == "point" else int(self.samples.value)
        self._say("Writing the brief…")
        html = brief_html(self.scenario, samples=samples, seed=int(self.seed.value))
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", self.scenario.title).strip("-").lower() or "brief"
        self.save_dir.mkdir(parents=True, exist_ok=True)
        path = self.save_dir / f"{slug}.html"
        path.write_text(html, encoding="utf-8")
        href = "data:text/html;base64," + base64.b64encode(html.encode("utf-8")).decode("ascii")
        self.download.value = f'<a download="{slug}.html" href="{href}">Download {slug}.html</a>'
        self._say(f"Brief written to {path}.")
        return path

    def compare(self) -> None:
        """Headline figures of two scenarios side by side, and their production curves."""
        picked = []
        for picker in (self.compare_a, self.compare_b):
            if picker.value == CURRENT:
                picked.append(("current", self.scenario))
                continue
            try:
                picked.append((picker.value,
                               Scenario.from_yaml(scenario_files(self.save_dir)[picker.value])))
            except WhatifError as exc:
                self._say(str(exc), error=True)
                return
        (label_a, a), (label_b, b) = picked
        goal, at_least = self._goal()
        runs = [self._run(s, goal, at_least) for s in (a, b)]
        figs = [headline_figures(r, s) for r, s in runs]
        rows = "".join(
            f"<tr><td>{fa.label}</td><td><b>{fa.value}</b><br><small>{fa.spread}</small></td>"
            f"<td><b>{fb.value}</b><br><small>{fb.spread}</small></td></tr>"
            for fa, fb in zip(*figs, strict=True)
        )
        self.compare_table.value = (
            "<table class='whatif-compare' style='border-collapse:collapse'>"
            f"<tr><th></th><th>A: {escape(a.title)}</th><th>B: {escape(b.title)}</th></tr>{rows}</table>"
        )
        self.compare_chart.update(runs[0][0], runs[1][0], label_a, label_b)

    # --- running the model -----------------------------------------------------------
    def _run(self, scenario: Scenario, goal: str, at_least: float) -> tuple[SimulationResult, SolveResult]:
        samples = 0 if self.mode.value == "point" else int(self.samples.value)
        seed = int(self.seed.value)
        result = simulate(scenario, samples=samples, seed=seed, series=True, bands=CHART_BANDS)
        solve = missiles_needed(scenario, goal, at_least, float(self.confidence.value),
                                samples=samples, seed=seed)
        return result, solve

    def _request_refresh(self, sensitivity_only: bool = False) -> None:
        """Recompute now, or once the queued changes have been taken in (coalesced).

        ``sensitivity_only``: only the "What matters most?" tab needs it (its output or
        Sobol sample size changed, or it was opened).
        """
        if self.immediate:
            if sensitivity_only:
                self._update_sensitivity()
            else:
                self.refresh()
            return
        if sensitivity_only:
            self._sensitivity_dirty = True
        else:
            self._dirty = True
        if self._pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (plain Python): run now
            self.refresh()
            return
        self._pending = True
        loop.call_soon(self._run_pending)

    def _run_pending(self) -> None:
        self._pending = False
        if self._dirty:
            self.refresh()
        elif self._sensitivity_dirty:
            self._update_sensitivity()

    def _request_sensitivity(self) -> None:
        self._request_refresh(sensitivity_only=True)

    def _tab_changed(self, change) -> None:
        if self.sensitivity_tab_shown and self._sobol_stale:
            self._request_sensitivity()

    def refresh(self) -> None:
        """Run the model on the current settings and update the headline and the charts."""
        self._dirty = False
        started = time.perf_counter()
        goal, at_least = self._goal()
        result, solve = self._run(self.scenario, goal, at_least)
        self.result, self.solve = result, solve
        uncertain = self.mode.value == "mc"
        for name, control in self.controls.items():
            control.show_range(self.scenario.values[name], uncertain)
        self.headline.value = headline_html(headline_figures(result, solve))
        self.production_chart.update(result)
        self.success_chart.update(solve)
        self.hits_chart.update(result)
        self.grid_chart.update(result)
        self.record_panel.update(self.scenario)
        self._update_sensitivity()
        self.last_refresh_seconds = time.perf_counter() - started

    @property
    def sensitivity_tab_shown(self) -> bool:
        return self.tabs.selected_index == self.tabs.children.index(self.matters)

    def _update_sensitivity(self) -> None:
        """The tornado (always; deterministic, ~1 ms) and, while the "What matters most?"
        tab is shown, the Sobol indices of the chosen output for the current settings.

        Hidden, the Sobol chart is only marked stale and is computed when the tab is
        opened, so that it never slows down the other charts.
        """
        self._sensitivity_dirty = False
        name = self.sensitivity_output.value
        spec = OUTPUTS[name]
        self.sensitivity = tornado(self.scenario, name)
        self.tornado_chart.update(self.sensitivity, spec.label, spec.unit)
        self._sobol_stale = True
        if self.sensitivity_tab_shown:
            self._update_sobol()

    def _update_sobol(self) -> None:
        """Sobol indices of the chosen output (app's seed, chosen base sample size)."""
        name, samples = self.sensitivity_output.value, int(self.sobol_samples.value)
        try:
            self.sobol_indices = sobol(self.scenario, name, samples=samples,
                                       seed=int(self.seed.value))
        except WhatifError as exc:  # e.g. nothing is uncertain: no variance to apportion
            self.sobol_indices = None
            self.sobol_error.value = f'<span style="color:#b00020">⚠ {escape(str(exc))}</span>'
            self.sobol_chart.clear("Sobol indices: nothing to show")
        else:
            self.sobol_error.value = ""
            self.sobol_chart.update(self.sobol_indices, OUTPUTS[name].label, samples)
        self._sobol_stale = False

    def _say(self, message: str, error: bool = False) -> None:
        color = "#b00020" if error else "#1b5e20"
        mark = "⚠ " if error else ""
        self.status.value = f'<span style="color:{color}">{mark}{escape(message)}</span>'


def headline_text(app: WhatifApp) -> dict[str, str]:
    """The headline values as shown (key → P50 text), for tests and scripts."""
    return {f.key: f.value for f in headline_figures(app.result, app.solve)}


__all__ = ["WhatifApp", "headline_text", "scenario_files", "shifted"]
