"""The headline: what the run buys, as P50 with the P10–P90 range, under the scenario's
title; and the app's CSS.

:func:`headline_figures` is plain data (tested without a browser); :func:`headline_html`
renders it as the app's cards.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from whatif.engine import SimulationResult, SolveResult, point_estimate_is_exact
from whatif.formatting import format_value
from whatif.outputs import OUTPUTS
from whatif.presentation import POLICY_TEXT, goal_text, output_label, plan_summary
from whatif.scenario import Scenario


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
    """The figures as the app's cards (``div.whatif-card[data-key=…]``)."""
    cards = []
    for f in figures:
        spread = f'<div class="whatif-spread">{f.spread}</div>' if f.spread else ""
        note = f'<div class="whatif-note">{f.note}</div>' if f.note else ""
        cards.append(
            f'<div class="whatif-card" data-key="{f.key}"><div class="whatif-card-label">'
            f'{f.label}</div><div class="whatif-card-value">{f.value}</div>{spread}{note}</div>'
        )
    return '<div class="whatif-cards">' + "".join(cards) + "</div>"


def title_html(scenario: Scenario) -> str:
    """The scenario's title and note above the headline (escaped)."""
    note = f"<div style='color:#555'>{escape(scenario.note)}</div>" if scenario.note else ""
    return f"<h3 style='margin:4px 0'>{escape(scenario.title)}</h3>" + note


#: the app's CSS (cards, error lines, the status line)
STYLE = """
<style>
.whatif-cards {display:flex; flex-wrap:wrap; gap:8px;}
.whatif-card {border:1px solid #ddd; border-radius:6px; padding:6px 10px; min-width:170px;
  max-width:260px; background:#fafafa;}
.whatif-card-label {font-size:85%; color:#444;}
.whatif-card-value {font-size:160%; font-weight:600;}
.whatif-spread {font-size:85%; color:#333;}
.whatif-note {font-size:80%; color:#666;}
.whatif-error {font-size:90%;}
.whatif-warning {font-size:90%; color:#8a4b00; background:#fff4e0; padding:2px 6px;
  border-radius:4px;}
.whatif-status {min-height:1.4em;}
</style>
"""
