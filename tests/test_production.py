"""Production over time (MODEL.md §2): ramp, recovery, re-strikes, dispersal, disruption."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import ROW, run_chain, simple_scenario
from numpy.testing import assert_allclose, assert_array_equal

from whatif.engine import simulate
from whatif.model.production import (
    baseline_production,
    dispersal_makeup,
    plant_lost_share,
    production_after_strike,
    ramp_day_average,
    ramp_fraction,
    recovery_remaining,
)

# --- ramp_fraction ---------------------------------------------------------------------


def test_ramp_fraction_linear_is_t_over_r():
    days = np.arange(0, 400, dtype=float)
    assert_allclose(ramp_fraction(days, 365.0, 0), np.minimum(1.0, days / 365.0), atol=1e-15)
    assert ramp_fraction(73.0, 365.0, 0) == pytest.approx(0.2)
    assert ramp_fraction(365.0, 365.0, 0) == 1.0
    assert ramp_fraction(1000.0, 365.0, 0) == 1.0


@pytest.mark.parametrize("logistic", [0, 1])
def test_ramp_fraction_no_ramp_is_zero(logistic):
    # R = 0 means no ramp: output stays at production_now (share of the climb 0)
    assert_array_equal(ramp_fraction(np.array([0.0, 1.0, 50.0, 1e4]), 0.0, logistic), 0.0)


@pytest.mark.parametrize("ramp_days", [1.0, 7.0, 49.0, 180.0, 365.0, 730.0, 1000.5])
def test_ramp_fraction_logistic_endpoints_exact_and_monotone(ramp_days):
    assert ramp_fraction(0.0, ramp_days, 1) == 0.0
    assert ramp_fraction(ramp_days, ramp_days, 1) == 1.0
    assert ramp_fraction(ramp_days + 10.0, ramp_days, 1) == 1.0
    days = np.linspace(0.0, ramp_days, 501)
    values = ramp_fraction(days, ramp_days, 1)
    assert np.all(np.diff(values) >= 0.0)
    assert values.min() == 0.0 and values.max() == 1.0
    # symmetric S-curve: half-way at R/2
    assert ramp_fraction(ramp_days / 2, ramp_days, 1) == pytest.approx(0.5, abs=1e-12)


def test_ramp_fraction_logistic_hand_value():
    # x = t/R = 0.25, k = 10: (σ(-2.5) - σ(-5)) / (σ(5) - σ(-5))
    sigma = lambda z: 1.0 / (1.0 + math.exp(-z))  # noqa: E731
    expected = (sigma(-2.5) - sigma(-5.0)) / (sigma(5.0) - sigma(-5.0))
    assert expected == pytest.approx(0.0701035, abs=1e-6)
    assert ramp_fraction(25.0, 100.0, 1) == pytest.approx(expected, abs=1e-12)
    # a slow start: below the linear ramp in the first half, above it in the second
    assert ramp_fraction(25.0, 100.0, 1) < ramp_fraction(25.0, 100.0, 0)
    assert ramp_fraction(75.0, 100.0, 1) > ramp_fraction(75.0, 100.0, 0)


# --- baseline_production ---------------------------------------------------------------


def test_baseline_production_hand_values():
    # P(t) = P0 + (P_target - P0) t/R: 100 + 900 * 73/365 = 280 (docstring)
    assert baseline_production(73.0, 100.0, 1000.0, 365.0, 0) == pytest.approx(280.0)
    assert baseline_production(0.0, 100.0, 1000.0, 365.0, 0) == 100.0
    assert baseline_production(365.0, 100.0, 1000.0, 365.0, 0) == 1000.0
    assert baseline_production(500.0, 100.0, 1000.0, 365.0, 1) == 1000.0
    # no ramp: stays at production_now
    assert_array_equal(baseline_production(np.arange(10.0), 110.0, 1000.0, 0.0, 0), 110.0)


def test_baseline_production_scalar_array_batch_identical():
    days = np.arange(0.0, 12.0).reshape(3, 4) * 40.0
    scalars = np.array([[baseline_production(t, 110.0, 1000.0, 365.0, 1) for t in row]
                        for row in days])
    assert_array_equal(baseline_production(days, 110.0, 1000.0, 365.0, 1), scalars)
    assert_array_equal(baseline_production(days.ravel(), 110.0, 1000.0, 365.0, 1),
                       scalars.ravel())


# --- ramp_day_average ------------------------------------------------------------------


def test_ramp_day_average_hand_values():
    # average of min(1, τ/4) over [t, t+1): (2t + 1)/8 while t + 1 <= 4, then 1
    assert_allclose(ramp_day_average(np.arange(6.0), 4.0),
                    [1 / 8, 3 / 8, 5 / 8, 7 / 8, 1.0, 1.0], atol=1e-15)
    # L = 2.5, day 2: ∫_2^2.5 τ/2.5 dτ + 0.5 = (6.25 - 4)/5 + 0.5 = 0.95
    assert ramp_day_average(2.0, 2.5) == pytest.approx(0.95, abs=1e-15)
    # L <= 0: already at 1
    assert ramp_day_average(0.0, 0.0) == 1.0


@pytest.mark.parametrize("length", [1.0, 2.5, 10.0, 45.5, 100.0])
@pytest.mark.parametrize("horizon", [1, 50, 120])
def test_ramp_day_average_sums_to_integral(length, horizon):
    # Σ_{t=0}^{H-1} = ∫_0^H min(1, τ/L) dτ = H²/(2L) if H <= L, else H - L/2
    days = np.arange(horizon, dtype=float)
    integral = horizon**2 / (2 * length) if horizon <= length else horizon - length / 2
    assert ramp_day_average(days, length).sum() == pytest.approx(integral, rel=1e-12)


# --- recovery_remaining ----------------------------------------------------------------


def test_recovery_remaining_linear_hand_values():
    # a 10-day linear repair: day t averages 1 - (t + 0.5)/10
    assert_allclose(recovery_remaining(np.arange(12.0), 10.0, 0),
                    [0.95, 0.85, 0.75, 0.65, 0.55, 0.45, 0.35, 0.25, 0.15, 0.05, 0.0, 0.0],
                    atol=1e-15)
    assert recovery_remaining(-1.0, 10.0, 0) == 0.0  # before the salvo
    assert recovery_remaining(-1.0, 10.0, 1) == 0.0


@pytest.mark.parametrize("repair_days", [1.0, 7.3, 30.0, 45.5, 60.0, 365.0])
def test_recovery_remaining_linear_sums_to_half_t(repair_days):
    # Σ_t max(0, 1 - τ/T) averaged per day = ∫_0^T (1 - τ/T) dτ = T/2 exactly
    days = np.arange(0.0, repair_days + 5)
    assert recovery_remaining(days, repair_days, 0).sum() == pytest.approx(repair_days / 2,
                                                                         rel=1e-12)


def test_recovery_remaining_exponential_hand_value():
    # day average of exp(-3τ/T) over [t, t+1) = exp(-3t/T) (1 - exp(-3/T)) / (3/T)
    t, big_t = 4.0, 30.0
    rate = 3 / big_t
    expected = math.exp(-rate * t) * (1 - math.exp(-rate)) / rate
    assert recovery_remaining(t, big_t, 1) == pytest.approx(expected, rel=1e-12)
    assert recovery_remaining(0.0, 30.0, 1) < 1.0


@pytest.mark.parametrize("repair_days", [3.0, 30.0, 60.0, 200.0])
def test_recovery_remaining_exponential_sums_to_third_t(repair_days):
    # Σ_{t<H} = ∫_0^H exp(-3τ/T) dτ = (T/3)(1 - exp(-3H/T)) → T/3
    for horizon in (20, 180, 5000):
        days = np.arange(float(horizon))
        expected = repair_days / 3 * (1 - math.exp(-3 * horizon / repair_days))
        assert recovery_remaining(days, repair_days, 1).sum() == pytest.approx(expected,
                                                                             rel=1e-10)
    days = np.arange(0.0, 40 * repair_days)
    assert recovery_remaining(days, repair_days, 1).sum() == pytest.approx(repair_days / 3,
                                                                         rel=1e-10)


# --- the MODEL.md §2 check: drones_denied = P L T / 2 ----------------------------------


def test_drones_denied_equals_plt_over_two_via_simulate():
    # one missile, r = 1, D = 0, q = 0.5 on one aimpoint → L = 0.5; P = 100/day constant,
    # s = 1, linear T = 60, no dispersal, horizon 180 ≥ T: P L T / 2 = 100 * 0.5 * 60 / 2
    result = simulate(simple_scenario(), samples=0)
    summary = result.summary["mean"]
    assert summary["capacity_loss"] == pytest.approx(0.5, abs=1e-15)
    assert summary["drones_denied"] == pytest.approx(1500.0, rel=1e-12)
    # target_share_denied = drones_denied / (production_target * horizon_days)
    assert summary["target_share_denied"] == pytest.approx(1500.0 / (1000.0 * 180), rel=1e-12)
    # output < 90 %: 0.5 * (1 - (t + 0.5)/60) > 0.1 ⇔ t + 0.5 < 48 ⇔ t <= 47 → 48 days
    assert summary["days_disrupted"] == 48


@pytest.mark.parametrize(
    ("p", "loss", "t"), [(100.0, 0.5, 60.0), (250.0, 0.8, 45.5), (1000.0, 1.0, 180.0),
                         (37.0, 0.25, 1.0)]
)
def test_drones_denied_equals_plt_over_two_via_daily_chain(p, loss, t):
    out, series = run_chain(production_now=p, salvo_losses=(loss,), repair_days=t,
                            horizon_days=180)
    assert out["drones_denied"] == pytest.approx(p * loss * t / 2, rel=1e-12)
    # the series agrees: Σ (P_base - P_strike) over the horizon
    assert (series[ROW["production_baseline"]] - series[ROW["production_strike"]]).sum() == (
        pytest.approx(p * loss * t / 2, rel=1e-12))
    assert_array_equal(series[ROW["production_baseline"]], p)


def test_drones_denied_exponential_recovery():
    # exponential: Σ = P L (T/3)(1 - exp(-3H/T)) = 100 * 0.5 * 20 * (1 - e^-9)
    out, _ = run_chain(salvo_losses=(0.5,), repair_days=60.0, exponential=1, horizon_days=180)
    assert out["drones_denied"] == pytest.approx(100 * 0.5 * 20 * (1 - math.exp(-9)), rel=1e-10)


def test_drones_denied_short_horizon_truncates():
    # horizon H < T: ∫_0^H (1 - τ/T) = H - H²/(2T) = 30 - 900/120 = 22.5 plant-days
    out, _ = run_chain(production_now=100.0, salvo_losses=(1.0,), repair_days=60.0,
                       horizon_days=30)
    assert out["drones_denied"] == pytest.approx(100 * 22.5, rel=1e-12)


def test_site_share_scales_the_shortfall():
    # s = 0.85: shortfall = P s L (1 - t/T) → 0.85 * 1500
    out, series = run_chain(site_share=0.85)
    assert out["drones_denied"] == pytest.approx(0.85 * 1500.0, rel=1e-12)
    day = 10
    expected = 100 * (1 - 0.85 * 0.5 * (1 - 10.5 / 60))
    assert series[ROW["production_strike"], day] == pytest.approx(expected, rel=1e-12)
    assert production_after_strike(100.0, 0.85, 0.5 * (1 - 10.5 / 60), 0.0) == pytest.approx(
        expected, rel=1e-12)


def test_ramping_baseline_in_the_chain():
    out, series = run_chain(production_now=110.0, production_target=1000.0, ramp_days=365.0,
                            logistic=1, horizon_days=400)
    days = np.arange(400.0)
    assert_allclose(series[ROW["production_baseline"]],
                    baseline_production(days, 110.0, 1000.0, 365.0, 1), rtol=1e-12)
    # shortfall = P_base(t) L remaining(t)
    expected = baseline_production(days, 110.0, 1000.0, 365.0, 1) * 0.5 * recovery_remaining(
        days, 60.0, 0)
    assert out["drones_denied"] == pytest.approx(expected.sum(), rel=1e-12)


# --- re-strikes ------------------------------------------------------------------------


def test_restrike_adds_loss_to_what_is_still_out():
    # two salvos of 0.4, 10 days apart, linear T = 100:
    # day 5:  0.4 (1 - 5.5/100) = 0.378 (second salvo not yet)
    # day 12: 0.4 (1 - 12.5/100) + 0.4 (1 - 2.5/100) = 0.35 + 0.39 = 0.74
    days, losses = np.array([0.0, 10.0]), np.array([0.4, 0.4])
    assert plant_lost_share(5.0, days, losses, 100.0, 0) == pytest.approx(0.378, abs=1e-12)
    assert plant_lost_share(12.0, days, losses, 100.0, 0) == pytest.approx(0.74, abs=1e-12)
    _, series = run_chain(salvo_losses=(0.4, 0.4), restrike_interval_days=10.0,
                          repair_days=100.0, horizon_days=30)
    lost = series[ROW["plant_capacity_lost"]]
    assert lost[5] == pytest.approx(0.378, abs=1e-12)
    assert lost[12] == pytest.approx(0.74, abs=1e-12)
    assert series[ROW["production_strike"], 12] == pytest.approx(100 * (1 - 0.74), rel=1e-12)


def test_restrike_capped_at_one():
    # two salvos of 0.6, 10 days apart: day 12 → 0.6 * 0.875 + 0.6 * 0.975 = 1.11 → capped at 1
    days, losses = np.array([0.0, 10.0]), np.array([0.6, 0.6])
    assert plant_lost_share(12.0, days, losses, 100.0, 0) == 1.0
    _, series = run_chain(salvo_losses=(0.6, 0.6), restrike_interval_days=10.0,
                          repair_days=100.0, horizon_days=30)
    lost = series[ROW["plant_capacity_lost"]]
    assert lost[12] == 1.0
    assert series[ROW["production_strike"], 12] == pytest.approx(0.0, abs=1e-12)
    assert np.all(lost <= 1.0)
    # day 9 (before the re-strike) is the first salvo alone: 0.6 * (1 - 9.5/100)
    assert lost[9] == pytest.approx(0.6 * 0.905, abs=1e-12)


def test_restrike_through_simulate():
    # same as above through the engine: q = 0.4 → each salvo loses 0.4
    sc = simple_scenario(aimpoint_kill_probability=0.4, restrikes=1, restrike_interval_days=10,
                         repair_days=100.0)
    result = simulate(sc, samples=0, series=True)
    lost = result.series[("plant_capacity_lost", "p50")]
    assert lost[12] == pytest.approx(0.74, abs=1e-12)
    # drones denied: each salvo alone would give P L T/2 = 2000 and neither is capped
    assert result.summary.loc["drones_denied", "mean"] == pytest.approx(4000.0, rel=1e-12)


# --- dispersal -------------------------------------------------------------------------


def test_dispersal_makeup_hand_values():
    # other sites reach d = 0.5 over 4 days, day-averaged: 0.5 * (2t + 1)/8
    assert_allclose(dispersal_makeup(np.arange(6.0), 0.5, 4.0),
                    0.5 * np.array([1 / 8, 3 / 8, 5 / 8, 7 / 8, 1, 1]), atol=1e-15)


def test_dispersal_reduces_shortfall_by_made_up_share():
    plain, plain_series = run_chain()
    out, series = run_chain(dispersal_share=0.5, dispersal_days=1.0)
    short_plain = plain_series[ROW["production_baseline"]] - plain_series[ROW["production_strike"]]
    short = series[ROW["production_baseline"]] - series[ROW["production_strike"]]
    # day 0 the other sites have made up 0.5 * 0.5 = 0.25, then 0.5 on every later day
    assert short[0] == pytest.approx(0.75 * short_plain[0], rel=1e-12)
    assert_allclose(short[1:], 0.5 * short_plain[1:], rtol=1e-12)
    # total: 50 [0.75 r0 + 0.5 (30 - r0)] with r0 = 1 - 0.5/60
    r0 = 1 - 0.5 / 60
    assert out["drones_denied"] == pytest.approx(50 * (0.75 * r0 + 0.5 * (30 - r0)), rel=1e-12)
    # full make-up: nothing denied after day 0
    out_full, _ = run_chain(dispersal_share=1.0, dispersal_days=1.0)
    assert out_full["drones_denied"] == pytest.approx(50 * 0.5 * r0, rel=1e-12)


# --- days_disrupted --------------------------------------------------------------------


def test_days_disrupted_hand_case():
    # L = 1, s = 1, linear T = 100, no dispersal: output < 90 % of baseline while the
    # day-averaged remaining share 1 - (t + 0.5)/100 > 0.1 ⇔ t <= 89 → 90 days
    out, series = run_chain(salvo_losses=(1.0,), repair_days=100.0, horizon_days=180)
    assert out["days_disrupted"] == 90
    ratio = series[ROW["production_strike"]] / series[ROW["production_baseline"]]
    assert int(np.sum(ratio < 0.9)) == 90
    assert ratio[89] < 0.9 <= ratio[90]


def test_days_disrupted_small_loss_is_zero_and_site_share_matters():
    # L = 0.1 never takes output 10 % below baseline
    assert run_chain(salvo_losses=(0.1,))[0]["days_disrupted"] == 0
    # s = 0.5, L = 1, T = 100: 0.5 (1 - (t + 0.5)/100) > 0.1 ⇔ t + 0.5 < 80 → 80 days
    assert run_chain(salvo_losses=(1.0,), site_share=0.5, repair_days=100.0)[0][
        "days_disrupted"] == 80
    # capped by the horizon
    assert run_chain(salvo_losses=(1.0,), repair_days=100.0, horizon_days=30)[0][
        "days_disrupted"] == 30
