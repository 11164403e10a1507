"""The whole chain for many samples at once: strike → production → launches → grid → cost.

Array conventions: samples on axis 0. ``theta`` holds one row per sample and one
column per entry of :data:`INPUTS` (callers pass it in Fortran order, so each input's
column is contiguous); outputs come back the same way; daily series are
``(samples, len(SERIES), days)``.
The loops over samples run in parallel (numba ``prange``); each sample's strike
outcome draws from its own counter-based stream, so results do not depend on
threads or on how many samples are run.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from whatif.model._compile import JIT_OPTIONS
from whatif.model.campaign import SERIES, daily_chain
from whatif.model.cost import _cost_exchange_ratio
from whatif.model.rng import sub_key
from whatif.model.strike import _expected_salvo_loss, sampled_salvo_loss_into

INPUTS = (
    "missiles",
    "launch_reliability",
    "defense_engagements",
    "intercept_probability",
    "aimpoint_kill_probability",
    "production_now",
    "production_target",
    "ramp_days",
    "site_share",
    "repair_days",
    "dispersal_share",
    "dispersal_days",
    "restrikes",
    "restrike_interval_days",
    "horizon_days",  # (the horizon is passed as a whole number too: it sizes the series)
    "stockpile_days",
    "energy_share",
    "defeat_rate",
    "mw_per_hit",
    "grid_repair_days",
    "missile_unit_cost",
    "drone_unit_cost",
    "defense_cost_per_drone",
)
(
    MISSILES,
    LAUNCH_RELIABILITY,
    DEFENSE_ENGAGEMENTS,
    INTERCEPT_PROBABILITY,
    AIMPOINT_KILL_PROBABILITY,
    PRODUCTION_NOW,
    PRODUCTION_TARGET,
    RAMP_DAYS,
    SITE_SHARE,
    REPAIR_DAYS,
    DISPERSAL_SHARE,
    DISPERSAL_DAYS,
    RESTRIKES,
    RESTRIKE_INTERVAL_DAYS,
    HORIZON_DAYS,
    STOCKPILE_DAYS,
    ENERGY_SHARE,
    DEFEAT_RATE,
    MW_PER_HIT,
    GRID_REPAIR_DAYS,
    MISSILE_UNIT_COST,
    DRONE_UNIT_COST,
    DEFENSE_COST_PER_DRONE,
) = range(len(INPUTS))

OUTPUTS = (
    "capacity_loss",
    "drones_denied",
    "target_share_denied",
    "days_disrupted",
    "energy_hits_averted",
    "energy_hit_reduction",
    "grid_gw_days_averted",
    "cost_exchange_ratio",
    "strike_cost_usd",
)
(
    CAPACITY_LOSS,
    DRONES_DENIED,
    TARGET_SHARE_DENIED,
    DAYS_DISRUPTED,
    ENERGY_HITS_AVERTED,
    ENERGY_HIT_REDUCTION,
    GRID_GW_DAYS_AVERTED,
    COST_EXCHANGE_RATIO,
    STRIKE_COST_USD,
) = range(len(OUTPUTS))
N_SERIES = len(SERIES)


CHUNK = 256  # samples per parallel task (scratch arrays are allocated once per task)


@njit(**JIT_OPTIONS)
def scratch(stage_aimpoints, max_salvos):
    """Work arrays for :func:`sample_outcome`: salvo losses, slot stages, kills, stage losses."""
    total = stage_aimpoints.sum()
    return (np.empty(max_salvos), np.empty(total, dtype=np.int64), np.empty(total, dtype=np.bool_),
            np.empty(stage_aimpoints.shape[0]))


@njit(**JIT_OPTIONS)
def sample_outcome(
    row, missiles, stage_aimpoints, bottleneck, logistic, exponential, horizon_days,
    key, stochastic, series, record, out, work, strike_only=False,
):
    """All outputs of one sample (parameter row ``row``) for a salvo of ``missiles``.

    Writes :data:`OUTPUTS` into ``out``. ``stochastic`` draws the strike outcome from
    stream ``key``; otherwise every salvo takes its expected loss. ``work`` comes from
    :func:`scratch`. ``strike_only`` writes the capacity loss alone.
    """
    n_salvos = 1 + int(row[RESTRIKES])
    losses = work[0][:n_salvos]
    if stochastic:
        for k in range(n_salvos):
            losses[k] = sampled_salvo_loss_into(
                sub_key(key, k), missiles, row[LAUNCH_RELIABILITY], row[DEFENSE_ENGAGEMENTS],
                row[INTERCEPT_PROBABILITY], row[AIMPOINT_KILL_PROBABILITY], stage_aimpoints,
                bottleneck, work[1], work[2], work[3],
            )
    else:
        targeted = 0
        if bottleneck:
            targeted = stage_aimpoints.min()
        else:
            targeted = stage_aimpoints.sum()
        loss = _expected_salvo_loss(
            float(missiles), row[LAUNCH_RELIABILITY], row[DEFENSE_ENGAGEMENTS],
            row[INTERCEPT_PROBABILITY], row[AIMPOINT_KILL_PROBABILITY], float(targeted),
        )
        for k in range(n_salvos):
            losses[k] = loss
    out[CAPACITY_LOSS] = losses[0]
    if strike_only:  # the capacity loss is all that is asked for: skip the daily chain
        return
    denied, disrupted, launches_denied, baseline_launches, grid_mw_days = daily_chain(
        row[PRODUCTION_NOW], row[PRODUCTION_TARGET], row[RAMP_DAYS], logistic, row[SITE_SHARE],
        losses, row[RESTRIKE_INTERVAL_DAYS], row[REPAIR_DAYS], exponential,
        row[DISPERSAL_SHARE], row[DISPERSAL_DAYS], row[STOCKPILE_DAYS], row[ENERGY_SHARE],
        row[DEFEAT_RATE], row[MW_PER_HIT], row[GRID_REPAIR_DAYS], horizon_days, series, record,
    )
    got_through = row[ENERGY_SHARE] * (1.0 - row[DEFEAT_RATE])
    out[DRONES_DENIED] = denied
    out[TARGET_SHARE_DENIED] = denied / (row[PRODUCTION_TARGET] * horizon_days)
    out[DAYS_DISRUPTED] = disrupted
    out[ENERGY_HITS_AVERTED] = launches_denied * got_through
    out[ENERGY_HIT_REDUCTION] = launches_denied / baseline_launches if baseline_launches > 0 else 0.0
    out[GRID_GW_DAYS_AVERTED] = grid_mw_days / 1000.0
    if missiles > 0:
        out[COST_EXCHANGE_RATIO] = _cost_exchange_ratio(
            denied, row[DRONE_UNIT_COST], row[DEFENSE_COST_PER_DRONE], float(missiles),
            float(n_salvos), row[MISSILE_UNIT_COST],
        )
    else:
        out[COST_EXCHANGE_RATIO] = 0.0
    out[STRIKE_COST_USD] = missiles * n_salvos * row[MISSILE_UNIT_COST]


@njit(parallel=True, **JIT_OPTIONS)
def run_samples(
    theta, stage_aimpoints, bottleneck, logistic, exponential, horizon_days, key, stochastic,
    record,
):
    """Outputs ``(samples, len(OUTPUTS))`` and, if ``record``, daily series
    ``(samples, len(SERIES), horizon_days)`` for every row of ``theta``."""
    n = theta.shape[0]
    outputs = np.empty((len(OUTPUTS), n)).T  # each output contiguous (fast summaries)
    if record:
        series = np.empty((n, N_SERIES, horizon_days))
    else:
        series = np.empty((1, N_SERIES, 1))
    max_salvos = 1 + int(theta[:, RESTRIKES].max()) if n else 1
    for chunk in prange((n + CHUNK - 1) // CHUNK):
        work = scratch(stage_aimpoints, max_salvos)
        for s in range(chunk * CHUNK, min(n, (chunk + 1) * CHUNK)):
            row = theta[s]
            target = series[s] if record else series[0]
            sample_outcome(
                row, int(row[MISSILES]), stage_aimpoints, bottleneck, logistic, exponential,
                horizon_days, sub_key(key, s), stochastic, target, record, outputs[s], work,
            )
    return outputs, series


@njit(parallel=True, **JIT_OPTIONS)
def salvo_needed(
    theta, stage_aimpoints, bottleneck, logistic, exponential, horizon_days, key, stochastic,
    objective, at_least, max_missiles,
):
    """Per sample, the smallest salvo whose ``OUTPUTS[objective]`` reaches ``at_least``.

    Every objective is non-decreasing in the salvo size for a fixed sample (the strike
    outcome of a larger salvo contains the smaller one's), so a bisection over
    ``0 … max_missiles`` finds it. Samples that never reach it get ``max_missiles + 1``.
    """
    n = theta.shape[0]
    needed = np.empty(n, dtype=np.int64)
    strike_only = objective == CAPACITY_LOSS
    max_salvos = 1 + int(theta[:, RESTRIKES].max()) if n else 1
    for chunk in prange((n + CHUNK - 1) // CHUNK):
        work = scratch(stage_aimpoints, max_salvos)
        dummy = np.empty((N_SERIES, 1))
        out = np.empty(len(OUTPUTS))
        for s in range(chunk * CHUNK, min(n, (chunk + 1) * CHUNK)):
            row = theta[s]
            key_s = sub_key(key, s)
            sample_outcome(row, max_missiles, stage_aimpoints, bottleneck, logistic, exponential,
                           horizon_days, key_s, stochastic, dummy, False, out, work,
                           strike_only)
            if out[objective] < at_least:
                needed[s] = max_missiles + 1
                continue
            lo = 0
            hi = max_missiles  # hi always reaches the objective
            while lo < hi:
                mid = (lo + hi) // 2
                sample_outcome(row, mid, stage_aimpoints, bottleneck, logistic, exponential,
                               horizon_days, key_s, stochastic, dummy, False, out, work,
                               strike_only)
                if out[objective] >= at_least:
                    hi = mid
                else:
                    lo = mid + 1
            needed[s] = lo
    return needed


@njit(parallel=True, **JIT_OPTIONS)
def series_by_day(series, k):
    """Series ``k`` of ``series`` (samples, series, days) as a contiguous (days, samples)."""
    n, _, days = series.shape
    out = np.empty((days, n))
    for t in prange(days):
        for s in range(n):
            out[t, s] = series[s, k, t]
    return out
