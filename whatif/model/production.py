"""Production over time (MODEL.md §2).

Time runs in whole days ``t = 0 … horizon_days - 1``; the strike lands at the start
of day 0. Each day's value of a recovering quantity is the day's *average* of the
continuous curve, so sums over days equal the integrals exactly (e.g. a linear
recovery of length ``T`` loses ``L T / 2`` plant-days, not ``L (T + 1) / 2``).

The elementwise functions are numba ufuncs: they broadcast like NumPy functions
from Python, and the compiled daily loop in :mod:`whatif.model.campaign` calls the
very same code.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from whatif.model._compile import JIT_OPTIONS, scalar, ufunc
from whatif.model.layout import PRODUCTION_PATH_CUSTOM, PRODUCTION_PATH_TREND
from whatif.model.rng import normal_pair, row_key, standard_gamma, sub_key

LOGISTIC_STEEPNESS = 10.0  # logistic ramp: 1/(1+exp(-k(x-1/2))), rescaled to run 0→1 over the ramp
EXPONENTIAL_TIME_CONSTANT = 1.0 / 3.0  # exponential recovery: time constant = repair_days / 3
DISRUPTED_BELOW = 0.9  # a day is disrupted while national output < 90 % of baseline
TREND_MONTH_DAYS = 30  # the trend path's month-to-month scatter changes every 30 days
#: sub-stream of a sample's key for the trend path's parameters (salvos use 0, 1, …; the
#: month scatter 2**40)
TREND_PARAMETERS_STREAM = (1 << 40) + 1

@scalar
def _ramp_fraction(day, ramp_days, logistic):
    """Share of the climb from ``production_now`` to the target done by ``day`` [share].

    Linear: ``min(1, t / R)``. Logistic (``logistic=1``): an S-curve
    ``σ(k (t/R - 1/2))`` with ``k = 10``, rescaled to be exactly 0 at ``t = 0`` and 1 at
    ``t = R``. ``R = 0`` means no ramp: output stays at ``production_now`` (share 0).
    """
    if ramp_days <= 0.0 or day <= 0.0:
        return 0.0
    if day >= ramp_days:
        return 1.0
    x = day * (1.0 / ramp_days)  # 0 < x < 1; the reciprocal is hoisted out of daily loops
    if logistic == 0:
        return x
    k = LOGISTIC_STEEPNESS
    lo = 1.0 / (1.0 + math.exp(0.5 * k))  # σ(-k/2)
    hi = 1.0 / (1.0 + math.exp(-0.5 * k))  # σ(+k/2)
    return (1.0 / (1.0 + math.exp(-k * (x - 0.5))) - lo) / (hi - lo)


@scalar
def _baseline_production(day, production_now, production_target, ramp_days, logistic):
    """National output without a strike on ``day`` [drones/day].

    ``P(t) = P0 + (P_target - P0) f(t)`` with ``f`` the :func:`ramp_fraction`.

    Examples
    --------
    >>> float(baseline_production(73.0, 100.0, 1000.0, 365.0, 0))
    280.0
    """
    return production_now + (production_target - production_now) * _ramp_fraction(
        day, ramp_days, logistic
    )


@scalar
def _trend_factor(day, start_level, end_level, midpoint_day, growth_rate):
    """The ``trend`` path on ``day`` relative to day 0 [ratio]: ``g(t) / g(0)``.

    ``g(t) = start + (end - start) / (1 + exp(-r (t - midpoint)))`` is the logistic path
    fitted to the launch record (:func:`whatif.calibrate.logistic_path`), with its
    midpoint counted from day 0; levels in any one unit, ``r`` in 1/day.

    Examples
    --------
    A path already at its plateau stays there:

    >>> float(trend_factor(90.0, 10.0, 100.0, -1000.0, 0.05))
    1.0
    """
    return (_logistic_level(start_level, end_level, -growth_rate * (day - midpoint_day))
            / _logistic_level(start_level, end_level, growth_rate * midpoint_day))


@scalar
def _logistic_level(start_level, end_level, exponent):
    """``start + (end - start) / (1 + exp(exponent))``, as a weighted mean of the two
    levels, so that neither a huge exponent nor levels far apart give 0/0 or inf/inf."""
    if exponent > 0.0:
        w = math.exp(-exponent)  # ≤ 1
        return (start_level + end_level * w) / (1.0 + w)
    w = math.exp(exponent)  # ≤ 1
    return (start_level * w + end_level) / (1.0 + w)


@scalar
def _scatter_factor(z, sigma):
    """A month's multiplicative scatter about the ``trend`` path [ratio]:
    ``exp(σ z - σ²/2)`` for a standard normal ``z``, whose mean is 1 (log-normal scatter
    of standard deviation ``σ`` on the log scale)."""
    return math.exp(sigma * z - 0.5 * sigma * sigma)


_NO_KEYS = np.zeros(0, dtype=np.uint64)


def trend_parameters_into(key, center, root, dof, out, experiment_keys=_NO_KEYS,
                          experiment_samples=0):
    """Draws of the trend path's parameters, one column of ``out`` ``(4, samples)`` per
    sample: start level, end level [drones/day], midpoint [days], growth rate [1/day].

    ``center`` holds the fit's (log start, log end, midpoint, log rate), ``root`` a square
    root of its covariance (``root @ root.T``), ``dof`` its degrees of freedom: each
    column is ``center + root z sqrt(dof / χ²)`` (multivariate Student t; four standard
    normals ``z`` and ``χ² = 2 Gamma(dof / 2)``), the logged ones exponentiated. Sample
    ``s`` draws from sub-stream :data:`TREND_PARAMETERS_STREAM` of its strike-outcome key
    (:func:`~whatif.model.rng.row_key`: ``sub_key(key, s)``, or its experiment's sample's
    in a run of experiments), so its draws do not depend on how many samples are run.
    """
    _trend_parameters(np.uint64(key), np.asarray(experiment_keys, dtype=np.uint64),
                      int(experiment_samples), center, root, float(dof), out)


@njit(parallel=True, **JIT_OPTIONS)
def _trend_parameters(key, experiment_keys, experiment_samples, center, root, dof, out):
    for s in prange(out.shape[1]):
        stream = sub_key(row_key(key, experiment_keys, experiment_samples, s),
                         TREND_PARAMETERS_STREAM)
        z0, z1, i = normal_pair(stream, 0)
        z2, z3, i = normal_pair(stream, i)
        chi_square, _ = standard_gamma(stream, i, 0.5 * dof)
        scale = math.sqrt(dof / (2.0 * chi_square))
        for r in range(4):
            value = center[r] + scale * (((root[r, 0] * z0 + root[r, 1] * z1)
                                          + root[r, 2] * z2) + root[r, 3] * z3)
            out[r, s] = value if r == 2 else math.exp(value)  # (all but the midpoint logged)


@scalar
def custom_production(day, days, rates):
    """The custom path on ``day`` [drones/day]: ``rates`` interpolated linearly between
    ``days`` (ascending), flat before the first and after the last point.

    Examples
    --------
    >>> float(custom_production(15.0, np.array([0.0, 30.0]), np.array([100.0, 200.0])))
    150.0
    """
    n = days.shape[0]
    if day <= days[0]:
        return rates[0]
    if day >= days[n - 1]:
        return rates[n - 1]
    hi = 1
    while days[hi] < day:
        hi += 1
    lo = hi - 1
    share = (day - days[lo]) / (days[hi] - days[lo])
    return rates[lo] + (rates[hi] - rates[lo]) * share


@scalar
def trend_path_into(daily, level, start_level, end_level, midpoint_day, growth_rate,
                    month_factor):
    """Write the trend path ``level × trend_factor(t) × month_factor[t // 30]`` for
    ``t = 0 … len(daily) - 1`` into ``daily`` [drones/day].

    The logistic's ``exp(-r (t - midpoint))`` is stepped by a factor ``exp(-r)`` a day (one
    multiplication instead of an exponential; four days at a time), written out first,
    then turned into the path month by month (a loop without a carried value, which the
    compiler vectorises: the divisions run several at a time); where that could overflow,
    each day is computed directly. Agrees with :func:`trend_factor` to ~1e-13 relative.
    """
    n = daily.shape[0]
    scale = level / _logistic_level(start_level, end_level, growth_rate * midpoint_day)
    if abs(growth_rate * midpoint_day) < 300.0 and abs(growth_rate) * n < 300.0:
        w = math.exp(growth_rate * midpoint_day)  # exp(-r (t - midpoint)) at t = 0
        step = math.exp(-growth_rate)
        # four chains (days t, t + 1, t + 2, t + 3), each stepped by step⁴: their
        # multiplications overlap
        w1 = w * step
        w2 = w1 * step
        w3 = w2 * step
        step4 = (step * step) * (step * step)
        t = 0
        while t + 4 <= n:
            daily[t] = w
            daily[t + 1] = w1
            daily[t + 2] = w2
            daily[t + 3] = w3
            w *= step4
            w1 *= step4
            w2 *= step4
            w3 *= step4
            t += 4
        while t < n:
            daily[t] = w
            w, w1, w2 = w1, w2, w3
            t += 1
        for month in range((n + TREND_MONTH_DAYS - 1) // TREND_MONTH_DAYS):
            factor = month_factor[month]
            first = month * TREND_MONTH_DAYS
            # (indexed first + j, j from 0: the compiler then vectorises the divisions)
            for j in range(min(n - first, TREND_MONTH_DAYS)):
                w = daily[first + j]  # (start w + end) / (1 + w): no overflow for |log w| < 600
                daily[first + j] = scale * (start_level * w + end_level) / (1.0 + w) * factor
    else:
        for t in range(n):
            daily[t] = scale * _logistic_level(
                start_level, end_level, -growth_rate * (t - midpoint_day)) * month_factor[
                t // TREND_MONTH_DAYS]


@scalar
def path_level(x, path):
    """Day 0's level of a row's no-strike path without the month scatter [drones/day]:
    ``production_now`` for the trend and target paths, the table's value for custom."""
    if path.code == PRODUCTION_PATH_CUSTOM:
        return custom_production(0.0, path.custom_days, path.custom_rates)
    return x.production_now


@scalar
def path_production(t, x, path):
    """National output without a strike on whole day ``t`` [drones/day], on the row's path.

    ``x`` is the row's :class:`~whatif.model.layout.DailyInputs`, ``path`` its
    :class:`~whatif.model.layout.ProductionPath`:

    - trend: ``production_now × trend_factor(t) × month_factor[t // 30]``, read from
      ``path.daily`` (see :func:`trend_path_into`);
    - target: :func:`baseline_production` (the climb to the target over ``ramp_days``);
    - custom: :func:`custom_production`.
    """
    day = float(t)
    if path.code == PRODUCTION_PATH_TREND:  # filled once per row by trend_path_into
        return path.daily[t]
    if path.code == PRODUCTION_PATH_CUSTOM:
        return custom_production(day, path.custom_days, path.custom_rates)
    return _baseline_production(day, x.production_now, x.production_target, x.ramp_days,
                                x.logistic)


@scalar
def _ramp_day_average(day, length):
    """Average over day ``[t, t+1)`` of ``min(1, τ / length)`` [share]; 1 if ``length <= 0``.

    The integral of ``min(1, τ/L)`` from 0 to ``x`` is ``x²/(2L)`` for ``x <= L`` and
    ``x - L/2`` after, so a whole day before ``L`` averages ``(t + ½)/L``, a day after it
    averages 1, and only the day containing ``L`` needs both pieces.
    """
    if length <= 0.0:
        return 1.0
    end = day + 1.0
    if end <= length:
        return (day + 0.5) * (1.0 / length)  # the reciprocal is hoisted out of daily loops
    if day >= length:
        return 1.0
    return (end - 0.5 * length) - day * day * (0.5 / length)


@scalar
def _recovery_remaining(days_since, repair_days, exponential):
    """Share of a salvo's loss still out on the day ``days_since`` after it [share].

    Linear: ``max(0, 1 - τ/T)``; exponential (``exponential=1``): ``exp(-3 τ / T)``
    (time constant ``T/3``), each averaged over the day. 0 before the salvo.

    Examples
    --------
    A 10-day linear repair: the first day averages ``1 - 0.5/10``.

    >>> float(recovery_remaining(0.0, 10.0, 0))
    0.95
    """
    if days_since < 0.0:
        return 0.0
    if exponential == 0:
        return 1.0 - _ramp_day_average(days_since, repair_days)
    rate = 1.0 / (EXPONENTIAL_TIME_CONSTANT * repair_days)
    return math.exp(-rate * days_since) * (1.0 - math.exp(-rate)) / rate


@scalar
def _dispersal_makeup(day, dispersal_share, dispersal_days):
    """Share of the plant's lost output that other sites make up on ``day`` [share].

    Other sites ramp up linearly from the strike, reaching ``dispersal_share`` after
    ``dispersal_days`` (day-averaged).
    """
    return dispersal_share * _ramp_day_average(day, dispersal_days)


@scalar
def plant_lost_share(day, salvo_day, salvo_loss, repair_days, exponential):
    """Share of the plant's capacity out of action on ``day`` [share].

    Salvo ``k`` lands on day ``salvo_day[k]`` and knocks out ``salvo_loss[k]``; a re-strike
    adds its loss to what is still out, capped at 1.
    """
    lost = 0.0
    for k in range(salvo_loss.shape[0]):
        since = day - salvo_day[k]
        if since >= 0.0:  # (no early break: it keeps the loop cheap to compile)
            lost += salvo_loss[k] * _recovery_remaining(since, repair_days, exponential)
    return min(lost, 1.0)


@scalar
def lost_days_into(days, salvo_day, salvo_loss, repair_days, exponential, row):
    """:func:`plant_lost_share` before its cap at 1 for every day ``0 … days - 1`` at once,
    into ``row``: the same sums in the same order (salvo by salvo), each salvo added over
    the days it is still being repaired, in loops without a carried value that the
    compiler vectorises. Salvo days are whole days."""
    for t in range(days):
        row[t] = 0.0
    for k in range(salvo_day.shape[0]):
        loss = salvo_loss[k]
        if loss <= 0.0:  # (adds nothing)
            continue
        # the day in a local and an index known not to be negative: a load inside the loop
        # might alias the row being written, and a negative index would wrap; either stops
        # the loop vectorising
        day = salvo_day[k]
        first = max(int(day), 0)
        if exponential:
            for j in range(max(days - first, 0)):
                since = float(first + j) - day
                row[first + j] += loss * _recovery_remaining(since, repair_days, exponential)
            continue
        # linear: whole days before the repair ends take 1 - (since + ½)/T, as
        # _recovery_remaining does (written out); the day the repair ends takes the
        # general rule; nothing is out after it
        whole = min(int(math.floor(repair_days)) if repair_days >= 1.0 else 0,
                    max(days - first, 0))
        inverse = 1.0 / repair_days
        for j in range(whole):
            since = float(first + j) - day
            row[first + j] += loss * (1.0 - (since + 0.5) * inverse)
        last = min(days, first + int(math.ceil(repair_days)) + 1)
        for j in range(whole, max(last - first, 0)):
            since = float(first + j) - day
            row[first + j] += loss * _recovery_remaining(since, repair_days, exponential)


@scalar
def _production_shortfall(baseline, site_share, lost_share, makeup):
    """National output lost on a day [drones/day]: ``P_base s ℓ (1 - d)``.

    The plant's share ``s`` of output loses the share ``ℓ`` still out, less the share
    ``d`` of it that other sites make up.
    """
    return baseline * site_share * lost_share * (1.0 - makeup)


@scalar
def _production_after_strike(baseline, site_share, lost_share, makeup):
    """National output after the strike [drones/day]: ``P_base - shortfall``.

    Examples
    --------
    >>> float(production_after_strike(100.0, 0.5, 1.0, 0.0))
    50.0
    """
    return baseline - _production_shortfall(baseline, site_share, lost_share, makeup)


# Broadcasting NumPy ufuncs over the same code.
ramp_fraction = ufunc(_ramp_fraction, "float64(float64, float64, int64)")
baseline_production = ufunc(_baseline_production,
                            "float64(float64, float64, float64, float64, int64)")
ramp_day_average = ufunc(_ramp_day_average, "float64(float64, float64)")
trend_factor = ufunc(_trend_factor, "float64(float64, float64, float64, float64, float64)")
scatter_factor = ufunc(_scatter_factor, "float64(float64, float64)")
recovery_remaining = ufunc(_recovery_remaining, "float64(float64, float64, int64)")
dispersal_makeup = ufunc(_dispersal_makeup, "float64(float64, float64, float64)")
production_shortfall = ufunc(_production_shortfall, "float64(float64, float64, float64, float64)")
production_after_strike = ufunc(_production_after_strike,
                                "float64(float64, float64, float64, float64)")
