"""HTML briefs: one self-contained file a reader opens anywhere, with no network and no kernel.

``whatif brief SCENARIO -o brief.html`` (a YAML file or a bundled name) executes the template
notebook ``notebooks/brief.ipynb`` (bundled as ``whatif._notebooks``) with papermill
(parameters: scenario, samples, seed) and converts it with nbconvert, code hidden. The
notebook only calls :class:`Brief`, which computes the numbers and renders every section as
escaped HTML with the charts as inline SVG (matplotlib), so nothing is fetched when the file
is opened.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from whatif import presentation as look
from whatif import resources
from whatif.calibrate import Calibration, calibrate, comparison, load_production_estimates
from whatif.discover import import_in_background
from whatif.engine import (
    SimulationResult,
    SolveResult,
    _check_samples,
    _check_seed,
    check_series_samples,
    check_solve_work,
    check_work,
    missiles_needed,
    simulate,
    work_per_run,
)
from whatif.errors import WhatifError, show_text
from whatif.figures import (
    backtest_figure,
    record_defeat_figure,
    record_production_figure,
    trade_off_figure,
)
from whatif.formatting import format_value
from whatif.inputs import check_writable, path_problem
from whatif.outputs import DEBATE_SALVO, OUTPUTS, weekly_hits
from whatif.params import NUMERIC, REGISTRY, Assumption
from whatif.presentation import BandChartSpec, legend_below, new_axes, percent_ticks, svg
from whatif.scenario import Scenario
from whatif.sensitivity import check_sobol_work, sobol, tornado
from whatif.views.discovery import (
    BRIEF_FUTURES,
    BRIEF_SAMPLES,
    WhenItWorks,
    finding_html,
    method_text,
    size_text,
    when_it_works_or_reason,
)
from whatif.views.working import brief_appendix

TEMPLATE = "brief.ipynb"  # a bundled notebook (whatif.resources.notebook)
GOAL = ("capacity_loss", 0.5, 0.8)  # the brief's goal: lose half the plant, 80 % confidence
MAIN_OUTPUT = "drones_denied"  # the output the tornado and the Sobol indices explain
#: Sobol base sample size: ~0.3–1 s for the shipped scenarios; indices move by about 0.002
#: (standard deviation) between seeds on the baseline, so two decimals are shown
SOBOL_SAMPLES = 8_192
SOLVE_MAX_MISSILES = 300  # the largest salvo on the brief's success curve
SOBOL_ROWS = 10  # assumptions listed in the table and chart; the rest are named in a line
BACKTEST_SAMPLES = 2_000  # draws per origin of the record section's backtest chart


def _version() -> str:
    from whatif import __version__

    return __version__


@dataclass
class Brief:
    """Everything a brief shows, computed once from a scenario, samples and a seed."""

    scenario: Scenario
    samples: int
    seed: int
    result: SimulationResult
    solve: SolveResult | None  # None: the scenario's plan fixes its missiles
    sensitivity: pd.DataFrame
    sobol: pd.DataFrame | None  # None: no assumption is uncertain
    created: str
    calibration: Calibration | None = None  # the fits to the launch record
    discovery: WhenItWorks | None = None  # "When does it work?" (None: see the reason)
    discovery_reason: str = ""

    @classmethod
    def compute(cls, scenario: Scenario | str | Path, samples: int = 10_000, seed: int = 0,
                created: str | None = None) -> Brief:
        if not isinstance(scenario, Scenario):
            scenario = Scenario.from_yaml(resources.scenario_path(scenario))  # or a bundled name
        import_in_background()  # the workbench loads while the model runs
        result = simulate(scenario, samples=samples, seed=seed, series=True)
        # a plan fixes its missiles: there is no salvo size to solve for
        solve = None if scenario.plan else missiles_needed(
            scenario, *GOAL, samples=samples, seed=seed, max_missiles=SOLVE_MAX_MISSILES)
        sensitivity = tornado(scenario, MAIN_OUTPUT)
        uncertain = any(not scenario.values[n].is_fixed for n in NUMERIC)
        # nothing uncertain: no variance to apportion (any other error is the caller's)
        indices = sobol(scenario, MAIN_OUTPUT, samples=SOBOL_SAMPLES, seed=seed) if uncertain \
            else None
        created = created or dt.date.today().isoformat()
        # a small ensemble (~0.3 s) and scenario discovery for the brief's goal, on its seed
        discovery, reason = when_it_works_or_reason(
            scenario, GOAL[0], GOAL[1], futures=BRIEF_FUTURES, samples=BRIEF_SAMPLES,
            seed=seed if seed is not None else 0)
        return cls(scenario, samples, seed, result, solve, sensitivity, indices, created,
                   calibrate(), discovery, reason)

    # --- text ------------------------------------------------------------------------
    def bottom_line(self) -> str:
        """One paragraph generated from the numbers (plain text)."""
        s, out = self.scenario, self.result.outputs
        if self.solve is None:
            return self._plan_bottom_line()
        salvo = s.values["missiles"]
        missiles = (f"{salvo.central:.0f}" if salvo.is_fixed or not self.samples
                    else f"{salvo.low:.0f}–{salvo.high:.0f}")
        chance = float((out["capacity_loss"] >= GOAL[1]).mean())
        needed = self.solve.missiles_needed
        needed_text = (f"{needed} missiles" if needed is not None
                       else f"more than {self.solve.max_missiles} missiles")
        return (
            f"With these assumptions a salvo of {missiles} missiles has a {chance:.0%} chance of "
            f"cutting the plant's output by at least half; {needed_text} would be needed for an "
            f"{GOAL[2]:.0%} chance. " + self._consequences("the strike"))

    def _range(self, name: str) -> str:
        """An output's P50 with its P10–P90, as the bottom line writes it."""
        row = self.result.summary.loc[name]
        unit = OUTPUTS[name].unit
        if row["p10"] == row["p90"]:
            return format_value(row["p50"], unit)
        return (f"{format_value(row['p50'], unit)} (P10–P90 {format_value(row['p10'], unit)}"
                f"–{format_value(row['p90'], unit)})")

    def _consequences(self, actor: str) -> str:
        """The bottom line from national output on: what ``actor`` (the strike, the plan)
        denies and averts, the stock, the cost, and the path and policy assumed."""
        s, rng = self.scenario, self._range
        horizon = int(s.central("horizon_days"))
        return (
            f"National output stays below 90% of the no-strike path for "
            f"{rng('days_disrupted')} days. Over the {horizon}-day horizon {actor} denies "
            f"{rng('drones_denied')} drones, {rng('target_share_denied')} of the target output, "
            f"and averts {rng('energy_hits_averted')} hits on energy infrastructure "
            f"({rng('energy_hit_reduction')} fewer), worth {rng('grid_gw_days_averted')} GW·days "
            f"of grid outage; the stock is still {rng('stock_shortfall_end')} drones short at the "
            f"end, which defers {rng('energy_hits_deferred')} more hits past the horizon. Each "
            f"dollar of missiles denies {rng('cost_exchange_ratio')} dollars of drones and "
            f"defence. Assumed: {look.path_text(s)}; "
            f"{look.POLICY_TEXT[s.central('stock_policy')]}.")

    def _plan_bottom_line(self) -> str:
        """The bottom line of a scenario with a plan (no salvo size to solve for)."""
        s = self.scenario
        fired = sum(salvo.total for salvo in s.plan)
        target = ("the listed sites' combined output" if s.system is not None
                  else "the plant's output")
        return (f"With these assumptions the plan fires {fired:,} missiles in "
                f"{look.plan_summary(s)}. The first salvo cuts {target} by "
                f"{self._range('capacity_loss')}. " + self._consequences("the plan"))

    def plan_html(self) -> str:
        """The target system, the plan's salvos and each site's capacity over time."""
        s = self.scenario
        if not s.plan:
            return ""
        names = s.site_names
        if s.system is not None:
            site_rows = []
            for site in s.system.sites:
                feeds = (f"{site.share:.0%} of national output" if site.role == "assembly"
                         else "supplies " + ", ".join(site.supplies))
                own = "; ".join(f"{k} {assumption_text(v)}"
                                for k, v in site.overrides.items()) or "the scenario's"
                site_rows.append(
                    f"<tr><td>{escape(site.name)}</td><td>{escape(site.role)}</td>"
                    f"<td>{escape(feeds)}</td>"
                    f"<td>{escape('; '.join(str(st) for st in site.stages))}</td>"
                    f"<td>{escape(own)}</td></tr>")
            unlisted = 1.0 - float(s.system.share.sum())
            sites = ("<table class='brief-table'><tr><th>Site</th><th>Role</th><th>Share or "
                     "supplies</th><th>Stages (aimpoints)</th><th>Own assumptions</th></tr>"
                     + "".join(site_rows) + "</table>"
                     f"<p>Output made at no listed site ({unlisted:.0%}) is not struck. A site "
                     "makes no more than its own surviving capacity and no more than each "
                     "supplier can feed it.</p>")
        else:
            sites = (f"<p>The single plant (<code>plant</code>): "
                     f"{escape('; '.join(str(st) for st in s.stages))}, "
                     f"{float(s.central('site_share')):.0%} of national output.</p>")
        head = "".join(f"<th>{escape(name)}</th>" for name in names)
        salvo_rows = "".join(
            f"<tr><td>{salvo.day}</td>"
            + "".join(f"<td>{salvo.missiles.get(name, 0):,}</td>" for name in names)
            + f"<td>{salvo.total:,}</td></tr>" for salvo in s.plan)
        inventory = ""
        if s.inventory is not None:
            inventory = (f"<p>Inventory: {s.inventory.on_hand:,} missiles in hand on day 0, "
                         f"{s.inventory.delivered_per_30_days:,} delivered every 30 days; every "
                         "salvo fires only what is in hand on its day.</p>")
        salvos = ("<table class='brief-table'><tr><th>Day</th>" + head + "<th>All</th></tr>"
                  + salvo_rows + "</table>")
        losses = ""
        if self.result.sites is not None:
            rows = "".join(
                f"<tr><th>{escape(str(name))}</th>"
                + "".join(f"<td>{escape(format_value(row[k], 'share'))}</td>"
                          for k in ("p10", "p50", "p90", "mean")) + "</tr>"
                for name, row in self.result.sites.iterrows())
            losses = ("<p>Each site's output lost right after the first salvo (its own loss, or "
                      "a supplier's if larger):</p><table class='brief-table'><tr><th>Site</th>"
                      "<th>P10</th><th>P50</th><th>P90</th><th>mean</th></tr>" + rows
                      + "</table>")
        chart = f'<figure class="brief-chart">{sites_svg(self.result)}</figure>'
        return "<h2>The plan</h2>" + sites + salvos + inventory + losses + chart

    # --- sections (escaped HTML) -----------------------------------------------------
    def header_html(self) -> str:
        s = self.scenario
        mode = (f"{self.samples:,} Monte Carlo samples, seed {self.seed}" if self.samples
                else "deterministic (central values)")
        return (f'<h1 class="brief-title">{escape(s.title)}</h1>'
                f'<p class="brief-meta">whatif {escape(_version())} · {escape(self.created)} · '
                f"{escape(mode)}</p>"
                + (f'<p class="brief-note">{escape(s.note)}</p>' if s.note else "")
                + f'<h2>Bottom line</h2><p class="bottom-line">{escape(self.bottom_line())}</p>')

    def headline_table_html(self) -> str:
        rows = []
        for name, row in self.result.summary.iterrows():
            unit = OUTPUTS[name].unit
            cells = "".join(f"<td>{escape(format_value(row[k], unit))}</td>"
                            for k in ("p10", "p50", "p90", "mean"))
            label = look.output_label(name, self.scenario)
            rows.append(f"<tr><th>{escape(label)}</th>{cells}</tr>")
        return ("<h2>Headline figures</h2><table class='brief-table'><tr><th>Output</th>"
                "<th>P10</th><th>P50</th><th>P90</th><th>mean</th></tr>" + "".join(rows)
                + "</table>")

    def charts_html(self) -> str:
        other = look.other_path(self.scenario)
        charts = [(production_svg(self.result, other),
                   f"Faint: the {other.name} path without a strike, for comparison.")]
        if self.solve is not None:
            goal = look.goal_text(self.solve.objective, self.solve.at_least,
                                  self.solve.confidence)
            charts.append((success_svg(self.solve), f"Goal: {goal}."))
        charts += [(hits_svg(self.result), ""), (grid_svg(self.result), ""),
                   (tornado_svg(self.sensitivity), "")]
        return "<h2>Charts</h2>" + "".join(
            f'<figure class="brief-chart">{chart}'
            + (f"<figcaption>{escape(caption)}</figcaption>" if caption else "") + "</figure>"
            for chart, caption in charts)

    def sobol_html(self) -> str:
        """Sobol indices of drones denied: what drives its spread (table and chart)."""
        spec = OUTPUTS[MAIN_OUTPUT]
        head = f"<h2>What drives the spread in {escape(spec.label.lower())}</h2>"
        if self.sobol is None:
            return head + ("<p>No assumption is uncertain in this scenario, so there is no "
                           "spread to apportion.</p>")
        d = len(self.sobol)
        runs = SOBOL_SAMPLES * (d + 2)
        level = f"{self.sobol.attrs['confidence_level']:.0%}"
        intro = (
            f"<p>Sobol indices over the {d} uncertain assumptions' distributions, on the "
            "deterministic chain (expected strike outcome). <b>S1</b> (first order) is the share "
            "of the variance of drones denied that an assumption causes on its own; <b>ST</b> "
            "(total order) includes its interactions with the others. Saltelli (2010) "
            f"estimators (<code>scipy.stats.sobol_indices</code>) from {SOBOL_SAMPLES:,} base "
            f"samples ({runs:,} model runs), seed {self.seed}. Beside each index, its {level} "
            f"confidence interval (bootstrap, {self.sobol.attrs['n_resamples']:,} resamples of "
            "the sampled points); an interval that reaches 0 means the assumption's share "
            "cannot be told from none at this sample size.</p>")
        shown = self.sobol.head(SOBOL_ROWS)
        rows = "".join(
            f"<tr><td>{escape(REGISTRY[r.parameter].label)}<br><code>{escape(r.parameter)}"
            f"</code></td><td>{index_text(r.first_order)}</td>"
            f'<td class="ci">{interval_text(r.first_order_low, r.first_order_high)}</td>'
            f"<td>{index_text(r.total_order)}</td>"
            f'<td class="ci">{interval_text(r.total_order_low, r.total_order_high)}</td></tr>'
            for r in shown.itertuples(index=False))
        table = ("<table class='brief-table sobol'><tr><th>Assumption</th><th>S1</th>"
                 f"<th>{level} interval</th><th>ST</th><th>{level} interval</th></tr>"
                 + rows + "</table>")
        rest = self.sobol.iloc[SOBOL_ROWS:]
        if len(rest):
            most = rest["total_order"].max()
            bound = f"at most {most:.2f}" if most >= 0.005 else "below 0.005"
            table += (f"<p>The other {len(rest)} uncertain assumptions have ST {bound}: "
                      f"{escape(', '.join(rest['parameter']))}.</p>")
        chart = f'<figure class="brief-chart">{sobol_svg(self.sobol)}</figure>'
        return head + intro + table + chart

    def discovery_html(self) -> str:
        """When does it work? The share of futures of a small ensemble in which the brief's
        goal is met, the box of assumptions in which it is met (PRIM) with its coverage
        and density, and the peeling trade-off (as the app's tab of that name)."""
        head = "<h2>When does it work?</h2>"
        found = self.discovery
        if found is None:
            return head + f"<p>{escape(self.discovery_reason)}</p>"
        runs = found.ensemble
        intro = f"<p>{escape(method_text(runs))} {escape(size_text(runs, False))}.</p>"
        chart = ""
        if found.box is not None:
            chart = (f'<figure class="brief-chart trade-off">{svg(trade_off_figure(found.box))}'
                     "<figcaption>Each step of the peeling narrows one assumption's range: "
                     "density rises as coverage falls. The marked step is the box "
                     "listed above.</figcaption></figure>")
        return head + intro + finding_html(found, table_class="brief-table") + chart

    def record_html(self) -> str:
        """The public launch record beside the scenario's baseline, and the check of the
        scenario's production_now and defeat_rate against the fits to that record."""
        calibration = self.calibration or calibrate()
        frames = comparison(calibration, self.scenario, int(self.scenario.central("horizon_days")))
        fit = calibration.production
        rows = []
        for name, row in frames["check"].iterrows():
            verdict = "inside" if row.within else "<b>outside</b>"
            rows.append(
                f"<tr><td>{escape(REGISTRY[name].label)}<br><code>{escape(name)}</code></td>"
                f"<td>{escape(format_value(row.value, row.unit))}</td>"
                f"<td>{escape(format_value(row.fitted, row.unit))}</td>"
                f"<td>{escape(format_value(row.low, row.unit))}–"
                f"{escape(format_value(row.high, row.unit))}</td>"
                f"<td>{verdict}</td></tr>")
        intro = (
            "<p>The Ukrainian Air Force's monthly launch record (September 2022 to December 2025, "
            "each month cited in <code>data/historical/</code>) against this scenario. The model's "
            f"logistic production path, fitted to UAV launches per day ({escape(fit.window[0])} to "
            f"{escape(fit.window[1])}), times the Air Force's Shahed-type share "
            f"({fit.shahed_share.value:.2f}), gives the national output on day 0; "
            "a quasi-binomial fit over "
            f"{escape(calibration.defeat_rate_window[0])} to "
            f"{escape(calibration.defeat_rate_window[1])} "
            "gives the defeat rate. This assumes launches ≈ output: a stockpile being built would "
            "mean higher output, and public production estimates that include decoys (hollow "
            "triangles) are well above launches. The climb to the stated target is the stated "
            "aim, not a fit.</p>")
        table = ("<table class='brief-table record'><tr><th>Assumption</th><th>Scenario</th>"
                 "<th>Fitted</th><th>90% interval</th><th>Scenario vs interval</th></tr>"
                 + "".join(rows) + "</table>")
        charts = [record_production_figure(frames, calibration, load_production_estimates()),
                  record_defeat_figure(frames, calibration,
                                       float(self.scenario.central("defeat_rate")))]
        return ("<h2>The record beside the model's baseline</h2>" + intro + table
                + "".join(f'<figure class="brief-chart">{svg(fig)}</figure>' for fig in charts)
                + self.backtest_html(calibration))

    def backtest_html(self, calibration: Calibration) -> str:
        """The production paths projected one month ahead from each month-end of the record,
        fitted on the record up to it only, beside what followed (:mod:`whatif.backtest`)."""
        from whatif.backtest import backtest

        result = backtest(calibration.record, horizons=(1,), samples=BACKTEST_SAMPLES,
                          seed=self.seed, scenario=self.scenario)
        scores = result.to_dict()["paths"]
        first = result.bands["origin"].min() if len(result.bands) else "–"
        told = "; ".join(
            f"{path}: inside its P10–P90 band in {entry['coverage80']:.0%} of "
            f"{entry['origins']} months (P5–P95: {entry['coverage90']:.0%}), median error "
            f"×/÷ {np.exp(entry['median_abs_log_error']):.2f}"
            for path, entry in ((path, scores[path]["1"]) for path in result.paths)
            if entry["origins"])
        caption = (
            f"Backtest, one month ahead: at each month-end from {first} the trend path is "
            "fitted to the record up to that month only (its parameter and month-to-month "
            "uncertainty drawn), the target path climbs from the level fitted there as this "
            f"scenario's ramp says, and each is projected over the next month. {told}. In UAVs "
            "launched per day (the record's unit, decoys included): the target is compared as "
            "a UAV count, and launches ≈ output is assumed.")
        return (f'<figure class="brief-chart">{svg(backtest_figure(result.bands, 1))}'
                f"<figcaption>{escape(caption)}</figcaption></figure>")

    def assumptions_html(self) -> str:
        rows = []
        for name, p in REGISTRY.items():
            value = self.scenario.values[name]
            if isinstance(value, Assumption):
                shown = assumption_text(value)
            elif p.kind == "stages":
                shown = "; ".join(str(stage) for stage in value)
            else:
                shown = str(value)
            source = escape(p.source)
            if p.source_url.startswith(("https://", "http://")):
                source += f' <a href="{escape(p.source_url)}">link</a>'
            set_here = " *" if name in self.scenario.overrides else ""
            rows.append(f"<tr><td>{escape(p.label)}{set_here}<br><code>{escape(name)}</code></td>"
                        f"<td>{escape(p.unit)}</td><td>{escape(shown)}</td>"
                        f"<td>{escape(p.range_text())}</td><td class='src'>{source}</td></tr>")
        return ("<h2>Assumptions</h2><p>* set by this scenario; the rest are the cited defaults "
                "of <code>data/assumptions.csv</code>.</p><table class='brief-table assumptions'>"
                "<tr><th>Assumption</th><th>Unit</th><th>Value</th><th>Allowed</th>"
                "<th>Source</th></tr>" + "".join(rows) + "</table>")

    def footer_html(self) -> str:
        return (f'<h2>Reproduce</h2><p class="brief-meta">whatif {escape(_version())}, '
                f"{self.samples:,} samples, seed {self.seed}: <code>whatif brief SCENARIO.yaml "
                f"--samples {self.samples} --seed {self.seed}</code> with this scenario gives the "
                "same numbers.</p>")

    def sections(self) -> list[str]:
        sections = [self.header_html(), self.headline_table_html(), self.plan_html(),
                    self.charts_html(), self.sobol_html(), self.discovery_html(),
                    self.record_html(),
                    self.assumptions_html(), self.footer_html(),
                    brief_appendix(self.result)]  # the working of each headline figure
        return [section for section in sections if section]


def assumption_text(value: Assumption | str) -> str:
    """An assumption as the brief shows it: ``60 (triangular 30–365)``; a choice as is."""
    if not isinstance(value, Assumption):
        return str(value)
    shown = format_number(value.central)
    if value.dist != "fixed":
        shown += f" ({value.dist} {format_number(value.low)}–{format_number(value.high)})"
    return shown


def format_number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:g}"


# --- charts: static SVG (no scripts, no fonts to fetch); text and colours as the app's -----
def _band_chart(result: SimulationResult, spec: BandChartSpec, other=None) -> str:
    series = result.series
    days = series.index.to_numpy()
    fig, ax = new_axes(spec.text)
    k = spec.scale
    for name, color, label in ((spec.base, look.NO_STRIKE, look.NO_STRIKE_P50),
                               (spec.strike, look.STRIKE, look.STRIKE_P50)):
        ax.fill_between(days, series[(name, "p10")] * k, series[(name, "p90")] * k,
                        color=color, alpha=look.BAND_OPACITY, linewidth=0)
        ax.plot(days, series[(name, "p50")] * k, color=color, label=label)
    if spec.target:
        if other is not None:  # the path not chosen, faintly (as in the app)
            ax.plot(other.days, other.production * k, color=look.NO_STRIKE,
                    alpha=look.OTHER_PATH_OPACITY, linestyle="-.", linewidth=1.2,
                    label=other.label)
        ax.axhline(float(result.scenario.central("production_target")), color=look.TARGET,
                   linestyle="--", linewidth=1, label=look.TARGET_LABEL)
    ax.set_ylim(bottom=0)
    legend_below(ax)
    return svg(fig)


def production_svg(result: SimulationResult, other: look.OtherPath | None = None) -> str:
    """The production chart; ``other`` (:func:`whatif.presentation.other_path`) is the
    path not chosen, drawn faintly."""
    return _band_chart(result, look.PRODUCTION, other)


def grid_svg(result: SimulationResult) -> str:
    return _band_chart(result, look.GRID)


def hits_svg(result: SimulationResult) -> str:
    weekly = weekly_hits(result)  # the same weekly aggregation as the app
    weeks = weekly.index.to_numpy() + 1
    fig, ax = new_axes(look.HITS)
    ax.bar(weeks - 0.2, weekly["baseline"], width=0.4, color=look.NO_STRIKE,
           label=look.NO_STRIKE_MEAN)
    ax.bar(weeks + 0.2, weekly["strike"], width=0.4, color=look.STRIKE, label=look.STRIKE_MEAN)
    legend_below(ax)
    return svg(fig)


def sites_svg(result: SimulationResult) -> str:
    """Each site's capacity in action over time beside national output
    (:func:`whatif.presentation.site_lines`, as the app's Plan tab)."""
    days = result.series.index.to_numpy()
    fig, ax = new_axes(look.SITES)
    for i, (label, values) in enumerate(look.site_lines(result)):
        if label == look.NATIONAL_LABEL:
            ax.plot(days, values, color=look.NATIONAL, linewidth=2, label=label)
        else:
            ax.plot(days, values, color=look.SITE_COLORS[i % len(look.SITE_COLORS)],
                    label=label)
    ax.set_ylim(0, 1.02)
    legend_below(ax)
    return svg(fig)


def success_svg(solve: SolveResult) -> str:
    curve = solve.curve
    fig, ax = new_axes(look.SUCCESS)
    ax.axvspan(*DEBATE_SALVO, color=look.DEBATE, alpha=look.DEBATE_OPACITY,
               label=look.DEBATE_LABEL)
    ax.plot(curve["missiles"], curve["probability"], color=look.STRIKE, label=look.SUCCESS_LABEL)
    ax.axhline(solve.confidence, color=look.TARGET, linestyle="--", linewidth=1,
               label=look.CONFIDENCE_LABEL)
    if solve.missiles_needed is not None:
        ax.plot([solve.missiles_needed], [curve["probability"].iloc[solve.missiles_needed]], "o",
                color=look.TARGET)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(percent_ticks())
    legend_below(ax)
    return svg(fig)


def tornado_svg(frame: pd.DataFrame, output: str = MAIN_OUTPUT, top: int = 10) -> str:
    """:func:`whatif.sensitivity.tornado` of ``output``: each assumption at its low and high."""
    rows = frame.head(top).iloc[::-1]
    central = frame.attrs["central"]
    fig, ax = new_axes(look.ChartText(look.tornado_title(output, central),
                                      look.output_axis_label(output), look.SENSITIVITY_AXIS))
    y = np.arange(len(rows))
    lo, hi = rows["output_at_low"].to_numpy(), rows["output_at_high"].to_numpy()
    ax.barh(y, lo - central, left=central, color=look.AT_LOW, label=look.AT_LOW_LABEL)
    ax.barh(y, hi - central, left=central, color=look.AT_HIGH, label=look.AT_HIGH_LABEL)
    ax.set_yticks(y, rows["parameter"])
    ax.axvline(central, color=look.REFERENCE, linewidth=1)
    legend_below(ax)
    return svg(fig)


def index_text(value: float) -> str:
    """A Sobol index to two decimals (``0.00``, not ``-0.00``, for a tiny negative one)."""
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def interval_text(low: float, high: float) -> str:
    """A confidence interval of a Sobol index, e.g. ``0.74 to 0.80``."""
    return f"{index_text(low)} to {index_text(high)}"


def sobol_svg(frame: pd.DataFrame, output: str = MAIN_OUTPUT, samples: int = SOBOL_SAMPLES,
              top: int = SOBOL_ROWS) -> str:
    """S1 and ST per assumption, largest ST at the top (same style as the tornado), each with
    its confidence interval as an error bar."""
    rows = frame.head(top).iloc[::-1]
    fig, ax = new_axes(look.ChartText(look.sobol_title(output, samples,
                                                       frame.attrs["confidence_level"]),
                                      look.SOBOL_AXIS, look.SENSITIVITY_AXIS))
    y = np.arange(len(rows))
    for offset, index, color, label in (
            (0.2, "first_order", look.FIRST_ORDER, look.FIRST_ORDER_LABEL),
            (-0.2, "total_order", look.TOTAL_ORDER, look.TOTAL_ORDER_LABEL)):
        ax.barh(y + offset, rows[index], height=0.4, color=color, label=label)
        # the interval as drawn from its ends (it need not be centred on the estimate)
        ax.hlines(y + offset, rows[f"{index}_low"], rows[f"{index}_high"],
                  color=look.REFERENCE, linewidth=1)
        for end in ("low", "high"):
            ax.plot(rows[f"{index}_{end}"], y + offset, linestyle="none", marker="|",
                    markersize=5, color=look.REFERENCE)
    interval = f"{frame.attrs['confidence_level']:.0%} interval"
    ax.plot([], [], color=look.REFERENCE, linewidth=1, marker="|", label=interval)
    ax.set_yticks(y, rows["parameter"])
    bounds = rows[["first_order_low", "total_order_low", "first_order_high", "total_order_high"]]
    ax.set_xlim(min(0.0, float(bounds.min().min())), max(1.0, float(bounds.max().max())))
    ax.axvline(0, color=look.REFERENCE, linewidth=1)
    legend_below(ax, last=(interval,))
    return svg(fig)


# --- the page --------------------------------------------------------------------------------
STYLE = """
body {font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
  max-width: 1000px; margin: 1.5em auto; padding: 0 1em; color: #222; line-height: 1.4;}
h1.brief-title {margin-bottom: 0.2em;} .brief-meta {color: #555; font-size: 90%;}
.bottom-line {font-size: 110%; background: #f6f6f6; padding: 0.8em;
  border-left: 4px solid """ + look.STRIKE + """;}
table.brief-table {border-collapse: collapse; width: 100%; font-size: 90%;}
table.brief-table th, table.brief-table td {border-bottom: 1px solid #ddd; padding: 4px 6px;
  text-align: left; vertical-align: top;}
table.assumptions td.src {font-size: 85%;}
table.brief-table.sobol {width: auto; min-width: 60%;} table.sobol td + td {text-align: right;}
table.sobol td.ci {color: #555; white-space: nowrap;}
figure.brief-chart {margin: 1em 0;} figure.brief-chart svg {max-width: 100%; height: auto;}
figure.brief-chart figcaption {font-size: 85%; color: #555;}
@page {size: A4; margin: 15mm;}
@media print {body {max-width: none; margin: 0;} figure.brief-chart, tr {break-inside: avoid;}
  h2 {break-after: avoid;}}
"""


def page(body: str, title: str) -> str:
    """A complete HTML document around ``body``: inline CSS, no scripts, no external files."""
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<main>{body}</main></body></html>\n")


def brief_html(scenario: Scenario, samples: int = 10_000, seed: int = 0) -> str:
    """The brief as one HTML document, computed in this process (the app's export)."""
    brief = Brief.compute(scenario, samples=samples, seed=seed)
    return page("".join(f"<div class='section'>{s}</div>" for s in brief.sections()),
                scenario.title)


def check_brief(scenario: Scenario, samples: int, seed: int) -> None:
    """Every limit :meth:`Brief.compute` would meet, checked before any work is done."""
    samples = _check_samples(samples)
    _check_seed(seed)
    check_series_samples(scenario, samples)
    check_work(samples, work_per_run(scenario))
    if not scenario.plan:  # (a plan fixes its missiles: nothing to solve for)
        check_solve_work(scenario, samples, SOLVE_MAX_MISSILES)
    if any(not scenario.values[n].is_fixed for n in NUMERIC):
        check_sobol_work(scenario, SOBOL_SAMPLES)


def render(scenario_path: str | Path, output: str | Path, samples: int = 10_000, seed: int = 0,
           notebook: str | Path | None = None) -> Path:
    """Execute the template notebook with papermill and write the brief as one HTML file.

    ``scenario_path`` is a YAML file or the name of a bundled scenario. The kernel runs in
    this process's folder with its environment, so ``$WHATIF_DATA_DIR`` holds there too.

    The scenario, the limits and the output paths are checked before the notebook runs;
    a failure inside the notebook becomes one :class:`~whatif.errors.WhatifError` line.
    """
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    source = resources.scenario_path(scenario_path)
    scenario = Scenario.from_yaml(source)  # bad files stop here, with a clear error
    check_brief(scenario, samples, seed)
    output = check_writable(output, "--output")
    if notebook is not None:
        notebook = check_writable(notebook, "--notebook")
    with tempfile.TemporaryDirectory() as tmp:
        executed = Path(notebook) if notebook else Path(tmp) / "brief.ipynb"
        try:
            papermill.execute_notebook(
                str(resources.notebook(TEMPLATE)), str(executed), progress_bar=False,
                parameters={"scenario_path": str(source.resolve()),
                            "samples": samples, "seed": seed}, kernel_name="python3",
            )
            nb = nbformat.read(executed, as_version=4)
        except OSError as exc:
            raise WhatifError(f"brief: cannot write or read the notebook: {path_problem(exc)}"
                              ) from None
        except Exception as exc:  # noqa: BLE001 (a failure in the kernel, in one line)
            raise WhatifError(f"brief: the notebook failed: {_notebook_failure(exc)}") from None
    exporter = HTMLExporter(template_name="basic", exclude_input=True,
                            exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    try:
        output.write_text(page(body, scenario.title), encoding="utf-8")
    except OSError as exc:
        raise WhatifError(f"--output: {show_text(str(output), 120)}: cannot write it: "
                          f"{path_problem(exc)}") from None
    return output


def _notebook_failure(exc: Exception) -> str:
    """What went wrong in the notebook: papermill's error name and value, else the error."""
    name = getattr(exc, "ename", None) or type(exc).__name__
    value = getattr(exc, "evalue", None)
    if value is None:
        value = str(exc)
    return show_text(f"{name}: {value}", 200)
