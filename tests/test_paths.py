"""Production paths (trend, target, custom) and stock policies (drawdown, hold, rebuild):
MODEL.md §2–3, exact hand cases through the daily chain and through ``simulate``."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import fixed_scenario, run_chain, simple_scenario
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats

from whatif.calibrate import calibrate, production_fit
from whatif.engine import simulate
from whatif.errors import ParameterError
from whatif.model import scatter_factor, trend_factor
from whatif.model.campaign import SERIES
from whatif.model.production import custom_production
from whatif.scenario import Scenario

ROW = {name: i for i, name in enumerate(SERIES)}
POLICIES = ("drawdown", "hold", "rebuild")
PATHS = ("trend", "target", "custom")


# --- the paths' pieces ------------------------------------------------------------------


def test_trend_factor_is_the_logistic_ratio_to_day_zero():
    start, end, midpoint, rate = 10.0, 110.0, 0.0, 0.02
    # at the midpoint the path is halfway: 60; 50 days on, 10 + 100 σ(1)
    assert float(trend_factor(0.0, start, end, midpoint, rate)) == 1.0
    expected = (10.0 + 100.0 / (1.0 + math.exp(-1.0))) / 60.0
    assert float(trend_factor(50.0, start, end, midpoint, rate)) == pytest.approx(expected,
                                                                                  rel=1e-14)
    # a midpoint long past: a plateau
    assert float(trend_factor(365.0, start, end, -5000.0, rate)) == pytest.approx(1.0, abs=1e-12)


def test_scatter_factor_has_mean_one():
    sigma = 0.26
    z = np.random.default_rng(0).standard_normal(400_000)
    factors = scatter_factor(z, sigma)
    assert factors.mean() == pytest.approx(1.0, abs=0.002)
    assert np.log(factors).std() == pytest.approx(sigma, rel=0.01)
    assert float(scatter_factor(0.0, sigma)) == pytest.approx(math.exp(-sigma ** 2 / 2),
                                                              rel=1e-15)


@pytest.mark.parametrize(("day", "expected"), [
    (-5.0, 100.0), (0.0, 100.0), (15.0, 150.0), (30.0, 200.0), (45.0, 200.0 - 25.0),
    (60.0, 150.0), (1000.0, 150.0)])
def test_custom_production_interpolates_and_is_flat_beyond_the_ends(day, expected):
    days, rates = np.array([0.0, 30.0, 60.0]), np.array([100.0, 200.0, 150.0])
    assert float(custom_production(day, days, rates)) == pytest.approx(expected, rel=1e-15)


def test_fit_draws_are_centred_on_the_fit_and_stable_in_the_sample_count():
    fit = production_fit()
    few = fit.draw(300, 4)
    many = fit.draw(600, 4)
    np.testing.assert_array_equal(few, many[:300])
    assert not np.array_equal(fit.draw(300, 5), few)  # another key, other draws
    draws = fit.draw(40_000, 1)
    central = fit.central()
    logged = np.column_stack([np.log(draws[:, 0]), np.log(draws[:, 1]), draws[:, 2],
                              np.log(draws[:, 3])])
    se = np.sqrt(np.diag(fit.covariance))
    assert_allclose(np.median(logged, axis=0), fit.x, atol=0.05 * se.max() + 1e-9)
    # multivariate t: the spread is the covariance's, times dof / (dof - 2) in variance
    inflation = math.sqrt(fit.dof / (fit.dof - 2))
    assert_allclose(logged.std(axis=0), se * inflation, rtol=0.05)
    # ... and the correlations are the covariance's
    assert_allclose(np.corrcoef(logged.T), fit.covariance / np.outer(se, se), atol=0.03)
    assert central[2] == pytest.approx(fit.parameters["midpoint_day"])
    assert fit.central(origin_day=-10.0)[2] == pytest.approx(central[2] + 10.0)
    shifted = fit.draw(300, 4, origin_day=-10.0)
    assert_allclose(shifted[:, 2], few[:, 2] + 10.0, rtol=1e-13)


@pytest.mark.parametrize("shape", [0.5, 1.0, 2.5, 10.0])
def test_standard_gamma_draws_follow_the_gamma_distribution(shape):
    from numba import njit

    from whatif.model.rng import standard_gamma

    @njit
    def draws(key, n, shape):
        out = np.empty(n)
        for s in range(n):
            out[s], _ = standard_gamma(np.uint64(key + s), 0, shape)
        return out

    values = draws(12345, 20_000, shape)
    assert stats.kstest(values, stats.gamma(shape).cdf).pvalue > 1e-3
    assert values.mean() == pytest.approx(shape, rel=0.03)


def test_normal_pairs_are_independent_standard_normals():
    from numba import njit

    from whatif.model.rng import normal_pair

    @njit
    def draws(n):
        out = np.empty((2, n))
        for s in range(n):
            out[0, s], out[1, s], _ = normal_pair(np.uint64(s), 0)
        return out

    first, second = draws(20_000)
    for values in (first, second):
        assert stats.kstest(values, "norm").pvalue > 1e-3
    assert abs(np.corrcoef(first, second)[0, 1]) < 0.03


def test_monte_carlo_rows_carry_the_fits_draws_from_the_seeds_key():
    """One truth: the trend parameters a Monte Carlo run uses are ProductionFit.draw's from
    the run's outcome key, sample by sample; another seed draws others."""
    from whatif.engine import TREND_COLUMNS, compile_scenario
    from whatif.sampling import outcome_key

    scenario = Scenario.default()
    compiled, _ = compile_scenario(scenario, samples=500, seed=7)
    fit = production_fit()
    np.testing.assert_array_equal(compiled.theta[:, TREND_COLUMNS],
                                  fit.draw(500, outcome_key(7)))
    other, _ = compile_scenario(scenario, samples=500, seed=8)
    assert not np.any(other.theta[:, TREND_COLUMNS[0]] == compiled.theta[:, TREND_COLUMNS[0]])
    central, _ = compile_scenario(scenario, samples=0, seed=7)
    np.testing.assert_array_equal(central.theta[0, TREND_COLUMNS], fit.central())


# --- through the daily chain -------------------------------------------------------------


def test_trend_path_in_the_chain_is_level_times_factor_times_month_scatter():
    trend = (10.0, 110.0, 40.0, 0.02)
    months = np.array([1.0, 1.5, 0.5, 2.0, 1.0, 1.0, 1.0])
    _, series = run_chain(path="trend", trend=trend, month_factor=months, salvo_losses=(0.0,),
                          production_now=80.0, horizon_days=180)
    days = np.arange(180.0)
    expected = 80.0 * trend_factor(days, *trend) * months[np.arange(180) // 30]
    assert_allclose(series[ROW["production_baseline"]], expected, rtol=1e-12)
    assert series[ROW["production_baseline"], 0] == pytest.approx(80.0, rel=1e-14)


def test_custom_path_in_the_chain_and_its_stock():
    points = ((0.0, 200.0), (100.0, 300.0))
    out, series = run_chain(path="custom", points=points, salvo_losses=(0.0,),
                            stockpile_days=10.0, horizon_days=120, production_now=5.0)
    assert_allclose(series[ROW["production_baseline"]],
                    np.minimum(200.0 + np.arange(120.0), 300.0), rtol=1e-14)
    # nothing lost: the stock (10 days at the path's day-0 level) is untouched
    assert out["stock_shortfall_end"] == 0.0
    out, _ = run_chain(path="custom", points=points, salvo_losses=(1.0,), repair_days=1e9,
                       stockpile_days=10.0, horizon_days=120)
    assert out["stock_shortfall_end"] == pytest.approx(2000.0, rel=1e-12)


def test_drawdown_hold_and_rebuild_hand_case():
    # constant 100/day, the whole plant out for good (repair far beyond the horizon):
    # a shortfall of 100/day; a stock of 5 days = 500 drones
    common = dict(production_now=100.0, ramp_days=0.0, salvo_losses=(1.0,), repair_days=1e9,
                  stockpile_days=5.0, horizon_days=30)
    drawdown, series = run_chain(stock_policy="drawdown", **common)
    assert drawdown["drones_denied"] == pytest.approx(3000.0, rel=1e-6)
    # launches held for 5 days, then none: 25 days × 100 denied; the stock is empty
    assert_allclose(series[ROW["launches_strike"], :5], 100.0, rtol=1e-6)
    assert_allclose(series[ROW["launches_strike"], 5:], 0.0, atol=1e-3)
    assert drawdown["launches_denied"] == pytest.approx(2500.0, rel=1e-6)
    assert drawdown["stock_shortfall_end"] == pytest.approx(500.0, rel=1e-12)

    hold, series = run_chain(stock_policy="hold", **common)
    assert hold["launches_denied"] == pytest.approx(3000.0, rel=1e-6)
    assert hold["stock_shortfall_end"] == 0.0
    assert_allclose(series[ROW["launches_strike"]], 0.0, atol=1e-3)

    # rebuild with half the plant out: output 50/day, shortfall 50/day. The stock covers
    # 50 and takes 0.4 × 50 = 20 a day while below its start: a net draw of 30 a day, so
    # launches run at 100 - 20 = 80 until the stock (500) is gone after 500 / 30 days
    half = {**common, "salvo_losses": (0.5,)}
    rebuild, series = run_chain(stock_policy="rebuild", rebuild_share=0.4, **half)
    launches = series[ROW["launches_strike"]]
    assert launches[0] == pytest.approx(100.0, rel=1e-6)  # day 0: the stock is full
    assert_allclose(launches[1:16], 80.0, rtol=1e-6)
    assert rebuild["stock_shortfall_end"] == pytest.approx(500.0, rel=1e-6)
    assert rebuild["launches_denied"] == pytest.approx(1500.0 - 500.0, rel=1e-6)


def test_rebuild_refills_the_stock_after_the_plant_recovers():
    common = dict(production_now=100.0, ramp_days=0.0, salvo_losses=(0.5,), repair_days=20.0,
                  stockpile_days=5.0, horizon_days=180)
    rebuild, series = run_chain(stock_policy="rebuild", rebuild_share=0.25, **common)
    drawdown, _ = run_chain(stock_policy="drawdown", **common)
    # denied 0.5 × 100 × 20 / 2 = 500 drones: all drawn; rebuilt at up to 25/day afterwards
    assert drawdown["drones_denied"] == pytest.approx(500.0, rel=1e-9)
    assert drawdown["stock_shortfall_end"] == pytest.approx(500.0, rel=1e-9)
    assert drawdown["launches_denied"] == pytest.approx(0.0, abs=1e-9)
    assert rebuild["stock_shortfall_end"] == pytest.approx(0.0, abs=1e-9)
    assert rebuild["launches_denied"] == pytest.approx(500.0, rel=1e-9)
    # once full again, launches are back at the baseline
    assert_allclose(series[ROW["launches_strike"], 60:], 100.0, rtol=1e-12)


# --- through simulate: nothing is lost from the account -----------------------------------


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("path", PATHS)
def test_hits_averted_plus_deferred_equal_denied_times_got_through(path, policy):
    scenario = Scenario.default().with_values(production_path=path, stock_policy=policy,
                                              production_points="0:80;90:160;365:200")
    result = simulate(scenario, samples=400, seed=3)
    out, x = result.outputs, result.inputs
    got_through = x["energy_share"] * (1 - x["defeat_rate"])
    assert_allclose(out["energy_hits_averted"] + out["energy_hits_deferred"],
                    out["drones_denied"] * got_through, rtol=1e-9, atol=1e-6)
    assert_allclose(out["energy_hits_deferred"], out["stock_shortfall_end"] * got_through,
                    rtol=1e-12, atol=1e-9)
    assert (out["stock_shortfall_end"] >= -1e-9).all()
    stock = x["stockpile_days"] * (result.inputs["production_now"] if path != "custom" else 80.0)
    assert (out["stock_shortfall_end"] <= stock + 1e-6).all()
    if policy == "hold":
        assert (out["stock_shortfall_end"] == 0).all()


@settings(max_examples=40, deadline=None)
@given(policy=st.sampled_from(POLICIES), stock=st.floats(0.0, 120.0),
       loss=st.floats(0.0, 1.0), repair=st.floats(1.0, 400.0), share=st.floats(0.0, 1.0),
       exponential=st.integers(0, 1), horizon=st.integers(7, 400))
def test_accounting_identity_holds_for_any_policy(policy, stock, loss, repair, share,
                                                 exponential, horizon):
    out, _ = run_chain(stock_policy=policy, stockpile_days=stock, salvo_losses=(loss, loss),
                       repair_days=repair, rebuild_share=share, exponential=exponential,
                       horizon_days=horizon, ramp_days=200.0, record=False)
    assert out["launches_denied"] + out["stock_shortfall_end"] == pytest.approx(
        out["drones_denied"], rel=1e-9, abs=1e-6)
    assert 0.0 <= out["stock_shortfall_end"] <= stock * 100.0 + 1e-6
    recorded, _ = run_chain(stock_policy=policy, stockpile_days=stock, salvo_losses=(loss, loss),
                            repair_days=repair, rebuild_share=share, exponential=exponential,
                            horizon_days=horizon, ramp_days=200.0, record=True)
    for name, value in out.items():  # the fast path equals the day-by-day one
        assert recorded[name] == pytest.approx(value, rel=1e-9, abs=1e-6), name


def test_default_stock_absorbs_a_small_denial_and_says_where_it_went():
    # the case: a denial smaller than the stock averts no hits in the horizon,
    # and every denied drone's hits appear as deferred
    scenario = Scenario.default().with_values(stock_policy="drawdown")
    summary = simulate(scenario, samples=0).summary["mean"]
    assert summary["energy_hits_averted"] == 0.0
    got_through = 0.5 * (1 - scenario.central("defeat_rate"))
    got_through = scenario.central("energy_share") * (1 - scenario.central("defeat_rate"))
    assert summary["energy_hits_deferred"] == pytest.approx(
        summary["drones_denied"] * got_through, rel=1e-12)
    assert summary["stock_shortfall_end"] == pytest.approx(summary["drones_denied"], rel=1e-12)


# --- the trend path through simulate ------------------------------------------------------


def test_deterministic_trend_is_production_now_times_the_fitted_factor():
    scenario = fixed_scenario(production_path="trend", production_now=120.0)
    series = simulate(scenario, samples=0, series=True).series
    days = np.arange(len(series), dtype=float)
    expected = 120.0 * trend_factor(days, *production_fit().central())
    assert_allclose(series[("production_baseline", "p50")], expected, rtol=1e-12)


def test_trend_monte_carlo_band_is_a_prediction_band_for_a_month():
    # fixed assumptions: the band of day-15 output comes from the fit alone, parameter
    # uncertainty and month scatter, and matches the fit's own prediction band
    fit = production_fit()
    level = fit.path([0.0])["mean"].iloc[0]
    scenario = fixed_scenario(production_path="trend", production_now=level, horizon_days=60)
    series = simulate(scenario, samples=20_000, seed=2, series=True).series
    month = series.loc[15]
    band = fit.path([15.0], level=0.8)
    assert month[("production_baseline", "p10")] == pytest.approx(
        band["predicted_low"].iloc[0], rel=0.05)
    assert month[("production_baseline", "p90")] == pytest.approx(
        band["predicted_high"].iloc[0], rel=0.05)
    assert month[("production_baseline", "mean")] == pytest.approx(level, rel=0.01)
    # one scatter per 30 days: days of one block move together, blocks do not
    result = simulate(scenario, samples=0, series=True)
    assert result.series.loc[0, ("production_baseline", "p50")] == pytest.approx(level)


def test_trend_scatter_follows_the_seed_and_blocks_of_30_days():
    scenario = fixed_scenario(production_path="trend", horizon_days=90)
    from whatif.engine import compile_scenario
    from whatif.model import chain

    def baseline(seed):
        compiled, _ = compile_scenario(scenario, 50, seed)
        _, daily = chain.run_samples(compiled.theta, compiled.shared, True)
        return daily[ROW["production_baseline"]].T  # (samples, days)

    first, again, other = baseline(1), baseline(1), baseline(2)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    ratio = first / first[:, [0]]
    # within a block the day-to-day change is the smooth trend's alone (tiny)
    assert np.abs(np.diff(ratio[:, :30], axis=1)).max() < 1e-3
    assert np.abs(ratio[:, 30] - ratio[:, 29]).max() > 0.05  # a new month's scatter


def test_custom_points_validated_and_round_trip():
    scenario = Scenario.default().with_values(production_path="custom",
                                              production_points=[[0, 50], [30.5, 75]])
    assert scenario.assumptions_dict()["production_points"] == [[0, 50], [30.5, 75]]
    again = Scenario.from_text(scenario.to_yaml())
    assert again.central("production_points") == ((0.0, 50.0), (30.5, 75.0))
    with pytest.raises(ParameterError, match="production_points.*given twice"):
        Scenario.default().with_values(production_points="0:5;0:6")
    with pytest.raises(ParameterError, match="production_points.*more than 100 points"):
        Scenario.default().with_values(production_points=[[i, 1] for i in range(101)])


def test_outputs_against_the_target_stay_relative_to_production_target():
    for path in PATHS:
        scenario = simple_scenario(production_path=path, production_points="0:100")
        summary = simulate(scenario, samples=0).summary["mean"]
        assert summary["target_share_denied"] == pytest.approx(
            summary["drones_denied"] / (1000.0 * 180), rel=1e-12)


def test_calibration_fit_is_the_trend_the_model_uses():
    assert production_fit().x.tolist() == calibrate().production.x.tolist()


@pytest.mark.parametrize(("start", "end", "midpoint", "rate"), [
    (1e-300, 1e-300, 0.0, 1.0),  # levels that underflow a difference
    (5.0, 500.0, 5000.0, 2.0),  # the midpoint far ahead: exp overflows
    (5.0, 500.0, -5000.0, 2.0),  # far behind
    (1e6, 1e-6, 30.0, 0.5),  # a steep decline
])
def test_trend_factor_is_finite_for_extreme_fits(start, end, midpoint, rate):
    days = np.arange(0.0, 400.0)
    factors = trend_factor(days, start, end, midpoint, rate)
    assert np.isfinite(factors).all() and (factors > 0).all()
    assert float(factors[0]) == pytest.approx(1.0, rel=1e-12)
    daily = np.empty(400)
    from whatif.model.production import trend_path_into

    trend_path_into(daily, 10.0, start, end, midpoint, rate, np.ones(14))
    assert_allclose(daily, 10.0 * factors, rtol=1e-9)
