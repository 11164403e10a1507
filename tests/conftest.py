"""Shared fixtures and helpers for the whatif test suite.

Array conventions follow the package: samples on axis 0, days on the last axis; the
daily series of :func:`whatif.model.campaign.daily_chain` are rows of
``whatif.model.campaign.SERIES``.
"""

from __future__ import annotations

import numpy as np
import pytest

from whatif.engine import choice_code
from whatif.model.campaign import SERIES, daily_chain
from whatif.model.layout import DailyInputs, ProductionPath, StrikeParams, no_sites
from whatif.model.production import trend_path_into
from whatif.model.rng import sub_key
from whatif.model.strike import sampled_salvo_loss
from whatif.params import NUMERIC
from whatif.scenario import Scenario

# Rows of the daily series array (whatif.model.campaign.SERIES).
ROW = {name: i for i, name in enumerate(SERIES)}


@pytest.fixture
def scenario() -> Scenario:
    """The defaults of data/assumptions.csv."""
    return Scenario.default()


def fixed_scenario(**values) -> Scenario:
    """Every numeric assumption fixed at its central value, then ``values`` applied.

    ``values`` may also set choices (``allocation``, ``recovery``, ``ramp_shape``) and
    ``stages`` (e.g. ``"plant:5"``). The production path is ``target`` unless ``values``
    says otherwise (the trend path draws from the fit to the record).
    """
    base = Scenario.default()
    fixed = {name: base.central(name) for name in NUMERIC}
    fixed["production_path"] = "target"  # no draws from the fit to the record
    fixed.update(values)
    return base.with_values(**fixed)


def simple_scenario(**values) -> Scenario:
    """A fixed scenario whose chain is easy to compute by hand.

    One stage of one aimpoint, one missile, every missile launches (r = 1), no air
    defence (D = 0), constant baseline output of 100 drones/day (ramp_days = 0), the
    whole national output made at the plant (s = 1), linear recovery over 60 days, no
    dispersal, no re-strikes, no stockpile, a 180-day horizon.
    """
    spec = dict(
        missiles=1,
        launch_reliability=1.0,
        defense_engagements=0,
        intercept_probability=0.0,
        aimpoint_kill_probability=0.5,
        stages="plant:1",
        allocation="even",
        production_now=100.0,
        production_target=1000.0,
        ramp_days=0.0,
        site_share=1.0,
        repair_days=60.0,
        recovery="linear",
        dispersal_share=0.0,
        dispersal_days=90.0,
        restrikes=0,
        restrike_interval_days=30,
        horizon_days=180,
        stockpile_days=0.0,
        energy_share=0.5,
        defeat_rate=0.8,
        mw_per_hit=4.0,
        grid_repair_days=60.0,
    )
    spec.update(values)
    return fixed_scenario(**spec)


def key(seed: int, index: int = 0) -> np.uint64:
    """An outcome key for :func:`sampled_salvo_loss` (always a np.uint64)."""
    return np.uint64(sub_key(np.uint64(seed), index))


def salvo_loss(k, missiles, r, d, p, q, stages, bottleneck=False) -> float:
    """:func:`sampled_salvo_loss` with the argument types the engine uses."""
    strike = StrikeParams(float(r), float(d), float(p), float(q), bool(bottleneck))
    return sampled_salvo_loss(np.uint64(k), int(missiles), strike,
                              np.asarray(stages, dtype=np.int64))


def run_chain(
    *,
    production_now=100.0,
    production_target=1000.0,
    ramp_days=0.0,
    logistic=0,
    site_share=1.0,
    salvo_losses=(0.5,),
    restrike_interval_days=30.0,
    repair_days=60.0,
    exponential=0,
    dispersal_share=0.0,
    dispersal_days=90.0,
    stockpile_days=0.0,
    energy_share=0.5,
    defeat_rate=0.8,
    mw_per_hit=4.0,
    grid_repair_days=60.0,
    horizon_days=180,
    stock_policy="drawdown",
    rebuild_share=0.25,
    path="target",
    trend=(10.0, 100.0, -1000.0, 0.05),
    month_factor=None,
    points=((0.0, 100.0),),
    record=True,
):
    """Run :func:`daily_chain` with keyword arguments; returns (outputs dict, series).

    The production path is ``path`` ("target": the climb over ``ramp_days``; "trend": the
    logistic ``trend`` = (start, end, midpoint, rate) with ``month_factor`` per 30 days,
    default 1; "custom": the table ``points``). With ``record=False`` the chain does not
    write daily values (the engine's fast path for summaries) and the series returned is
    None.
    """
    series = np.full((len(SERIES), horizon_days if record else 1), np.nan)
    inputs = DailyInputs(
        float(production_now), float(production_target), float(ramp_days), int(logistic),
        float(site_share), float(repair_days), int(exponential), float(dispersal_share),
        float(dispersal_days), float(stockpile_days), int(choice_code("stock_policy",
                                                                       stock_policy)),
        float(rebuild_share), float(energy_share), float(defeat_rate),
        float(mw_per_hit), float(grid_repair_days), int(horizon_days),
    )
    if month_factor is None:
        month_factor = np.ones(horizon_days // 30 + 1)
    table = np.array(points, dtype=float).reshape(-1, 2)
    daily = np.empty(horizon_days)
    if path == "trend":
        trend_path_into(daily, float(production_now), *map(float, trend),
                        np.asarray(month_factor, dtype=float))
    production_path = ProductionPath(
        int(choice_code("production_path", path)), *map(float, trend),
        np.asarray(month_factor, dtype=float), daily, np.ascontiguousarray(table[:, 0]),
        np.ascontiguousarray(table[:, 1]))
    salvo_day = np.arange(len(salvo_losses)) * float(restrike_interval_days)
    result = daily_chain(inputs, production_path, salvo_day,
                         np.asarray(salvo_losses, dtype=float), series, bool(record),
                         no_sites(horizon_days))
    names = ("drones_denied", "days_disrupted", "launches_denied", "baseline_launches",
             "grid_mw_days", "stock_shortfall_end")
    return dict(zip(names, result, strict=True)), (series if record else None)
