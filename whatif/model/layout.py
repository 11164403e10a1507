"""The compiled kernel's layout, declared once: its inputs, outputs and daily series, with units.

Array conventions (the kernel's and the engine's):

* ``theta`` — ``(samples, len(INPUTS))`` float64, one row per sample (Fortran order: each
  input's column is contiguous). Column ``i`` is ``INPUTS[i]``; a choice is stored as the
  index of its value in the column's ``choices`` (e.g. allocation ``bottleneck`` → 1.0) and a
  whole number as a float with no fractional part.
* outputs — ``(samples, len(OUTPUTS))`` float64, column ``j`` is ``OUTPUTS[j]``.
* daily series — ``(len(SERIES), days, samples)`` float64 (day-major: each day's samples
  contiguous), ``[k, t]`` is ``SERIES[k]`` on day ``t``.

The index constants the numba code reads (``MISSILES``, ``HORIZON_DAYS``, ``CAPACITY_LOSS``,
``PRODUCTION_BASELINE`` …) and the codes of the choices (``ALLOCATION_BOTTLENECK`` …) are
generated from these tables below; nothing else lists them.

Beside the per-row inputs the kernel takes a few records (numba-compatible NamedTuples,
defined here too):

* :class:`Shared` — what every row shares: the struck sites' stages (a site axis of length
  one for now: the single plant), the outcome key and the mode.
* :class:`StrikeParams` — one site's strike assumptions for one row.
* :class:`DailyInputs` — one row's inputs to the daily production → launches → grid chain.
* :class:`ProductionPath` — one row's no-strike production path (trend, target or custom).
* :class:`StrikeWork` / :class:`Work` — scratch arrays, allocated once per parallel task.

Inside the kernel a row's salvos are arrays of (day, missiles) (:class:`Work` holds them):
built from ``missiles``, ``restrikes`` and ``restrike_interval_days`` today, so a plan of
salvos can replace that without changing the functions that consume them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


@dataclass(frozen=True)
class Column:
    """One column of a kernel array: its name, unit and meaning.

    ``choices`` is set for a choice stored as a code: the value's index in ``choices``.
    """

    name: str
    unit: str
    meaning: str
    choices: tuple[str, ...] = ()


#: Per-row inputs (columns of ``theta``). The numeric assumptions come first, in the
#: registry's order (the engine copies its drawn matrix in as it is), then the choices.
INPUTS: tuple[Column, ...] = (
    Column("missiles", "missiles", "launched per salvo (whole)"),
    Column("launch_reliability", "probability", "a missile launches and flies to the target"),
    Column("defense_engagements", "missiles", "most missiles the air defence engages per salvo"),
    Column("intercept_probability", "probability", "an engaged missile is destroyed"),
    Column("aimpoint_kill_probability", "probability", "one arrival puts its aimpoint out"),
    Column("production_now", "drones/day", "national output on day 0"),
    Column("production_target", "drones/day", "the stated target"),
    Column("ramp_days", "days", "days to climb to the target (0 = no ramp)"),
    Column("site_share", "share", "part of national output made at the struck plant"),
    Column("repair_days", "days", "days to restore the plant's lost capacity"),
    Column("dispersal_share", "share", "part of the lost output other sites make up"),
    Column("dispersal_days", "days", "days for other sites to make it up"),
    Column("restrikes", "salvos", "follow-up salvos of the same size (whole)"),
    Column("restrike_interval_days", "days", "days between salvos (whole)"),
    Column("horizon_days", "days", "the analysis window of this row (whole)"),
    Column("stockpile_days", "days of launches", "finished drones in stock at day 0"),
    Column("rebuild_share", "share", "share of output set aside to rebuild the stock"),
    Column("energy_share", "share", "part of launched drones aimed at energy infrastructure"),
    Column("defeat_rate", "share", "part of launched drones shot down or suppressed"),
    Column("mw_per_hit", "MW", "grid capacity put out of action per hit"),
    Column("grid_repair_days", "days", "mean time to restore damaged grid capacity"),
    Column("missile_unit_cost", "USD", "cost per cruise missile"),
    Column("drone_unit_cost", "USD", "cost per drone"),
    Column("defense_cost_per_drone", "USD", "defence cost per drone"),
    Column("allocation", "", "spread the salvo over all aimpoints or the smallest stage",
           ("even", "bottleneck")),
    Column("production_path", "", "what national output follows without a strike",
           ("trend", "target", "custom")),
    Column("ramp_shape", "", "shape of the production ramp", ("linear", "logistic")),
    Column("recovery", "", "shape of the plant's restoration", ("linear", "exponential")),
    Column("stock_policy", "", "what the stock does when output falls",
           ("drawdown", "hold", "rebuild")),
    # the trend path's parameters, drawn per row from the fit to the launch record
    # (not assumptions: whatif.calibrate.ProductionFit.draw fills them)
    Column("trend_start_level", "UAVs/day", "the fitted logistic path's start level"),
    Column("trend_end_level", "UAVs/day", "the fitted logistic path's end level"),
    Column("trend_midpoint_day", "days", "the fitted path's midpoint, from day 0"),
    Column("trend_growth_rate", "1/day", "the fitted path's growth rate"),
)

#: the kernel inputs that are not assumptions (derived from the fit to the record)
DERIVED_INPUTS = ("trend_start_level", "trend_end_level", "trend_midpoint_day",
                  "trend_growth_rate")

#: Per-row outputs (columns of the outputs array).
OUTPUTS: tuple[Column, ...] = (
    Column("capacity_loss", "share", "plant capacity lost to the first salvo"),
    Column("drones_denied", "drones", "drones not produced over the horizon"),
    Column("target_share_denied", "share", "drones denied / (production_target × horizon)"),
    Column("days_disrupted", "days", "days national output is below 90 % of baseline"),
    Column("energy_hits_averted", "hits", "hits on energy infrastructure averted"),
    Column("stock_shortfall_end", "drones", "drones the stock is short at the horizon's end"),
    Column("energy_hits_deferred", "hits", "hits that shortfall removes after the horizon"),
    Column("energy_hit_reduction", "share", "reduction in energy hits vs no strike"),
    Column("grid_gw_days_averted", "GW·days", "grid outage averted"),
    Column("cost_exchange_ratio", "USD per USD", "value denied / cost of the missiles fired"),
    Column("strike_cost_usd", "USD", "cost of the missiles fired"),
)

#: Daily series (axis 1 of the series array).
SERIES: tuple[Column, ...] = (
    Column("production_baseline", "drones/day", "national output without the strike"),
    Column("production_strike", "drones/day", "national output after the strike"),
    Column("plant_capacity_lost", "share", "share of the plant out of action"),
    Column("launches_baseline", "drones/day", "launches without the strike"),
    Column("launches_strike", "drones/day", "launches after the strike"),
    Column("energy_hits_baseline", "hits/day", "energy hits without the strike"),
    Column("energy_hits_strike", "hits/day", "energy hits after the strike"),
    Column("grid_damaged_baseline", "MW", "grid capacity out of action without the strike"),
    Column("grid_damaged_strike", "MW", "grid capacity out of action after the strike"),
)

INPUT_NAMES = tuple(c.name for c in INPUTS)
OUTPUT_NAMES = tuple(c.name for c in OUTPUTS)
SERIES_NAMES = tuple(c.name for c in SERIES)
SERIES_UNITS = tuple(c.unit for c in SERIES)
CHOICE_INPUTS = tuple(c.name for c in INPUTS if c.choices)
N_INPUTS, N_OUTPUTS, N_SERIES = len(INPUTS), len(OUTPUTS), len(SERIES)


def _constants(tables) -> dict[str, int]:
    """``NAME = index`` for every column, and ``NAME_CHOICE = code`` for every choice."""
    constants: dict[str, int] = {}
    for table in tables:
        for index, column in enumerate(table):
            names = [(column.name.upper(), index)]
            names += [(f"{column.name}_{choice}".upper(), code)
                      for code, choice in enumerate(column.choices)]
            for name, value in names:
                if name in constants:
                    raise RuntimeError(f"kernel layout: {name} is declared twice")
                constants[name] = value
    return constants


#: Every generated constant, e.g. ``CONSTANTS["HORIZON_DAYS"] == 14``.
CONSTANTS: dict[str, int] = _constants((INPUTS, OUTPUTS, SERIES))
globals().update(CONSTANTS)  # module-level ints: numba reads them as compile-time constants


# --- records --------------------------------------------------------------------------------
class Shared(NamedTuple):
    """What every row of a kernel run shares.

    Attributes
    ----------
    stage_aimpoints : int64 array (sites, stages)
        Aimpoints of each serial stage of each struck site [aimpoints]; site ``i`` uses
        ``stage_aimpoints[i, :stage_count[i]]`` (the rest is zero padding). A scenario
        without ``sites`` has one: the plant.
    stage_count : int64 array (sites,)
        Stages of each site.
    custom_days, custom_rates : float64 arrays (points,)
        The custom production path: days [days] (ascending) and national output
        [drones/day], interpolated linearly and flat beyond the ends.
    trend_sigma : float
        The trend path's month-to-month scatter: standard deviation of log monthly rates.
    key : uint64
        Key of the strike-outcome stream (:func:`whatif.sampling.outcome_key`).
    stochastic : bool
        Draw each salvo's outcome (Monte Carlo) or take its expectation.
    system : bool
        The scenario lists ``sites``: output follows the system (:mod:`whatif.model.system`)
        rather than the single plant's ``site_share``.
    site_share : float64 array (sites,)
        Each site's share of national output [share] (0 for a component site).
    site_suppliers : int64 array (sites, sites)
        ``site_suppliers[i, :supplier_count[i]]``: the sites whose output site ``i`` needs.
    supplier_count : int64 array (sites,)
    site_order : int64 array (sites,)
        Every site after all of its suppliers.
    site_column : int64 array (sites, len(SITE_INPUTS))
        The column of ``theta`` holding a site's own value of ``SITE_INPUTS[j]`` (after
        :data:`INPUTS`, one column per value a site sets), or -1: the site takes the
        scenario's column.
    planned : bool
        Salvos follow the plan below, not ``missiles``/``restrikes``/``restrike_interval_days``.
    plan_day : float64 array (salvos,)
        The day each planned salvo lands [days], ascending.
    plan_missiles : int64 array (salvos, sites)
        Missiles each planned salvo fires at each site.
    experiment_keys : uint64 array (experiments,)
        For a run of experiments (``experiment_samples > 0``), each experiment's outcome
        key: row ``s`` is sample ``s mod S`` of experiment ``s // S`` and draws as sample
        ``s mod S`` of a run keyed by that experiment's key would (see
        :func:`whatif.model.rng.row_key`). Empty otherwise.
    experiment_samples : int
        Rows per experiment ``S``; 0: every row draws from sub-stream ``s`` of ``key``.
    """

    stage_aimpoints: np.ndarray
    stage_count: np.ndarray
    custom_days: np.ndarray
    custom_rates: np.ndarray
    trend_sigma: float
    key: np.uint64
    stochastic: bool
    system: bool
    site_share: np.ndarray
    site_suppliers: np.ndarray
    supplier_count: np.ndarray
    site_order: np.ndarray
    site_column: np.ndarray
    planned: bool
    plan_day: np.ndarray
    plan_missiles: np.ndarray
    experiment_keys: np.ndarray
    experiment_samples: int


#: the assumptions a site may set for itself (``Shared.site_column``'s second axis)
SITE_INPUTS = ("launch_reliability", "defense_engagements", "intercept_probability",
               "aimpoint_kill_probability", "allocation", "repair_days", "recovery")
N_SITE_INPUTS = len(SITE_INPUTS)


#: sites' own series follow :data:`SERIES` in a system run's series array: each site's
#: capacity in action [share of its capacity] (its own loss and its suppliers', Leontief)
SITE_SERIES_UNIT = "share"


class StrikeParams(NamedTuple):
    """One site's strike assumptions for one row (MODEL.md §1)."""

    launch_reliability: float  # [probability]
    defense_engagements: float  # [missiles]
    intercept_probability: float  # [probability]
    aimpoint_kill_probability: float  # [probability]
    bottleneck: bool  # allocation: the smallest stage only (True) or every aimpoint (False)


class ProductionPath(NamedTuple):
    """One row's no-strike production path (MODEL.md §2): which path and its data."""

    code: int  # PRODUCTION_PATH_TREND, _TARGET or _CUSTOM
    trend_start_level: float  # [UAVs/day] (only the ratio to day 0 is used)
    trend_end_level: float  # [UAVs/day]
    trend_midpoint_day: float  # [days from day 0]
    trend_growth_rate: float  # [1/day]
    month_factor: np.ndarray  # float64 (months,): each 30-day block's scatter [ratio]
    daily: np.ndarray  # float64 (days,): the trend path day by day [drones/day] (trend only)
    custom_days: np.ndarray  # float64 (points,) [days]
    custom_rates: np.ndarray  # float64 (points,) [drones/day]


class DailyInputs(NamedTuple):
    """One row's inputs to the daily chain (MODEL.md §2–3), salvos and path data apart."""

    production_now: float  # [drones/day]
    production_target: float  # [drones/day]
    ramp_days: float  # [days]
    logistic: int  # ramp shape: 1 logistic, 0 linear
    site_share: float  # [share]
    repair_days: float  # [days]
    exponential: int  # recovery: 1 exponential, 0 linear
    dispersal_share: float  # [share]
    dispersal_days: float  # [days]
    stockpile_days: float  # [days of launches]
    stock_policy: int  # STOCK_POLICY_DRAWDOWN, _HOLD or _REBUILD
    rebuild_share: float  # [share]
    energy_share: float  # [share]
    defeat_rate: float  # [share]
    mw_per_hit: float  # [MW]
    grid_repair_days: float  # [days]
    horizon_days: int  # [days]


class SiteDays(NamedTuple):
    """A row's system of sites for the daily chain (``system`` false: the single plant)."""

    system: bool
    share: np.ndarray  # float64 (sites,): share of national output [share]
    suppliers: np.ndarray  # int64 (sites, sites): see Shared.site_suppliers
    supplier_count: np.ndarray  # int64 (sites,)
    order: np.ndarray  # int64 (sites,): every site after its suppliers
    salvo_loss: np.ndarray  # float64 (salvos, sites): share of each site each salvo knocks out
    repair_days: np.ndarray  # float64 (sites,) [days]
    exponential: np.ndarray  # int64 (sites,): recovery, 1 exponential, 0 linear
    lost_days: np.ndarray  # float64 (sites + 1, days): scratch, each site's capacity in
    # action day by day, then the national share lost (whatif.model.system.system_days_into);
    # for the single plant, row 0 is its loss day by day


def no_sites(days: int) -> SiteDays:
    """The :class:`SiteDays` of a scenario without ``sites`` (the single plant), for up to
    ``days`` days."""
    one = np.zeros(1)
    index = np.zeros(1, dtype=np.int64)
    return SiteDays(False, one, np.zeros((1, 1), dtype=np.int64), index, index,
                    np.zeros((1, 1)), one.copy(), index.copy(),
                    np.zeros((2, max(int(days), 1))))


class StrikeWork(NamedTuple):
    """Scratch for one sampled salvo outcome; contents on entry do not matter."""

    slot_stage: np.ndarray  # int64 (aimpoints,): stage of each targeted aimpoint slot
    destroyed: np.ndarray  # bool (aimpoints,): slot put out of action
    stage_lost: np.ndarray  # float64 (stages,): aimpoints lost per stage


class Work(NamedTuple):
    """Scratch for one row: its salvos as (day, missiles) and their losses, and the strike's."""

    salvo_day: np.ndarray  # float64 (salvos,): day each salvo lands [days]
    salvo_missiles: np.ndarray  # int64 (salvos,): missiles in each salvo
    salvo_loss: np.ndarray  # float64 (salvos,): share of the plant each salvo knocks out
    month_factor: np.ndarray  # float64 (months,): the trend path's scatter per 30 days
    path_daily: np.ndarray  # float64 (days,): the trend path, day by day
    strike: StrikeWork
    site_loss: np.ndarray  # float64 (salvos, sites): share of each site a salvo knocks out
    site_repair: np.ndarray  # float64 (sites,): each site's repair_days [days]
    site_exponential: np.ndarray  # int64 (sites,): each site's recovery (1 exponential)
    site_lost: np.ndarray  # float64 (sites,): each site's own share out of action on a day
    site_available: np.ndarray  # float64 (sites,): each site's capacity in action on a day
    site_lost_days: np.ndarray  # float64 (sites + 1, days)
    salvo_key: np.ndarray  # uint64 (salvos,): each salvo's outcome stream
