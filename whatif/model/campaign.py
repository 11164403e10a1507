"""Launches and the grid (MODEL.md §3): the daily stock-flow after a strike.

Launches follow production; ``stock_policy`` says what the stock does when output falls
(the stock at day 0 is ``S0 = stockpile_days × P_base(0)``, day 0's path level):

- ``drawdown``: while the stock lasts, launches stay at the no-strike rate and the stock
  covers the shortfall; once it is empty, launches fall with production. No rebuilding.
- ``hold``: the reserve is kept; launches fall with production at once.
- ``rebuild``: each day the stock covers the shortfall and, while below ``S0``, takes
  ``rebuild_share`` of the day's output: ``S ← clip(S + r·O(t)·[S < S0] - shortfall, 0, S0)``.

Launches are output minus what goes into the stock, so over the horizon launches denied
= drones denied − (S0 − S_end): nothing is lost from the account, and
``stock_shortfall_end = S0 − S_end``. With ``stockpile_days = 0`` launches equal production.

Energy hits are ``launches × energy_share × (1 - defeat_rate)``. Damaged grid
capacity follows ``G(t+1) = G(t) + hits(t) m - G(t) / grid_repair_days``, starting at
the no-strike equilibrium ``G(0) = hits(0) m grid_repair_days``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from whatif.model._compile import JIT_OPTIONS, scalar
from whatif.model.layout import (
    ENERGY_HITS_BASELINE,
    ENERGY_HITS_STRIKE,
    GRID_DAMAGED_BASELINE,
    GRID_DAMAGED_STRIKE,
    LAUNCHES_BASELINE,
    LAUNCHES_STRIKE,
    N_SERIES,
    PLANT_CAPACITY_LOST,
    PRODUCTION_BASELINE,
    PRODUCTION_PATH_TARGET,
    PRODUCTION_PATH_TREND,
    PRODUCTION_STRIKE,
    SERIES_NAMES,
    SERIES_UNITS,
    STOCK_POLICY_HOLD,
    STOCK_POLICY_REBUILD,
)
from whatif.model.production import (
    DISRUPTED_BELOW,
    _dispersal_makeup,
    _production_shortfall,
    lost_days_into,
    path_level,
    path_production,
)
from whatif.model.system import system_days_into

#: Daily series written by :func:`daily_chain`, in this order (axis 0 of the series array);
#: their units are :data:`SERIES_UNITS` (both from :mod:`whatif.model.layout`).
SERIES = SERIES_NAMES

__all__ = ["SERIES", "SERIES_UNITS", "daily_chain", "energy_hits"]


def energy_hits(launches, energy_share, defeat_rate):
    """Hits on energy infrastructure [hits]: ``launches × energy_share × (1 - defeat_rate)``.

    Examples
    --------
    >>> round(float(energy_hits(1000.0, 0.5, 0.85)), 6)
    75.0
    """
    return np.asarray(launches, dtype=float) * energy_share * (1.0 - defeat_rate)


@scalar
def _sum_of(values, start, stop):
    """``values[start:stop].sum()`` as four running sums (every 4th value each) added in a
    fixed order: the same number every time, its additions overlapping."""
    a = b = c = d = 0.0
    t = start
    while t + 4 <= stop:
        a += values[t]
        b += values[t + 1]
        c += values[t + 2]
        d += values[t + 3]
        t += 4
    while t < stop:
        a += values[t]
        t += 1
    return (a + b) + (c + d)


@scalar
def _system_settled(salvo_day, sites, refill_share, horizon):
    """The first day from which a system loses nothing more (every site with a loss repaired,
    all recovering linearly and the stock not rebuilt); the horizon otherwise."""
    if refill_share != 0.0:
        return horizon
    settled = 0
    for s in range(sites.share.shape[0]):
        for k in range(salvo_day.shape[0]):
            if sites.salvo_loss[k, s] > 0.0:
                if sites.exponential[s] != 0:
                    return horizon
                settled = max(settled, int(math.ceil(salvo_day[k] + sites.repair_days[s])))
    return min(horizon, settled)


@njit(**JIT_OPTIONS)
def daily_chain(inputs, path, salvo_day, salvo_loss, series, record, sites):
    """Run one sample's production → launches → grid chain over its horizon.

    Parameters
    ----------
    inputs : DailyInputs
        The row's production, recovery, stock and grid assumptions and its horizon
        (:class:`whatif.model.layout.DailyInputs`).
    path : ProductionPath
        The row's no-strike production path (:class:`whatif.model.layout.ProductionPath`).
    salvo_day, salvo_loss : float64 arrays (salvos,)
        The day each salvo lands [days] and the share of the plant it knocks out [share]
        (a system of sites reads ``sites.salvo_loss`` instead).
    series : float64 array (len(SERIES) [+ sites], days)
        Where the daily values go when ``record`` is true; ``days`` may exceed the row's
        horizon (rows of one run share the longest horizon): the chain then runs on to the
        series' end, and only the outputs stop at the row's horizon. A system also writes
        each site's capacity in action [share] after :data:`SERIES`.
    record : bool
        Write the daily series.
    sites : SiteDays
        The row's system of sites (:class:`whatif.model.layout.SiteDays`); with
        ``sites.system`` false the single plant: national output loses ``site_share × the
        plant's loss``. With a system it loses ``Σ share × (1 - available)`` across the sites
        (:mod:`whatif.model.system`), and ``plant_capacity_lost`` is the listed sites'
        combined loss.

    Returns
    -------
    tuple
        ``(drones_denied [drones], days_disrupted [days], launches_denied [drones],
        baseline_launches [drones], grid_mw_days_averted [MW·days],
        stock_shortfall_end [drones])`` over the horizon.
    """
    x = inputs
    horizon = x.horizon_days
    got_through = x.energy_share * (1.0 - x.defeat_rate)
    stock_start = x.stockpile_days * path_level(x, path)
    stock = stock_start
    hold = x.stock_policy == STOCK_POLICY_HOLD
    refill_share = x.rebuild_share if x.stock_policy == STOCK_POLICY_REBUILD else 0.0
    drawdown = not hold and refill_share == 0.0  # the stock only covers shortfalls
    stock_at_horizon = stock
    drones_denied = 0.0
    days_disrupted = 0
    launches_denied = 0.0
    baseline_launches = 0.0
    grid_gap = 0.0  # G_base - G_strike [MW]
    grid_mw_days = 0.0
    grid_base = 0.0
    keep = 1.0 - 1.0 / x.grid_repair_days
    grid_gap_settled = 0.0  # the grid gap entering day `settled`
    # With linear recovery and a stock that is not rebuilt nothing is lost from day
    # `settled` on: only the no-strike launches and the decay of the grid gap remain,
    # summed in closed form below. The outputs are summed the same way whether or not
    # the series are recorded (the series then run on), so they never differ between
    # the two.
    settled = horizon
    system = sites.system
    listed_share = 0.0
    if system:
        for i in range(sites.share.shape[0]):
            listed_share += sites.share[i]
        settled = _system_settled(salvo_day, sites, refill_share, horizon)
    else:
        if x.exponential == 0 and refill_share == 0.0:
            last_salvo = salvo_day.max()
            settled = min(horizon, int(math.ceil(last_salvo + x.repair_days)))
        if salvo_loss.max() == 0.0:  # nothing lost: nothing to follow day by day
            settled = 0
    days = series.shape[1] if record else settled
    n_sites = sites.share.shape[0]
    if system:  # each site's capacity and the national loss on every day the loop runs
        system_days_into(days, salvo_day, sites.salvo_loss, sites.repair_days,
                         sites.exponential, sites.suppliers, sites.supplier_count,
                         sites.order, sites.share, sites.lost_days)
    else:  # the plant's loss on every day the loop runs (before the cap at 1)
        lost_days_into(days, salvo_day, salvo_loss, x.repair_days, x.exponential,
                       sites.lost_days[0])
    for t in range(days):  # (no early break in this loop: it keeps it fast)
        day = float(t)
        base = path_production(t, x, path)
        makeup = _dispersal_makeup(day, x.dispersal_share, x.dispersal_days)
        if system:  # the national share lost (the sites' losses and their suppliers')
            national = sites.lost_days[n_sites, t]
            lost = national / listed_share
            shortfall = _production_shortfall(base, 1.0, national, makeup)
        else:
            lost = min(sites.lost_days[0, t], 1.0)  # plant_lost_share, day t
            shortfall = _production_shortfall(base, x.site_share, lost, makeup)
        # the stock: covers the shortfall (drawdown, rebuild), is refilled from a share of
        # output while below its start (rebuild), or is kept whole (hold)
        deficit = shortfall  # launches below the no-strike launches [drones/day]
        if drawdown:  # the general rule below with no refill, as branches: while the
            # stock lasts the chain from day to day is one subtraction, not a min and a
            # subtraction (the same numbers: taken is the shortfall, or all the stock)
            if shortfall <= stock:
                stock = stock - shortfall
                deficit = 0.0
            else:
                deficit = shortfall - stock
                stock = 0.0
        elif not hold:
            refill = refill_share * (base - shortfall) if stock < stock_start else 0.0
            if refill <= shortfall:  # the stock covers what the refill does not
                taken = min(shortfall - refill, stock)
                stock -= taken
                deficit = shortfall - taken
            else:  # the refill exceeds the shortfall: the stock grows, up to its start
                added = min(refill - shortfall, stock_start - stock)
                stock += added
                deficit = shortfall + added
        if t < settled:  # (always, unless recording beyond it)
            drones_denied += shortfall
            if shortfall > (1.0 - DISRUPTED_BELOW) * base:
                days_disrupted += 1
            launches_denied += deficit
            baseline_launches += base
            grid_mw_days += grid_gap
            stock_at_horizon = stock
        if record:
            if t == 0:
                grid_base = base * got_through * x.mw_per_hit * x.grid_repair_days
            series[PRODUCTION_BASELINE, t] = base
            series[PRODUCTION_STRIKE, t] = base - shortfall
            series[PLANT_CAPACITY_LOST, t] = lost
            series[LAUNCHES_BASELINE, t] = base
            series[LAUNCHES_STRIKE, t] = base - deficit
            series[ENERGY_HITS_BASELINE, t] = base * got_through
            series[ENERGY_HITS_STRIKE, t] = (base - deficit) * got_through
            series[GRID_DAMAGED_BASELINE, t] = grid_base
            series[GRID_DAMAGED_STRIKE, t] = grid_base - grid_gap
            if system:
                for i in range(n_sites):
                    series[N_SERIES + i, t] = sites.lost_days[i, t]  # capacity in action
            grid_base = grid_base * keep + base * got_through * x.mw_per_hit
        grid_gap = grid_gap * keep + deficit * got_through * x.mw_per_hit
        if t + 1 == settled:
            grid_gap_settled = grid_gap
    if settled < horizon:  # nothing more is lost, and the stock no longer changes
        if path.code == PRODUCTION_PATH_TARGET and x.ramp_days <= 0.0:  # no ramp
            baseline_launches += (horizon - settled) * x.production_now
        elif path.code == PRODUCTION_PATH_TARGET and x.ramp_days <= settled:  # ramp over
            baseline_launches += (horizon - settled) * x.production_target
        elif path.code == PRODUCTION_PATH_TREND:  # the filled path, four sums at a time
            baseline_launches += _sum_of(path.daily, settled, horizon)
        else:
            for rest in range(settled, horizon):
                baseline_launches += path_production(rest, x, path)
        # sum of gap·keep^j for j < n days: gap·(1 - keep^n)/(1 - keep), 1 - keep = 1/τ
        grid_mw_days += (grid_gap_settled * x.grid_repair_days
                         * (1.0 - keep ** (horizon - settled)))
    return (drones_denied, days_disrupted, launches_denied, baseline_launches, grid_mw_days,
            stock_start - stock_at_horizon)
