"""Calibration: the fits recover known parameters from synthetic records, their intervals
cover the truth at the stated rate, and the default scenario matches the real record."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from whatif.calibrate import (
    DAY_ZERO,
    Calibration,
    CalibrationError,
    calibrate,
    central_values,
    comparison,
    fit_defeat_rate,
    fit_production,
    load_record,
    logistic_path,
    model_baseline,
    production_fit,
    synthetic_record,
)
from whatif.errors import ParameterError
from whatif.model.production import trend_factor
from whatif.params import REGISTRY
from whatif.scenario import Scenario

TRUE_PATH = {"start_level": 12.0, "end_level": 160.0, "midpoint_day": -380.0, "growth_rate": 0.02}


@pytest.fixture(scope="module")
def real() -> Calibration:
    return calibrate()


def test_logistic_path_analytic():
    assert logistic_path(-380.0, 12.0, 160.0, -380.0, 0.02) == pytest.approx(86.0)
    assert logistic_path(1e6, 12.0, 160.0, 0.0, 0.02) == pytest.approx(160.0)
    assert logistic_path(-1e6, 12.0, 160.0, 0.0, 0.02) == pytest.approx(12.0)
    # one over e of the way from the midpoint: 1/(1+e^-1)
    assert logistic_path(50.0, 0.0, 1.0, 0.0, 0.02) == pytest.approx(1 / (1 + math.exp(-1)))


def test_record_covers_the_whole_air_force_series():
    record = load_record()
    assert record["month"].iloc[0] == "2022-09" and record["month"].iloc[-1] == "2025-12"
    assert len(record) == 40
    # every row carries its own citation
    assert record["source"].str.len().min() > 20
    assert record["source_url"].str.startswith("https://").all()
    assert set(record["reliability"]) == {"A"}
    # daily rates use the days covered: Sep 2022 is 3 days, Dec 2025 31
    assert record.loc[record["month"] == "2022-09", "uav_per_day"].item() == pytest.approx(7 / 3)
    december = record.loc[record["month"] == "2025-12", "uav_per_day"].item()
    assert december == pytest.approx(5131 / 31)
    # mid-points sit before day 0: mid-December is 15.5 days before 1 January 2026
    assert record["day"].iloc[-1] == pytest.approx(-15.5)
    assert DAY_ZERO == pd.Timestamp("2026-01-01")
    # yearly totals as in the fact sheet (FACTS §2b)
    year = record["month"].str[:4]
    assert record.groupby(year)["uav_launched"].sum().to_dict() == {
        "2022": 387, "2023": 3073, "2024": 10855, "2025": 54397}


def test_fit_recovers_the_parameters_of_noise_free_data():
    record = synthetic_record(**TRUE_PATH, sigma=1e-4, defeat_rate=0.86, defeat_spread=1e-5, seed=3)
    fit = fit_production(record)
    for name, value in TRUE_PATH.items():
        assert fit.parameters[name] == pytest.approx(value, rel=2e-3, abs=0.2), name
    assert fit.sigma < 2e-3
    assert fit_defeat_rate(record).value == pytest.approx(0.86, abs=1e-4)
    # the fitted ramp is the model's: 10 / r days
    assert fit.ramp_days == pytest.approx(10 / 0.02, rel=2e-3)


def test_intervals_cover_the_truth_at_the_stated_rate():
    """120 synthetic records made with known parameters: each 90 % interval (of the four
    path parameters, of the level on day 0, of production_now and of the defeat rate)
    covers the truth in about 90 % of them."""
    truth_level = logistic_path(0.0, **TRUE_PATH) * math.exp(0.25 ** 2 / 2)
    truth_x = np.array([math.log(12.0), math.log(160.0), -380.0, math.log(0.02)])
    hits = dict.fromkeys(["uav_level", "production_now", "defeat_rate", *TRUE_PATH], 0)
    runs = 120
    sigmas = []
    for seed in range(runs):
        calibration = calibrate(
            synthetic_record(**TRUE_PATH, sigma=0.25, defeat_rate=0.86, seed=seed))
        fit = calibration.production
        hits["uav_level"] += calibration.production.uav_level.contains(truth_level)
        hits["production_now"] += calibration.production_now.contains(truth_level * 0.6)
        hits["defeat_rate"] += calibration.defeat_rate.contains(0.86)
        t = stats.t.ppf(0.95, fit.dof)
        inside = np.abs(fit.x - truth_x) <= t * np.sqrt(np.diag(fit.covariance))
        for name, ok in zip(TRUE_PATH, inside, strict=True):
            hits[name] += bool(ok)
        sigmas.append(fit.sigma)
    # nominal 90 %: with 120 runs, 80–98 % is within ±2.7 binomial standard errors
    for name, count in hits.items():
        assert 0.80 <= count / runs <= 0.98, (name, count)
    assert np.median(sigmas) == pytest.approx(0.25, rel=0.1)


# --- the production fit's standard errors, computed independently ----------------------

TRUE_X = np.array([math.log(12.0), math.log(160.0), -380.0, math.log(0.02)])


def _log_path_jacobian(x: np.ndarray, day: np.ndarray) -> np.ndarray:
    """d log(path) / d (log start, log end, midpoint, log rate), by hand (not by differences):
    path = S + (E − S) g with g = expit(r (day − m))."""
    start, end, midpoint, rate = math.exp(x[0]), math.exp(x[1]), x[2], math.exp(x[3])
    g = 1.0 / (1.0 + np.exp(-rate * (day - midpoint)))
    path = start + (end - start) * g
    slope = (end - start) * g * (1.0 - g) * rate / path
    return np.stack([start * (1.0 - g) / path, end * g / path, -slope, slope * (day - midpoint)],
                    axis=1)


def _production_data(record):
    part = record[(record["month"] >= "2024-01") & (record["month"] <= "2025-12")]
    return part["day"].to_numpy(float), np.log(part["uav_per_day"].to_numpy(float))


@pytest.mark.parametrize("which", ["real", "synthetic"])
def test_production_covariance_is_s2_inverse_jtj_with_the_exact_jacobian(real, which):
    record = real.record if which == "real" else synthetic_record(**TRUE_PATH, sigma=0.25, seed=7)
    fit = real.production if which == "real" else fit_production(record)
    day, log_rate = _production_data(record)
    residuals = log_rate - np.log(logistic_path(day, *fit.parameters.values()))
    s2 = residuals @ residuals / (day.size - 4)
    assert fit.dof == day.size - 4 == 20 and fit.sigma == pytest.approx(math.sqrt(s2), rel=1e-9)
    jacobian = _log_path_jacobian(fit.x, day)
    expected = s2 * np.linalg.inv(jacobian.T @ jacobian)
    np.testing.assert_allclose(fit.covariance, expected, rtol=1e-6)


def test_production_standard_errors_match_scipy_curve_fit(real):
    # curve_fit on the same log-rate problem, in the path's own parameters (levels in
    # UAVs/day, not logged): its pcov must give the delta-method errors the fit reports
    day, log_rate = _production_data(real.record)
    fit = real.production
    popt, pcov = optimize.curve_fit(lambda d, s, e, m, r: np.log(logistic_path(d, s, e, m, r)),
                                    day, log_rate, p0=list(fit.parameters.values()))
    np.testing.assert_allclose(popt, list(fit.parameters.values()), rtol=1e-4)
    np.testing.assert_allclose(np.sqrt(np.diag(pcov)), list(fit.standard_errors.values()),
                               rtol=1e-4)
    # as printed in the app and the CLI, e.g. the end level 157 ± 15 UAVs/day
    assert fit.standard_errors["end_level"] == pytest.approx(14.89, abs=0.01)
    assert fit.standard_errors["midpoint_day"] == pytest.approx(20.33, abs=0.01)


def test_production_standard_errors_for_records_with_known_noise():
    """Records drawn with log-normal scatter σ = 0.25 about a known path: the errors the
    fit reports are σ √diag((J₀ᵀJ₀)⁻¹) at the true parameters (to ~10 %: s estimates σ
    from 20 dof), and the fitted parameters scatter from record to record by about that."""
    runs = 150
    fits = [fit_production(synthetic_record(**TRUE_PATH, sigma=0.25, seed=seed))
            for seed in range(runs)]
    day, _ = _production_data(synthetic_record(**TRUE_PATH, sigma=0.25, seed=0))
    jacobian = _log_path_jacobian(TRUE_X, day)
    expected = 0.25 * np.sqrt(np.diag(np.linalg.inv(jacobian.T @ jacobian)))
    reported = np.median([np.sqrt(np.diag(f.covariance)) for f in fits], axis=0)
    np.testing.assert_allclose(reported, expected, rtol=0.10)
    # the fits' actual scatter: 10–17 % above the linearised errors (the path is not linear
    # in its parameters and 24 months are few); the standard deviation of 150 is ±6 %
    scatter = np.std([f.x for f in fits], axis=0, ddof=1)
    assert np.all((scatter > 0.9 * expected) & (scatter < 1.3 * expected)), scatter / expected
    # twice the noise, twice the errors
    doubled = [fit_production(synthetic_record(**TRUE_PATH, sigma=0.5, seed=seed))
               for seed in range(40)]
    ratio = (np.median([np.sqrt(np.diag(f.covariance)) for f in doubled], axis=0)
             / np.median([np.sqrt(np.diag(f.covariance)) for f in fits[:40]], axis=0))
    assert np.all((ratio > 1.6) & (ratio < 2.5)), ratio


def test_the_real_fit(real):
    fit = real.production
    # December 2025 was 5,131 UAVs (166/day); the path levels off near 157/day (median)
    assert 140 < fit.parameters["end_level"] < 175
    assert fit.uav_level.low < 5131 / 31 < fit.uav_level.high
    # production_now = level × share, and the interval brackets the value
    assert real.production_now.value == pytest.approx(
        fit.uav_level.value * fit.shahed_share.value, rel=1e-12)
    assert real.production_now.low < real.production_now.value < real.production_now.high
    # the fact sheet's derived Q4 2025 figure (≈103 Shahed-type a day) is inside
    assert real.production_now.contains(103)
    # defeat rate: 2025 pooled (destroyed + lost) / launched
    part = real.record[real.record["month"].str.startswith("2025")]
    pooled = (part["neutralised"].sum() / part["uav_launched"].sum())
    assert real.defeat_rate.value == pytest.approx(pooled, abs=1e-6)
    assert 0.80 < real.defeat_rate.low < real.defeat_rate.value < real.defeat_rate.high < 0.92


def test_default_scenario_matches_the_record_within_the_fits_error(real):
    """The defaults were fitted to the record: each lies inside its fit's 90 % interval,
    and is the fitted value rounded as the registry states it."""
    defaults = {name: REGISTRY[name].default.central for name in ("production_now", "defeat_rate")}
    check = real.check(defaults)
    assert check["within"].all(), check
    assert defaults["production_now"] == round(real.production_now.value)
    assert defaults["defeat_rate"] == round(real.defeat_rate.value, 2)
    # and the record's months fall inside the fit's prediction band at about the stated rate
    fit = real.production
    window = real.record[real.record["month"] >= fit.window[0]]
    band = fit.path(window["day"].to_numpy())
    inside = ((window["uav_per_day"].to_numpy() >= band["predicted_low"].to_numpy())
              & (window["uav_per_day"].to_numpy() <= band["predicted_high"].to_numpy()))
    assert inside.mean() >= 0.8


def test_model_baseline_is_the_models_path():
    values = {"production_now": 100.0, "production_target": 1000.0, "ramp_days": 365.0,
              "ramp_shape": "linear"}
    days = np.array([0.0, 72.5 - 0.5, 364.0, 400.0])
    # a day's value is the day's average: day 72 averages t = 72..73, i.e. 72.5
    assert model_baseline(values, days) == pytest.approx(
        [100 + 900 * 0.5 / 365, 100 + 900 * 72.5 / 365, 100 + 900 * 364.5 / 365, 1000.0])


def test_comparison_puts_record_and_baseline_on_one_axis(real):
    values = central_values(Scenario.default())
    frames = comparison(real, Scenario.default(), days_after=200)
    assert (frames["record"]["day"] < 0).all()
    assert frames["fit"]["day"].max() == 0.0
    assert len(frames["baseline"]) == 200
    # the defaults follow the fitted trend: production_now × the fit's ratio to day 0
    assert frames["baseline"]["production"].iloc[0] == pytest.approx(
        values["production_now"] * float(trend_factor(0.5, *production_fit().central())))
    stated = comparison(real, Scenario.default().with_values(production_path="target"), 200)
    assert stated["baseline"]["production"].iloc[0] == pytest.approx(
        values["production_now"]
        + (values["production_target"] - values["production_now"]) * 0.5 / 365)
    custom = comparison(real, Scenario.default().with_values(
        production_path="custom", production_points="0:50;100:150"), 200)
    assert custom["baseline"]["production"].iloc[10] == pytest.approx(60.5)
    # the Shahed-type segment of the fit ends at production_now's fitted value
    assert frames["shahed_fit"]["mean"].iloc[-1] == pytest.approx(real.production_now.value)
    assert frames["check"]["within"].all()


def test_windows_too_short_are_clear_errors(real):
    with pytest.raises(ParameterError, match="production window"):
        fit_production(real.record, ("2025-10", "2025-12"))
    with pytest.raises(ParameterError, match="defeat rate window"):
        fit_defeat_rate(real.record, ("2025-12", "2025-12"))
    with pytest.raises(ParameterError, match="level"):
        calibrate(level=1.5)


def test_a_record_without_shahed_shares_cannot_give_production_now():
    record = synthetic_record(seed=0)
    record["shahed_share"] = np.nan
    with pytest.raises(CalibrationError, match="Shahed share"):
        fit_production(record)


def test_calibrate_cli_table_and_json(capsys, real):
    from whatif.cli import main

    assert main(["calibrate"]) == 0
    out = capsys.readouterr().out
    assert f"production_now {99:>11} {round(real.production_now.value):>9}" in out
    assert "defeat_rate" in out and "yes" in out and "NO" not in out
    assert main(["calibrate", "data/scenarios/baseline.yaml", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["production_now"]["value"] == pytest.approx(real.production_now.value)
    assert data["defeat_rate"]["low"] == pytest.approx(real.defeat_rate.low)
    assert [row["within"] for row in data["check"]] == [True, True]
    # another window is another fit
    assert main(["calibrate", "--production-from", "2023-01", "--json"]) == 0
    other = json.loads(capsys.readouterr().out)
    assert other["path"]["window"] == ["2023-01", "2025-12"]
    assert other["production_now"]["value"] != pytest.approx(real.production_now.value)


@pytest.mark.parametrize("argv, needle", [
    (["calibrate", "--production-from", "2024-13"], "production-from: '2024-13' is not allowed"),
    (["calibrate", "--defeat-from", "2025-12"], "defeat rate window"),
    (["calibrate", "missing.yaml"], "missing.yaml"),
])
def test_calibrate_cli_bad_input_is_one_line_exit_2(capsys, argv, needle):
    from whatif.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1


def test_production_estimates_on_the_record_axis(real):
    from whatif.calibrate import load_production_estimates

    estimates = load_production_estimates().set_index("date")
    # mid-December 2025 is 15.5 days before day 0, as for the record's last month
    assert estimates.loc["2025-12", "day"] == pytest.approx(real.record["day"].iloc[-1])
    assert estimates.loc["2026-01", "day"] == pytest.approx(15.5)
    assert estimates["includes_decoys"].to_dict() == {
        "2023-11": False, "2024-09": False, "2024-12": False, "2025-05": True,
        "2025-09": False, "2025-12": True, "2026-01": True}
    # claims that include decoys sit well above what was launched; HUR's strike-only
    # figure is near the fitted production_now
    assert (estimates.loc[estimates["includes_decoys"], "drones_per_day"] > 1.9 * 163).all()
    assert real.production_now.contains(estimates.loc["2025-09", "drones_per_day"])
