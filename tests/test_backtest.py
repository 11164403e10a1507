"""The rolling-origin backtest (``whatif/backtest.py``, ``whatif backtest``).

* On synthetic records drawn from known logistic paths, the trend path's 80 % band holds
  70–90 % of the months that follow (and the defeat rate's band likewise).
* No leakage: a projection from origin ``m`` is exactly unchanged when the record after
  ``m`` changes; nor does it depend on the horizons or paths asked for.
* The projections are the model's paths: hand-derived month means of the linear ramp and of
  the logistic trend, the scatter's exact factor on a month inside one 30-day block.
* The JSON shape, the CLI's bad input (exit 2, one line), the real record's origins.
"""

from __future__ import annotations

import doctest
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from whatif import backtest as bt
from whatif.calibrate import (
    fit_defeat_rate,
    fit_production,
    load_record,
    logistic_path,
    prepare_record,
    synthetic_record,
)
from whatif.cli import main
from whatif.errors import WhatifError
from whatif.params import REGISTRY
from whatif.scenario import Scenario

BAND = ["p5", "p10", "p50", "p90", "p95"]
#: a path that climbed early in the window and sits near its plateau for every origin
PLATEAU = {"start_level": 20.0, "end_level": 160.0, "midpoint_day": -650.0, "growth_rate": 0.04}
SEEDS = range(12)


@pytest.fixture(scope="module")
def real():
    return bt.backtest(samples=1_000, seed=0)


# --- the bands hold on records made from known paths ----------------------------------

@pytest.fixture(scope="module")
def synthetic_bands():
    frames, skipped = [], []
    for name, shape in (("climb", {}), ("plateau", PLATEAU)):
        for seed in SEEDS:
            record = synthetic_record(**shape, seed=seed)
            frame = bt.backtest_bands(record, paths="trend", horizons=(1, 2, 3), samples=1_000,
                                      seed=seed)
            frames.append(frame.assign(record=name, seed=seed))
            skipped += frame.attrs["skipped"]
    frame = pd.concat(frames, ignore_index=True)
    frame.attrs["skipped"] = skipped
    return frame


def test_trend_band_holds_about_80_percent_of_later_months(synthetic_bands):
    trend = synthetic_bands[synthetic_bands["path"] == "trend"]
    # 24 months: 12 origins one month ahead, 11 two, 10 three; a few early fits (a window
    # that has seen only the start of the climb) are not identified and are left out
    skipped = synthetic_bands.attrs["skipped"]
    assert all(path == "trend" and reason == bt.NOT_IDENTIFIED for path, _, reason in skipped)
    assert len(skipped) <= 0.03 * 2 * len(SEEDS) * 12
    assert 0.95 * 2 * len(SEEDS) * 33 <= len(trend) <= 2 * len(SEEDS) * 33
    assert 0.70 <= trend["inside80"].mean() <= 0.90
    assert 0.80 <= trend["inside90"].mean() <= 0.97
    for _, part in trend.groupby("record"):  # each shape on its own, more loosely
        assert 0.65 <= part["inside80"].mean() <= 0.92
    # the bands are not trivially wide: the median misses by about the month scatter (0.25)
    assert 0.1 < trend["abs_log_error"].median() < 0.3


def test_defeat_rate_band_holds_about_80_percent_of_later_months(synthetic_bands):
    defeat = synthetic_bands[synthetic_bands["path"] == "defeat_rate"]
    assert 0.70 <= defeat["inside80"].mean() <= 0.90
    assert 0.80 <= defeat["inside90"].mean() <= 0.97


def test_a_band_that_ignored_the_scatter_would_fail_the_coverage_test(synthetic_bands):
    """The coverage test has teeth: the P50 ± a quarter of the band misses far more."""
    trend = synthetic_bands[synthetic_bands["path"] == "trend"]
    low = trend["p50"] - (trend["p50"] - trend["p10"]) / 4
    high = trend["p50"] + (trend["p90"] - trend["p50"]) / 4
    assert ((low <= trend["observed"]) & (trend["observed"] <= high)).mean() < 0.4


# --- no leakage, determinism -------------------------------------------------------------

def test_projection_from_an_origin_ignores_the_record_after_it():
    record = synthetic_record(seed=3)
    origin = "2025-03"
    later = record["month"] > origin
    changed = record[["month", "days_covered", "uav_launched", "neutralised_share",
                      "shahed_share_where_reported"]].copy()
    changed.loc[later, "uav_launched"] *= 3.0
    changed.loc[later, "neutralised_share"] = 0.5
    changed.loc[later, "shahed_share_where_reported"] = 0.9
    changed = prepare_record(changed)
    before = bt.backtest_bands(record, horizons=(1, 2, 3), samples=300, seed=5)
    after = bt.backtest_bands(changed, horizons=(1, 2, 3), samples=300, seed=5)
    assert len(before) == len(after)
    up_to = before["origin"] <= origin
    assert up_to.sum() == 4 * 3 * 3  # origins 2024-12 .. 2025-03 x 3 horizons x 3 paths
    np.testing.assert_array_equal(before.loc[up_to, BAND].to_numpy(float),
                                  after.loc[up_to, BAND].to_numpy(float))
    # ...while what is scored against them, and the later projections, did change
    assert not np.array_equal(before.loc[up_to, "observed"], after.loc[up_to, "observed"])
    assert not np.allclose(before.loc[~up_to, "p50"], after.loc[~up_to, "p50"])
    # a record that ends two months after the origin projects the same from it
    short = bt.backtest_bands(record[record["month"] <= "2025-05"], horizons=(1, 2, 3),
                              samples=300, seed=5)
    mine = short[short["origin"] == origin].set_index(["path", "horizon"])[BAND]
    theirs = before[before["origin"] == origin].set_index(["path", "horizon"])[BAND]
    assert len(mine) == 3 * 2  # horizons 1 and 2 are in the shorter record
    np.testing.assert_array_equal(mine.to_numpy(float), theirs.loc[mine.index].to_numpy(float))


def test_same_seed_same_numbers_and_a_projection_ignores_what_else_is_asked():
    record = synthetic_record(seed=1)
    full = bt.backtest_bands(record, horizons=(1, 2, 3), samples=300, seed=9)
    again = bt.backtest_bands(record, horizons="3,1,2", samples=300, seed=9)
    pd.testing.assert_frame_equal(full, again)
    one = bt.backtest_bands(record, paths="trend", horizons=(1,), samples=300, seed=9)
    expected = full[(full["path"].isin(["trend", "defeat_rate"])) & (full["horizon"] == 1)]
    np.testing.assert_array_equal(one[BAND].to_numpy(float), expected[BAND].to_numpy(float))
    other = bt.backtest_bands(record, horizons=(1,), samples=300, seed=10)
    assert not np.allclose(other.loc[other["path"] == "trend", "p50"],
                           expected.loc[expected["path"] == "trend", "p50"])


# --- the projections are the model's paths ----------------------------------------------

def test_target_month_means_are_the_linear_ramp_averaged_over_each_month():
    months = bt.months_after("2024-12", 2)  # January (31 days), February 2025 (28 days)
    assert months["first_day"].tolist() == [0, 31] and months["days"].tolist() == [31, 28]
    values = bt.project_target(np.array([100.0]), np.array([1000.0]), np.array([365.0]), 0,
                               months)
    # P(t) = 100 + 900 t / 365 on whole days t: January's days 0..30 average t = 15,
    # February's days 31..58 average t = 44.5
    np.testing.assert_allclose(values[0], [100 + 900 * 15 / 365, 100 + 900 * 44.5 / 365],
                               rtol=1e-12)


def _fit_up_to(origin: str):
    """The trend's fit at ``origin``: the record cut after it, day 0 the day after it."""
    record = load_record()
    past = prepare_record(record[record["month"] <= origin])
    return past, fit_production(past.assign(shahed_share=1.0), ("2024-01", origin))


def test_trend_month_means_follow_the_fitted_logistic_and_the_scatter_factor():
    past, fit = _fit_up_to("2025-06")
    assert past["day"].iloc[-1] == -15.0  # June's mid-point, 15 days before 1 July 2025
    months = bt.months_after("2025-06", 3)
    assert months["first_day"].tolist() == [0, 31, 62]  # July, August, September
    central = fit.central()[None, :]
    flat = bt.project_trend(np.array([150.0]), central, np.zeros((1, 13)), 0.0, months)
    p = fit.parameters
    path = logistic_path(np.arange(92.0), p["start_level"], p["end_level"], p["midpoint_day"],
                         p["growth_rate"])
    expected = [150.0 * (path[a:a + n] / path[0]).mean() for a, n in ((0, 31), (31, 31),
                                                                       (62, 30))]
    np.testing.assert_allclose(flat[0], expected, rtol=1e-9)
    # a month inside one 30-day block is scaled by exactly exp(σ z - σ²/2)
    block = pd.DataFrame({"first_day": [30], "days": [30]})
    z = np.zeros((1, 13))
    z[0, 1] = 1.3
    scattered = bt.project_trend(np.array([150.0]), central, z, 0.25, block)
    plain = bt.project_trend(np.array([150.0]), central, np.zeros((1, 13)), 0.25, block)
    assert scattered[0, 0] / plain[0, 0] == pytest.approx(math.exp(0.25 * 1.3 - 0.25 ** 2 / 2)
                                                          / math.exp(-0.25 ** 2 / 2), rel=1e-12)


def test_the_level_is_the_uav_level_fitted_up_to_the_origin():
    _, fit = _fit_up_to("2025-06")
    level = bt.level_assumption(fit)
    assert (level.central, level.low, level.high, level.dist) == (
        fit.uav_level.value, fit.uav_level.low, fit.uav_level.high, "lognormal")
    at_origin = fit.path([0.0]).iloc[0]  # the fitted mean path on the day after June 2025
    assert level.central == pytest.approx(at_origin["mean"], rel=1e-12)
    assert level.low == pytest.approx(at_origin["low"], rel=1e-12)
    _, later = _fit_up_to("2025-11")
    assert level.central < later.uav_level.value  # the record still climbed after June


def test_defeat_band_is_the_fitted_share_with_month_scatter():
    frame = bt.backtest_bands(horizons=(1,), paths="trend", samples=100)
    row = frame[(frame["path"] == "defeat_rate") & (frame["origin"] == "2025-11")].iloc[0]
    record = load_record()
    estimate = fit_defeat_rate(record[record["month"] <= "2025-11"], ("2024-12", "2025-11"))
    p = estimate.value
    se_logit = estimate.standard_error / (p * (1 - p))
    assert row["p50"] == pytest.approx(p, rel=1e-12)
    spread = se_logit * math.sqrt(1 + 12)  # the fit's error and one month's scatter
    for column, q in (("p10", 0.1), ("p90", 0.9), ("p5", 0.05), ("p95", 0.95)):
        expected = special.expit(special.logit(p) + stats.t.ppf(q, 11) * spread)
        assert row[column] == pytest.approx(expected, rel=1e-12)
    assert row["observed"] == pytest.approx(0.811)  # December 2025 in the record


def test_the_target_path_draws_the_scenario_s_ramp():
    stay = Scenario.default().with_values(ramp_days=0)  # no ramp: output stays at the level
    frame = bt.backtest_bands(paths="target", horizons=(1, 3), samples=300, scenario=stay)
    target = frame[(frame["path"] == "target") & (frame["origin"] == "2025-01")]
    np.testing.assert_allclose(target.iloc[0][BAND].to_numpy(float),
                               target.iloc[1][BAND].to_numpy(float), rtol=1e-12)
    climb = bt.backtest_bands(paths="target", horizons=(1, 3), samples=300)
    climbing = climb[(climb["path"] == "target") & (climb["origin"] == "2025-01")]
    assert (climbing["p50"].to_numpy() > target["p50"].to_numpy()).all()


# --- the real record -------------------------------------------------------------------

def test_real_record_origins_and_scores(real):
    data = real.to_dict()
    assert real.skipped == ()
    assert data["record_months"] == ["2022-09", "2025-12"]
    for entry in (*data["paths"].values(), data["defeat_rate"]):
        assert [entry[h]["origins"] for h in ("1", "2", "3")] == [12, 11, 10]
        for scores in entry.values():
            assert 0.0 <= scores["coverage80"] <= scores["coverage90"] <= 1.0
            assert 0.0 < scores["median_abs_log_error"] < 1.0
    # the record's months 2025-01 .. 2025-12 are each scored once one month ahead
    one = real.bands[(real.bands["path"] == "trend") & (real.bands["horizon"] == 1)]
    assert one["month"].tolist() == [f"2025-{m:02d}" for m in range(1, 13)]
    assert one["origin"].iloc[0] == "2024-12" and one["day"].iloc[0] == 15.5
    # the stated climb overshoots the plateau of late 2025: no 3-month band holds it
    assert data["paths"]["target"]["3"]["coverage80"] < data["paths"]["trend"]["3"]["coverage80"]
    assert real.best_path(1) == "trend"
    # ... at every horizon scored, and the defaults follow it (data/assumptions.csv)
    assert {real.best_path(h) for h in (1, 2, 3)} == {"trend"}
    assert REGISTRY["production_path"].default == real.best_path(1)


def test_no_origin_for_a_horizon_gives_nulls_not_nan():
    record = synthetic_record(last_month="2025-01")  # 13 months: one origin, one month after
    result = bt.backtest(record, horizons=(1, 2), samples=100)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["paths"]["trend"]["1"]["origins"] == 1
    assert data["paths"]["trend"]["2"] == {"coverage80": None, "coverage90": None,
                                           "median_abs_log_error": None, "origins": 0}


def test_a_flat_record_leaves_out_the_origins_whose_fit_is_not_identified():
    flat = synthetic_record(start_level=150.0, end_level=160.0, midpoint_day=-2000.0, seed=1)
    result = bt.backtest(flat, samples=200)
    assert result.skipped  # a flat record does not identify a logistic
    assert {path for path, _, _ in result.skipped} <= {"trend", "target"}
    assert np.isfinite(result.bands[BAND].to_numpy(float)).all()
    assert result.to_dict()["skipped"][0]["reason"]
    assert any(line.startswith("left out: ") for line in result.lines())


def test_module_example():
    found = doctest.testmod(bt)
    assert found.failed == 0 and found.attempted >= 2


# --- bounds ----------------------------------------------------------------------------

@pytest.mark.parametrize("horizons, allowed", [("1,2,3", (1, 2, 3)), ("2, 1,2", (1, 2)),
                                               ((12,), (12,)), (np.arange(1, 4), (1, 2, 3))])
def test_horizons_accepted(horizons, allowed):
    assert bt.check_horizons(horizons) == allowed


@pytest.mark.parametrize("horizons", ["0", "13", "1.5", "a", "", "1,,2", [], [1.0], [True],
                                      range(1, 20), "9" * 200])
def test_horizons_refused(horizons):
    with pytest.raises(WhatifError, match="horizons"):
        bt.check_horizons(horizons)


@pytest.mark.parametrize("samples", [99, 20_001, 1.5e3, True, "1000"])
def test_samples_refused(samples):
    with pytest.raises(WhatifError, match="samples: .* allowed 100 to 20,000"):
        bt.check_samples(samples)


def test_too_many_origins_refused_before_any_work():
    long = synthetic_record(last_month="2045-12")
    with pytest.raises(WhatifError, match="origins; allowed at most 240"):
        bt.backtest(long, samples=100)


# --- the command -----------------------------------------------------------------------

def test_cli_json_shape(capsys):
    assert main(["backtest", "--json", "--samples", "200", "--horizons", "1,2"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["paths"]) == {"trend", "target"}
    for entry in (*data["paths"].values(), data["defeat_rate"]):
        assert set(entry) == {"1", "2"}
        for scores in entry.values():
            assert set(scores) == {"coverage80", "coverage90", "median_abs_log_error", "origins"}
    assert data["samples"] == 200 and data["seed"] == 0
    assert main(["backtest", "--json", "--samples", "200", "--horizons", "1",
                 "--path", "target"]) == 0
    assert set(json.loads(capsys.readouterr().out)["paths"]) == {"target"}


def test_cli_table(capsys):
    assert main(["backtest", "--samples", "200", "--horizons", "2", "--seed", "4"]) == 0
    out = capsys.readouterr().out
    assert "200 samples, seed 4" in out and "UAVs launched/day" in out
    rows = [line.split() for line in out.splitlines()
            if line.startswith(("trend ", "target ", "defeat_rate "))]
    assert [(row[0], row[1], row[3]) for row in rows] == [
        ("trend", "2", "11"), ("target", "2", "11"), ("defeat_rate", "2", "11")]


@pytest.mark.parametrize("args, needle", [
    (["--horizons", "0"], "horizons"), (["--horizons", "13"], "horizons"),
    (["--horizons", "1.5"], "horizons"), (["--horizons", "x"], "horizons"),
    (["--samples", "99"], "samples"), (["--samples", "20001"], "samples"),
    (["--samples", "many"], "--samples"), (["--path", "custom"], "--path"),
    (["--seed", "-1"], "seed"), (["--seed", str(2 ** 64)], "seed"),
])
def test_cli_bad_input(capsys, args, needle):
    assert main(["backtest", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in captured.err


# --- the chart -------------------------------------------------------------------------

def test_backtest_figure_draws_each_path_beside_the_record(real):
    from whatif import presentation as look
    from whatif.figures import backtest_figure

    fig = backtest_figure(real.bands, horizon=1)
    ax = fig.axes[0]
    assert ax.get_title() == look.backtest_text(1).title
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == [look.BACKTEST_PATH_LABELS["trend"], look.BACKTEST_PATH_LABELS["target"],
                      look.BACKTEST_RECORD_LABEL]
    record = [line for line in ax.get_lines() if line.get_label() == look.BACKTEST_RECORD_LABEL]
    one = real.bands[(real.bands["path"] == "trend") & (real.bands["horizon"] == 1)]
    np.testing.assert_allclose(record[0].get_ydata(), one["observed"])
