"""Backtest: how well would the model's production paths have forecast the launch record?

A rolling-origin backtest over the Air Force's monthly launch record
(``data/historical/uav_launches_monthly.csv``). At each origin — the end of a month ``m`` —
everything is fitted on the record up to ``m`` only, each of the model's production paths
is projected over the months ``m+1 … m+h``, and each projected month's band is set beside
what the record shows for it. The scores say how often the record fell inside the bands
and how far it was from their medians.

The rule
--------
Origins are the month-ends ``m`` from the first whose production window
(:data:`whatif.calibrate.PRODUCTION_START`, 2024-01, to ``m``) holds at least
:data:`MIN_FIT_MONTHS` (12) months of the record; horizon ``h`` is scored at every origin
whose month ``m+h`` is in the record. At each origin the record is cut after ``m`` and
prepared anew (:func:`whatif.calibrate.prepare_record`), so day 0 of the fit and of the
projection is the day after month ``m`` ends, as the model's day 0 is the day after the
record ends.

Paths [UAVs launched/day]
    ``trend``: the logistic path fitted to the record up to ``m``
    (:func:`whatif.calibrate.fit_production`), projected from day 0 exactly as the model
    projects it: ``P(t) = level × trend_factor(t, *draw) × scatter_factor(z[t // 30], σ)``,
    where ``draw`` is a row of :meth:`~whatif.calibrate.ProductionFit.draw` (the fit's
    parameter uncertainty), ``z`` an independent standard normal per 30-day block
    (:data:`whatif.model.production.TREND_MONTH_DAYS`) and ``σ`` the fit's residual standard
    deviation of log monthly rates.
    ``target``: the stated climb, ``baseline_production(t, level, production_target,
    ramp_days, ramp_shape)``, with ``production_target``, ``ramp_days`` and ``ramp_shape``
    drawn (or taken) as the scenario's assumptions say (default: the registry's defaults,
    ``data/assumptions.csv``), through :func:`whatif.sampling.ppf`. No month-to-month
    scatter: the model draws none for this path.

    In both, ``level`` is drawn as the model draws ``production_now`` — lognormal, the
    fit's 90 % interval as its 5th and 95th percentiles — but from the fitted *mean level
    of all UAVs launched per day at the origin* (the fit's ``uav_level`` estimate on its
    day 0), not from ``production_now``.

Units and what is assumed
    The backtest compares in **UAVs launched per day, decoys included**: the record's unit.
    The stated 1,000/day target is compared as a UAV count (its sources count decoys), and
    launches ≈ output is assumed (no stock built up or drawn down), as in the calibration.

A month's projected value is the distribution of its **mean daily rate**: each draw's path
is evaluated on every day of the month (whole days ``t``, as the model's daily loop does)
and averaged. The scores use the P5/P10/P50/P90/P95 of those draws.

Defeat rate [share]
    At each origin a constant share is fitted over the 12 months up to ``m``
    (:func:`whatif.calibrate.fit_defeat_rate`, quasi-binomial). A month's share is predicted
    on the logit scale as Student-t (``k − 1`` degrees of freedom, ``k`` months fitted)
    about the fitted logit with standard deviation ``se·√(1 + k)``: ``se²`` is the fit's own
    error and ``k·se²`` one month's scatter, the quasi-binomial variance ``φ / (n̄ p (1 − p))``
    of a month with the window's mean launches ``n̄`` (since ``se² = φ / (N p (1 − p))`` and
    ``N = k n̄``). So the band includes the month-to-month dispersion the fit measured.

Scores (per path and horizon ``h``, over the origins)
    ``coverage80``/``coverage90``: share of the months ``m+h`` whose observed value lies
    inside the P10–P90 / P5–P95 band; ``median_abs_log_error``: median of
    ``|log(observed / projected median)|``; ``origins``: how many origins were scored.

Deterministic for a seed: each origin has its own random streams, fixed by the seed and
the origin's month, so an origin's projection does not depend on the data after it, on the
other origins or on the horizons asked for. Bounded: samples, horizons and origins are
capped (:data:`MAX_SAMPLES`, :data:`MAX_HORIZON`, :data:`MAX_ORIGINS`).

>>> result = backtest(horizons=(1,), samples=500)
>>> int(result.scores.loc[("trend", 1), "origins"])
12
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice

import numpy as np
import pandas as pd
from scipy import special, stats

from whatif.calibrate import (
    PRODUCTION_START,
    ProductionFit,
    day_zero,
    fit_defeat_rate,
    fit_production,
    load_record,
    prepare_record,
)
from whatif.errors import ParameterError, WhatifError, show
from whatif.model.production import (
    TREND_MONTH_DAYS,
    baseline_production,
    scatter_factor,
    trend_factor,
)
from whatif.params import REGISTRY, Assumption
from whatif.sampling import ppf
from whatif.scenario import Scenario

PATHS = ("trend", "target")  # the production paths backtested
DEFEAT = "defeat_rate"  # the defeat rate's rows in the bands frame
MIN_FIT_MONTHS = 12  # months of the production window a fit needs to be an origin
DEFEAT_FIT_MONTHS = 12  # the defeat rate is fitted on the 12 months up to the origin
MAX_HORIZON = 12  # months ahead
MIN_SAMPLES, MAX_SAMPLES = 100, 20_000
DEFAULT_SAMPLES = 4_000
DEFAULT_HORIZONS = (1, 2, 3)
MAX_ORIGINS = 240  # twenty years of month-ends
UNIT = "UAVs/day"
QUANTILES = {"p5": 0.05, "p10": 0.10, "p50": 0.50, "p90": 0.90, "p95": 0.95}
#: blocks of month-to-month scatter drawn per origin: enough for MAX_HORIZON months
#: (≤ 366 days), always the same number, so a projection does not depend on the horizons
SCATTER_BLOCKS = 366 // TREND_MONTH_DAYS + 1
RULE = (f"origins: each month-end m whose production window ({PRODUCTION_START}..m) holds "
        f"at least {MIN_FIT_MONTHS} months of the record; fitted on the record up to m only; "
        f"horizon h scores month m+h (its mean daily rate over its days, day 0 = the day "
        f"after m); defeat rate fitted on the {DEFEAT_FIT_MONTHS} months up to m")


# ---------------------------------------------------------------- checks

def check_samples(samples) -> int:
    """``samples`` as an int in :data:`MIN_SAMPLES` … :data:`MAX_SAMPLES`, else an error."""
    if (isinstance(samples, bool) or not isinstance(samples, (int, np.integer))
            or not MIN_SAMPLES <= samples <= MAX_SAMPLES):
        raise ParameterError("samples", f"{show(samples)} is out of range; allowed "
                                        f"{MIN_SAMPLES} to {MAX_SAMPLES:,} (whole numbers)")
    return int(samples)


def check_horizons(horizons) -> tuple[int, ...]:
    """Horizons in months as a sorted tuple of distinct whole numbers 1 … :data:`MAX_HORIZON`.

    Takes an iterable of numbers or text such as ``"1,2,3"`` (the CLI's ``--horizons``).
    """
    allowed = f"allowed whole numbers 1 to {MAX_HORIZON} (months), e.g. 1,2,3"
    if isinstance(horizons, str):
        if len(horizons) > 100:
            raise ParameterError("horizons", f"{show(horizons)} is too long; {allowed}")
        items: list = [part.strip() for part in horizons.split(",")]
    elif isinstance(horizons, Iterable):
        items = list(islice(horizons, MAX_HORIZON + 1))
    else:
        items = [horizons]
    found = set()
    for item in items:
        value = item
        if isinstance(item, str) and item.isdigit() and len(item) <= 3:
            value = int(item)
        if (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                or not 1 <= value <= MAX_HORIZON):
            raise ParameterError("horizons", f"{show(item)} is not allowed; {allowed}")
        found.add(int(value))
    if not found:
        raise ParameterError("horizons", f"none given; {allowed}")
    return tuple(sorted(found))


def check_paths(paths) -> tuple[str, ...]:
    """Production paths to backtest: ``"all"``, one of :data:`PATHS` or a list of them."""
    if paths is None or paths == "all":
        return PATHS
    items = [paths] if isinstance(paths, str) else list(islice(paths, len(PATHS) + 1))
    for item in items:
        if item not in PATHS:
            raise ParameterError("path", f"{show(item)} is not allowed; allowed "
                                         f"{', '.join(PATHS)} or all")
    if not items:
        raise ParameterError("path", f"none given; allowed {', '.join(PATHS)} or all")
    return tuple(p for p in PATHS if p in items)


# ---------------------------------------------------------------- origins and months

def origins(record: pd.DataFrame, min_months: int = MIN_FIT_MONTHS) -> list[str]:
    """The origins (month-ends, ``YYYY-MM``) of the rule in this module's docstring.

    Every month ``m`` of the record before its last month whose production window
    (:data:`~whatif.calibrate.PRODUCTION_START` … ``m``) holds at least ``min_months`` months
    of the record.
    """
    months = sorted(record["month"])
    window = [m for m in months if m >= PRODUCTION_START]
    found = [m for k, m in enumerate(window, start=1) if k >= min_months and m < months[-1]]
    if len(found) > MAX_ORIGINS:
        raise ParameterError("record", f"gives {len(found)} origins; allowed at most "
                                       f"{MAX_ORIGINS} (months after the first fit)")
    return found


def months_after(origin: str, count: int, day0: pd.Timestamp | None = None) -> pd.DataFrame:
    """The months ``origin+1 … origin+count`` (``YYYY-MM``): columns ``month``, ``horizon``,
    ``first_day`` and ``days`` (its first day and length), ``day`` and ``date`` (its
    mid-point), days counted from the projection's day 0 ``day0`` (default: the day after
    ``origin``). From the calendar, not the record: nothing after the origin is read."""
    start = pd.Period(origin, "M") + 1
    day0 = start.start_time if day0 is None else pd.Timestamp(day0)
    months = pd.period_range(start, periods=count, freq="M")
    first = ((months.start_time - day0) / pd.Timedelta(days=1)).to_numpy(float)
    length = months.days_in_month.to_numpy(float)
    return pd.DataFrame({"month": months.strftime("%Y-%m"), "horizon": np.arange(1, count + 1),
                         "first_day": first.astype(int), "days": length.astype(int),
                         "day": first + length / 2.0,
                         "date": months.start_time + pd.to_timedelta(length / 2.0, unit="D")})


def _streams(seed: int | None, origin: str) -> list[np.random.Generator]:
    """The origin's four random streams (level, trend parameters, scatter, target)."""
    period = pd.Period(origin, "M")
    key = period.year * 12 + period.month - 1
    parent = np.random.SeedSequence(seed, spawn_key=(key,))
    return [np.random.default_rng(child) for child in parent.spawn(4)]


# ---------------------------------------------------------------- projections

def level_assumption(fit: ProductionFit) -> Assumption:
    """The fit's mean level of UAVs launched per day on its day 0 (``uav_level``) as an
    assumption [UAVs/day]: lognormal with its 90 % interval as the 5th and 95th
    percentiles, as ``production_now`` is drawn."""
    level = fit.uav_level
    return Assumption(level.value, level.low, level.high, "lognormal")


def _daily_mean(daily: np.ndarray, months: pd.DataFrame) -> np.ndarray:
    """Mean of ``daily`` (samples, days) over each month's days: (samples, months)."""
    total = np.concatenate([np.zeros((daily.shape[0], 1)), np.cumsum(daily, axis=1)], axis=1)
    first, days = months["first_day"].to_numpy(), months["days"].to_numpy()
    return (total[:, first + days] - total[:, first]) / days


def project_trend(level: np.ndarray, parameters: np.ndarray, z: np.ndarray, sigma: float,
                  months: pd.DataFrame) -> np.ndarray:
    """Month means of the ``trend`` path [UAVs/day], shape (samples, months).

    ``level`` (samples,) [UAVs/day] at day 0; ``parameters`` (samples, 4) rows of
    :meth:`ProductionFit.draw`; ``z`` (samples, blocks) standard normals, one per 30-day
    block; ``sigma`` the month scatter's standard deviation of log rates; ``months`` from
    day 0 (columns ``first_day`` and ``days``, as :func:`months_after`).
    """
    end = int((months["first_day"] + months["days"]).max())
    day = np.arange(end, dtype=float)
    p = parameters
    daily = trend_factor(day, p[:, 0:1], p[:, 1:2], p[:, 2:3], p[:, 3:4])
    daily *= scatter_factor(z[:, np.arange(end) // TREND_MONTH_DAYS], sigma)
    daily *= level[:, None]
    return _daily_mean(daily, months)


def project_target(level: np.ndarray, target: np.ndarray, ramp_days: np.ndarray,
                   logistic: int, months: pd.DataFrame) -> np.ndarray:
    """Month means of the ``target`` path [UAVs/day], shape (samples, months): the climb
    from ``level`` to ``target`` over ``ramp_days`` (``logistic`` 0 or 1), from day 0."""
    end = int((months["first_day"] + months["days"]).max())
    day = np.arange(end, dtype=float)
    daily = baseline_production(day, level[:, None], target[:, None], ramp_days[:, None],
                                np.int64(logistic))
    return _daily_mean(daily, months)


def _target_draws(scenario: Scenario, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """``production_target`` and ``ramp_days`` drawn from the scenario's assumptions (two
    rows of unit uniforms) through :func:`whatif.sampling.ppf`, and the ramp's shape."""
    drawn = [ppf(scenario.values[name], unit[i], REGISTRY[name])
             for i, name in enumerate(("production_target", "ramp_days"))]
    logistic = int(scenario.values["ramp_shape"] == "logistic")
    return drawn[0], drawn[1], logistic


def _band_rows(values: np.ndarray) -> dict[str, np.ndarray]:
    """P5/P10/P50/P90/P95 of (samples, months) draws, per month."""
    found = np.quantile(values, list(QUANTILES.values()), axis=0)
    return dict(zip(QUANTILES, found, strict=True))


def _defeat_band(part: pd.DataFrame, window: tuple[str, str]) -> dict[str, float]:
    """The predicted band of one month's defeat share (see the module docstring)."""
    estimate = fit_defeat_rate(part, window)
    p = estimate.value
    months = int(((part["month"] >= window[0]) & (part["month"] <= window[1])).sum())
    se_logit = estimate.standard_error / (p * (1.0 - p))
    spread = se_logit * math.sqrt(1.0 + months)
    logit = math.log(p / (1.0 - p))
    return {name: float(special.expit(logit + stats.t.ppf(q, months - 1) * spread))
            for name, q in QUANTILES.items()}


def backtest_bands(record: pd.DataFrame | None = None, paths="all", horizons=DEFAULT_HORIZONS,
                   samples: int = DEFAULT_SAMPLES, seed: int | None = 0,
                   scenario: Scenario | None = None, defeat: bool = True) -> pd.DataFrame:
    """Each origin's projected bands beside what the record shows: the data for charts.

    Parameters
    ----------
    record : DataFrame, optional
        The monthly launch record (:func:`whatif.calibrate.load_record`; default the
        project's, or ``$WHATIF_DATA_DIR``'s).
    paths : "all", "trend", "target" or a list of them
        The production paths to project (:data:`PATHS`).
    horizons : iterable of int or text such as ``"1,2,3"``
        Months ahead, 1 … :data:`MAX_HORIZON`; ``(1,)`` for the one-month-ahead chart.
    samples : int
        Monte Carlo draws per origin and path, :data:`MIN_SAMPLES` … :data:`MAX_SAMPLES`.
    seed : int
        Same seed, same numbers.
    scenario : Scenario, optional
        Whose ``production_target``, ``ramp_days`` and ``ramp_shape`` the ``target`` path
        draws (default :meth:`Scenario.default`, i.e. ``data/assumptions.csv``).
    defeat : bool
        Also add the defeat rate's rows.

    Returns
    -------
    DataFrame
        One row per path, origin and horizon (only months in the record), sorted by path
        (trend, target, defeat_rate), horizon and origin; columns:

        ``path`` ("trend", "target" or "defeat_rate"), ``unit`` ("UAVs/day" or "share"),
        ``origin`` (YYYY-MM, the last month fitted), ``horizon`` [months],
        ``month`` (YYYY-MM, the month projected), ``date`` (its mid-point, a Timestamp),
        ``day`` [days from the origin's day 0 to the month's mid-point],
        ``observed`` (the record's UAVs launched per day, or share shot down or
        suppressed, in that month), ``p5``, ``p10``, ``p50``, ``p90``, ``p95`` (the
        projected band: percentiles of the month's mean daily rate over the draws, or of
        the predicted share), ``inside80`` (P10 ≤ observed ≤ P90), ``inside90``
        (P5 ≤ observed ≤ P95) and ``abs_log_error`` (``|log(observed / p50)|``).
        ``frame.attrs["skipped"]`` lists the (path, origin, reason) left out because the
        fit at that origin could not be made or is not identified (none on the project's
        record).

        For a chart of horizon ``h`` per path: ``frame[(frame.path == "trend") &
        (frame.horizon == h)]``, band ``p10``–``p90`` (and ``p5``–``p95``) at ``date``,
        ``observed`` as the points (:func:`whatif.figures.backtest_figure` draws it).
    """
    frame, skipped = _bands(record, paths, horizons, samples, seed, scenario, defeat)
    frame.attrs["skipped"] = skipped
    return frame


def _record(record: pd.DataFrame | None) -> pd.DataFrame:
    return (load_record() if record is None
            else record if "uav_per_day" in record else prepare_record(record))


def _check_seed(seed) -> int | None:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or not 0 <= seed < 2 ** 64):
        raise ParameterError("seed", f"{show(seed)} is not allowed; allowed a whole number "
                                     ">= 0, at most 2^64 - 1")
    return None if seed is None else int(seed)


def _bands(record, paths, horizons, samples, seed, scenario,
           defeat: bool = True) -> tuple[pd.DataFrame, list[tuple[str, str, str]]]:
    """:func:`backtest_bands`' frame and the (path, origin, reason) it left out."""
    paths = check_paths(paths)
    horizons = check_horizons(horizons)
    samples = check_samples(samples)
    seed = _check_seed(seed)
    record = _record(record)
    scenario = scenario if scenario is not None else Scenario.default()
    observed = record.set_index("month")
    rows, skipped = [], []
    for origin in origins(record):
        # the record up to the origin only, on its own day axis: day 0 = the day after it
        past = prepare_record(record[record["month"] <= origin])
        day0 = day_zero(past)
        months = months_after(origin, max(horizons), day0)
        months = months[months["horizon"].isin(horizons) & months["month"].isin(observed.index)]
        if months.empty:
            continue
        span = months_after(origin, int(months["horizon"].max()), day0)
        keep = span["horizon"].isin(months["horizon"]).to_numpy()
        draws, left_out = _project(past, origin, paths, span, samples, seed, scenario)
        skipped += left_out
        for path, values in draws.items():
            rows.append(months.assign(path=path, unit=UNIT, origin=origin,
                                      observed=observed.loc[months["month"], "uav_per_day"]
                                      .to_numpy(float), **_band_rows(values[:, keep])))
        if defeat:
            first = str(pd.Period(origin, "M") - (DEFEAT_FIT_MONTHS - 1))
            try:
                band = _defeat_band(past, (first, origin))
            except WhatifError as exc:  # too few months in the window, or no fit
                skipped.append((DEFEAT, origin, str(exc)))
                continue
            rows.append(months.assign(path=DEFEAT, unit="share", origin=origin,
                                      observed=observed.loc[months["month"], "neutralised_share"]
                                      .to_numpy(float), **band))
    columns = ["path", "unit", "origin", "horizon", "month", "date", "day", "observed",
               *QUANTILES]
    frame = pd.concat(rows, ignore_index=True)[columns] if rows else pd.DataFrame(
        {name: pd.Series(dtype=object if name in ("path", "unit", "origin", "month")
                         else float) for name in columns})
    frame["inside80"] = (frame["p10"] <= frame["observed"]) & (frame["observed"] <= frame["p90"])
    frame["inside90"] = (frame["p5"] <= frame["observed"]) & (frame["observed"] <= frame["p95"])
    frame["abs_log_error"] = np.abs(np.log(frame["observed"].astype(float)
                                           / frame["p50"].astype(float)))
    order = {name: i for i, name in enumerate((*PATHS, DEFEAT))}
    frame = frame.sort_values(["path", "horizon", "origin"], kind="stable",
                              key=lambda c: c.map(order) if c.name == "path" else c)
    return frame.reset_index(drop=True), skipped


NOT_IDENTIFIED = ("the fit is not identified here: its parameter draws give a non-finite "
                  "path")


def _project(past: pd.DataFrame, origin: str, paths: tuple[str, ...], months: pd.DataFrame,
             samples: int, seed: int | None, scenario: Scenario
             ) -> tuple[dict[str, np.ndarray], list[tuple[str, str, str]]]:
    """Draws of each path's month means from one origin (``past``: the record up to it,
    day 0 the day after it), and the paths left out (path, origin, reason)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # a degenerate fit: reported below
        try:
            # the backtest counts all UAVs: a Shahed share of 1 (production_now = UAV level)
            fit = fit_production(past.assign(shahed_share=1.0), (PRODUCTION_START, origin))
            assumption = level_assumption(fit)
        except (WhatifError, ArithmeticError, np.linalg.LinAlgError) as exc:
            what = "" if isinstance(exc, WhatifError) else f"{type(exc).__name__}: "
            reason = f"no production fit: {what}{exc}"
            return {}, [(path, origin, reason) for path in paths]
        level_rng, trend_rng, scatter_rng, target_rng = _streams(seed, origin)
        level = ppf(assumption, level_rng.random(samples), REGISTRY["production_now"])
        draws, skipped = {}, []
        if "trend" in paths:
            parameters = fit.draw(samples, trend_rng.integers(1 << 63, dtype=np.uint64))
            z = scatter_rng.standard_normal((samples, SCATTER_BLOCKS))
            values = project_trend(level, parameters, z, fit.sigma, months)
            if np.all(np.isfinite(values)):
                draws["trend"] = values
            else:
                skipped.append(("trend", origin, NOT_IDENTIFIED))
        if "target" in paths:
            target, ramp_days, logistic = _target_draws(scenario, target_rng.random((2, samples)))
            draws["target"] = project_target(level, target, ramp_days, logistic, months)
    return draws, skipped


# ---------------------------------------------------------------- scores

def scores(bands: pd.DataFrame) -> pd.DataFrame:
    """Per path and horizon: ``coverage80``, ``coverage90``, ``median_abs_log_error`` and
    ``origins`` (see the module docstring), indexed by (path, horizon)."""
    rows = []
    for (path, horizon), part in bands.groupby(["path", "horizon"], sort=False):
        rows.append({"path": path, "horizon": int(horizon),
                     "coverage80": float(part["inside80"].mean()),
                     "coverage90": float(part["inside90"].mean()),
                     "median_abs_log_error": float(part["abs_log_error"].median()),
                     "origins": int(len(part))})
    frame = pd.DataFrame(rows, columns=["path", "horizon", "coverage80", "coverage90",
                                        "median_abs_log_error", "origins"])
    return frame.set_index(["path", "horizon"])


@dataclass(frozen=True)
class Backtest:
    """A backtest's bands (:func:`backtest_bands`) and their :func:`scores`."""

    bands: pd.DataFrame
    scores: pd.DataFrame
    paths: tuple[str, ...]
    horizons: tuple[int, ...]
    samples: int
    seed: int | None
    record_months: tuple[str, str]
    skipped: tuple[tuple[str, str, str], ...] = ()  # (path, origin, reason) left out

    def _entry(self, path: str) -> dict[str, dict]:
        out = {}
        for horizon in self.horizons:
            if (path, horizon) in self.scores.index:
                row = self.scores.loc[(path, horizon)]
                out[str(horizon)] = {key: float(row[key]) for key in
                                     ("coverage80", "coverage90", "median_abs_log_error")}
                out[str(horizon)]["origins"] = int(row["origins"])
            else:
                out[str(horizon)] = {"coverage80": None, "coverage90": None,
                                     "median_abs_log_error": None, "origins": 0}
        return out

    def to_dict(self) -> dict:
        """``{"paths": {path: {horizon: scores}}, "defeat_rate": {horizon: scores}, ...}``;
        a horizon with no origin has ``origins`` 0 and the other scores ``None``."""
        return {"paths": {path: self._entry(path) for path in self.paths},
                "defeat_rate": self._entry(DEFEAT),
                "unit": UNIT, "rule": RULE, "samples": self.samples, "seed": self.seed,
                "record_months": list(self.record_months),
                "skipped": [{"path": path, "origin": origin, "reason": reason}
                            for path, origin, reason in self.skipped]}

    def best_path(self, horizon: int = 1) -> str | None:
        """The path whose 80 % and 90 % coverage are closest to nominal at ``horizon``
        (sum of the distances), the lower median abs log error breaking ties."""
        found = [(abs(row["coverage80"] - 0.8) + abs(row["coverage90"] - 0.9),
                  row["median_abs_log_error"], path)
                 for path in self.paths if (path, horizon) in self.scores.index
                 for row in [self.scores.loc[(path, horizon)]]]
        return min(found)[2] if found else None

    def lines(self) -> list[str]:
        """The scores as a table for a terminal."""
        out = [f"Backtest of the production paths on the launch record "
               f"({self.record_months[0]} to {self.record_months[1]}), {self.samples:,} "
               f"samples, seed {self.seed}.",
               "Production in UAVs launched/day (decoys included; launches ≈ output); "
               "defeat rate as a share.",
               f"Rule: {RULE}.", "",
               f"{'path':<12} {'horizon':>7} {'origins':>7} {'in P10-P90':>10} "
               f"{'in P5-P95':>9} {'median |log error|':>18}"]
        for path in (*self.paths, DEFEAT):
            for horizon, entry in self._entry(path).items():
                if entry["origins"]:
                    out.append(f"{path:<12} {horizon + ' mo':>7} {entry['origins']:>7} "
                               f"{entry['coverage80']:>10.0%} {entry['coverage90']:>9.0%} "
                               f"{entry['median_abs_log_error']:>18.3f}")
                else:
                    out.append(f"{path:<12} {horizon + ' mo':>7} {0:>7} {'-':>10} {'-':>9} "
                               f"{'-':>18}")
        for path, origin, reason in self.skipped:
            out.append(f"left out: {path} from {origin} ({reason})")
        return out


def backtest(record: pd.DataFrame | None = None, paths="all", horizons=DEFAULT_HORIZONS,
             samples: int = DEFAULT_SAMPLES, seed: int | None = 0,
             scenario: Scenario | None = None) -> Backtest:
    """Backtest the production paths and the defeat rate on the record (see the module
    docstring): :func:`backtest_bands` and its :func:`scores`; arguments as there."""
    paths, horizons = check_paths(paths), check_horizons(horizons)
    samples, seed = check_samples(samples), _check_seed(seed)
    record = _record(record)
    bands, skipped = _bands(record, paths, horizons, samples, seed, scenario)
    months = sorted(record["month"])
    return Backtest(bands, scores(bands), paths, horizons, samples, seed, (months[0], months[-1]),
                    tuple(skipped))
