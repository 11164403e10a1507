"""The whole chain for many samples at once: strike → production → launches → grid → cost.

The arrays and records are laid out in :mod:`whatif.model.layout`: ``theta`` holds one
row per sample and one column per entry of :data:`INPUTS` (the kernels take its transpose,
so each input's column is contiguous); outputs come back one row per sample, each
output's column contiguous; daily series are day-major, ``(len(SERIES), days, samples)``.
What every row shares (the plant's stages, the outcome key, the mode) is one
:class:`~whatif.model.layout.Shared` record.

Each row carries its own horizon and choices (allocation, ramp shape, recovery), so one
run can mix them (the tornado does). The loops over samples run in parallel (numba
``prange``); each sample's strike outcome draws from its own counter-based stream, so
results do not depend on threads or on how many samples are run.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from whatif.model._compile import JIT_OPTIONS, scalar
from whatif.model.campaign import daily_chain
from whatif.model.cost import _cost_exchange_ratio
from whatif.model.layout import (
    AIMPOINT_KILL_PROBABILITY,
    ALLOCATION,
    ALLOCATION_BOTTLENECK,
    CAPACITY_LOSS,
    COST_EXCHANGE_RATIO,
    DAYS_DISRUPTED,
    DEFEAT_RATE,
    DEFENSE_COST_PER_DRONE,
    DEFENSE_ENGAGEMENTS,
    DISPERSAL_DAYS,
    DISPERSAL_SHARE,
    DRONE_UNIT_COST,
    DRONES_DENIED,
    ENERGY_HIT_REDUCTION,
    ENERGY_HITS_AVERTED,
    ENERGY_HITS_DEFERRED,
    ENERGY_SHARE,
    GRID_GW_DAYS_AVERTED,
    GRID_REPAIR_DAYS,
    HORIZON_DAYS,
    INPUT_NAMES,
    INTERCEPT_PROBABILITY,
    LAUNCH_RELIABILITY,
    MISSILE_UNIT_COST,
    MISSILES,
    MW_PER_HIT,
    N_OUTPUTS,
    N_SERIES,
    OUTPUT_NAMES,
    PRODUCTION_NOW,
    PRODUCTION_PATH,
    PRODUCTION_PATH_TREND,
    PRODUCTION_TARGET,
    RAMP_DAYS,
    RAMP_SHAPE,
    RAMP_SHAPE_LOGISTIC,
    REBUILD_SHARE,
    RECOVERY,
    RECOVERY_EXPONENTIAL,
    REPAIR_DAYS,
    RESTRIKE_INTERVAL_DAYS,
    RESTRIKES,
    SITE_SHARE,
    STOCK_POLICY,
    STOCK_SHORTFALL_END,
    STOCKPILE_DAYS,
    STRIKE_COST_USD,
    TARGET_SHARE_DENIED,
    TREND_END_LEVEL,
    TREND_GROWTH_RATE,
    TREND_MIDPOINT_DAY,
    TREND_START_LEVEL,
    DailyInputs,
    ProductionPath,
    SiteDays,
    StrikeParams,
    StrikeWork,
    Work,
)
from whatif.model.production import TREND_MONTH_DAYS, _scatter_factor, trend_path_into
from whatif.model.rng import normal_pair, row_key, stream_index, sub_key, sub_key_of
from whatif.model.strike import (
    expected_salvo_loss,
    sampled_salvo_loss_at,
    sampled_salvo_loss_into,
    targeted_aimpoint_count,
    targeted_stage,
)
from whatif.model.system import system_available_into, system_national_lost

INPUTS = INPUT_NAMES  # names of theta's columns
OUTPUTS = OUTPUT_NAMES  # names of the outputs' columns

CHUNK = 256  # samples per parallel task (scratch arrays are allocated once per task)
TILE = 64  # samples whose daily series are gathered before they are written out
SITE = 0  # the struck plant: the one site of Shared's site axis
#: sub-stream of a sample's key for the trend path's month scatter (salvos use 0, 1, …)
SCATTER_STREAM = 1 << 40
#: a salvo's sub-streams for sites 1, 2, … of a system (site 0 takes the salvo's own)
SITE_STREAM = 1 << 32


@njit(**JIT_OPTIONS)
def scratch(shared, max_salvos, max_days):
    """A :class:`~whatif.model.layout.Work` for :func:`sample_outcome`, sized for every site
    of ``shared``, up to ``max_salvos`` salvos and ``max_days`` days."""
    most_aimpoints = 1
    for i in range(shared.stage_count.shape[0]):
        total = 0
        for j in range(shared.stage_count[i]):
            total += shared.stage_aimpoints[i, j]
        most_aimpoints = max(most_aimpoints, total)
    strike = StrikeWork(np.empty(most_aimpoints, dtype=np.int64),
                        np.empty(most_aimpoints, dtype=np.bool_),
                        np.empty(shared.stage_aimpoints.shape[1]))
    months = max_days // TREND_MONTH_DAYS + 1
    sites = shared.stage_count.shape[0]
    return Work(np.empty(max_salvos), np.empty(max_salvos, dtype=np.int64),
                np.empty(max_salvos), np.ones(months), np.empty(max(max_days, 1)), strike,
                np.zeros((max_salvos, sites)), np.empty(sites),
                np.empty(sites, dtype=np.int64), np.empty(sites), np.empty(sites),
                np.empty((sites + 1, max(max_days, 1))), np.empty(max_salvos, dtype=np.uint64))


@scalar
def _row_key(shared, s):
    """Row ``s``'s outcome key (:func:`~whatif.model.rng.row_key`)."""
    return row_key(shared.key, shared.experiment_keys, shared.experiment_samples, s)


@scalar
def strike_params(row):
    """The strike assumptions of parameter row ``row`` (a :class:`StrikeParams`)."""
    return StrikeParams(
        launch_reliability=row[LAUNCH_RELIABILITY],
        defense_engagements=row[DEFENSE_ENGAGEMENTS],
        intercept_probability=row[INTERCEPT_PROBABILITY],
        aimpoint_kill_probability=row[AIMPOINT_KILL_PROBABILITY],
        bottleneck=row[ALLOCATION] == ALLOCATION_BOTTLENECK,
    )


@scalar
def daily_inputs(row):
    """The daily chain's inputs of parameter row ``row`` (a :class:`DailyInputs`)."""
    return DailyInputs(
        production_now=row[PRODUCTION_NOW],
        production_target=row[PRODUCTION_TARGET],
        ramp_days=row[RAMP_DAYS],
        logistic=int(row[RAMP_SHAPE] == RAMP_SHAPE_LOGISTIC),
        site_share=row[SITE_SHARE],
        repair_days=row[REPAIR_DAYS],
        exponential=int(row[RECOVERY] == RECOVERY_EXPONENTIAL),
        dispersal_share=row[DISPERSAL_SHARE],
        dispersal_days=row[DISPERSAL_DAYS],
        stockpile_days=row[STOCKPILE_DAYS],
        stock_policy=int(row[STOCK_POLICY]),
        rebuild_share=row[REBUILD_SHARE],
        energy_share=row[ENERGY_SHARE],
        defeat_rate=row[DEFEAT_RATE],
        mw_per_hit=row[MW_PER_HIT],
        grid_repair_days=row[GRID_REPAIR_DAYS],
        horizon_days=int(row[HORIZON_DAYS]),
    )


@scalar
def production_path(row, shared, month_factor, daily):
    """The no-strike production path of parameter row ``row`` (a :class:`ProductionPath`)."""
    return ProductionPath(
        code=int(row[PRODUCTION_PATH]),
        trend_start_level=row[TREND_START_LEVEL],
        trend_end_level=row[TREND_END_LEVEL],
        trend_midpoint_day=row[TREND_MIDPOINT_DAY],
        trend_growth_rate=row[TREND_GROWTH_RATE],
        month_factor=month_factor,
        daily=daily,
        custom_days=shared.custom_days,
        custom_rates=shared.custom_rates,
    )


@scalar
def month_scatter_into(key, sigma, stochastic, month_factor):
    """Each 30-day block's scatter about the trend path, written into ``month_factor``:
    :func:`~whatif.model.production.scatter_factor` of standard normals drawn
    (:func:`~whatif.model.rng.normal_pair`) from sub-stream :data:`SCATTER_STREAM` of
    ``key``, or 1 if not ``stochastic``."""
    if not stochastic or sigma == 0.0:
        month_factor[:] = 1.0
        return
    stream = sub_key(key, SCATTER_STREAM)
    months = month_factor.shape[0]
    m = 0
    i = 0
    while m < months:
        x, y, i = normal_pair(stream, i)
        month_factor[m] = _scatter_factor(x, sigma)
        m += 1
        if m < months:
            month_factor[m] = _scatter_factor(y, sigma)
            m += 1


@scalar
def site_value(row, shared, site, j, scenario_column):
    """Site ``site``'s ``SITE_INPUTS[j]`` in row ``row``: its own column if it sets it, else
    the scenario's (``scenario_column``)."""
    column = shared.site_column[site, j]
    return row[column] if column >= 0 else row[scenario_column]


@scalar
def site_strike_params(row, shared, site):
    """Site ``site``'s strike assumptions in row ``row`` (a :class:`StrikeParams`)."""
    return StrikeParams(
        launch_reliability=site_value(row, shared, site, 0, LAUNCH_RELIABILITY),
        defense_engagements=site_value(row, shared, site, 1, DEFENSE_ENGAGEMENTS),
        intercept_probability=site_value(row, shared, site, 2, INTERCEPT_PROBABILITY),
        aimpoint_kill_probability=site_value(row, shared, site, 3, AIMPOINT_KILL_PROBABILITY),
        bottleneck=site_value(row, shared, site, 4, ALLOCATION) == ALLOCATION_BOTTLENECK,
    )


@scalar
def salvo_schedule(row, missiles, shared, salvo_day, salvo_missiles):
    """Write row ``row``'s salvos as (day, missiles) and return how many there are.

    A plan (``shared.planned``) gives the days, and the missiles at site 0 (the plant of a
    scenario without sites). Otherwise the first salvo lands on day 0 and ``restrikes``
    follow every ``restrike_interval_days``, each of ``missiles``.
    """
    if shared.planned:
        for k in range(shared.plan_day.shape[0]):
            salvo_day[k] = shared.plan_day[k]
            salvo_missiles[k] = shared.plan_missiles[k, SITE]
        return shared.plan_day.shape[0]
    count = 1 + int(row[RESTRIKES])
    interval = row[RESTRIKE_INTERVAL_DAYS]
    for k in range(count):
        salvo_day[k] = k * interval
        salvo_missiles[k] = missiles
    return count


@scalar
def _strike_system(row, shared, key, work, out, n_salvos):
    """Every planned salvo against every site of a system: ``work.site_loss[k, i]`` is the
    share of site ``i`` salvo ``k`` knocks out (drawn, or expected). Writes
    ``capacity_loss`` (the listed sites' combined output lost to the first salvo, suppliers
    included) and each site's output lost to it after
    :data:`OUTPUTS`; fills each site's repair and recovery. Returns the missiles fired."""
    n_sites = shared.stage_count.shape[0]
    fired = 0
    for i in range(n_sites):
        work.site_repair[i] = site_value(row, shared, i, 5, REPAIR_DAYS)
        work.site_exponential[i] = int(site_value(row, shared, i, 6, RECOVERY)
                                       == RECOVERY_EXPONENTIAL)
    if shared.stochastic:  # salvo k's stream, once
        for k in range(n_salvos):
            work.salvo_key[k] = sub_key(key, k)
    for i in range(n_sites):  # site by site: its assumptions and aimpoints once
        strike = site_strike_params(row, shared, i)
        stages = shared.stage_aimpoints[i, :shared.stage_count[i]]
        target = targeted_stage(stages, strike.bottleneck)
        n_slots = targeted_aimpoint_count(stages, target)
        site_stream = stream_index(SITE_STREAM + i)
        for k in range(n_salvos):
            missiles = shared.plan_missiles[k, i]
            fired += missiles
            if missiles == 0:
                work.site_loss[k, i] = 0.0
                continue
            if shared.stochastic:
                # site 0 draws from salvo k's stream as the single plant does; the others
                # from sub-streams of it (sub_key(salvo key, SITE_STREAM + i))
                salvo_key = work.salvo_key[k]
                site_key = salvo_key if i == 0 else sub_key_of(salvo_key, site_stream)
                work.site_loss[k, i] = sampled_salvo_loss_at(
                    site_key, missiles, strike, stages, target, n_slots, work.strike)
            else:
                work.site_loss[k, i] = expected_salvo_loss(missiles, strike, stages)
    for i in range(n_sites):
        work.site_lost[i] = work.site_loss[0, i]
    system_available_into(work.site_lost, shared.site_suppliers, shared.supplier_count,
                          shared.site_order, work.site_available)
    listed = 0.0
    for i in range(n_sites):
        listed += shared.site_share[i]
        out[N_OUTPUTS + i] = 1.0 - work.site_available[i]
    out[CAPACITY_LOSS] = system_national_lost(work.site_available, shared.site_share) / listed
    return fired


@njit(**JIT_OPTIONS)
def sample_outcome(row, missiles, shared, key, work, out, series, record, strike_only=False):
    """All outputs of one sample (parameter row ``row``) for salvos of ``missiles``.

    Writes :data:`OUTPUTS` into ``out``. With ``shared.stochastic`` each salvo's outcome is
    drawn from stream ``key``; otherwise every salvo takes its expected loss. ``work``
    comes from :func:`scratch`; ``series`` (``(len(SERIES), days)``) is written when
    ``record``. ``strike_only`` writes the capacity loss alone.
    """
    n_salvos = salvo_schedule(row, missiles, shared, work.salvo_day, work.salvo_missiles)
    # the capacity loss is the first salvo's: the others are struck only for the chain
    struck = 1 if strike_only else n_salvos
    if shared.system:
        fired = _strike_system(row, shared, key, work, out, struck)
    else:
        strike = strike_params(row)
        stages = shared.stage_aimpoints[SITE, :shared.stage_count[SITE]]
        for k in range(struck):
            if shared.stochastic:
                work.salvo_loss[k] = sampled_salvo_loss_into(
                    sub_key(key, k), work.salvo_missiles[k], strike, stages, work.strike)
            else:
                work.salvo_loss[k] = expected_salvo_loss(work.salvo_missiles[k], strike, stages)
        out[CAPACITY_LOSS] = work.salvo_loss[0]
        fired = 0
        for k in range(n_salvos):
            fired += work.salvo_missiles[k]
    if strike_only:  # the capacity loss is all that is asked for: skip the daily chain
        return
    inputs = daily_inputs(row)
    days = series.shape[1] if record else inputs.horizon_days
    path = production_path(row, shared, work.month_factor, work.path_daily[:days])
    if path.code == PRODUCTION_PATH_TREND:  # the row's trend path, once
        month_scatter_into(key, shared.trend_sigma, shared.stochastic,
                           work.month_factor[:(days + TREND_MONTH_DAYS - 1) // TREND_MONTH_DAYS])
        trend_path_into(path.daily, inputs.production_now, path.trend_start_level,
                        path.trend_end_level, path.trend_midpoint_day, path.trend_growth_rate,
                        work.month_factor)
    sites = SiteDays(shared.system, shared.site_share, shared.site_suppliers,
                     shared.supplier_count, shared.site_order, work.site_loss[:n_salvos],
                     work.site_repair, work.site_exponential, work.site_lost_days)
    denied, disrupted, launches_denied, baseline_launches, grid_mw_days, stock_short = (
        daily_chain(inputs, path, work.salvo_day[:n_salvos], work.salvo_loss[:n_salvos],
                    series, record, sites))
    got_through = inputs.energy_share * (1.0 - inputs.defeat_rate)
    out[DRONES_DENIED] = denied
    out[TARGET_SHARE_DENIED] = denied / (inputs.production_target * inputs.horizon_days)
    out[DAYS_DISRUPTED] = disrupted
    out[ENERGY_HITS_AVERTED] = launches_denied * got_through
    out[STOCK_SHORTFALL_END] = stock_short
    out[ENERGY_HITS_DEFERRED] = stock_short * got_through
    out[ENERGY_HIT_REDUCTION] = (launches_denied / baseline_launches if baseline_launches > 0
                                 else 0.0)
    out[GRID_GW_DAYS_AVERTED] = grid_mw_days / 1000.0
    if fired > 0:
        out[COST_EXCHANGE_RATIO] = _cost_exchange_ratio(
            denied, row[DRONE_UNIT_COST], row[DEFENSE_COST_PER_DRONE], float(fired), 1.0,
            row[MISSILE_UNIT_COST],
        )
    else:
        out[COST_EXCHANGE_RATIO] = 0.0
    out[STRIKE_COST_USD] = fired * row[MISSILE_UNIT_COST]


def input_columns(theta):
    """``theta`` (samples, inputs) as the kernels take it: its transpose, C-contiguous.

    Every caller hands the kernels the same array type whatever the number of rows or
    the order ``theta`` comes in, so each kernel is compiled once and a sample's numbers
    never depend on which compiled variant ran it.
    """
    return np.ascontiguousarray(np.asarray(theta, dtype=np.float64).T)


@njit(**JIT_OPTIONS)
def _most_salvos(columns, shared):
    if shared.planned:
        return max(1, shared.plan_day.shape[0])
    return 1 + int(columns[RESTRIKES].max()) if columns.shape[1] else 1


def site_rows(shared) -> int:
    """The sites' own outputs and series after :data:`OUTPUTS` and :data:`SERIES` (one
    each per site of a system; none for the single plant)."""
    return int(shared.stage_count.shape[0]) if shared.system else 0


@njit(**JIT_OPTIONS)
def _site_rows(shared):
    return shared.stage_count.shape[0] if shared.system else 0


@njit(**JIT_OPTIONS)
def _most_days(columns, series):
    """The most days any row runs: its horizon, or the series' length when recording."""
    days = int(columns[HORIZON_DAYS].max()) if columns.shape[1] else 1
    return max(days, series.shape[1])


def run_samples(theta, shared, record, series=None):
    """Outputs ``(samples, len(OUTPUTS) + sites)`` for every row of ``theta`` and, if
    ``record``, daily series ``(len(SERIES) + sites, days, samples)`` with ``days`` the
    longest horizon (``sites``: :func:`site_rows`, each site's output lost to the first
    salvo and its capacity in action day by day, in a system run).

    The series are day-major: each day's samples are contiguous, as the daily bands read
    them. ``shared`` is a :class:`~whatif.model.layout.Shared`. Each row's outputs use its
    own horizon; a row with a shorter horizon has its series run on to ``days``.
    ``series``: a C-contiguous float64 array of that shape to write the series into
    (every value is written), or None to allocate one.
    """
    n = theta.shape[0]
    if record and n:
        shape = (N_SERIES + site_rows(shared), int(np.max(theta[:, HORIZON_DAYS])), n)
        if series is None:
            series = np.empty(shape)
        elif series.shape != shape or not series.flags.c_contiguous:
            raise ValueError(f"series must be a C-contiguous array of shape {shape}")
    else:
        series = np.empty((N_SERIES + site_rows(shared), 1, 1))
    return _run_samples_into(input_columns(theta), shared, bool(record), series)


@njit(**JIT_OPTIONS)
def _tile_out(tile, series, first, last):
    """Copy samples ``first … last - 1``'s series from ``tile`` (day-major like ``series``,
    sample ``first`` in its column 0) into ``series``: a run of contiguous values per
    series and day."""
    count = last - first
    for k in range(tile.shape[0]):
        for t in range(tile.shape[1]):
            for j in range(count):
                series[k, t, first + j] = tile[k, t, j]


@njit(parallel=True, **JIT_OPTIONS)
def _run_samples_into(columns, shared, record, series):
    """:func:`run_samples` on :func:`input_columns` with the series array given."""
    n = columns.shape[1]
    # each output contiguous (fast summaries)
    outputs = np.empty((N_OUTPUTS + _site_rows(shared), n)).T
    max_salvos = _most_salvos(columns, shared)
    max_days = _most_days(columns, series)
    days = series.shape[1]
    for chunk in prange((n + CHUNK - 1) // CHUNK):
        work = scratch(shared, max_salvos, max_days)
        # TILE samples' series gathered in a small day-major tile (it stays in cache),
        # then copied out as runs of TILE contiguous values per series and day (not one
        # value per cache line of the large array)
        tile = np.empty((series.shape[0], days if record else 1, TILE if record else 1))
        for first in range(chunk * CHUNK, min(n, (chunk + 1) * CHUNK), TILE):
            last = min(n, first + TILE, (chunk + 1) * CHUNK)
            for s in range(first, last):
                row = columns[:, s]
                target = tile[:, :, s - first] if record else tile[:, :, 0]
                sample_outcome(row, int(row[MISSILES]), shared, _row_key(shared, s), work,
                               outputs[s], target, record)
            if record:
                _tile_out(tile, series, first, last)
    return outputs, series


def salvo_needed(theta, shared, objective, at_least, max_missiles):
    """Per sample (row of ``theta``), the smallest salvo whose ``OUTPUTS[objective]``
    reaches ``at_least``.

    Every objective is non-decreasing in the salvo size for a fixed sample (the strike
    outcome of a larger salvo contains the smaller one's), so a bisection over
    ``0 … max_missiles`` finds it. Samples that never reach it get ``max_missiles + 1``.
    """
    return _salvo_needed(input_columns(theta), shared, int(objective), float(at_least),
                         int(max_missiles))


@njit(**JIT_OPTIONS)
def _task_scratch(shared, max_salvos, max_days):
    """A parallel task's :func:`scratch`, one row of outputs and a series stand-in, for runs
    that keep no daily series."""
    return (scratch(shared, max_salvos, max_days), np.empty(N_OUTPUTS + _site_rows(shared)),
            np.empty((N_SERIES + _site_rows(shared), 1)))


@njit(parallel=True, **JIT_OPTIONS)
def _salvo_needed(columns, shared, objective, at_least, max_missiles):
    """:func:`salvo_needed` on :func:`input_columns`."""
    n = columns.shape[1]
    needed = np.empty(n, dtype=np.int64)
    strike_only = objective == CAPACITY_LOSS
    max_salvos = _most_salvos(columns, shared)
    max_days = int(columns[HORIZON_DAYS].max()) if n else 1
    for chunk in prange((n + CHUNK - 1) // CHUNK):
        work, out, dummy = _task_scratch(shared, max_salvos, max_days)
        for s in range(chunk * CHUNK, min(n, (chunk + 1) * CHUNK)):
            row = columns[:, s]
            key = _row_key(shared, s)
            sample_outcome(row, max_missiles, shared, key, work, out, dummy, False, strike_only)
            if out[objective] < at_least:
                needed[s] = max_missiles + 1
                continue
            lo = 0
            hi = max_missiles  # hi always reaches the objective
            while lo < hi:
                mid = (lo + hi) // 2
                sample_outcome(row, mid, shared, key, work, out, dummy, False, strike_only)
                if out[objective] >= at_least:
                    hi = mid
                else:
                    lo = mid + 1
            needed[s] = lo
    return needed



@njit(parallel=True, **JIT_OPTIONS)
def objective_values(columns, shared, objective):
    """Per sample (column of :func:`input_columns`), ``OUTPUTS[objective]`` of the salvos
    ``shared`` gives (a plan, or each row's ``missiles`` and restrikes): what the plan
    optimiser compares. The capacity loss skips the daily chain."""
    n = columns.shape[1]
    values = np.empty(n)
    strike_only = objective == CAPACITY_LOSS
    max_salvos = _most_salvos(columns, shared)
    max_days = int(columns[HORIZON_DAYS].max()) if n else 1
    for chunk in prange((n + CHUNK - 1) // CHUNK):
        work, out, dummy = _task_scratch(shared, max_salvos, max_days)
        for s in range(chunk * CHUNK, min(n, (chunk + 1) * CHUNK)):
            row = columns[:, s]
            sample_outcome(row, int(row[MISSILES]), shared, _row_key(shared, s), work, out,
                           dummy, False, strike_only)
            values[s] = out[objective]
    return values
