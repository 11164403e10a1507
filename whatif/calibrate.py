"""Calibration: fit the model's baseline to the public launch record.

The record (``data/historical/uav_launches_monthly.csv``) gives, month by month, the
long-range UAVs the Ukrainian Air Force reported launched at Ukraine and the share
shot down or suppressed. Two of the model's assumptions are fitted to it:

``production_now`` [Shahed-type drones/day]
    The record is fitted by the calendar-time form of the model's own logistic
    production path (:func:`logistic_path`: a climb from ``start_level`` to
    ``end_level`` centred on ``midpoint_day``) by least squares on log monthly rates
    (``scipy.optimize.least_squares``; month-to-month scatter is multiplicative, as
    raids bunch). The fitted path's mean level on day 0 (the day after the record
    ends), times the Air Force's "of which Shahed-type" share, is the estimate of
    ``production_now``. This assumes launches ≈ output (no stock build-up); see
    ``docs/model.md``.
``defeat_rate`` [share]
    A constant share over a recent window, fitted by maximum binomial likelihood
    (``scipy.optimize.minimize_scalar`` on the logit) with a quasi-binomial
    dispersion, so its error reflects the month-to-month scatter, not only counts.

Every estimate carries a standard error and a 90 % interval (:class:`Estimate`).
``production_target`` and ``ramp_days`` are *not* fitted: the record shows the level
reached, not the climb to 1,000/day that Russia is said to plan; the model's ramp is
that stated aim.

>>> calibration = calibrate()
>>> estimate = calibration.production_now
>>> bool(estimate.low < estimate.value < estimate.high)
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from whatif.errors import ParameterError, WhatifError
from whatif.model.production import baseline_production, trend_factor, trend_parameters_into
from whatif.record import RECORD_PARTS, record_end
from whatif.resources import data_file

# RECORD_PATH, ESTIMATES_PATH, DAY_ZERO, PRODUCTION_WINDOW and DEFEAT_WINDOW follow the
# record in use ($WHATIF_DATA_DIR's, refreshed by `whatif record update`): see __getattr__.
PRODUCTION_START = "2024-01"  # the mass-production era (see fit_production)
DEFEAT_MONTHS = 12  # the defeat rate is fitted over the record's last twelve months
LEVEL = 0.90  # two-sided level of every interval
LOGISTIC_STEEPNESS = 10.0  # the model's logistic ramp spans 10 / growth_rate days


class CalibrationError(WhatifError):
    """A fit that could not be made (too few months, or the optimiser failed)."""


@dataclass(frozen=True)
class Estimate:
    """A fitted value with its standard error and ``level`` interval (same unit)."""

    name: str
    unit: str
    value: float
    standard_error: float
    low: float
    high: float
    level: float = LEVEL
    method: str = ""

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies inside the interval (the fit's stated error)."""
        return bool(self.low <= value <= self.high)

    def to_dict(self) -> dict:
        return {"name": self.name, "unit": self.unit, "value": self.value,
                "standard_error": self.standard_error, "low": self.low, "high": self.high,
                "level": self.level, "method": self.method}


# ---------------------------------------------------------------- the record (I/O)

def __getattr__(name: str):
    """Module names read from the record in use, when asked for (never stale):

    ``RECORD_PATH``, ``ESTIMATES_PATH`` (files of :func:`whatif.resources.data_dir`),
    ``DAY_ZERO`` (:func:`day_zero`: the day after the record ends, the model's day 0;
    2026-01-01 for the 2022–25 record), ``PRODUCTION_WINDOW`` and ``DEFEAT_WINDOW``
    (:func:`default_windows`: 2024-01..2025-12 and 2025-01..2025-12 for that record).
    """
    if name == "RECORD_PATH":
        return data_file(*RECORD_PARTS)
    if name == "ESTIMATES_PATH":
        return data_file("historical", "production_estimates.csv")
    if name == "DAY_ZERO":
        return day_zero()
    if name in ("PRODUCTION_WINDOW", "DEFEAT_WINDOW"):
        windows = default_windows(_read_months())
        return windows[0] if name == "PRODUCTION_WINDOW" else windows[1]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _read_months() -> pd.DataFrame:
    return pd.read_csv(data_file(*RECORD_PARTS), dtype={"month": str},
                       usecols=["month", "days_covered"])


def day_zero(record: pd.DataFrame | None = None) -> pd.Timestamp:
    """The model's day 0: the day after ``record`` ends (default: the record in use).

    A partial last month covers its first ``days_covered`` days
    (:func:`whatif.record.record_end`).
    """
    record = _read_months() if record is None else record
    if len(record) == 0:
        raise CalibrationError("the launch record holds no months")
    last = record.sort_values("month").iloc[-1]
    end = record_end(str(last["month"]), int(last["days_covered"]), len(record) == 1)
    return pd.Timestamp(end) + pd.Timedelta(days=1)


def default_windows(record: pd.DataFrame) -> tuple[tuple[str, str], tuple[str, str]]:
    """The fits' windows (YYYY-MM) on ``record``: production from :data:`PRODUCTION_START`
    and the defeat rate over the last :data:`DEFEAT_MONTHS` months, both to its last month."""
    last = pd.Period(str(record["month"].max()), freq="M")
    return (PRODUCTION_START, str(last)), (str(last - (DEFEAT_MONTHS - 1)), str(last))


def load_record(path: str | Path | None = None) -> pd.DataFrame:
    """The monthly launch record with daily rates and each month's mid-point day.

    Columns added: ``uav_per_day`` [UAVs/day] (launched / days covered), ``day``
    [days, negative: the month's mid-point relative to day 0, the day after it ends],
    ``neutralised`` [UAVs] (share × launched) and ``shahed_share`` (NaN where the
    Air Force gave no "of which Shaheds" figure).
    """
    frame = pd.read_csv(path or data_file(*RECORD_PARTS), dtype={"month": str})
    return prepare_record(frame)


def load_production_estimates(path: str | Path | None = None) -> pd.DataFrame:
    """Public production estimates (one cited source per row) on the record's day axis.

    Adds ``day`` (the middle of the estimate's month, days from :data:`DAY_ZERO`) and
    ``includes_decoys`` (the figure counts decoys as well as strike drones).
    """
    frame = pd.read_csv(path or data_file("historical", "production_estimates.csv"),
                        dtype={"date": str})
    months = pd.PeriodIndex(frame["date"], freq="M")
    middle = months.start_time + pd.to_timedelta(months.days_in_month / 2.0, unit="D")
    frame["day"] = ((middle - day_zero()) / pd.Timedelta(days=1)).to_numpy(float)
    frame["includes_decoys"] = frame["types"].str.contains("decoy", case=False)
    return frame


def prepare_record(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the derived columns of :func:`load_record` to a monthly frame (pure).

    Days count from the frame's own day 0 (:func:`day_zero` of it). A partial first month
    covers its last days, a partial last month its first days; mid-points follow.
    """
    frame = frame.copy()
    months = pd.PeriodIndex(frame["month"], freq="M")
    half = pd.to_timedelta(frame["days_covered"].to_numpy(float) / 2.0, unit="D")
    midpoint = (months.start_time + half).to_numpy().copy()
    if len(frame):  # the first month ends on its last day
        midpoint[0] = (months[:1].end_time.normalize() + pd.Timedelta(days=1) - half[:1])[0]
    frame["date"] = midpoint
    frame["day"] = ((frame["date"] - day_zero(frame)) / pd.Timedelta(days=1)).to_numpy(float)
    frame["uav_per_day"] = frame["uav_launched"] / frame["days_covered"]
    frame["neutralised"] = frame["neutralised_share"] * frame["uav_launched"]
    frame["shahed_share"] = pd.to_numeric(frame.get("shahed_share_where_reported"), errors="coerce")
    return frame


def _window(record: pd.DataFrame, window: tuple[str, str], what: str, minimum: int) -> pd.DataFrame:
    first, last = window
    part = record[(record["month"] >= first) & (record["month"] <= last)]
    if len(part) < minimum:
        raise ParameterError(
            f"{what} window", f"{first}..{last} holds {len(part)} months of the record; "
                              f"allowed a window with at least {minimum} months")
    return part


# ---------------------------------------------------------------- production path

def logistic_path(day, start_level, end_level, midpoint_day, growth_rate):
    """The model's logistic production path in calendar time [drones/day].

    ``start + (end - start) / (1 + exp(-r (day - midpoint)))``: the shape of the
    model's logistic ramp (``ramp_shape: logistic``), whose ramp of ``R`` days has
    ``r = 10 / R``. Broadcasts over all arguments.

    >>> float(logistic_path(0.0, 10.0, 110.0, 0.0, 0.02))
    60.0
    """
    day = np.asarray(day, dtype=float)
    return start_level + (end_level - start_level) * special.expit(
        growth_rate * (day - midpoint_day))


_PATH_PARAMETERS = ("start_level", "end_level", "midpoint_day", "growth_rate")


def _log_path(x: np.ndarray, day: np.ndarray) -> np.ndarray:
    log_start, log_end, midpoint, log_rate = x
    return np.log(logistic_path(day, math.exp(log_start), math.exp(log_end), midpoint,
                                math.exp(log_rate)))


def _log_path_gradient(x: np.ndarray, day: np.ndarray) -> np.ndarray:
    """d log path / d x at each day, by central differences: shape (len(day), 4)."""
    step = np.array([1e-6, 1e-6, 1e-3, 1e-6])
    columns = []
    for i in range(4):
        up, down = x.copy(), x.copy()
        up[i] += step[i]
        down[i] -= step[i]
        columns.append((_log_path(up, day) - _log_path(down, day)) / (2 * step[i]))
    return np.stack(columns, axis=-1)


@dataclass(frozen=True)
class ProductionFit:
    """The logistic path fitted to UAV launches per day, and ``production_now``.

    ``x`` holds (log start level, log end level, midpoint day, log growth rate);
    ``covariance`` is its covariance (``s² (JᵀJ)⁻¹``); ``sigma`` the residual
    standard deviation of log monthly rates; ``dof`` the residual degrees of freedom.
    """

    x: np.ndarray
    covariance: np.ndarray
    sigma: float
    dof: int
    window: tuple[str, str]
    months: int
    uav_level: Estimate
    shahed_share: Estimate
    production_now: Estimate
    residuals: np.ndarray = field(repr=False)

    @property
    def parameters(self) -> dict[str, float]:
        """The path's parameters: levels [UAVs/day], midpoint [day], growth rate [1/day]."""
        log_start, log_end, midpoint, log_rate = self.x
        return {"start_level": math.exp(log_start), "end_level": math.exp(log_end),
                "midpoint_day": float(midpoint), "growth_rate": math.exp(log_rate)}

    @property
    def standard_errors(self) -> dict[str, float]:
        """Standard errors of :attr:`parameters` (delta method for the logged ones)."""
        se = np.sqrt(np.diag(self.covariance))
        values = self.parameters
        return {"start_level": values["start_level"] * se[0],
                "end_level": values["end_level"] * se[1],
                "midpoint_day": float(se[2]), "growth_rate": values["growth_rate"] * se[3]}

    @property
    def ramp_days(self) -> float:
        """The fitted climb's length in the model's terms, ``10 / growth_rate`` [days]."""
        return LOGISTIC_STEEPNESS / self.parameters["growth_rate"]

    @property
    def covariance_root(self) -> np.ndarray:
        """A square root ``R`` of :attr:`covariance` (``R @ R.T``), from its eigenvectors."""
        values, vectors = np.linalg.eigh(self.covariance)
        return vectors * np.sqrt(np.clip(values, 0.0, None))

    def draw(self, samples: int, key: int | np.uint64, origin_day: float = 0.0) -> np.ndarray:
        """Draws of the path's parameters for the ``trend`` production path.

        Returns ``(samples, 4)``: start level, end level [UAVs/day], midpoint [days from
        ``origin_day``, the projection's day 0] and growth rate [1/day], the fitted
        ``x`` plus multivariate Student-t noise of :attr:`covariance` (``dof`` degrees of
        freedom, as the fit's intervals). Row ``s`` draws from the counter-based stream of
        ``key`` and ``s`` (:func:`whatif.model.production.trend_parameters_into`, as Monte
        Carlo runs do), so the first rows are the same whatever ``samples``.
        ``samples = 0`` gives no rows; use :meth:`central` for the fitted values. Pass
        them to :func:`whatif.model.production.trend_factor`.
        """
        out = np.empty((4, max(int(samples), 0)))
        if samples > 0:
            trend_parameters_into(np.uint64(key), self.center(origin_day),
                                  self.covariance_root, float(self.dof), out)
        return out.T

    def center(self, origin_day: float = 0.0) -> np.ndarray:
        """The fitted ``x`` (log start, log end, midpoint, log rate) with the midpoint in
        days from ``origin_day`` [log UAVs/day, days, log 1/day]."""
        return np.ascontiguousarray(self.x - np.array([0.0, 0.0, origin_day, 0.0]))

    def central(self, origin_day: float = 0.0) -> np.ndarray:
        """The fitted path's parameters as one row of :meth:`draw` (shape (4,))."""
        values = self.parameters
        return np.array([values["start_level"], values["end_level"],
                         values["midpoint_day"] - origin_day, values["growth_rate"]])

    def path(self, day, level: float = LEVEL) -> pd.DataFrame:
        """The fitted mean path of UAVs launched per day at ``day`` (days from day 0).

        Columns: ``day``, ``median`` (the fitted curve), ``mean`` (× exp(σ²/2): the
        expected monthly rate under log-normal scatter), ``low``/``high`` (``level``
        confidence band of the mean), ``predicted_low``/``predicted_high`` (where a
        single month is expected to fall).
        """
        day = np.atleast_1d(np.asarray(day, dtype=float))
        log_median = _log_path(self.x, day)
        gradient = _log_path_gradient(self.x, day)
        se = np.sqrt(np.einsum("ij,jk,ik->i", gradient, self.covariance, gradient))
        t = stats.t.ppf(0.5 + level / 2, self.dof)
        shift = 0.5 * self.sigma ** 2
        spread = np.sqrt(se ** 2 + self.sigma ** 2)
        return pd.DataFrame({
            "day": day,
            "median": np.exp(log_median),
            "mean": np.exp(log_median + shift),
            "low": np.exp(log_median + shift - t * se),
            "high": np.exp(log_median + shift + t * se),
            "predicted_low": np.exp(log_median - t * spread),
            "predicted_high": np.exp(log_median + t * spread),
        })


def fit_strike_share(record: pd.DataFrame, level: float = LEVEL) -> Estimate:
    """Share of launched UAVs that were Shahed-type strike drones (not decoys) [share].

    The mean of the months in which the Air Force gave an "of which ≈N Shaheds"
    figure, with the standard error of that mean (``t`` interval, n − 1 dof).
    """
    shares = record["shahed_share"].dropna().to_numpy(float)
    if shares.size < 2:
        raise CalibrationError("the record reports the Shahed share in fewer than 2 months")
    mean = float(shares.mean())
    se = float(shares.std(ddof=1) / math.sqrt(shares.size))
    t = stats.t.ppf(0.5 + level / 2, shares.size - 1)
    return Estimate("shahed_share", "share", mean, se, mean - t * se, mean + t * se, level,
                    f"mean of the {shares.size} months with an 'of which Shaheds' figure")


def fit_production(record: pd.DataFrame, window: tuple[str, str] | None = None,
                   level: float = LEVEL) -> ProductionFit:
    """Fit the model's logistic path to UAV launches per day over ``window`` (YYYY-MM;
    default: :data:`PRODUCTION_START` to the record's last month).

    The default window starts in January 2024: mass production at Alabuga; the
    2022–23 months are thinner than official totals and came largely from Iranian
    supply. ``production_now`` = mean fitted level on day 0 × :func:`fit_strike_share`;
    its interval combines both errors on the log scale (Welch–Satterthwaite dof).
    """
    window = window or default_windows(record)[0]
    part = _window(record, window, "production", 8)
    day = part["day"].to_numpy(float)
    log_rate = np.log(part["uav_per_day"].to_numpy(float))
    if not np.all(np.isfinite(log_rate)):
        raise CalibrationError("a month in the production window has no launches")
    head, tail = log_rate[:3].mean(), log_rate[-3:].mean()
    start = np.array([min(head, tail) - 0.1, max(head, tail) + 0.1, day.mean(),
                      math.log(8.0 / (day.max() - day.min()))])
    solution = optimize.least_squares(lambda x: _log_path(x, day) - log_rate, start,
                                      method="lm", x_scale=np.array([1.0, 1.0, 100.0, 1.0]))
    if not solution.success:
        raise CalibrationError(f"the production fit did not converge: {solution.message}")
    dof = day.size - start.size
    sigma2 = float(solution.fun @ solution.fun) / dof
    jacobian = _log_path_gradient(solution.x, day)
    covariance = sigma2 * np.linalg.pinv(jacobian.T @ jacobian)

    # mean level on day 0 and its error on the log scale
    at_zero = _log_path(solution.x, np.array([0.0]))[0] + sigma2 / 2
    gradient = _log_path_gradient(solution.x, np.array([0.0]))[0]
    var_level = float(gradient @ covariance @ gradient)
    t_level = stats.t.ppf(0.5 + level / 2, dof)
    level_value = math.exp(at_zero)
    se_level = math.sqrt(var_level)
    uav_level = Estimate(
        "uav_level", "UAVs/day", level_value, level_value * se_level,
        math.exp(at_zero - t_level * se_level), math.exp(at_zero + t_level * se_level), level,
        f"logistic path fitted to {day.size} months ({window[0]}..{window[1]}), "
        "mean level on day 0")

    share = fit_strike_share(record, level)
    var_share = (share.standard_error / share.value) ** 2
    shares_n = int(record["shahed_share"].notna().sum())
    combined_var = var_level + var_share
    combined_dof = combined_var ** 2 / (var_level ** 2 / dof + var_share ** 2 / (shares_n - 1))
    t_combined = stats.t.ppf(0.5 + level / 2, combined_dof)
    log_value = at_zero + math.log(share.value)
    production_now = Estimate(
        "production_now", "drones/day", math.exp(log_value),
        math.exp(log_value) * math.sqrt(combined_var),
        math.exp(log_value - t_combined * math.sqrt(combined_var)),
        math.exp(log_value + t_combined * math.sqrt(combined_var)), level,
        "fitted UAV level on day 0 × Shahed-type share (launches ≈ output)")
    return ProductionFit(solution.x, covariance, math.sqrt(sigma2), dof, tuple(window),
                         int(day.size), uav_level, share, production_now, solution.fun)


# ---------------------------------------------------------------- defeat rate

def fit_defeat_rate(record: pd.DataFrame, window: tuple[str, str] | None = None,
                    level: float = LEVEL) -> Estimate:
    """Share of launched UAVs shot down or suppressed over ``window`` [share] (default:
    the record's last :data:`DEFEAT_MONTHS` months).

    Maximum binomial likelihood of a constant share (fitted on the logit with
    ``scipy.optimize.minimize_scalar``); the variance is inflated by the Pearson
    dispersion of the months, so the interval reflects how much months differ.
    """
    window = window or default_windows(record)[1]
    part = _window(record, window, "defeat rate", 3)
    launched = part["uav_launched"].to_numpy(float)
    neutralised = part["neutralised"].to_numpy(float)

    def negative_log_likelihood(logit: float) -> float:
        p = 1.0 / (1.0 + math.exp(-logit))
        return -float(np.sum(neutralised * math.log(p) + (launched - neutralised) * math.log1p(-p)))

    solution = optimize.minimize_scalar(negative_log_likelihood, bounds=(-10.0, 10.0),
                                        method="bounded", options={"xatol": 1e-10})
    if not solution.success:
        raise CalibrationError(f"the defeat-rate fit did not converge: {solution.message}")
    p = 1.0 / (1.0 + math.exp(-solution.x))
    pearson = (neutralised - launched * p) / np.sqrt(launched * p * (1 - p))
    dof = part.shape[0] - 1
    dispersion = max(1.0, float(pearson @ pearson) / dof)
    se_logit = math.sqrt(dispersion / (launched.sum() * p * (1 - p)))
    t = stats.t.ppf(0.5 + level / 2, dof)

    def expit(x: float) -> float:
        return 1.0 / (1.0 + math.exp(-x))

    return Estimate("defeat_rate", "share", p, p * (1 - p) * se_logit,
                    expit(solution.x - t * se_logit), expit(solution.x + t * se_logit), level,
                    f"constant share over {part.shape[0]} months ({window[0]}..{window[1]}), "
                    f"quasi-binomial (dispersion {dispersion:.0f})")


# ---------------------------------------------------------------- together

@dataclass(frozen=True)
class Calibration:
    """The record and the fits of ``production_now`` and ``defeat_rate`` to it."""

    record: pd.DataFrame = field(repr=False)
    production: ProductionFit
    defeat_rate: Estimate
    defeat_rate_window: tuple[str, str] | None = None  # None: the record's last 12 months

    def __post_init__(self) -> None:
        if self.defeat_rate_window is None:
            object.__setattr__(self, "defeat_rate_window", default_windows(self.record)[1])

    @property
    def production_now(self) -> Estimate:
        return self.production.production_now

    @property
    def estimates(self) -> dict[str, Estimate]:
        """The fitted assumptions by name."""
        return {"production_now": self.production_now, "defeat_rate": self.defeat_rate}

    def check(self, values: dict[str, float]) -> pd.DataFrame:
        """Compare assumption values (e.g. a scenario's central ones) with the fits.

        One row per fitted assumption: ``value``, ``fitted``, ``low``, ``high``, ``unit``
        and ``within`` (inside the fit's interval).
        """
        rows = []
        for name, estimate in self.estimates.items():
            value = float(values[name])
            rows.append({"assumption": name, "unit": estimate.unit, "value": value,
                         "fitted": estimate.value, "low": estimate.low, "high": estimate.high,
                         "within": estimate.contains(value)})
        return pd.DataFrame(rows).set_index("assumption")

    def to_dict(self) -> dict:
        return {"production_now": self.production_now.to_dict(),
                "defeat_rate": self.defeat_rate.to_dict(),
                "uav_level": self.production.uav_level.to_dict(),
                "shahed_share": self.production.shahed_share.to_dict(),
                "defeat_rate_window": list(self.defeat_rate_window),
                "path": {**self.production.parameters, "sigma_log": self.production.sigma,
                         "window": list(self.production.window)}}


def calibrate(record: pd.DataFrame | None = None, production_window=None,
              defeat_window=None, level: float = LEVEL) -> Calibration:
    """Fit ``production_now`` and ``defeat_rate`` to the record (default: the one in use).

    Windows (YYYY-MM pairs) default to :func:`default_windows` of the record.
    """
    if not 0.0 < level < 1.0:
        raise ParameterError("level", f"{level!r} is not allowed; allowed 0 < level < 1")
    record = (load_record() if record is None
              else prepare_record(record) if "day" not in record else record)
    production_default, defeat_default = default_windows(record)
    defeat_window = tuple(defeat_window or defeat_default)
    return Calibration(record, fit_production(record, production_window or production_default,
                                              level),
                       fit_defeat_rate(record, defeat_window, level), defeat_window)


_CALIBRATIONS: dict[tuple, Calibration] = {}


def calibrate_cached() -> Calibration:
    """:func:`calibrate` on the record in use (``$WHATIF_DATA_DIR``'s, or the bundled one)
    with the default windows; cached while the file is unchanged (the app checks every
    change against it, and the trend path reads its fit)."""
    path = data_file("historical", "uav_launches_monthly.csv")
    try:
        stat = path.stat()
    except OSError as exc:
        raise CalibrationError(f"the launch record {path} cannot be read: "
                               f"{exc.strerror or exc}") from None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _CALIBRATIONS:
        _CALIBRATIONS.clear()
        _CALIBRATIONS[key] = calibrate(load_record(path))
    return _CALIBRATIONS[key]


def production_fit() -> ProductionFit:
    """The production path fitted to the record in use, over the default window (the fit
    of :func:`calibrate_cached`): what the ``trend`` path projects."""
    return calibrate_cached().production


def model_baseline(values: dict[str, float], days) -> np.ndarray:
    """The model's baseline production [drones/day] on ``days`` (≥ 0) for given values.

    ``values`` needs ``production_now``, ``production_target``, ``ramp_days`` and
    ``ramp_shape`` ("linear" or "logistic") for the stated climb; ``production_path``
    ("target" if absent) chooses the path: ``trend`` scales the fit to the record in use
    (:func:`production_fit`, its central parameters, no scatter), ``custom`` interpolates
    ``production_points``. Each day is taken at its middle (``day + 0.5``).
    """
    days = np.asarray(days, dtype=float)
    path = values.get("production_path", "target")
    if path == "trend":
        return float(values["production_now"]) * np.asarray(
            trend_factor(days + 0.5, *production_fit().central()), dtype=float)
    if path == "custom":
        points = np.asarray(values["production_points"], dtype=float).reshape(-1, 2)
        return np.interp(days + 0.5, points[:, 0], points[:, 1])
    logistic = 1 if values.get("ramp_shape", "linear") == "logistic" else 0
    return np.asarray(baseline_production(days + 0.5, float(values["production_now"]),
                                          float(values["production_target"]),
                                          float(values["ramp_days"]), logistic), dtype=float)


BASELINE_INPUTS = ("production_now", "production_target", "ramp_days", "ramp_shape", "defeat_rate",
                   "production_path", "production_points")


def central_values(scenario) -> dict:
    """A scenario's central values of the assumptions the comparison needs."""
    return {name: scenario.central(name) for name in BASELINE_INPUTS}


def comparison(calibration: Calibration, values, days_after: int = 365) -> dict:
    """The record beside the model's baseline, on one day axis (day 0: the record's end).

    ``values`` is a :class:`~whatif.scenario.Scenario` or a mapping of
    :data:`BASELINE_INPUTS` to central values.

    Returns frames for charts: ``record`` (month, day, UAVs/day, neutralised share),
    ``fit`` (the fitted path of all UAVs/day and its band over the window),
    ``shahed_fit`` (that path × Shahed share over the months the share is reported
    and up to day 0), ``baseline`` (the model's strike-drone baseline over
    ``days_after`` days) and ``check`` (:meth:`Calibration.check`).
    """
    if hasattr(values, "central"):
        values = central_values(values)
    fit = calibration.production
    record = calibration.record
    window = record[(record["month"] >= fit.window[0]) & (record["month"] <= fit.window[1])]
    fit_days = np.linspace(window["day"].min(), 0.0, 120)
    share = fit.shahed_share.value
    reported = record.loc[record["shahed_share"].notna(), "day"]
    share_days = np.linspace(reported.min() if len(reported) else -30.0, 0.0, 30)
    shahed = fit.path(share_days)
    baseline_days = np.arange(0, int(days_after), dtype=float)
    return {
        "record": record[["month", "date", "day", "uav_per_day", "neutralised_share",
                          "shahed_share"]],
        "fit": fit.path(fit_days),
        "shahed_fit": pd.DataFrame({"day": share_days, "mean": shahed["mean"] * share}),
        "baseline": pd.DataFrame({"day": baseline_days,
                                  "production": model_baseline(values, baseline_days)}),
        "check": calibration.check(values),
    }


# ---------------------------------------------------------------- synthetic data

def synthetic_record(start_level: float = 12.0, end_level: float = 160.0,
                     midpoint_day: float = -380.0, growth_rate: float = 0.02,
                     sigma: float = 0.25, defeat_rate: float = 0.86,
                     defeat_spread: float = 0.03, shahed_share: float = 0.6,
                     first_month: str = "2024-01", last_month: str = "2025-12",
                     seed: int = 0) -> pd.DataFrame:
    """A monthly record drawn from known parameters, shaped like the real one.

    Monthly rates scatter log-normally (``sigma``) about :func:`logistic_path`; each
    month's neutralised share scatters about ``defeat_rate`` on the logit scale
    (standard deviation ``defeat_spread`` on the share scale, near the mean); the
    last six months report a Shahed share scattered by ±0.03 about ``shahed_share``.
    Used to show the fits recover what made the data.
    """
    rng = np.random.default_rng(seed)
    months = pd.period_range(first_month, last_month, freq="M")
    frame = pd.DataFrame({"month": months.strftime("%Y-%m"), "days_covered": months.days_in_month})
    frame = prepare_record(frame.assign(uav_launched=1.0, neutralised_share=0.0))
    rate = logistic_path(frame["day"].to_numpy(), start_level, end_level, midpoint_day, growth_rate)
    per_day = rate * np.exp(rng.normal(0.0, sigma, len(frame)))
    launched = np.round(per_day * frame["days_covered"].to_numpy())
    logit_sd = defeat_spread / (defeat_rate * (1 - defeat_rate))
    logit = math.log(defeat_rate / (1 - defeat_rate)) + rng.normal(0.0, logit_sd, len(frame))
    share = np.full(len(frame), np.nan)
    share[-6:] = shahed_share + rng.uniform(-0.03, 0.03, 6)
    frame = frame[["month", "days_covered"]].assign(
        uav_launched=launched, neutralised_share=1.0 / (1.0 + np.exp(-logit)),
        shahed_share_where_reported=share)
    return prepare_record(frame)
