"""Reference cases: public historical strikes and repairs, compared with the model.

``data/reference_cases.yaml`` holds the cases: what happened (aggregate public figures,
each with its source and reliability grade), the model inputs that represent it, which
model output is compared with which recorded figure, the tolerance and the verdict the
project expects. This module runs every comparison through the package's own model
(:func:`whatif.engine.simulate` and :mod:`whatif.model`), checks it against the record
and renders ``docs/REFERENCE_CASES.md``::

    python -m whatif.reference --write    # regenerate the doc
    python -m whatif.reference --check    # exit 1 if the doc is stale

Evaluation and rendering are pure functions of the loaded cases; only :func:`load_cases`,
:func:`write` and :func:`main` touch files.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from whatif.engine import draw_inputs, simulate
from whatif.formatting import format_value
from whatif.model import capacity_loss as expected_capacity_loss
from whatif.model import expected_arrivals
from whatif.params import NUMERIC, REGISTRY
from whatif.resources import data_file
from whatif.scenario import Scenario

CASES_YAML = data_file("reference_cases.yaml")
# the repository's docs (a development checkout's; not part of the package)
DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "REFERENCE_CASES.md"

#: Monte Carlo settings of every P10–P90 band (and of metrics that need samples).
SAMPLES = 20_000
SEED = 0

REPRODUCED = "reproduced"
ONE_SIDE = "reproduced only under one side's claims"
NOT_REPRODUCED = "not reproduced"
VERDICTS = (REPRODUCED, ONE_SIDE, NOT_REPRODUCED)

_FRACTION = re.compile(r"^\s*\d+\s*/\s*\d+\s*$")
_SLACK = 1e-12  # float slack on the tolerance edges


# --- the cases as data ---------------------------------------------------------------------
@dataclass(frozen=True)
class Figure:
    """One recorded public figure: the claim, who makes it, and where it is published."""

    text: str
    side: str
    source: str
    url: str
    reliability: str  # FACTS.md grade of the row: A, B, C or a split such as A/B
    key: str = ""  # entry in docs/references.md, if any


@dataclass(frozen=True)
class Input:
    """A model assumption set for a case, with why this value was chosen."""

    name: str
    value: Any
    why: str


@dataclass(frozen=True)
class Reading:
    """One side's account of the compared figure, and the inputs that differ by side."""

    side: str
    claim: str
    low: float  # recorded value or range, in the comparison's unit
    high: float
    inputs: tuple[Input, ...] = ()


@dataclass(frozen=True)
class Comparison:
    """A model output compared with a recorded figure, under one or more readings."""

    id: str
    title: str
    metric: str  # a key of METRICS
    args: Mapping[str, Any]
    unit: str
    inputs: tuple[Input, ...]
    readings: tuple[Reading, ...]
    tolerance: float  # absolute, in ``unit``
    uncertain: tuple[str, ...]  # drawn from their default distributions for P10–P90
    expected_verdict: str
    reason: str


@dataclass(frozen=True)
class Derived:
    """A further model number quoted in the write-up: a metric, or the input that solves it."""

    label: str
    metric: str
    args: Mapping[str, Any]
    unit: str
    inputs: Mapping[str, Any]
    solve: Mapping[str, Any] | None = None  # {parameter, target, low, high}


@dataclass(frozen=True)
class Case:
    """One historical reference case."""

    id: str
    title: str
    date: str
    summary: str
    figures: tuple[Figure, ...]
    comparisons: tuple[Comparison, ...]
    derived: tuple[Derived, ...] = ()
    expected_verdict: str = ""  # only for a case with nothing to compare
    reason: str = ""


# --- loading -------------------------------------------------------------------------------
def load_cases(path: str | Path = CASES_YAML) -> tuple[Case, ...]:
    """Read and validate the reference cases (the only file read in this module)."""
    with open(path, encoding="utf-8") as handle:
        return parse_cases(yaml.safe_load(handle))


def parse_cases(data: Mapping[str, Any]) -> tuple[Case, ...]:
    """Validate parsed YAML and build the cases; a ``ValueError`` names what is wrong."""
    cases = tuple(_parse_case(raw) for raw in data["cases"])
    ids = [c.id for c in cases]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate case ids in {ids}")
    return cases


def _number(value: Any, where: str) -> float:
    """A number, or a fraction written ``a/b`` (e.g. 23/59 missiles arrived)."""
    if isinstance(value, str) and _FRACTION.match(value):
        return float(Fraction(value.replace(" ", "")))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: {value!r} is not a number")
    return float(value)


def _input_value(name: str, value: Any, where: str) -> Any:
    if name not in REGISTRY:
        raise ValueError(f"{where}: {name!r} is not a model assumption")
    if REGISTRY[name].is_numeric:
        return _number(value, f"{where}.{name}")
    return value  # a choice or the stages, validated by Scenario.with_values


def _parse_inputs(raw: Mapping[str, Any] | None, where: str) -> tuple[Input, ...]:
    inputs = []
    for name, spec in (raw or {}).items():
        if not isinstance(spec, Mapping) or set(spec) != {"value", "why"}:
            raise ValueError(f"{where}.{name}: give value and why")
        value = _input_value(name, spec["value"], where)
        inputs.append(Input(name, value, " ".join(str(spec["why"]).split())))
    return tuple(inputs)


def _parse_comparison(raw: Mapping[str, Any], where: str) -> Comparison:
    where = f"{where}.{raw['id']}"
    if raw["metric"] not in METRICS:
        raise ValueError(f"{where}: unknown metric {raw['metric']!r}")
    readings = tuple(
        Reading(
            side=str(r["side"]),
            claim=str(r["claim"]).strip(),
            low=_number(r["recorded"]["low"], f"{where}.recorded"),
            high=_number(r["recorded"]["high"], f"{where}.recorded"),
            inputs=_parse_inputs(r.get("inputs"), f"{where}.{r['side']}"),
        )
        for r in raw["readings"]
    )
    sides = [r.side for r in readings]
    if not readings or len(set(sides)) != len(sides):
        raise ValueError(f"{where}: give one reading per side, not {sides}")
    if any(r.low > r.high for r in readings):
        raise ValueError(f"{where}: a recorded low is above its high")
    uncertain = tuple(raw.get("uncertain") or ())
    if any(name not in NUMERIC for name in uncertain):
        raise ValueError(f"{where}: uncertain names must be numeric assumptions, not {uncertain}")
    verdict = raw["expected_verdict"]
    if verdict not in VERDICTS:
        raise ValueError(f"{where}: expected_verdict must be one of {VERDICTS}")
    if verdict == ONE_SIDE and len(readings) < 2:
        raise ValueError(f"{where}: '{ONE_SIDE}' needs readings from two sides")
    return Comparison(
        id=str(raw["id"]), title=str(raw["title"]), metric=raw["metric"],
        args=dict(raw.get("args") or {}), unit=str(raw["unit"]),
        inputs=_parse_inputs(raw.get("inputs"), where), readings=readings,
        tolerance=_number(raw["tolerance"], f"{where}.tolerance"), uncertain=uncertain,
        expected_verdict=verdict, reason=" ".join(str(raw["reason"]).split()),
    )


def _parse_derived(raw: Mapping[str, Any], where: str) -> Derived:
    if raw["metric"] not in METRICS:
        raise ValueError(f"{where}: unknown metric {raw['metric']!r}")
    inputs = {name: _input_value(name, value, where)
              for name, value in (raw.get("inputs") or {}).items()}
    solve = raw.get("solve")
    if solve is not None:
        keys_ok = set(solve) == {"parameter", "target", "low", "high"}
        if not keys_ok or solve["parameter"] not in NUMERIC:
            raise ValueError(f"{where}: solve needs a numeric parameter, target, low and high")
        solve = {"parameter": solve["parameter"], **{k: _number(solve[k], where)
                                                     for k in ("target", "low", "high")}}
    return Derived(label=" ".join(str(raw["label"]).split()), metric=raw["metric"],
                   args=dict(raw.get("args") or {}), unit=str(raw["unit"]), inputs=inputs,
                   solve=solve)


def _parse_case(raw: Mapping[str, Any]) -> Case:
    where = str(raw["id"])
    figures = tuple(
        Figure(text=" ".join(str(f["text"]).split()), side=str(f["side"]), source=str(f["source"]),
               url=str(f["url"]), reliability=str(f["reliability"]), key=str(f.get("key", "")))
        for f in raw["figures"]
    )
    for f in figures:
        if not f.url.startswith(("http://", "https://")) or not re.fullmatch(r"[ABC](/[ABC])?",
                                                                              f.reliability):
            raise ValueError(f"{where}: figure {f.text!r} needs a URL and a grade A, B or C")
    comparisons = tuple(_parse_comparison(c, where) for c in raw.get("comparisons") or ())
    derived = tuple(_parse_derived(d, where) for d in raw.get("derived") or ())
    verdict = raw.get("expected_verdict", "")
    if not comparisons and verdict != NOT_REPRODUCED:
        raise ValueError(f"{where}: a case with nothing to compare is '{NOT_REPRODUCED}'")
    if comparisons and verdict:
        raise ValueError(f"{where}: verdicts belong to the comparisons")
    return Case(id=where, title=str(raw["title"]), date=str(raw["date"]),
                summary=" ".join(str(raw["summary"]).split()), figures=figures,
                comparisons=comparisons, derived=derived, expected_verdict=verdict,
                reason=" ".join(str(raw.get("reason", "")).split()))


# --- scenarios -----------------------------------------------------------------------------
#: the cases are about strikes and repairs, not the path of drone output: they run on the
#: stated climb (``target``), which draws nothing, unless a case's inputs choose a path
CASE_DEFAULTS = {"production_path": "target"}


def _case_defaults() -> Scenario:
    return Scenario.default().with_values(**CASE_DEFAULTS)


def deterministic_scenario(inputs: Mapping[str, Any]) -> Scenario:
    """The defaults of ``data/assumptions.csv`` (on :data:`CASE_DEFAULTS`) with ``inputs``
    set (central values are used)."""
    return _case_defaults().with_values(**inputs)


def monte_carlo_scenario(inputs: Mapping[str, Any], uncertain: Sequence[str] = ()) -> Scenario:
    """Every numeric assumption fixed (at ``inputs`` or its central default), except
    ``uncertain``, which keep their default distributions (on :data:`CASE_DEFAULTS`)."""
    base = _case_defaults()
    fixed: dict[str, Any] = {name: base.central(name) for name in NUMERIC if name not in uncertain}
    fixed.update({name: value for name, value in inputs.items() if name not in uncertain})
    return base.with_values(**fixed)


def _central(scenario: Scenario, name: str) -> float:
    return float(scenario.central(name))


def _percentiles(values: np.ndarray) -> tuple[float, float, float]:
    p10, p50, p90 = np.percentile(np.asarray(values, dtype=float), (10, 50, 90))
    return float(p10), float(p50), float(p90)


def _require_constant_baseline(scenario: Scenario) -> float:
    """National output without a strike [drones/day], which these metrics need constant."""
    now, ramp = scenario.values["production_now"], scenario.values["ramp_days"]
    if not (now.is_fixed and ramp.is_fixed and ramp.central == 0):
        raise ValueError("this metric needs a fixed production_now and ramp_days = 0")
    return float(now.central)


# --- model outputs compared with the record ------------------------------------------------
def arrival_share(scenario: Scenario) -> float:
    """Expected share of the salvo reaching the target area [share]: ``arrivals / N``."""
    missiles = _central(scenario, "missiles")
    arrivals = expected_arrivals(missiles, _central(scenario, "launch_reliability"),
                                 _central(scenario, "defense_engagements"),
                                 _central(scenario, "intercept_probability"))
    return float(arrivals) / missiles


def arrival_share_spread(scenario: Scenario, samples: int, seed: int) -> tuple[float, float, float]:
    """P10, P50, P90 of :func:`arrival_share` over the scenario's distributions [share]."""
    drawn = draw_inputs(scenario, samples, seed)
    shares = expected_arrivals(drawn["missiles"], drawn["launch_reliability"],
                               drawn["defense_engagements"],
                               drawn["intercept_probability"]) / drawn["missiles"]
    return _percentiles(shares)


def capacity_loss(scenario: Scenario) -> float:
    """Expected share of the plant's capacity lost to the first salvo [share]."""
    return float(simulate(scenario, samples=0).outputs["capacity_loss"].iloc[0])


def capacity_loss_spread(scenario: Scenario, samples: int, seed: int) -> tuple[float, float, float]:
    """P10, P50, P90 of the capacity lost, parameters and strike outcome drawn [share]."""
    return _percentiles(simulate(scenario, samples=samples, seed=seed).outputs["capacity_loss"])


def aimpoints_destroyed(scenario: Scenario) -> float:
    """Expected aimpoints put out of action [aimpoints]; the plant must be one stage."""
    if len(scenario.stages) != 1:
        raise ValueError("aimpoints_destroyed needs a plant of one stage")
    return capacity_loss(scenario) * scenario.stages[0].aimpoints


def chance_capacity_left(scenario: Scenario, samples: int = SAMPLES, seed: int = SEED) -> float:
    """Share of Monte Carlo outcomes in which the plant keeps some capacity [probability]."""
    losses = simulate(scenario, samples=samples, seed=seed).outputs["capacity_loss"].to_numpy()
    return float(np.mean(losses < 1.0 - _SLACK))


def largest_site_for_loss(scenario: Scenario, at_least: float) -> float:
    """Largest one-stage site whose expected capacity loss is still ``>= at_least`` [aimpoints].

    0 if even a single aimpoint is not taken that far. Uses the scenario's salvo and
    strike assumptions (central values); the scenario's own stages are ignored.
    """
    strike = [_central(scenario, name) for name in (
        "missiles", "launch_reliability", "defense_engagements", "intercept_probability",
        "aimpoint_kill_probability")]
    largest = 0
    for aimpoints in range(1, int(REGISTRY["stages"].upper_bound) + 1):
        if float(expected_capacity_loss(*strike, stage_aimpoints=(aimpoints,))) >= at_least:
            largest = aimpoints  # the loss falls as the site grows: keep the last that passes
    return float(largest)


def national_lost_share(scenario: Scenario, day: int) -> float:
    """Share of national output lost on ``day`` after the strike (the day's average) [share]."""
    series = simulate(scenario, samples=0, series=True).series
    base = series[("production_baseline", "mean")].iloc[day]
    return float(1.0 - series[("production_strike", "mean")].iloc[day] / base)


def national_lost_share_spread(scenario: Scenario, samples: int, seed: int,
                               day: int) -> tuple[float, float, float]:
    """P10, P50, P90 of :func:`national_lost_share` [share]; needs a constant baseline."""
    base = _require_constant_baseline(scenario)
    series = simulate(scenario, samples=samples, seed=seed, series=True,
                      bands=("production_strike",)).series
    row = series.iloc[day]
    # less output means more lost: the strike's P90 is the loss's P10
    return tuple(float(1.0 - row[("production_strike", stat)] / base)
                 for stat in ("p90", "p50", "p10"))


def average_lost_share(scenario: Scenario, over_days: float | None = None) -> float:
    """National output lost over the horizon, averaged over ``over_days`` [share].

    ``sum over days of (lost output / baseline output) / over_days``; ``over_days``
    defaults to the horizon (a longer period spreads the same loss thinner).
    """
    series = simulate(scenario, samples=0, series=True).series
    lost = 1.0 - series[("production_strike", "mean")] / series[("production_baseline", "mean")]
    return float(lost.sum() / (over_days or _central(scenario, "horizon_days")))


def average_lost_share_spread(scenario: Scenario, samples: int, seed: int,
                              over_days: float | None = None) -> tuple[float, float, float]:
    """P10, P50, P90 of :func:`average_lost_share` [share]; needs a constant baseline."""
    base = _require_constant_baseline(scenario)
    denied = simulate(scenario, samples=samples, seed=seed).outputs["drones_denied"]
    return _percentiles(denied / (base * (over_days or _central(scenario, "horizon_days"))))


def days_disrupted(scenario: Scenario) -> float:
    """Days on which national output is below 90% of the no-strike baseline [days]."""
    return float(simulate(scenario, samples=0).outputs["days_disrupted"].iloc[0])


def grid_damage_path(damage_per_day, grid_repair_days) -> np.ndarray:
    """Damaged grid capacity at the start of each day ``0 … len(damage_per_day)`` [MW].

    The model's recursion ``G(t+1) = G(t) + damage(t) - G(t) / grid_repair_days`` from
    ``G(0) = 0`` (MODEL.md §3; the update of :func:`whatif.model.campaign.daily_chain`).
    ``damage_per_day`` [MW/day]; ``grid_repair_days`` [days] may be an array of samples,
    which adds a leading axis.
    """
    keep = 1.0 - 1.0 / np.asarray(grid_repair_days, dtype=float)
    damage = np.asarray(damage_per_day, dtype=float)
    path = np.zeros((*keep.shape, damage.size + 1))
    for day, added in enumerate(damage):
        path[..., day + 1] = path[..., day] * keep + added
    return path


def grid_damage_still_out(grid_repair_days, damage_days: int, on_day: int) -> np.ndarray:
    """Share of a grid damage still out at the start of ``on_day`` [share].

    The damage (total 1) comes in evenly over days ``0 … damage_days - 1`` and is repaired
    as in :func:`grid_damage_path`.
    """
    damage = np.where(np.arange(on_day) < damage_days, 1.0 / damage_days, 0.0)
    return grid_damage_path(damage, grid_repair_days)[..., on_day]


def grid_share_restored(scenario: Scenario, damage_days: int, on_day: int) -> float:
    """Share of the grid damage done over ``damage_days`` restored by ``on_day`` [share]."""
    tau = _central(scenario, "grid_repair_days")
    return float(1.0 - grid_damage_still_out(tau, damage_days, on_day))


def grid_share_restored_spread(scenario: Scenario, samples: int, seed: int, damage_days: int,
                               on_day: int) -> tuple[float, float, float]:
    """P10, P50, P90 of :func:`grid_share_restored` over grid_repair_days's distribution."""
    tau = draw_inputs(scenario, samples, seed)["grid_repair_days"].to_numpy()
    return _percentiles(1.0 - grid_damage_still_out(tau, damage_days, on_day))


def days_to_restore(scenario: Scenario, share: float) -> float:
    """Days until ``share`` of a one-off grid damage is repaired [days].

    The damage left after ``n`` days is ``(1 - 1/τ)^n``, so ``n = ln(1 - share) / ln(1 - 1/τ)``
    (continuous in ``n``); ``τ = grid_repair_days``.
    """
    return _days_to_restore(_central(scenario, "grid_repair_days"), share)


def _days_to_restore(tau, share: float):
    """:func:`days_to_restore` for a number or an array of ``τ`` [days]."""
    keep = 1.0 - 1.0 / np.asarray(tau, dtype=float)
    safe_keep = np.where(keep > 0.0, keep, 0.5)  # τ = 1 repairs everything in one day
    days = np.where(keep > 0.0, math.log(1.0 - share) / np.log(safe_keep), 1.0)
    return float(days) if days.ndim == 0 else days


def days_to_restore_spread(scenario: Scenario, samples: int, seed: int,
                           share: float) -> tuple[float, float, float]:
    """P10, P50, P90 of :func:`days_to_restore` over grid_repair_days's distribution [days]."""
    tau = draw_inputs(scenario, samples, seed)["grid_repair_days"].to_numpy()
    return _percentiles(_days_to_restore(tau, share))


@dataclass(frozen=True)
class Metric:
    """A model output the cases can be compared on."""

    description: str  # formatted with the comparison's args
    value: Callable[..., float]  # (scenario, **args) → the model's number
    # (scenario, samples, seed, **args) → Monte Carlo P10, P50, P90
    spread: Callable[..., tuple[float, float, float]] | None = None
    monte_carlo: bool = False  # the value itself is a Monte Carlo estimate


METRICS: dict[str, Metric] = {
    "arrival_share": Metric(
        "expected share of the salvo reaching the target (`arrivals / missiles`)",
        arrival_share, arrival_share_spread),
    "capacity_loss": Metric(
        "expected share of the plant's capacity lost to the salvo (`capacity_loss`)",
        capacity_loss, capacity_loss_spread),
    "aimpoints_destroyed": Metric(
        "expected aimpoints put out of action (`capacity_loss` × aimpoints)", aimpoints_destroyed),
    "chance_capacity_left": Metric(
        "share of Monte Carlo strike outcomes in which the plant keeps some capacity "
        f"({SAMPLES:,} samples, seed {SEED})",
        chance_capacity_left, monte_carlo=True),
    "largest_site_for_loss": Metric(
        "largest one-stage site (aimpoints) whose expected capacity loss is at least {at_least}",
        largest_site_for_loss),
    "national_lost_share": Metric(
        "share of national output lost on day {day} after the strike (the day's average)",
        national_lost_share, national_lost_share_spread),
    "average_lost_share": Metric(
        "national output lost, as a share, averaged over the horizon",
        average_lost_share, average_lost_share_spread),
    "days_disrupted": Metric(
        "days on which national output is below 90% of the no-strike baseline (`days_disrupted`)",
        days_disrupted),
    "grid_share_restored": Metric(
        "share of the grid damage done {when} restored by the start of day {on_day}, by the "
        "model's repair `G(t+1) = G(t) + damage(t) - G(t)/grid_repair_days`",
        grid_share_restored, grid_share_restored_spread),
    "days_to_restore": Metric(
        "days until {share} of a one-off grid damage is restored, by the model's repair "
        "`G(t+1) = G(t) - G(t)/grid_repair_days`",
        days_to_restore, days_to_restore_spread),
}


def describe_metric(name: str, args: Mapping[str, Any]) -> str:
    """The metric's description with its arguments filled in."""
    fields = dict(args)
    if "damage_days" in fields:
        last = int(fields["damage_days"]) - 1
        fields["when"] = "on day 0" if last == 0 else f"evenly over days 0–{last}"
    if "over_days" in fields:
        return (f"national output lost, as a share, summed over the horizon and averaged over "
                f"{fields['over_days']} days")
    if "share" in fields:
        fields["share"] = format_value(fields["share"], "share")
    return METRICS[name].description.format(**fields)


def solve_for(metric: str, args: Mapping[str, Any], inputs: Mapping[str, Any], parameter: str,
              target: float, low: float, high: float, iterations: int = 60) -> float:
    """The value of ``parameter`` in ``[low, high]`` at which ``metric`` equals ``target``.

    Bisection on the deterministic model (the metric must be monotone in the parameter
    over the interval); a ``ValueError`` if the target is not between the two ends.
    """
    def at(value: float) -> float:
        return METRICS[metric].value(deterministic_scenario({**inputs, parameter: value}), **args)

    low_value, high_value = at(low), at(high)
    if not min(low_value, high_value) <= target <= max(low_value, high_value):
        raise ValueError(f"{metric} = {target} is not reached for {parameter} in [{low}, {high}]")
    rising = high_value > low_value
    for _ in range(iterations):
        middle = 0.5 * (low + high)
        if (at(middle) < target) == rising:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


# --- evaluation ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ReadingResult:
    reading: Reading
    model: float  # the model's number [comparison unit]
    spread: tuple[float, float, float] | None  # Monte Carlo P10, P50, P90, if computed
    within: bool  # the model lies within the recorded range ± tolerance


@dataclass(frozen=True)
class ComparisonResult:
    comparison: Comparison
    readings: tuple[ReadingResult, ...]

    @property
    def verdict(self) -> str:
        return verdict_of([r.within for r in self.readings])


@dataclass(frozen=True)
class CaseResult:
    case: Case
    comparisons: tuple[ComparisonResult, ...]
    derived: tuple[tuple[Derived, float], ...]


def verdict_of(within: Sequence[bool]) -> str:
    """Reproduced under every reading, under some sides' but not others', or under none."""
    if all(within):
        return REPRODUCED
    return ONE_SIDE if any(within) else NOT_REPRODUCED


def is_within(value: float, low: float, high: float, tolerance: float) -> bool:
    """``low - tolerance <= value <= high + tolerance`` (with float slack)."""
    return low - tolerance - _SLACK <= value <= high + tolerance + _SLACK


def reading_inputs(comparison: Comparison, reading: Reading) -> dict[str, Any]:
    """The model inputs of one reading: the comparison's, then the side's own."""
    return {i.name: i.value for i in (*comparison.inputs, *reading.inputs)}


def evaluate_reading(comparison: Comparison, reading: Reading) -> ReadingResult:
    """Run one reading through the model and compare it with the record."""
    metric = METRICS[comparison.metric]
    inputs = reading_inputs(comparison, reading)
    spread = None
    if metric.monte_carlo:
        value = metric.value(monte_carlo_scenario(inputs, comparison.uncertain), **comparison.args)
    else:
        value = metric.value(deterministic_scenario(inputs), **comparison.args)
        if comparison.uncertain and metric.spread is not None:
            spread = metric.spread(monte_carlo_scenario(inputs, comparison.uncertain), SAMPLES,
                                   SEED, **comparison.args)
    return ReadingResult(reading, float(value), spread,
                         is_within(value, reading.low, reading.high, comparison.tolerance))


def evaluate_comparison(comparison: Comparison) -> ComparisonResult:
    return ComparisonResult(comparison, tuple(evaluate_reading(comparison, r)
                                              for r in comparison.readings))


def evaluate_derived(derived: Derived) -> float:
    """A derived number: the metric's value, or the input value that solves it."""
    if derived.solve is None:
        return float(METRICS[derived.metric].value(deterministic_scenario(derived.inputs),
                                                   **derived.args))
    return solve_for(derived.metric, derived.args, derived.inputs, **derived.solve)


def evaluate_case(case: Case) -> CaseResult:
    return CaseResult(case, tuple(evaluate_comparison(c) for c in case.comparisons),
                      tuple((d, evaluate_derived(d)) for d in case.derived))


def evaluate(cases: Sequence[Case]) -> tuple[CaseResult, ...]:
    return tuple(evaluate_case(c) for c in cases)


# --- rendering -----------------------------------------------------------------------------
def show(value: float, unit: str) -> str:
    """A number for the doc, in ``unit`` (shares as %, days and aimpoints as counts)."""
    if unit in ("share", "probability"):
        return format_value(value, "share")
    if unit == "aimpoints" and float(value).is_integer():
        return f"{value:,.0f}"
    return format_value(value, unit)


def show_tolerance(tolerance: float, unit: str) -> str:
    """A tolerance for the doc: shares in percentage points, so ± is never read as relative."""
    if unit in ("share", "probability"):
        return f"{100 * tolerance:.1f} points"
    return show(tolerance, unit)


def show_recorded(reading: Reading, tolerance: float, unit: str) -> str:
    span = show(reading.low, unit) if reading.low == reading.high else (
        f"{show(reading.low, unit)}–{show(reading.high, unit)}")
    return f"{span} ± {show_tolerance(tolerance, unit)}" if tolerance else span


def show_input(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _inputs_inline(inputs: Mapping[str, Any]) -> str:
    text = ", ".join(f"{name} = {show_input(value)}" for name, value in inputs.items())
    return text or "defaults"


def _spread_text(result: ReadingResult, unit: str) -> str:
    if result.spread is None:
        return "—"
    p10, _, p90 = result.spread
    return f"{show(p10, unit)}–{show(p90, unit)}"


INTRO = """\
Each case below sets a public historical strike, or a published repair time, beside what
the model gives for comparable assumptions, and says whether the model reproduces it. Where it
does not, it says why.

## What these comparisons can and cannot show

* **They test arithmetic and structure, not the strike model's calibration.** No site data
  are used: the model's facility is a generic set of aimpoints whose number the user chooses,
  and the public record gives salvo sizes and qualitative outcomes ("destroyed", "damaged"), not
  aimpoints or the share of capacity lost. Where a comparison needs a site size, the choice is
  stated and the derived numbers show how far the verdict depends on it.
* **The claims are contested.** US and Russian Ministry of Defence accounts of the same salvo
  differ by a factor of two or more, and neither was verified. Each side's figure is run
  separately; "reproduced only under one side's claims" means the model fits one account and
  not the other.
* **Several defaults came from these same figures** (repair times, the grid repair time, the
  ranges of reliability and air defence; see `data/assumptions.csv`). Agreement with such a
  figure checks that the default was carried into the model correctly; it is not independent
  validation. The cases say where this applies.
* **The refinery and grid cases test the repair link only.** The strike link is bypassed: the
  capacity knocked out is taken from the record (one missile that always launches, arrives and
  kills, on a one-aimpoint "plant" whose share of the whole is the share recorded offline).
* **None of the cases is a drone factory struck by cruise missiles.** The strikes on the drone
  plants themselves were by a few drones, and no outcome figure was published.

**How to read a case.** *Recorded* is the public figure in the comparison's unit, with the
tolerance allowed for rounding and vagueness; a reading is *within* if the model's number lies
in the recorded range widened by the tolerance. *Model* is the deterministic result (central
values, expected strike outcome) with the listed inputs; every other assumption is at its
default in `data/assumptions.csv`. *Monte Carlo P10–P90* comes from {samples:,} samples (seed
{seed}) in which the assumptions listed as uncertain are drawn from their default
distributions, strike outcomes are drawn, and everything else is fixed. The verdict is
*reproduced* if every reading is within, *reproduced only under one side's claims* if some are,
and *not reproduced* if none is (or if there is nothing to compare). Reliability grades are
those FACTS.md gives for each row (A: primary official or wire report; B: named official via
secondary media or think tank; C: aggregator, partisan or state media); `docs/references.md`
grades some single claims lower (for example the Russian MoD's Shayrat claim, C). Source keys in
brackets point to `docs/references.md`.
"""


def render(cases: Sequence[Case]) -> str:
    """The whole of ``docs/REFERENCE_CASES.md`` for ``cases`` (runs the model)."""
    return render_results(evaluate(cases))


def render_results(results: Sequence[CaseResult]) -> str:
    """``docs/REFERENCE_CASES.md`` from cases already run through the model."""
    out = [
        "# Reference cases: the model against public historical strikes",
        "",
        "<!-- Generated by `python -m whatif.reference --write` from data/reference_cases.yaml. "
        "Do not edit by hand: tests/test_reference_cases.py fails if this file is stale. -->",
        "",
        "*Generated from `data/reference_cases.yaml` by `python -m whatif.reference --write`; "
        "do not edit by hand.*",
        "",
        INTRO.format(samples=SAMPLES, seed=SEED),
        *_render_summary(results),
    ]
    for number, result in enumerate(results, start=1):
        out.extend(_render_case(number, result))
    return "\n".join(out).rstrip() + "\n"


def _render_summary(results: Sequence[CaseResult]) -> list[str]:
    lines = ["## Summary", "",
             "| Case | Comparison | Recorded | Model | Verdict |",
             "|---|---|---|---|---|"]
    for number, result in enumerate(results, start=1):
        case = f"{number}. {result.case.title} ({result.case.date})"
        if not result.comparisons:
            lines.append(f"| {_cell(case)} | no outcome figure to compare | — | — | "
                         f"{result.case.expected_verdict} |")
        for k, comparison in enumerate(result.comparisons, start=1):
            c = comparison.comparison
            recorded = "; ".join(
                f"{r.reading.side}: {show_recorded(r.reading, c.tolerance, c.unit)}"
                for r in comparison.readings)
            model = "; ".join(f"{r.reading.side}: {show(r.model, c.unit)}"
                              for r in comparison.readings)
            lines.append(f"| {_cell(case)} | {number}.{k} {_cell(c.title)} | {_cell(recorded)} | "
                         f"{_cell(model)} | {comparison.verdict} |")
    return [*lines, ""]


def _render_case(number: int, result: CaseResult) -> list[str]:
    case = result.case
    lines = [f"## {number}. {case.title} ({case.date})", "", f"**What happened.** {case.summary}",
             "", "**Public figures**", "",
             "| Figure | Side | Source | Grade |", "|---|---|---|---|"]
    for f in case.figures:
        key = f" [{f.key}]" if f.key else ""
        lines.append(f"| {_cell(f.text)} | {_cell(f.side)} | [{_cell(f.source)}]({f.url}){key} | "
                     f"{f.reliability} |")
    lines.append("")
    if not case.comparisons:
        lines += [f"**Verdict: {case.expected_verdict}** (nothing to compare). {case.reason}", ""]
    for k, comparison in enumerate(result.comparisons, start=1):
        lines.extend(_render_comparison(f"{number}.{k}", comparison))
    if result.derived:
        lines += ["**Derived numbers** (deterministic model; other assumptions at their defaults)",
                  "", "| Quantity | Inputs | Model |", "|---|---|---|"]
        for derived, value in result.derived:
            inputs = _inputs_inline(derived.inputs)
            if derived.solve is not None:
                inputs += (f"; {derived.solve['parameter']} solved for "
                           f"{describe_metric(derived.metric, derived.args)} = "
                           f"{show(derived.solve['target'], 'share')}")
            unit = "" if derived.unit == "share" else f" {derived.unit}"
            lines.append(f"| {_cell(derived.label)} | {_cell(inputs)} | "
                         f"{show(value, derived.unit)}{unit} |")
        lines.append("")
    return lines


def _render_comparison(number: str, result: ComparisonResult) -> list[str]:
    c = result.comparison
    lines = [f"### {number} {c.title}", "",
             f"*Model output:* {describe_metric(c.metric, c.args)} [{c.unit}].", ""]
    rows = [(i, "all") for i in c.inputs] + [(i, r.side) for r in c.readings for i in r.inputs]
    if rows:
        lines += ["*Model inputs* (the assumptions that differ from the defaults):", "",
                  "| Assumption | Reading | Value | Why |", "|---|---|---|---|"]
        lines += [f"| `{i.name}` | {_cell(side)} | {show_input(i.value)} | {_cell(i.why)} |"
                  for i, side in rows]
        lines.append("")
    else:
        lines += ["*Model inputs:* the defaults of `data/assumptions.csv`.", ""]
    lines += ["| Reading | Claim | Recorded | Model | Monte Carlo P10–P90 | Within? |",
              "|---|---|---|---|---|---|"]
    for r in result.readings:
        lines.append(f"| {_cell(r.reading.side)} | {_cell(r.reading.claim)} | "
                     f"{show_recorded(r.reading, c.tolerance, c.unit)} | {show(r.model, c.unit)} | "
                     f"{_spread_text(r, c.unit)} | {'yes' if r.within else 'no'} |")
    lines.append("")
    if c.uncertain:
        names = ", ".join(f"`{n}`" for n in c.uncertain)
        whose = ("their default distributions" if len(c.uncertain) > 1
                 else "its default distribution")
        lines += [f"*Uncertain in the Monte Carlo run:* {names}, drawn from {whose} in place of "
                  "any value set above.", ""]
    lines += [f"**Verdict: {result.verdict}.** {c.reason}", ""]
    return lines


# --- files ---------------------------------------------------------------------------------
def write(path: str | Path = DOC_PATH, cases_path: str | Path = CASES_YAML) -> Path:
    """Render the doc from the cases file and write it; returns the path written."""
    path = Path(path)
    path.write_text(render(load_cases(cases_path)), encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m whatif.reference", description=__doc__.split(
        "\n\n")[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help=f"write {DOC_PATH.name}")
    action.add_argument("--check", action="store_true", help="exit 1 if the doc is stale")
    args = parser.parse_args(argv)
    if args.write:
        print(f"wrote {write()}")
        return 0
    text = render(load_cases())
    if args.check:
        stale = not DOC_PATH.exists() or DOC_PATH.read_text(encoding="utf-8") != text
        print(f"{DOC_PATH} is {'stale' if stale else 'up to date'}")
        return int(stale)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
