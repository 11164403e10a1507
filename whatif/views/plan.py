"""The Plan tab's plain logic: the sites and salvos as editable rows of text, read back into
what :meth:`whatif.scenario.Scenario.with_plan` takes, and the optimiser's report.

A site row is five texts: name, role, share (assembly) or supplied sites (component,
comma-separated), stages (``name:aimpoints; …``) and its own assumptions
(``name=value; …``, each value as in a scenario file, e.g. ``intercept_probability=0.7;
repair_days={low: 30, mode: 60, high: 120, dist: triangular}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from whatif.errors import ParameterError, ScenarioError, show
from whatif.formatting import format_value
from whatif.inputs import load_yaml
from whatif.outputs import OUTPUTS
from whatif.params import Assumption
from whatif.presentation import output_label
from whatif.scenario import PLANT, Scenario

ROLES = ("assembly", "component")


@dataclass(frozen=True)
class SiteRow:
    """One site as the Plan tab's table shows it (all text)."""

    name: str
    role: str
    share_or_supplies: str
    stages: str
    overrides: str = ""


def _value_text(value: Any) -> str:
    if isinstance(value, Assumption):
        plain = value.to_yaml_value()
        if isinstance(plain, dict):
            return "{" + ", ".join(f"{k}: {v}" for k, v in plain.items()) + "}"
        return str(plain)
    return str(value)


def site_rows(scenario: Scenario) -> list[SiteRow]:
    """The scenario's sites as rows (none for the single plant)."""
    if scenario.system is None:
        return []
    rows = []
    for site in scenario.system.sites:
        feeds = (f"{site.share:g}" if site.role == "assembly" else ", ".join(site.supplies))
        rows.append(SiteRow(site.name, site.role, feeds,
                            "; ".join(str(stage) for stage in site.stages),
                            "; ".join(f"{k}={_value_text(v)}"
                                      for k, v in site.overrides.items())))
    return rows


def _overrides(text: str, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise ParameterError("sites", f"{where}: own assumption {show(part, 60)} is not "
                                 "name=value")
        try:
            out[name.strip()] = load_yaml(value.strip(), origin=f"{where} {name.strip()}")
        except ScenarioError as exc:
            raise ParameterError("sites", f"{where}: {exc}") from None
    return out


def sites_from_rows(rows: list[SiteRow]) -> list[dict[str, Any]] | None:
    """The rows as a scenario's ``sites`` (None: no rows, the single plant). The text of a
    share must be a number; everything else is checked by :mod:`whatif.sites`."""
    if not rows:
        return None
    sites = []
    for position, row in enumerate(rows, start=1):
        where = f"site {position}"
        site: dict[str, Any] = {"name": row.name.strip(), "role": row.role,
                                "stages": row.stages}
        if row.role == "assembly":
            try:
                site["share"] = float(row.share_or_supplies)
            except ValueError:
                raise ParameterError("sites", f"{where}: share {show(row.share_or_supplies, 40)}"
                                     " is not a number (a share of national output, above 0 "
                                     "up to 1)") from None
        else:
            site["supplies"] = [n.strip() for n in row.share_or_supplies.split(",") if n.strip()]
        site.update(_overrides(row.overrides, where))
        sites.append(site)
    return sites


def salvo_rows(scenario: Scenario) -> list[tuple[int, dict[str, int]]]:
    """The plan as (day, missiles by site) rows."""
    return [(salvo.day, dict(salvo.missiles)) for salvo in scenario.plan]


def plan_from_rows(rows: list[tuple[int, dict[str, int]]]) -> list[dict] | None:
    """Rows back into a scenario's ``plan`` (None: no salvo, the missiles/restrikes
    shorthand). Sites with no missile are left out of a salvo."""
    if not rows:
        return None
    return [{"day": day, "missiles": {k: v for k, v in counts.items() if v}}
            for day, counts in rows]


def site_names(rows: list[SiteRow]) -> list[str]:
    """The names a salvo row has a column for: the sites', or the single plant's."""
    names = [row.name.strip() for row in rows if row.name.strip()]
    return names or [PLANT]


def plan_text(plan, sites: tuple[str, ...]) -> str:
    """A plan in words: ``day 0: 12 at engines, 8 at line-a; day 28: …``."""
    return "; ".join(f"day {s['day']}: " + ", ".join(f"{n} at {site}" for site, n in
                                                      s["missiles"].items())
                     for s in plan.salvos(sites))


def objective_words(result) -> str:
    """What the optimiser maximised: ``mean …`` or ``P(… ≥ X)``."""
    spec = OUTPUTS[result.objective]
    label = output_label(result.objective, result.scenario).lower()
    if result.at_least is None:
        return f"mean {label}"
    return f"P({label} ≥ {format_value(result.at_least, spec.unit)})"


def objective_value(result, value: float) -> str:
    """An objective value (or a difference of two) as shown: the output's unit, or a
    chance in percent with ``--at-least``."""
    if result.at_least is None:
        return format_value(value, OUTPUTS[result.objective].unit)
    return f"{value:.1%}"


def run_mode(result) -> str:
    """How the optimiser's plans were run: deterministic, or samples and seed."""
    return ("deterministic" if result.samples == 0
            else f"{result.samples:,} samples, seed {result.seed}")


def optimise_html(result) -> str:
    """The optimiser's report (:class:`whatif.optimise.PlanResult`) as an HTML table."""
    unit = OUTPUTS[result.objective].unit
    label = output_label(result.objective, result.scenario)
    best = result.best.value
    rows = [("Best", result.best, "")]
    rows += [("Next", a, objective_value(result, best - a.value)) for a in result.alternatives]
    rows.append(("Obvious (even split)", result.obvious,
                 objective_value(result, best - result.obvious.value)))
    body = "".join(
        f"<tr><th>{escape(name)}</th><td>{escape(plan_text(item.plan, result.sites))}</td>"
        f"<td>{escape(objective_value(result, item.value))}</td>"
        f"<td>{escape(format_value(item.p10, unit))} – "
        f"{escape(format_value(item.p90, unit))}</td><td>{escape(worse)}</td></tr>"
        for name, item, worse in rows)
    return (f"<p>Maximising {escape(objective_words(result))}: {escape(result.method)}, "
            f"{result.evaluations:,} plans run on the same draws ({escape(run_mode(result))})."
            "</p><table class='whatif-table'><tr><th>Candidate</th><th>Plan</th><th>Objective</th>"
            f"<th>{escape(label)}: P10 – P90</th><th>Worse by</th></tr>{body}</table>")
