"""One deterministic run of the chain, opened up: the intermediate quantities behind its
outputs (the "working").

:func:`run_working` runs one kernel row exactly as :func:`whatif.model.chain.run_samples`
does (:func:`~whatif.model.chain.sample_outcome`, the expected strike outcome, the daily
series recorded) and keeps what the kernel computes on the way: each salvo's loss at
each site, each site's output after the first salvo, the daily series. The strike's
steps (launched, engaged, arrivals, P(aimpoint destroyed), aimpoints destroyed) come from
the expected-value functions of :mod:`whatif.model.strike` that the kernel's salvo loss
is made of, called with the same arguments. Nothing here is a second model: every
output is the kernel's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from whatif.model import chain
from whatif.model.cost import _cost_exchange_ratio
from whatif.model.layout import (
    CAPACITY_LOSS,
    DRONES_DENIED,
    HORIZON_DAYS,
    INPUT_NAMES,
    LAUNCHES_BASELINE,
    LAUNCHES_STRIKE,
    MISSILES,
    N_INPUTS,
    N_OUTPUTS,
    N_SERIES,
    REPAIR_DAYS,
    SITE_SHARE,
    DailyInputs,
    StrikeParams,
)
from whatif.model.production import path_level
from whatif.model.strike import (
    _aimpoint_destroyed_probability,
    _arrival_probability,
    _expected_arrivals,
    _expected_destroyed_share,
    expected_salvo_loss,
    targeted_aimpoint_count,
    targeted_stage,
)
from whatif.model.system import system_national_lost


@dataclass(frozen=True)
class SalvoStrike:
    """One salvo at one site, as expected values (MODEL.md §1).

    ``launched = N r``; ``engaged = min(N r, D)``; ``intercepted = p_i engaged``;
    ``arrivals = launched - intercepted`` (:func:`~whatif.model.strike.expected_arrivals`).
    The ``aimpoints_targeted`` ``A`` get ``k`` missiles each and ``N mod A`` of them one
    more; each is destroyed with ``1 - (1 - a q)^k`` (or ``^(k+1)``).
    """

    salvo: int  # 0 = the first
    site: int  # 0 = the plant of a scenario without sites
    day: float  # [days]
    missiles: int  # [missiles]
    strike: StrikeParams  # the site's strike assumptions in this row
    launched: float  # [missiles]
    engaged: float  # [missiles]
    intercepted: float  # [missiles]
    arrivals: float  # [missiles]
    arrival_probability: float  # per missile [probability]
    targeted_stage: int  # index of the stage aimed at, -1: every stage
    aimpoints_targeted: int  # [aimpoints]
    missiles_per_aimpoint: int  # k [missiles]
    aimpoints_with_one_more: int  # N mod A [aimpoints]
    destroyed_probability: float  # P(an aimpoint given k missiles is destroyed) [probability]
    destroyed_probability_one_more: float  # ... given k + 1 [probability]
    aimpoints_destroyed: float  # expected [aimpoints]
    capacity_lost: float  # the kernel's loss of this salvo at this site [share]


def salvo_strike(missiles: int, strike: StrikeParams, stage_aimpoints: np.ndarray, *,
                 salvo: int = 0, site: int = 0, day: float = 0.0,
                 capacity_lost: float | None = None) -> SalvoStrike:
    """The expected steps of a salvo of ``missiles`` at a site of ``stage_aimpoints``
    (int64 array [aimpoints]) with ``strike`` (:class:`~whatif.model.layout.StrikeParams`).

    ``capacity_lost``: the kernel's loss of this salvo [share]; by default
    :func:`~whatif.model.strike.expected_salvo_loss`, what the deterministic kernel takes.

    Examples
    --------
    30 missiles, r = 0.9, D = 8, p_i = 0.5: 27 launched, 8 engaged, 4 intercepted, 23 arrive.

    >>> s = salvo_strike(30, StrikeParams(0.9, 8.0, 0.5, 0.5, False), np.array([20]))
    >>> s.launched, s.engaged, s.intercepted, s.arrivals
    (27.0, 8.0, 4.0, 23.0)
    """
    n = float(missiles)
    r, d, p = strike.launch_reliability, strike.defense_engagements, strike.intercept_probability
    launched = n * r
    engaged = min(launched, d)
    target = targeted_stage(stage_aimpoints, strike.bottleneck)
    aimpoints = int(targeted_aimpoint_count(stage_aimpoints, target))
    a = _arrival_probability(n, r, d, p)
    q = strike.aimpoint_kill_probability
    k, one_more = divmod(int(missiles), aimpoints)
    share = _expected_destroyed_share(n, float(aimpoints), a, q)
    if capacity_lost is None:
        capacity_lost = expected_salvo_loss(int(missiles), strike, stage_aimpoints)
    return SalvoStrike(
        salvo=salvo, site=site, day=float(day), missiles=int(missiles), strike=strike,
        launched=launched, engaged=engaged, intercepted=p * engaged,
        arrivals=_expected_arrivals(n, r, d, p), arrival_probability=a,
        targeted_stage=int(target), aimpoints_targeted=aimpoints, missiles_per_aimpoint=k,
        aimpoints_with_one_more=one_more,
        destroyed_probability=_aimpoint_destroyed_probability(float(k), a, q),
        destroyed_probability_one_more=_aimpoint_destroyed_probability(float(k + 1), a, q),
        aimpoints_destroyed=share * aimpoints, capacity_lost=float(capacity_lost))


@dataclass(frozen=True)
class RunWorking:
    """The intermediates of one deterministic kernel run (:func:`run_working`).

    Attributes
    ----------
    values : dict
        The row's kernel inputs by name (:data:`~whatif.model.layout.INPUTS`; each unit there).
    daily : DailyInputs
        The row's daily-chain inputs as the kernel reads them.
    outputs : ndarray (len(OUTPUTS) + sites,)
        The run's outputs, exactly as :func:`~whatif.model.chain.run_samples` gives them.
    series : ndarray (len(SERIES) + sites, horizon days)
        Its daily series (units: :data:`~whatif.model.layout.SERIES`).
    strikes : tuple of SalvoStrike
        Every salvo at every site it fires at, salvo by salvo.
    salvo_day : ndarray (salvos,)
        The day each salvo lands [days].
    salvo_missiles : ndarray (salvos, sites)
        Missiles each salvo fires at each site.
    site_output_lost : ndarray (sites,)
        A system's sites' output lost right after the first salvo, their own loss or a
        supplier's [share]; the plant's loss for a single plant.
    site_repair_days : ndarray (sites,)
        Each site's repair time [days].
    national_lost : float
        Share of national output lost right after the first salvo [share]: the plant's
        ``site_share`` × its loss, or the system's ``Σ share × output lost``.
    listed_share : float
        The struck sites' share of national output [share].
    stock_start : float
        The stock of finished drones on day 0 [drones].
    launches_averted : float
        Launches without the strike less launches with it, summed over the horizon from the
        daily series [drones].
    value_per_drone : float
        A drone denied valued at its cost plus the defence's [USD].
    value_denied : float
        The drones denied at that value: the cost exchange ratio's numerator [USD].
    missiles_fired : int
        Every missile of every salvo [missiles].
    """

    values: dict
    daily: DailyInputs
    outputs: np.ndarray
    series: np.ndarray
    strikes: tuple[SalvoStrike, ...]
    salvo_day: np.ndarray
    salvo_missiles: np.ndarray
    site_output_lost: np.ndarray
    site_repair_days: np.ndarray
    national_lost: float
    listed_share: float
    stock_start: float
    launches_averted: float
    value_per_drone: float
    value_denied: float
    missiles_fired: int

    @property
    def horizon_days(self) -> int:
        return int(self.values["horizon_days"])


def run_working(theta: np.ndarray, shared) -> RunWorking:
    """The working of the first row of ``theta`` (``(1, inputs)``, deterministic: ``shared``
    a :class:`~whatif.model.layout.Shared` with ``stochastic`` false).

    The outputs and series are those of ``run_samples(theta, shared, record=True)``; the
    per-salvo losses are read from the kernel's own scratch after the run.
    """
    if shared.stochastic:
        raise ValueError("the working is of the deterministic chain (expected outcomes)")
    columns = chain.input_columns(theta[:1])
    row = columns[:, 0]
    days = int(row[HORIZON_DAYS])
    sites = chain.site_rows(shared)
    most_salvos = int(chain._most_salvos(columns, shared))
    work = chain.scratch(shared, most_salvos, days)
    outputs = np.empty(N_OUTPUTS + sites)
    series = np.empty((N_SERIES + sites, days))
    missiles = int(row[MISSILES])
    chain.sample_outcome(row, missiles, shared, chain._row_key(shared, 0), work, outputs,
                         series, True)
    # the salvos as the kernel scheduled them (its own function, into fresh arrays)
    salvo_day = np.empty(most_salvos)
    first_site = np.empty(most_salvos, dtype=np.int64)
    n_salvos = int(chain.salvo_schedule(row, missiles, shared, salvo_day, first_site))
    salvo_day = salvo_day[:n_salvos].copy()
    strikes = []
    if shared.system:
        salvo_missiles = np.array(shared.plan_missiles[:n_salvos], dtype=np.int64)
        for k in range(n_salvos):
            for i in range(salvo_missiles.shape[1]):
                if salvo_missiles[k, i] == 0:  # (the kernel strikes nothing there)
                    continue
                stages = shared.stage_aimpoints[i, :shared.stage_count[i]]
                strikes.append(salvo_strike(
                    int(salvo_missiles[k, i]), chain.site_strike_params(row, shared, i), stages,
                    salvo=k, site=i, day=salvo_day[k], capacity_lost=work.site_loss[k, i]))
        site_lost = outputs[N_OUTPUTS:].copy()  # after the first salvo
        national = float(system_national_lost(work.site_available, shared.site_share))
        listed = float(np.sum(shared.site_share))
        repair = work.site_repair.copy()
    else:
        salvo_missiles = first_site[:n_salvos].reshape(-1, 1).copy()
        strike = chain.strike_params(row)
        stages = shared.stage_aimpoints[0, :shared.stage_count[0]]
        for k in range(n_salvos):
            strikes.append(salvo_strike(int(salvo_missiles[k, 0]), strike, stages, salvo=k,
                                        day=salvo_day[k], capacity_lost=work.salvo_loss[k]))
        site_lost = np.array([outputs[CAPACITY_LOSS]])
        share = float(row[SITE_SHARE])
        national = share * float(work.salvo_loss[0])
        listed = share
        repair = np.array([float(row[REPAIR_DAYS])])
    daily = chain.daily_inputs(row)
    path = chain.production_path(row, shared, work.month_factor, work.path_daily[:days])
    values = {name: float(row[i]) for i, name in enumerate(INPUT_NAMES[:N_INPUTS])}
    denied = float(outputs[DRONES_DENIED])
    drone_cost, defence_cost = values["drone_unit_cost"], values["defense_cost_per_drone"]
    return RunWorking(
        values=values,
        daily=daily,
        outputs=outputs,
        series=series,
        strikes=tuple(strikes),
        salvo_day=salvo_day,
        salvo_missiles=salvo_missiles,
        site_output_lost=site_lost,
        site_repair_days=repair,
        national_lost=national,
        listed_share=listed,
        stock_start=float(daily.stockpile_days * path_level(daily, path)),
        launches_averted=float(np.sum(series[LAUNCHES_BASELINE, :days]
                                      - series[LAUNCHES_STRIKE, :days])),
        # the cost exchange ratio's own function over a cost of one dollar: its numerator
        value_per_drone=float(_cost_exchange_ratio(1.0, drone_cost, defence_cost, 1.0, 1.0,
                                                   1.0)),
        value_denied=float(_cost_exchange_ratio(denied, drone_cost, defence_cost, 1.0, 1.0,
                                                1.0)),
        missiles_fired=int(salvo_missiles.sum()),
    )
