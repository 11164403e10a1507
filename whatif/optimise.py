"""The best strike plan: how to split N missiles over a system's sites (and salvo days).

:func:`optimise_plan` searches the plans that fire exactly ``missiles`` missiles in
``salvos`` salvos, each salvo on a day of a weekly grid (days 0, 7, 14, … within the
horizon) and every salvo firing only what is in hand (:mod:`whatif.plans`), for the one
that maximises an objective: an output's mean, or the chance that it reaches
``at_least``. Every plan is run on the same draws of the assumptions and the same
strike-outcome streams (common random numbers: a missile's draws depend only on its
site, salvo and index), so two plans differ only by what they do.

The search. The objective is a Monte Carlo function of whole numbers, flat in places and
not smooth, so scipy.optimize's continuous methods do not fit and its integer-capable
global method (``differential_evolution`` with ``integrality``) would spend thousands of
runs; the allocation's structure allows a cheaper, documented search:

1. *Exhaustive* when the plans are few (at most :data:`EXHAUSTIVE_PLANS`: one salvo, small
   systems): every split is run and the best is exact.
2. Otherwise a *steepest-ascent exchange search* from the obvious plan (each salvo's
   missiles spread evenly over the sites, salvos as early as the inventory allows): each
   round tries every move of ``step`` missiles from one (salvo, site) to another and every
   shift of a salvo by a week, and takes the best improving one; when none improves,
   ``step`` halves, down to one missile. Results are checked against exhaustive
   enumeration on small systems (tests/test_optimise.py).

Every evaluated plan is kept; the report gives the best, the next best distinct plans
with how much worse each is, and the obvious plan for comparison.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from whatif.engine import check_objective, check_work, compile_scenario, work_per_run
from whatif.errors import ParameterError, show
from whatif.model import chain
from whatif.plans import MAX_MISSILES, Inventory
from whatif.scenario import PLAN_REPLACES, Scenario

#: the weekly grid of salvo days
GRID_DAYS = 7
#: up to this many plans, every one is run (the answer is exact)
EXHAUSTIVE_PLANS = 2_000
#: at most this many plans are run in one search (each on every sample)
MAX_EVALUATIONS = 5_000
MAX_SALVOS = 12
MAX_SAMPLES = 100_000


@dataclass(frozen=True)
class Plan:
    """Salvo days [days] and missiles per salvo and site (``missiles[k][i]``)."""

    days: tuple[int, ...]
    missiles: tuple[tuple[int, ...], ...]

    def salvos(self, sites: tuple[str, ...]) -> list[dict]:
        """As a scenario's ``plan`` gives it: ``[{day, missiles: {site: n}}]`` (sites with
        no missile left out)."""
        return [{"day": day, "missiles": {name: n for name, n in zip(sites, row, strict=True)
                                          if n}}
                for day, row in zip(self.days, self.missiles, strict=True)]

    @property
    def totals(self) -> tuple[int, ...]:
        return tuple(sum(row) for row in self.missiles)


@dataclass(frozen=True)
class Evaluated:
    """A plan and its objective: ``value`` (the mean, or the chance of reaching
    ``at_least``) and the objective's P10 and P90 over the samples."""

    plan: Plan
    value: float
    p10: float
    p90: float


@dataclass(frozen=True)
class PlanResult:
    """What :func:`optimise_plan` returns."""

    scenario: Scenario  # the scenario with the best plan
    sites: tuple[str, ...]
    objective: str
    at_least: float | None
    confidence: float | None
    best: Evaluated
    alternatives: tuple[Evaluated, ...]
    obvious: Evaluated
    method: str  # "exhaustive" or "exchange search"
    evaluations: int
    samples: int
    seed: int | None

    def _entry(self, item: Evaluated) -> dict:
        out = {"salvos": item.plan.salvos(self.sites), "objective": self.objective,
               "value": item.value, "p10": item.p10, "p90": item.p90}
        if self.at_least is not None:
            out["at_least"] = self.at_least
        return out

    def to_dict(self) -> dict:
        """JSON-ready: best, alternatives (each with ``worse_by``), the obvious plan, how
        the search ran."""
        best = self._entry(self.best)
        if self.confidence is not None:
            best["confidence"] = self.confidence
            best["meets_confidence"] = bool(self.best.value >= self.confidence)
        alternatives = [{**self._entry(a), "worse_by": self.best.value - a.value}
                        for a in self.alternatives]
        return {"best": best, "alternatives": alternatives,
                "obvious": {**self._entry(self.obvious),
                            "worse_by": self.best.value - self.obvious.value},
                "method": self.method, "evaluations": self.evaluations,
                "samples": self.samples, "seed": self.seed}


def _check_count(name: str, value, lowest: int, highest: int, unit: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not (
            lowest <= value <= highest):
        raise ParameterError(name, f"{show(value)} is out of range; allowed {lowest:,} to "
                             f"{highest:,} {unit} (whole numbers)")
    return int(value)


def _compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    """Every way to write ``total`` as ``parts`` whole numbers >= 0, in lexicographic order."""
    if parts == 1:
        yield (total,)
        return
    for first in range(total, -1, -1):
        for rest in _compositions(total - first, parts - 1):
            yield (first, *rest)


def count_splits(missiles: int, sites: int) -> int:
    """How many ways ``missiles`` split over ``sites`` (``C(N + S - 1, S - 1)``)."""
    return math.comb(missiles + sites - 1, sites - 1)


def _even(total: int, parts: int) -> tuple[int, ...]:
    """``total`` spread over ``parts`` as evenly as whole numbers allow (the first get one
    more)."""
    base, extra = divmod(total, parts)
    return tuple(base + (i < extra) for i in range(parts))


def _feasible(plan: Plan, inventory: Inventory) -> bool:
    fired = 0
    for day, total in zip(plan.days, plan.totals, strict=True):
        if total < 1:
            return False
        fired += total
        if fired > inventory.delivered_by(day):
            return False
    return all(a < b for a, b in zip(plan.days, plan.days[1:], strict=False))


def obvious_plan(missiles: int, salvos: int, sites: int, grid: list[int],
                 inventory: Inventory) -> Plan:
    """The plan a planner would write first: salvos as early as the inventory allows on
    the weekly grid, the first as large as what is in hand allows (leaving one missile for
    each later salvo), the rest spread evenly, each salvo spread evenly over the sites.
    A ParameterError if no plan fits the inventory within the horizon."""
    left = missiles
    days: list[int] = []
    totals: list[int] = []
    fired = 0
    start = 0
    for k in range(salvos):
        later = salvos - k - 1
        placed = False
        for g in range(start, len(grid)):
            day = grid[g]
            in_hand = inventory.delivered_by(day) - fired
            if k == 0:
                want = min(left - later, in_hand)
            else:
                want = min(left - later, max(_even(left, salvos - k)[0], 1), in_hand)
            if later == 0:
                want = left
            if 1 <= want <= in_hand:
                days.append(day)
                totals.append(want)
                fired += want
                left -= want
                start = g + 1
                placed = True
                break
        if not placed:
            raise ParameterError(
                "missiles", f"{missiles:,} missiles in {salvos} salvo(s) do not fit the "
                f"inventory within the horizon (on hand {inventory.on_hand:,}, "
                f"{inventory.delivered_per_30_days:,} delivered every 30 days, salvos on days "
                f"{grid[0]}, {grid[1] if len(grid) > 1 else grid[0]}, … up to {grid[-1]})")
    return Plan(tuple(days), tuple(_even(total, sites) for total in totals))


class _Evaluator:
    """Runs plans on one set of draws (common random numbers) and remembers each result."""

    def __init__(self, scenario: Scenario, objective: str, at_least: float | None,
                 samples: int, seed: int | None,
                 progress: Callable[[int, int], None] | None = None, expected: int = 1):
        self.progress = progress
        self.expected = expected
        # the draws come from a stand-in one-salvo plan: the plan's days and missiles are
        # all that changes from one evaluation to the next
        stand_in = scenario.with_plan(plan=[{"day": 0, "missiles": {scenario.site_names[0]: 1}}],
                                      inventory=None)
        self.sites = len(scenario.site_names)
        compiled, _ = compile_scenario(stand_in, samples, seed)
        self.columns = chain.input_columns(compiled.theta)
        self.shared = compiled.shared
        self.index = chain.OUTPUTS.index(objective)
        self.at_least = at_least
        self.results: dict[Plan, Evaluated] = {}

    def __call__(self, plan: Plan) -> Evaluated:
        known = self.results.get(plan)
        if known is not None:
            return known
        if len(self.results) >= MAX_EVALUATIONS:
            raise ParameterError("missiles", f"the search would run more than "
                                 f"{MAX_EVALUATIONS:,} plans; use fewer salvos or sites")
        shared = self.shared._replace(
            planned=True, plan_day=np.array(plan.days, dtype=np.float64),
            plan_missiles=np.array(plan.missiles, dtype=np.int64).reshape(-1, self.sites))
        values = chain.objective_values(self.columns, shared, self.index)
        if self.at_least is None:
            value = float(values.mean())
        else:
            value = float(np.mean(values >= self.at_least))
        p10, p90 = np.percentile(values, [10, 90])
        result = Evaluated(plan, value, float(p10), float(p90))
        self.results[plan] = result
        if self.progress is not None:
            done = len(self.results)
            self.expected = max(self.expected, done + 1)
            self.progress(done, self.expected)
        return result


def _better(a: Evaluated, b: Evaluated | None) -> bool:
    """``a`` beats ``b``: a higher value; on a tie, the earlier plan in a fixed order (fewer
    missiles at earlier-listed sites last: the order is only there to be repeatable)."""
    if b is None:
        return True
    if a.value != b.value:
        return a.value > b.value
    return (a.plan.days, a.plan.missiles) < (b.plan.days, b.plan.missiles)


def _neighbours(plan: Plan, step: int, grid: list[int]) -> Iterator[Plan]:
    """Plans one move away: ``step`` missiles from one (salvo, site) to another, or one
    salvo a week earlier or later."""
    cells = [(k, i) for k in range(len(plan.days)) for i in range(len(plan.missiles[0]))]
    rows = [list(row) for row in plan.missiles]
    for k, i in cells:
        if rows[k][i] < step:
            continue
        for k2, j in cells:
            if (k2, j) == (k, i):
                continue
            moved = [row[:] for row in rows]
            moved[k][i] -= step
            moved[k2][j] += step
            yield Plan(plan.days, tuple(tuple(row) for row in moved))
    for k in range(len(plan.days)):
        for shift in (-GRID_DAYS, GRID_DAYS):
            day = plan.days[k] + shift
            if day < 0 or day > grid[-1]:
                continue
            days = list(plan.days)
            days[k] = day
            yield Plan(tuple(days), plan.missiles)


def _exchange_search(evaluate: _Evaluator, start: Plan, grid: list[int],
                     inventory: Inventory) -> Evaluated:
    current = evaluate(start)
    total = sum(start.totals)
    cells = len(start.days) * len(start.missiles[0])
    step = max(1, total // (2 * cells))
    while True:
        best = None
        for candidate in _neighbours(current.plan, step, grid):
            if not _feasible(candidate, inventory):
                continue
            result = evaluate(candidate)
            if _better(result, best):
                best = result
        if best is not None and best.value > current.value:
            current = best
            continue
        if step == 1:
            return current
        step = max(1, step // 2)


def optimise_plan(scenario: Scenario, missiles: int, salvos: int = 1,
                  objective: str = "capacity_loss", at_least: float | None = None,
                  confidence: float | None = None, samples: int = 2_000,
                  seed: int | None = 0, alternatives: int = 3,
                  exhaustive: bool | None = None,
                  progress: Callable[[int, int], None] | None = None) -> PlanResult:
    """The plan of ``missiles`` missiles in ``salvos`` salvos that maximises ``objective``.

    Parameters
    ----------
    scenario : Scenario
        Its sites (or the single plant, ``plant``), assumptions and ``inventory`` (without
        one, all ``missiles`` are in hand on day 0). Its own plan, if any, is replaced.
    missiles : int
        Missiles the plan fires in all [missiles].
    salvos : int
        Salvos, on distinct days of the weekly grid within the horizon.
    objective : str
        An output that grows with missiles (:data:`whatif.outputs.OBJECTIVES`).
    at_least, confidence : float, optional
        With ``at_least``, the plan maximises the chance that the objective reaches it;
        ``confidence`` is then reported as met or not.
    samples : int
        Monte Carlo samples (0: the deterministic model).
    exhaustive : bool, optional
        Force (True) or forbid (False) running every plan; by default every plan is run
        when there are at most :data:`EXHAUSTIVE_PLANS` (one salvo only).
    progress : callable, optional
        Called as ``progress(plans_run, plans_expected)`` after each plan (the expected
        count is exact for the exhaustive search, an estimate for the exchange search).
    """
    missiles = _check_count("missiles", missiles, 1, MAX_MISSILES, "missiles")
    salvos = _check_count("salvos", salvos, 1, MAX_SALVOS, "salvos")
    samples = _check_count("samples", samples, 0, MAX_SAMPLES, "samples")
    alternatives = _check_count("alternatives", alternatives, 0, 20, "plans")
    if at_least is None:
        check_objective(objective, 0.0, 0.5, 1)
        if confidence is not None:
            raise ParameterError("confidence", "a confidence needs --at-least (the level the "
                                 "objective must reach)")
    else:
        check_objective(objective, at_least, 0.5 if confidence is None else confidence, 1)
    if missiles < salvos:
        raise ParameterError("salvos", f"{salvos} salvos need at least {salvos} missiles; "
                             f"allowed 1 to {missiles} salvos here")
    grid = list(range(0, max(1, math.ceil(scenario.shortest_horizon)), GRID_DAYS))
    if salvos > len(grid):
        raise ParameterError("salvos", f"{salvos} salvos do not fit the weekly grid of the "
                             f"horizon ({len(grid)} days: {grid[0]}, …, {grid[-1]}); allowed 1 "
                             f"to {len(grid)}")
    inventory = scenario.inventory or Inventory(on_hand=missiles)
    # the plan replaces the salvo assumptions (and any plan the scenario had)
    scenario = scenario.without(*PLAN_REPLACES).with_plan(plan=None)
    names = scenario.site_names
    start = obvious_plan(missiles, salvos, len(names), grid, inventory)
    stand_in = scenario.with_plan(plan=start.salvos(names), inventory=None)
    check_work(max(samples, 1), work_per_run(stand_in, stochastic=samples > 0),
               " samples per plan")
    plans = count_splits(missiles, len(names))
    if exhaustive is None:
        exhaustive = salvos == 1 and plans <= EXHAUSTIVE_PLANS
    cells = salvos * len(names)
    expected = plans + 1 if exhaustive else cells * (cells - 1) * 2 * max(
        1, int(math.log2(max(missiles // (2 * cells), 1))) + 1) + 2 * salvos
    evaluate = _Evaluator(scenario, objective, at_least, samples, seed, progress, expected)
    obvious = evaluate(start)
    if exhaustive:
        if salvos != 1 or plans > MAX_EVALUATIONS:
            raise ParameterError("salvos", f"exhaustive search runs one salvo of at most "
                                 f"{MAX_EVALUATIONS:,} splits; here {plans:,} splits in "
                                 f"{salvos} salvo(s)")
        best = None
        for split in _compositions(missiles, len(names)):
            result = evaluate(Plan(start.days, (split,)))
            if _better(result, best):
                best = result
        method = "exhaustive"
    else:
        best = _exchange_search(evaluate, start, grid, inventory)
        method = "exchange search"
    others = sorted((r for r in evaluate.results.values() if r.plan != best.plan),
                    key=lambda r: (-r.value, r.plan.days, r.plan.missiles))
    chosen = scenario.with_plan(plan=best.plan.salvos(names))  # (its inventory kept)
    return PlanResult(chosen, names, objective, at_least, confidence, best,
                      tuple(others[:alternatives]), obvious, method, len(evaluate.results),
                      samples, seed)
