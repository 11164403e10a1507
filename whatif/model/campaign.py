"""Launches and the grid (MODEL.md §3): the daily stock-flow after a strike.

Launches follow production. Drawdown rule: while the stockpile lasts, launches stay
at the no-strike rate and the stock covers the shortfall; once it is empty, launches
fall with production (the stock is not rebuilt within the horizon). With
``stockpile_days = 0`` launches equal production. The stock at day 0 is
``stockpile_days × P_base(0)``.

Energy hits are ``launches × energy_share × (1 - defeat_rate)``. Damaged grid
capacity follows ``G(t+1) = G(t) + hits(t) m - G(t) / grid_repair_days``, starting at
the no-strike equilibrium ``G(0) = hits(0) m grid_repair_days``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from whatif.model._compile import JIT_OPTIONS
from whatif.model.production import (
    DISRUPTED_BELOW,
    _baseline_production,
    _dispersal_makeup,
    _production_shortfall,
    plant_lost_share,
)

#: Daily series written by :func:`daily_chain`, in this order (axis 1 of the series array).
SERIES = (
    "production_baseline",  # drones/day
    "production_strike",  # drones/day
    "plant_capacity_lost",  # share of the plant out of action
    "launches_baseline",  # drones/day
    "launches_strike",  # drones/day
    "energy_hits_baseline",  # hits/day
    "energy_hits_strike",  # hits/day
    "grid_damaged_baseline",  # MW out of action
    "grid_damaged_strike",  # MW out of action
)
SERIES_UNITS = ("drones/day", "drones/day", "share", "drones/day", "drones/day",
                "hits/day", "hits/day", "MW", "MW")


def energy_hits(launches, energy_share, defeat_rate):
    """Hits on energy infrastructure [hits]: ``launches × energy_share × (1 - defeat_rate)``.

    Examples
    --------
    >>> round(float(energy_hits(1000.0, 0.5, 0.85)), 6)
    75.0
    """
    return np.asarray(launches, dtype=float) * energy_share * (1.0 - defeat_rate)


@njit(**JIT_OPTIONS)
def daily_chain(
    production_now,
    production_target,
    ramp_days,
    logistic,
    site_share,
    salvo_losses,
    restrike_interval_days,
    repair_days,
    exponential,
    dispersal_share,
    dispersal_days,
    stockpile_days,
    energy_share,
    defeat_rate,
    mw_per_hit,
    grid_repair_days,
    horizon_days,
    series,
    record,
):
    """Run one sample's production → launches → grid chain over the horizon.

    Returns ``(drones_denied [drones], days_disrupted [days], launches_denied [drones],
    baseline_launches [drones], grid_mw_days_averted [MW·days])``. When ``record`` is
    true, the daily values are written to ``series`` (shape ``(len(SERIES), horizon)``).
    """
    got_through = energy_share * (1.0 - defeat_rate)
    stock = stockpile_days * _baseline_production(0.0, production_now, production_target, ramp_days, logistic)
    drones_denied = 0.0
    days_disrupted = 0
    launches_denied = 0.0
    baseline_launches = 0.0
    grid_gap = 0.0  # G_base - G_strike [MW]
    grid_mw_days = 0.0
    grid_base = 0.0
    keep = 1.0 - 1.0 / grid_repair_days
    # With linear recovery nothing is lost from day `settled` on: only the no-strike
    # launches and the decay of the grid gap remain, summed in closed form below.
    settled = horizon_days
    if exponential == 0 and not record:
        last_salvo = (salvo_losses.shape[0] - 1) * restrike_interval_days
        settled = min(horizon_days, int(math.ceil(last_salvo + repair_days)))
    if not record and salvo_losses.max() == 0.0:  # nothing lost: nothing to follow day by day
        settled = 0
    for t in range(settled):  # (no early break in this loop: it keeps it fast)
        day = float(t)
        base = _baseline_production(day, production_now, production_target, ramp_days, logistic)
        lost = plant_lost_share(day, salvo_losses, restrike_interval_days, repair_days, exponential)
        shortfall = _production_shortfall(
            base, site_share, lost, _dispersal_makeup(day, dispersal_share, dispersal_days)
        )
        drones_denied += shortfall
        if shortfall > (1.0 - DISRUPTED_BELOW) * base:
            days_disrupted += 1
        drawn = min(shortfall, stock)
        stock -= drawn
        deficit = shortfall - drawn
        launches_denied += deficit
        baseline_launches += base
        grid_mw_days += grid_gap
        if record:
            if t == 0:
                grid_base = base * got_through * mw_per_hit * grid_repair_days
            series[0, t] = base
            series[1, t] = base - shortfall
            series[2, t] = lost
            series[3, t] = base
            series[4, t] = base - deficit
            series[5, t] = base * got_through
            series[6, t] = (base - deficit) * got_through
            series[7, t] = grid_base
            series[8, t] = grid_base - grid_gap
            grid_base = grid_base * keep + base * got_through * mw_per_hit
        grid_gap = grid_gap * keep + deficit * got_through * mw_per_hit
    if settled < horizon_days:
        if ramp_days <= 0.0:  # no ramp: output stays at production_now
            baseline_launches += (horizon_days - settled) * production_now
        elif ramp_days <= settled:  # the ramp is over: output is at the target
            baseline_launches += (horizon_days - settled) * production_target
        else:
            for rest in range(settled, horizon_days):
                baseline_launches += _baseline_production(
                    float(rest), production_now, production_target, ramp_days, logistic
                )
        # sum of gap·keep^j for j < n days: gap·(1 - keep^n)/(1 - keep), 1 - keep = 1/τ
        grid_mw_days += grid_gap * grid_repair_days * (1.0 - keep ** (horizon_days - settled))
    return drones_denied, days_disrupted, launches_denied, baseline_launches, grid_mw_days
