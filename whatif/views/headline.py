"""The headline: what the run buys, as P50 with the P10–P90 range, under the scenario's
title; and the app's CSS.

:func:`headline_figures` is plain data (tested without a browser); :func:`headline_html`
renders it as the app's cards.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from whatif import presentation as look
from whatif.engine import SimulationResult, SolveResult, point_estimate_is_exact
from whatif.formatting import format_value
from whatif.outputs import OUTPUTS
from whatif.presentation import POLICY_TEXT, goal_text, output_label, plan_summary
from whatif.scenario import Scenario

#: the side panel's width [CSS px]: two charts of at least 380 px fit beside it at 1280 px
SIDE_PANEL_PX = 400


@dataclass(frozen=True)
class Figure:
    """One headline card: an output's P50 (or the answer) and its spread."""

    key: str
    label: str
    value: str  # the P50 (or the deterministic value)
    spread: str  # "P10–P90: a – b", or "" when there is no spread
    note: str = ""


def _stat(result: SimulationResult, name: str) -> tuple[float, float, float]:
    row = result.summary.loc[name]
    return float(row["p10"]), float(row["p50"]), float(row["p90"])


def _figure(result: SimulationResult, key: str, label: str | None = None, note: str = "") -> Figure:
    unit = OUTPUTS[key].unit
    p10, p50, p90 = _stat(result, key)
    spread = "" if p10 == p90 else (
        f"P10–P90: {format_value(p10, unit)} – {format_value(p90, unit)}")
    return Figure(key, label or OUTPUTS[key].label, format_value(p50, unit), spread, note)


def headline_figures(result: SimulationResult, solve: SolveResult | None) -> list[Figure]:
    """The app's headline numbers for one run (P50 and P10–P90 of each output). With a
    plan (``solve`` None) the first figure is the missiles the plan fires."""
    if solve is None:
        fired = sum(s.total for s in result.scenario.plan)
        first = Figure("missiles_needed", "Missiles fired by the plan", f"{fired:,}", "",
                       plan_summary(result.scenario) + " (the Plan tab finds the best split)")
        return [first, *_outputs(result)]
    goal = goal_text(solve.objective, solve.at_least, solve.confidence)
    if solve.missiles_needed is None:
        needed = f"more than {solve.max_missiles}"
        at_max = solve.curve["probability"].iloc[-1]
        note = f"{goal}; at {solve.max_missiles} missiles the chance is {at_max:.0%}"
    else:
        needed = f"{solve.missiles_needed}"
        note = goal
    return [Figure("missiles_needed", "Missiles needed per salvo", needed, "", note),
            *_outputs(result)]


def _outputs(result: SimulationResult) -> list[Figure]:
    """The headline outputs after the first figure."""
    target = float(result.scenario.central("production_target"))
    share = _figure(result, "target_share_denied")
    return [
        _figure(result, "capacity_loss", label=output_label("capacity_loss", result.scenario),
                note=point_estimate_note(result)),
        _figure(result, "days_disrupted"),
        _figure(result, "drones_denied",
                note=f"= {share.value} of the {format_value(target, 'drones')}/day target over the "
                     f"horizon ({share.spread or 'no spread'})"),
        _figure(result, "energy_hits_averted",
                note=_reduction_note(result)),
        _figure(result, "energy_hits_deferred", note=deferred_note(result)),
        _figure(result, "grid_gw_days_averted"),
        _figure(result, "cost_exchange_ratio"),
    ]


def point_estimate_note(result: SimulationResult) -> str:
    """Why a point estimate of the capacity lost is not the exact expected value of the
    strike's random outcome ("" when it is, or in Monte Carlo mode)."""
    scenario = result.scenario
    if scenario.system is not None:
        return ("" if result.samples else "Point estimate: each site's expected loss; "
                "Monte Carlo gives the average.")
    if result.samples or point_estimate_is_exact(scenario, "capacity_loss"):
        return ""
    several = scenario.central("allocation") == "even" and len(scenario.stages) > 1
    if several:
        why = ("missiles are spread over several stages and the plant loses its worst one; "
               "this is each stage's expected loss, so the average loss is higher")
    else:
        why = ("the defence engages part of the salvo; this takes the expected number "
               "engaged, not its spread")
    return f"Point estimate, not an exact average: {why}. Monte Carlo gives the average."


def _reduction_note(result: SimulationResult) -> str:
    f = _figure(result, "energy_hit_reduction")
    note = f"= {f.value} fewer hits than without the strike"
    note += f" ({f.spread})" if f.spread else ""
    denied = result.summary.loc["drones_denied", "p50"]
    averted = result.summary.loc["energy_hits_averted", "p50"]
    if averted == 0 and denied > 0:
        stock = result.scenario.central("stockpile_days")
        note += (f"; the {stock:g}-day stock of finished drones covers the lost output, "
                 "so launches do not fall within the horizon: see hits deferred")
    return note


def deferred_note(result: SimulationResult) -> str:
    """Where the denied drones went that did not avert a hit within the horizon: the
    stock still short at the end, and the policy that left it so."""
    short = _figure(result, "stock_shortfall_end")
    policy = result.scenario.central("stock_policy")
    days = int(result.scenario.central("horizon_days"))
    return (f"= the stock {short.value} short on day {days} "
            f"({short.spread or 'no spread'}); {POLICY_TEXT[policy]}. Averted + deferred = "
            "drones denied × share aimed at energy × (1 − defeat rate)")


def headline_values(figures: list[Figure]) -> dict[str, str]:
    """The values as shown (key → P50 text)."""
    return {f.key: f.value for f in figures}


def headline_html(figures: list[Figure]) -> str:
    """The figures as the app's headline strip: one compact card per figure
    (``div.whatif-card[data-key=…]``: label, P50 and P10–P90), then their notes in one
    section that opens (``<details>``), so that the strip stays short."""
    cards, notes = [], []
    for f in figures:
        spread = (f'<span class="whatif-spread">{escape(f.spread, quote=False)}</span>'
                  if f.spread else "")
        cards.append(
            f'<div class="whatif-card" data-key="{f.key}" role="listitem">'
            f'<div class="whatif-card-label">{escape(f.label, quote=False)}</div>'
            f'<div class="whatif-card-figures"><span class="whatif-card-value">'
            f'{escape(f.value, quote=False)}</span>{spread}</div></div>')
        if f.note:
            notes.append(f'<li data-key="{f.key}"><b>{escape(f.label, quote=False)}</b>: '
                         f'<span class="whatif-note">{escape(f.note, quote=False)}</span></li>')
    html = ('<div class="whatif-cards" role="list" aria-label="Headline figures">'
            + "".join(cards) + "</div>")
    if notes:
        html += ('<details class="whatif-notes"><summary>Notes on these figures</summary>'
                 '<ul>' + "".join(notes) + "</ul></details>")
    return html


#: the app's heading and how to use it (above the scenario's title)
HEADER = (
    '<div class="whatif-header"><h1>whatif — how many missiles would it take, and what '
    'would it buy?</h1><p>Move the sliders on the left: the figures and charts follow. '
    '<i>Point estimate</i> uses central values; <i>Monte Carlo</i> (under '
    '<b>Uncertainty</b>) shows P10–P90 ranges. Hover a label for its source.</p></div>')


def title_html(scenario: Scenario) -> str:
    """The scenario's title (a level-2 heading under the app's) and its note, which opens
    (escaped)."""
    note = (f'<details class="whatif-scenario-note"><summary>About this scenario</summary>'
            f'<p>{escape(scenario.note)}</p></details>') if scenario.note else ""
    return f'<div class="whatif-title"><h2>{escape(scenario.title)}</h2>{note}</div>'


#: the app's CSS: the layout (a side panel of controls that scrolls on its own, beside the
#: heading, the headline strip and the tabs), the cards, the charts' legends, messages. Colours
#: are JupyterLab's theme variables or :mod:`whatif.presentation`'s; sizes in CSS pixels.
STYLE = f"""
<style>
.whatif-app {{overflow: visible; --bq-mainheading-font-size: 14px;
  --bq-axislabel-font: 12px sans-serif; color: var(--jp-ui-font-color1);}}
.whatif-app .widget-html-content {{line-height: 1.35;}}
.whatif-app .whatif-layout {{display: flex; flex-flow: row nowrap; align-items: flex-start;
  gap: 12px; overflow: visible;}}
.whatif-app .whatif-side {{flex: 0 0 {SIDE_PANEL_PX}px; width: {SIDE_PANEL_PX}px;
  max-height: calc(100vh - 150px); overflow-y: auto; overflow-x: hidden; position: sticky;
  top: 6px; box-sizing: border-box; padding-right: 4px;}}
body[data-voila] .whatif-app .whatif-side {{max-height: calc(100vh - 32px);}}
.whatif-app .whatif-side > *, .whatif-scenario-bar > *, .whatif-app .whatif-main > * {{
  flex-shrink: 0;}}
.whatif-scenario-bar .jupyter-button {{margin: 2px 4px 2px 0;}}
.whatif-path-note:has(.widget-html-content:empty) {{display: none;}}
.whatif-app .whatif-side:focus-visible {{outline: 2px solid var(--jp-brand-color1);
  outline-offset: -2px;}}
.whatif-app .whatif-main {{flex: 1 1 0; min-width: 0; overflow: visible;}}
/* Voilà: the page scrolls, so the side panel can stay in view (sticky) */
body[data-voila] .jp-OutputArea-child, body[data-voila] .jp-OutputArea-output,
body[data-voila] .jp-OutputArea, body[data-voila] .jp-Cell-outputWrapper {{overflow: visible;}}
@media (max-width: 1100px) {{
  .whatif-app .whatif-layout {{flex-direction: column; align-items: stretch;}}
  .whatif-app .whatif-side, body[data-voila] .whatif-app .whatif-side {{flex: none;
    width: 100%; max-height: 60vh; position: static;}}
}}
.whatif-header h1 {{font-size: 20px; line-height: 1.25; margin: 0 0 2px 0; font-weight: 600;}}
.whatif-header p {{font-size: 12.5px; margin: 0 0 4px 0;}}
.whatif-title {{display: flex; flex-wrap: wrap; align-items: baseline; column-gap: 12px;}}
.whatif-title h2 {{font-size: 16px; line-height: 1.3; margin: 2px 0; font-weight: 600;}}
.whatif-title details, .whatif-notes {{font-size: 12.5px;}}
.whatif-title details[open] {{flex-basis: 100%;}}
.whatif-title details p {{margin: 2px 0 4px 0;}}
.whatif-app summary {{cursor: pointer; color: var(--jp-content-link-color);}}
.whatif-cards {{display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr));
  gap: 4px 6px; margin: 2px 0;}}
.whatif-card {{border: 1px solid var(--jp-border-color2); border-radius: 4px;
  padding: 3px 8px; background: var(--jp-layout-color1);}}
.whatif-card-label {{font-size: 12px; line-height: 1.25;}}
.whatif-card-figures {{display: flex; flex-wrap: wrap; align-items: baseline;
  column-gap: 8px;}}
.whatif-card-value {{font-size: 19px; font-weight: 600; line-height: 1.25;}}
.whatif-spread {{font-size: 12px;}}
.whatif-notes ul {{margin: 2px 0; padding-left: 18px;}}
.whatif-working-slot {{margin: 0; padding: 0;}}
/* "show the working": a one-line header while closed */
.whatif-working-slot > .widget-accordion {{margin: 0; width: 100%;}}
.whatif-working-slot .jupyter-widget-Collapse-header {{padding: 2px 8px; font-size: 12.5px;
  line-height: 1.4;}}
.whatif-working-slot .jupyter-widget-Collapse-contents {{padding: 4px 8px;}}
.whatif-app .widget-tab > .widget-tab-contents, .whatif-app .widget-tab > .lm-TabPanel-stackedPanel
  {{padding: 6px 4px;}}
.whatif-charts {{display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr));
  gap: 6px 10px;}}
.whatif-app .whatif-charts-wide {{grid-template-columns: repeat(auto-fit, minmax(460px, 1fr));}}
.whatif-app .whatif-charts, .whatif-app .whatif-chart {{min-width: 0; overflow: visible;}}
.whatif-app .whatif-chart > .bqplot {{margin: 0;}}
/* the tabs' names: ipywidgets' grey on grey is below WCAG AA contrast */
.whatif-app .jupyter-widgets.widget-tab > .lm-TabBar .lm-TabBar-tab {{
  color: var(--jp-ui-font-color1);}}
.whatif-chart .g_legend {{display: none;}}
.whatif-legend ul {{list-style: none; display: flex; flex-wrap: wrap; gap: 2px 14px;
  margin: 0 0 0 12px; padding: 0; font-size: 12px; line-height: 1.4;}}
.whatif-key {{display: inline-block; width: 18px; height: 0; margin-right: 5px;
  vertical-align: middle; border-top: 3px solid;}}
.whatif-key-dashed {{border-top-style: dashed;}}
.whatif-key-dotted {{border-top-style: dotted;}}
.whatif-key-area, .whatif-key-bar {{height: 10px; border-top: none;}}
.whatif-key-dot {{width: 9px; height: 9px; border-radius: 50%; border-top: none;}}
.whatif-control {{margin-bottom: 4px;}}
.whatif-label {{font-size: 13px;}}
.whatif-sr-label > .widget-label {{position: absolute !important; width: 1px !important;
  height: 1px; margin: -1px; padding: 0; overflow: hidden; clip: rect(0 0 0 0);
  clip-path: inset(50%); white-space: nowrap; border: 0;}}
.whatif-error {{font-size: 90%;}}
.whatif-warning {{font-size: 90%; color: {look.WARNING}; background: {look.WARNING_BACKGROUND};
  padding: 2px 6px; border-radius: 4px;}}
.whatif-status {{min-height: 1.4em;}}
/* the closed sections' names: ipywidgets' grey on grey is below WCAG AA contrast */
.whatif-side .jupyter-widget-Collapse-header,
.whatif-working-slot .jupyter-widget-Collapse-header {{color: var(--jp-ui-font-color1);}}
.whatif-side .jupyter-widget-Collapse-header:focus-visible,
.whatif-working-slot .jupyter-widget-Collapse-header:focus-visible {{outline: 2px solid
  var(--jp-brand-color1);}}
</style>
"""
