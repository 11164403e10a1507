"""A plain-NumPy reimplementation of the whatif model chain (no numba).

It serves two purposes:

* the **reference** the benchmark (``benchmarks/bench_model.py``) times the package
  against: the same arithmetic, written the way one would write it in NumPy;
* an **independent check** of the package (``tests/test_numpy_reference.py``): it is
  written from MODEL.md and the package's documented rules, not by calling the
  compiled model, and must agree with it sample by sample to floating-point tolerance.

It starts from the same drawn inputs as the package
(:func:`whatif.engine.compile_scenario`: ``theta`` with columns
:data:`whatif.model.chain.INPUTS` — the assumptions, each row's horizon and choices — and
``shared``, the plant's stages and the outcome key) and returns the same outputs
(:data:`whatif.model.chain.OUTPUTS`) per sample. Rows that share a horizon and choices are
computed together.

Layout: everything is vectorised over samples. The day axis is vectorised too where the
chain is not recursive (baseline production, capacity still out, shortfall); the
stockpile and grid recursions run as a Python loop over days, vectorised over samples
within each day. Day-by-sample arrays are ``(days, samples)`` so each day's row is
contiguous. Samples are processed in chunks of :data:`CHUNK` rows to bound memory.

Monte Carlo strike outcomes use the same counter-based SplitMix64 draws as
:mod:`whatif.model.rng`, in NumPy ``uint64`` arithmetic, with the same keys:
``sub_key(key, sample)``, then ``sub_key(., salvo)``, then ``sub_key(., 1)`` for the
Fisher–Yates shuffle of the aimpoints (``below``) and ``sub_key(., 2)`` for the missiles
(``uniform_pair``: one hash per missile, its two 32-bit halves).
"""

from __future__ import annotations

import numpy as np

from whatif.engine import compile_scenario
from whatif.model.campaign import SERIES
from whatif.model.chain import INPUTS, OUTPUTS
from whatif.outputs import OBJECTIVES
from whatif.params import REGISTRY

__all__ = [
    "CHUNK",
    "STATS",
    "mix64",
    "missiles_needed",
    "run_samples",
    "salvo_needed",
    "simulate",
    "sub_key",
    "summarise",
    "uniform",
]

#: Rows per chunk. Day-by-sample work arrays are ``horizon × CHUNK`` float64 each.
CHUNK = 4_096
STATS = ("mean", "p10", "p50", "p90")

# --- model constants (MODEL.md §2 and the documented rules of whatif.model.production) -------
LOGISTIC_STEEPNESS = 10.0  # logistic ramp σ(k (t/R - 1/2)), rescaled to 0 → 1 over the ramp
EXPONENTIAL_TIME_CONSTANT = 1.0 / 3.0  # exponential recovery: time constant = repair_days / 3
DISRUPTED_BELOW = 0.9  # a day is disrupted while national output < 90 % of baseline

_COL = {name: i for i, name in enumerate(INPUTS)}
_OUT = {name: i for i, name in enumerate(OUTPUTS)}
# choices are stored as their index in the registry's list of choices
_BOTTLENECK = REGISTRY["allocation"].choices.index("bottleneck")
_LOGISTIC = REGISTRY["ramp_shape"].choices.index("logistic")
_EXPONENTIAL = REGISTRY["recovery"].choices.index("exponential")
_TREND = REGISTRY["production_path"].choices.index("trend")
_CUSTOM = REGISTRY["production_path"].choices.index("custom")
_HOLD = REGISTRY["stock_policy"].choices.index("hold")
_REBUILD = REGISTRY["stock_policy"].choices.index("rebuild")
TREND_MONTH_DAYS = 30  # one month-to-month scatter per 30 days (MODEL.md §2)
SCATTER_STREAM = 1 << 40  # the scatter's sub-stream of a sample's key (salvos use 0, 1, …)
N_SERIES = len(SERIES)

# --- SplitMix64 (Steele, Lea & Flood 2014) in NumPy uint64 arithmetic --------------------------
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


def _u64(x) -> np.ndarray:
    return np.asarray(x).astype(np.uint64, copy=False)


def mix64(z) -> np.ndarray:
    """SplitMix64 finaliser, elementwise on uint64 (wrapping arithmetic)."""
    with np.errstate(over="ignore"):  # wrapping is intended (0-d inputs become scalars)
        z = _u64(z) + _GOLDEN
        z = (z ^ (z >> _S30)) * _M1
        z = (z ^ (z >> _S27)) * _M2
        return z ^ (z >> _S31)


def sub_key(key, index) -> np.ndarray:
    """Key of sub-stream ``index`` of stream ``key`` (broadcasts)."""
    return mix64(_u64(key) ^ mix64(_u64(index)))


_S32, _LOW32 = np.uint64(32), np.uint64(0xFFFFFFFF)


def uniform_pair(key, index) -> tuple[np.ndarray, np.ndarray]:
    """Two Uniform[0, 1) draws (32-bit halves of one hash), as ``whatif.model.rng``."""
    with np.errstate(over="ignore"):
        z = mix64(_u64(key) + _u64(index) * _GOLDEN)
    return (z >> _S32).astype(np.float64) * 2.0**-32, (z & _LOW32).astype(np.float64) * 2.0**-32


def below(key, index, n) -> np.ndarray:
    """A whole number in [0, n): high 32 bits of a hash scaled by n, as ``whatif.model.rng``."""
    with np.errstate(over="ignore"):
        z = mix64(_u64(key) + _u64(index) * _GOLDEN)
        return (((z >> _S32) * _u64(n)) >> _S32).astype(np.int64)


def uniform(key, index) -> np.ndarray:
    """Uniform[0, 1) draw number ``index`` of stream ``key`` (broadcasts)."""
    with np.errstate(over="ignore"):
        z = mix64(_u64(key) + _u64(index) * _GOLDEN)
    return (z >> _S11).astype(np.float64) * _TO_UNIT


# --- elementwise model pieces (same operations, in the same order, as the package) ------------
def _ramp_fraction(day, ramp_days, logistic: int):
    """Share of the climb to the target done by ``day``; 0 if ``ramp_days <= 0``.

    ``day`` is ``(days, 1)`` and ``ramp_days`` ``(n,)``; the result is ``(days, n)``.
    """
    no_ramp = ramp_days <= 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        x = day * (1.0 / ramp_days)
    if logistic:
        k = LOGISTIC_STEEPNESS
        lo = 1.0 / (1.0 + np.exp(0.5 * k))
        hi = 1.0 / (1.0 + np.exp(-0.5 * k))
        with np.errstate(over="ignore", invalid="ignore"):
            f = (1.0 / (1.0 + np.exp(-k * (x - 0.5))) - lo) / (hi - lo)
        np.copyto(f, 1.0, where=x >= 1.0)
        np.copyto(f, 0.0, where=x <= 0.0)
    else:
        f = np.minimum(x, 1.0)  # x >= 0 (days and ramp_days >= 0): the same as clipping to [0, 1]
    if no_ramp.any():
        f[:, no_ramp] = 0.0
    return f


def _ramp_day_average(day, length):
    """Average over ``[t, t+1)`` of ``min(1, τ / length)``; 1 if ``length <= 0``.

    The integral of ``min(1, τ/L)`` from 0 to ``x`` is ``x²/(2L)`` for ``x <= L`` and
    ``x - L/2`` after; the day's average is the difference at ``t+1`` and ``t``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        half_rate = 0.5 / length  # (n,)
        half_length = 0.5 * length
        a = day
        b = day + 1.0
        ia = a * a * half_rate
        np.copyto(ia, a - half_length, where=a > length)
        ib = b * b * half_rate
        np.copyto(ib, b - half_length, where=b > length)
    ib -= ia
    no_length = length <= 0.0
    if no_length.any():
        ib[:, no_length] = 1.0
    return ib


def _recovery_remaining(days_since, repair_days, exponential: int):
    """Share of a salvo's loss still out ``days_since`` after it (day-averaged).

    Values for ``days_since < 0`` (before the salvo, where the share is 0) are not
    meaningful: the caller masks them.
    """
    if exponential:
        rate = 1.0 / (EXPONENTIAL_TIME_CONSTANT * repair_days)
        with np.errstate(over="ignore"):
            left = np.exp(-rate * days_since)
        left *= 1.0 - np.exp(-rate)
        left /= rate
        return left
    left = _ramp_day_average(days_since, repair_days)
    np.subtract(1.0, left, out=left)
    return left


# --- strike → capacity lost (MODEL.md §1) -----------------------------------------------------
def _targeted(stage_aimpoints: np.ndarray, bottleneck: bool) -> int:
    """Aimpoints a salvo is spread over: the smallest stage's (bottleneck) or all (even)."""
    return int(stage_aimpoints.min() if bottleneck else stage_aimpoints.sum())


def expected_salvo_loss(missiles, r, d, p, q, targeted: float):
    """Deterministic mode (MODEL.md §1): whole missiles spread evenly over ``A`` aimpoints,
    ``k = N // A`` each and ``N mod A`` of them one more:
    ``[(N mod A)(1 - (1 - a q)^(k+1)) + (A - N mod A)(1 - (1 - a q)^k)] / A``, with
    ``a`` = expected arrivals / N."""
    missiles = np.asarray(missiles, dtype=float)
    launched = missiles * r
    with np.errstate(divide="ignore", invalid="ignore"):
        a = (launched - p * np.minimum(launched, d)) / missiles
    a = np.where(missiles <= 0.0, np.where(d > 0.0, r * (1.0 - p), r), a)
    k = np.floor(missiles / targeted)
    more = missiles - k * targeted  # aimpoints with k + 1 missiles
    survive = 1.0 - a * q
    return (more * (1.0 - survive ** (k + 1)) + (targeted - more) * (1.0 - survive ** k)) / targeted


def _stages(compiled) -> np.ndarray:
    """The plant's stages (the one site of ``compiled.shared``) [aimpoints]."""
    shared = compiled.shared
    return np.asarray(shared.stage_aimpoints[0, : shared.stage_count[0]], dtype=np.int64)


def _groups(theta):
    """Rows that share a horizon and choices: ``(rows, horizon, logistic, exponential,
    bottleneck)`` for each group (the reference vectorises over rows with equal settings)."""
    settings = np.stack([theta[:, _COL["horizon_days"]], theta[:, _COL["ramp_shape"]],
                         theta[:, _COL["recovery"]], theta[:, _COL["allocation"]]], axis=1)
    if (settings == settings[:1]).all():  # the usual case: one group
        unique, which = settings[:1], np.zeros(settings.shape[0], dtype=np.int64)
    else:
        unique, which = np.unique(settings, axis=0, return_inverse=True)
    for g, (horizon, ramp_shape, recovery, allocation) in enumerate(unique):
        yield (np.flatnonzero(which.ravel() == g), int(horizon),
               int(ramp_shape == _LOGISTIC), int(recovery == _EXPONENTIAL),
               bool(allocation == _BOTTLENECK))


class _Outcomes:
    """Random strike outcomes of every sample and salvo, for any salvo size up to ``m_max``.

    A missile's draws depend only on its index, so whether missile ``i`` kills its
    aimpoint does not depend on the salvo size. For each sample, salvo and aimpoint slot
    this keeps the index of the first missile that kills it (``m_max`` if none); a salvo
    of ``N`` destroys exactly the slots whose first kill is below ``N``. Also kept: the
    stage of each slot after the outcome's Fisher–Yates shuffle.
    """

    def __init__(self, theta, sample_keys, n_salvos_max: int, stage_aimpoints: np.ndarray,
                 bottleneck: bool, m_max: int):
        n = theta.shape[0]
        stage_aimpoints = np.asarray(stage_aimpoints, dtype=np.int64)
        n_stages = stage_aimpoints.size
        if bottleneck:
            target = int(np.argmin(stage_aimpoints))  # first stage with the fewest aimpoints
            n_slots = int(stage_aimpoints[target])
            base_stage = np.full(n_slots, target, dtype=np.int64)
        else:
            n_slots = int(stage_aimpoints.sum())
            base_stage = np.repeat(np.arange(n_stages, dtype=np.int64), stage_aimpoints)
        r = theta[:, _COL["launch_reliability"], None]
        d = theta[:, _COL["defense_engagements"], None]
        p = theta[:, _COL["intercept_probability"], None]
        kill_threshold = r * theta[:, _COL["aimpoint_kill_probability"], None]
        idx = np.arange(m_max, dtype=np.uint64)
        rows = np.arange(n)
        per_slot = -(-m_max // n_slots) if m_max else 0  # missiles per slot, rounded up
        self.slot_stage = np.empty((n_salvos_max, n, n_slots), dtype=np.int64)
        self.first_kill = np.empty((n_salvos_max, n, n_slots), dtype=np.int64)
        for k in range(n_salvos_max):
            key = sub_key(sample_keys, k)
            stage = np.broadcast_to(base_stage, (n, n_slots)).copy()
            if not bottleneck:
                order_key = sub_key(key, 1)  # Fisher-Yates from the front, as the kernel
                for i in range(n_slots - 1):
                    j = i + below(order_key, i, n_slots - i)
                    tmp = stage[:, i].copy()
                    stage[:, i] = stage[rows, j]
                    stage[rows, j] = tmp
            self.slot_stage[k] = stage
            missile_key = sub_key(key, 2)[:, None]
            u1, u2 = uniform_pair(missile_key, idx)  # (n, m_max) each
            launched = u1 < r
            before = np.cumsum(launched, axis=1) - launched  # missiles launched before this one
            engaged = before < d
            intercepted = engaged & (u2 < p)
            kills = launched & ~intercepted & (u1 < kill_threshold)
            first = np.where(kills, np.arange(m_max), m_max)
            if m_max == 0:
                self.first_kill[k] = 0  # no missiles: nothing is ever destroyed
                continue
            padded = np.full((n, per_slot * n_slots), m_max, dtype=np.int64)
            padded[:, :m_max] = first  # missile i aims at slot i mod n_slots
            self.first_kill[k] = padded.reshape(n, per_slot, n_slots).min(axis=1)
        self.stage_aimpoints = stage_aimpoints

    def losses(self, missiles, rows=None) -> np.ndarray:
        """Capacity lost to each salvo ``(n_salvos_max, n)`` for salvos of ``missiles``."""
        slot_stage = self.slot_stage if rows is None else self.slot_stage[:, rows]
        first_kill = self.first_kill if rows is None else self.first_kill[:, rows]
        missiles = np.broadcast_to(np.asarray(missiles), first_kill.shape[1:2])
        destroyed = first_kill < missiles[None, :, None]
        kept = np.ones(destroyed.shape[:2])
        for j, aimpoints in enumerate(self.stage_aimpoints):
            lost = np.count_nonzero(destroyed & (slot_stage == j), axis=2).astype(float)
            kept = np.minimum(kept, 1.0 - lost / aimpoints)
        return 1.0 - kept


# --- production → launches → grid → cost (MODEL.md §2–4) -------------------------------------
def _trend(theta, day, keys, shared):
    """The trend path ``(days, n)``: production_now × the fitted logistic's ratio to day 0 ×
    each 30-day block's scatter (drawn from each sample's key, Box–Muller, when the
    outcome is drawn; 1 otherwise)."""
    col = lambda name: theta[:, _COL[name]]  # noqa: E731
    start, end = col("trend_start_level"), col("trend_end_level")
    midpoint, rate = col("trend_midpoint_day"), col("trend_growth_rate")
    w = np.exp(np.minimum(-rate * (day - midpoint), 700.0))
    at_day = (start * w + end) / (1.0 + w)
    w0 = np.exp(np.minimum(rate * midpoint, 700.0))
    at_zero = (start * w0 + end) / (1.0 + w0)
    months = int(day.shape[0]) // TREND_MONTH_DAYS + 1
    factor = np.ones((months, theta.shape[0]))
    sigma = float(shared.trend_sigma)
    if shared.stochastic and sigma != 0.0:
        # Marsaglia's polar method on pairs 0, 1, … of each sample's stream: the accepted
        # pairs in order, two normals each (enough candidates that none runs short)
        tries = months + 64
        u, v = uniform_pair(sub_key(keys, SCATTER_STREAM)[None, :],
                            np.arange(tries, dtype=np.uint64)[:, None])  # (tries, n)
        x, y = 2.0 * u - 1.0, 2.0 * v - 1.0
        square = x * x + y * y
        accepted = (square < 1.0) & (square > 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.sqrt(-2.0 * np.log(square) / square)
        z = np.empty((months, theta.shape[0]))
        for s in range(theta.shape[0]):
            rows = np.flatnonzero(accepted[:, s])
            pairs = np.stack([x[rows, s] * f[rows, s], y[rows, s] * f[rows, s]], axis=1)
            z[:, s] = pairs.ravel()[:months]
        factor = np.exp(sigma * z - 0.5 * sigma * sigma)
    block = (day[:, 0].astype(np.int64) // TREND_MONTH_DAYS)
    return col("production_now") * (at_day / at_zero) * factor[block]


def _chain(theta, missiles, losses, logistic: int, exponential: int, horizon: int,
           record: bool, days: int | None = None, keys=None, shared=None):
    """Outputs ``(n, len(OUTPUTS))`` (and series ``(N_SERIES, days, n)`` if ``record``).

    ``keys`` (each sample's outcome key) and ``shared`` (the compiled scenario's
    :class:`~whatif.model.layout.Shared`) serve the trend and custom paths.

    ``losses`` is ``(n_salvos_max, n)``: the capacity lost to each salvo; salvos beyond a
    sample's ``1 + restrikes`` are ignored. Series run for ``days`` (default ``horizon``)
    days; outputs sum over the first ``horizon``.
    """
    col = lambda name: theta[:, _COL[name]]  # noqa: E731
    n = theta.shape[0]
    days = horizon if days is None else days
    n_salvos = 1 + col("restrikes").astype(np.int64)
    day = np.arange(days, dtype=float)[:, None]  # (days, 1)

    p0, pt = col("production_now"), col("production_target")
    base = _ramp_fraction(day, col("ramp_days"), logistic)  # (days, n): the target path
    base *= pt - p0
    base += p0
    code = col("production_path")
    level0 = p0.copy()  # each path's day-0 level without scatter
    if (code == _TREND).any():
        base = np.where(code == _TREND, _trend(theta, day, keys, shared), base)
    if (code == _CUSTOM).any():
        custom = np.interp(day[:, 0], shared.custom_days, shared.custom_rates)[:, None]
        base = np.where(code == _CUSTOM, custom, base)
        level0 = np.where(code == _CUSTOM, custom[0], level0)

    interval, repair = col("restrike_interval_days"), col("repair_days")
    # the first salvo lands on day 0 (days since it = day, never negative)
    lost = _recovery_remaining(day, repair, exponential)
    lost *= losses[0]
    for k in range(1, losses.shape[0]):  # re-strikes
        since = day - k * interval
        add = _recovery_remaining(since, repair, exponential)
        add *= losses[k]
        add += lost  # (adds in the package's order: lost + loss_k * remaining_k)
        np.copyto(lost, add, where=(since >= 0.0) & (k < n_salvos))
    np.minimum(lost, 1.0, out=lost)

    makeup = _ramp_day_average(day, col("dispersal_days"))
    makeup *= col("dispersal_share")
    np.subtract(1.0, makeup, out=makeup)
    shortfall = base * col("site_share")
    shortfall *= lost
    shortfall *= makeup

    drones_denied = shortfall[:horizon].sum(axis=0)
    days_disrupted = np.count_nonzero(
        shortfall[:horizon] > (1.0 - DISRUPTED_BELOW) * base[:horizon], axis=0)
    baseline_launches = base[:horizon].sum(axis=0)

    # stockpile and grid: sequential in days, vectorised over samples
    got_through = col("energy_share") * (1.0 - col("defeat_rate"))
    mw_per_hit, grid_repair = col("mw_per_hit"), col("grid_repair_days")
    keep = 1.0 - 1.0 / grid_repair
    stock_start = col("stockpile_days") * level0
    stock = stock_start.copy()
    stock_end = stock.copy()
    hold = col("stock_policy") == _HOLD
    refill_share = np.where(col("stock_policy") == _REBUILD, col("rebuild_share"), 0.0)
    grid_gap = np.zeros(n)  # G_base - G_strike [MW]
    grid_mw_days = np.zeros(n)
    deficit = np.empty((days, n))
    gap = np.empty((days, n)) if record else None
    inflow = np.empty(n)
    for t in range(days):
        # drawdown: cover the shortfall; rebuild: also refill from a share of output while
        # below the start; hold: keep the stock
        refill = np.where(stock < stock_start, refill_share * (base[t] - shortfall[t]), 0.0)
        covers = refill <= shortfall[t]
        taken = np.where(covers & ~hold, np.minimum(shortfall[t] - refill, stock), 0.0)
        added = np.where(~covers & ~hold,
                         np.minimum(refill - shortfall[t], stock_start - stock), 0.0)
        stock += added - taken
        deficit[t] = shortfall[t] - taken + added
        if t == horizon - 1:
            stock_end = stock.copy()
        if t < horizon:
            grid_mw_days += grid_gap
        if record:
            gap[t] = grid_gap
        np.multiply(deficit[t], got_through, out=inflow)
        inflow *= mw_per_hit
        grid_gap *= keep
        grid_gap += inflow
    launches_denied = deficit[:horizon].sum(axis=0)

    out = np.empty((n, len(OUTPUTS)))
    salvos = n_salvos.astype(float)
    fired = np.asarray(missiles, dtype=float) * np.ones(n)
    out[:, _OUT["capacity_loss"]] = losses[0]
    out[:, _OUT["drones_denied"]] = drones_denied
    out[:, _OUT["target_share_denied"]] = drones_denied / (pt * horizon)
    out[:, _OUT["days_disrupted"]] = days_disrupted
    out[:, _OUT["energy_hits_averted"]] = launches_denied * got_through
    out[:, _OUT["stock_shortfall_end"]] = stock_start - stock_end
    out[:, _OUT["energy_hits_deferred"]] = (stock_start - stock_end) * got_through
    with np.errstate(divide="ignore", invalid="ignore"):
        reduction = launches_denied / baseline_launches
        ratio = drones_denied * (col("drone_unit_cost") + col("defense_cost_per_drone")) / (
            fired * salvos * col("missile_unit_cost"))
    out[:, _OUT["energy_hit_reduction"]] = np.where(baseline_launches > 0, reduction, 0.0)
    out[:, _OUT["grid_gw_days_averted"]] = grid_mw_days / 1000.0
    out[:, _OUT["cost_exchange_ratio"]] = np.where(fired > 0, ratio, 0.0)
    out[:, _OUT["strike_cost_usd"]] = (np.asarray(missiles, dtype=np.int64) * n_salvos) * col(
        "missile_unit_cost")
    if not record:
        return out, None

    grid_base = np.empty((days, n))
    hits_base = base * got_through
    g = base[0] * got_through * mw_per_hit * grid_repair
    for t in range(days):
        grid_base[t] = g
        g = g * keep + base[t] * got_through * mw_per_hit
    series = np.empty((N_SERIES, days, n))
    series[0] = base
    series[1] = base - shortfall
    series[2] = lost
    series[3] = base
    np.subtract(base, deficit, out=series[4])
    series[5] = hits_base
    np.multiply(series[4], got_through, out=series[6])
    series[7] = grid_base
    np.subtract(grid_base, gap, out=series[8])
    return out, series


def _losses(theta, missiles, compiled, keys, m_max: int, bottleneck: bool):
    """Capacity lost per salvo ``(n_salvos_max, n)``: drawn (Monte Carlo) or expected."""
    n_salvos_max = 1 + int(theta[:, _COL["restrikes"]].max()) if theta.shape[0] else 1
    stages = _stages(compiled)
    if compiled.shared.stochastic:
        outcomes = _Outcomes(theta, keys, n_salvos_max, stages, bottleneck, m_max)
        return outcomes.losses(missiles), outcomes
    loss = expected_salvo_loss(
        missiles, theta[:, _COL["launch_reliability"]], theta[:, _COL["defense_engagements"]],
        theta[:, _COL["intercept_probability"]], theta[:, _COL["aimpoint_kill_probability"]],
        float(_targeted(stages, bottleneck)),
    )
    return np.broadcast_to(loss, (n_salvos_max, theta.shape[0])), None


def run_samples(compiled, theta=None, record: bool = False, chunk: int = CHUNK):
    """Like :func:`whatif.model.chain.run_samples` for a ``CompiledScenario``.

    Returns ``(outputs (n, len(OUTPUTS)), series)`` with ``series`` laid out
    ``(N_SERIES, days, n)`` (days before samples; ``None`` unless ``record``), ``days`` the
    longest horizon. Rows may differ in horizon and choices.
    """
    theta = compiled.theta if theta is None else theta
    n = theta.shape[0]
    days = int(theta[:, _COL["horizon_days"]].max()) if n else 0
    outputs = np.empty((n, len(OUTPUTS)))
    series = np.empty((N_SERIES, days, n)) if record else None
    for group, horizon, logistic, exponential, bottleneck in _groups(theta):
        for start in range(0, group.size, chunk):
            rows = group[start:start + chunk]
            part = theta[rows]
            missiles = part[:, _COL["missiles"]].astype(np.int64)
            keys = sub_key(compiled.shared.key, rows)
            losses, _ = _losses(part, missiles, compiled, keys, int(missiles.max()), bottleneck)
            out, daily = _chain(part, missiles, losses, logistic, exponential, horizon, record,
                                days, keys, compiled.shared)
            outputs[rows] = out
            if record:
                series[:, :, rows] = daily
    return outputs, series


def summarise(values: np.ndarray, axis: int = -1) -> dict[str, np.ndarray]:
    """Mean, P10, P50 and P90 along ``axis`` (NumPy's default linear interpolation)."""
    p10, p50, p90 = np.percentile(values, [10, 50, 90], axis=axis)
    return {"mean": values.mean(axis=axis), "p10": p10, "p50": p50, "p90": p90}


def simulate(scenario, samples: int = 10_000, seed: int | None = 0, series: bool = False,
             chunk: int = CHUNK) -> dict:
    """The reference of :func:`whatif.simulate`, from the same draws.

    Returns a dict: ``outputs`` ``(n, len(OUTPUTS))``; ``summary`` {stat: (len(OUTPUTS),)};
    and with ``series``, ``bands`` {stat: (N_SERIES, horizon)}.
    """
    compiled, _ = compile_scenario(scenario, samples, seed)
    values, daily = run_samples(compiled, record=series, chunk=chunk)
    result = {"outputs": values, "summary": summarise(values, axis=0)}
    if series:
        result["bands"] = summarise(daily, axis=-1)
    return result


# --- the inverse: how many missiles? ----------------------------------------------------------
def salvo_needed(compiled, objective: int, at_least: float, max_missiles: int,
                 chunk: int = CHUNK) -> np.ndarray:
    """Like :func:`whatif.model.chain.salvo_needed`: per sample, the smallest salvo whose
    output ``objective`` reaches ``at_least`` (``max_missiles + 1`` if none does).

    The same monotone logic: evaluate at ``max_missiles``; where that reaches the
    objective, bisect over ``0 … max_missiles`` (every sample's bisection runs side by
    side, each step evaluating only the samples still searching).
    """
    theta = compiled.theta
    needed = np.empty(theta.shape[0], dtype=np.int64)
    for group, horizon, logistic, exponential, bottleneck in _groups(theta):

        def evaluate(part, rows, outcomes, missiles, keys, horizon=horizon, logistic=logistic,
                     exponential=exponential, bottleneck=bottleneck):
            if outcomes is not None:
                losses = outcomes.losses(missiles, rows)
            else:
                losses, _ = _losses(part[rows], missiles, compiled, None, 0, bottleneck)
            if objective == _OUT["capacity_loss"]:  # the strike alone answers it (as the package)
                return losses[0]
            out, _ = _chain(part[rows], missiles, losses, logistic, exponential, horizon, False,
                            None, keys[rows], compiled.shared)
            return out[:, objective]

        for start in range(0, group.size, chunk):
            samples = group[start:start + chunk]
            part = theta[samples]
            keys = sub_key(compiled.shared.key, samples)
            everyone = np.arange(samples.size)
            top = np.full(samples.size, max_missiles, dtype=np.int64)
            _, outcomes = _losses(part, top, compiled, keys, max_missiles, bottleneck)
            reaches = evaluate(part, everyone, outcomes, top, keys) >= at_least
            lo = np.zeros(samples.size, dtype=np.int64)
            hi = np.where(reaches, max_missiles, 0)  # hi always reaches the objective
            while True:
                rows = np.flatnonzero(lo < hi)
                if rows.size == 0:
                    break
                mid = (lo[rows] + hi[rows]) // 2
                ok = evaluate(part, rows, outcomes, mid, keys) >= at_least
                hi[rows] = np.where(ok, mid, hi[rows])
                lo[rows] = np.where(ok, lo[rows], mid + 1)
            needed[samples] = np.where(reaches, lo, max_missiles + 1)
    return needed


def missiles_needed(scenario, objective: str = "capacity_loss", at_least: float = 0.5,
                    confidence: float = 0.8, samples: int = 10_000, seed: int | None = 0,
                    max_missiles: int = 300, chunk: int = CHUNK) -> dict:
    """The reference of :func:`whatif.missiles_needed` (same draws, same answer and curve).

    Returns a dict: ``missiles_needed`` (int or None), ``missiles`` (0 … max_missiles) and
    ``probability`` (P(objective ≥ at_least) for each salvo size).
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}")
    compiled, _ = compile_scenario(scenario, samples, seed)
    index = _OUT[objective]
    salvo = np.arange(max_missiles + 1)
    if samples == 0:  # deterministic: evaluate every salvo size
        theta = np.repeat(compiled.theta, salvo.size, axis=0)
        theta[:, _COL["missiles"]] = salvo
        out, _ = run_samples(compiled, theta)
        probability = (out[:, index] >= at_least).astype(float)
    else:
        needed = salvo_needed(compiled, index, float(at_least), max_missiles, chunk)
        counts = np.bincount(needed, minlength=max_missiles + 2)[: max_missiles + 1]
        probability = np.cumsum(counts) / needed.size
    reached = np.flatnonzero(probability >= confidence - 1e-12)
    answer = int(salvo[reached[0]]) if reached.size else None
    return {"missiles_needed": answer, "missiles": salvo, "probability": probability}
