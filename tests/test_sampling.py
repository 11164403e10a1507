"""Seeded unit samples mapped through each distribution's inverse CDF (SALib style).

Draws are checked by their moments and percentiles against the distribution (PySD
style), with 200,000 draws: standard errors are ~0.2 % of the spread, so the
tolerances below are several standard errors wide.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from whatif.outputs import percentiles
from whatif.params import REGISTRY, Assumption
from whatif.sampling import THREADED_DRAWS, Z95, draw_matrix, outcome_key, ppf

N = 200_000


@pytest.fixture(scope="module")
def unit():
    """200,000 Uniform(0, 1) draws to map through ``ppf``."""
    return np.random.default_rng(12345).random(N)


def _se(spread: float) -> float:
    return spread / math.sqrt(N)


def test_triangular_moments(unit):
    a, m, b = 0.75, 0.9, 0.98
    values = ppf(Assumption(m, a, b, "triangular"), unit, REGISTRY["launch_reliability"])
    assert values.min() >= a and values.max() <= b
    mean = (a + m + b) / 3  # triangular mean
    var = (a * a + m * m + b * b - a * m - a * b - m * b) / 18  # triangular variance
    assert abs(values.mean() - mean) < 5 * _se(math.sqrt(var))
    assert values.var() == pytest.approx(var, rel=0.02)
    # CDF at the mode is (m - a)/(b - a)
    assert np.mean(values <= m) == pytest.approx((m - a) / (b - a), abs=0.005)
    # and the whole distribution
    dist = stats.triang((m - a) / (b - a), loc=a, scale=b - a)
    assert_percentiles(values, dist)


def test_triangular_at_an_edge(unit):
    # mode at the low end: right-angled triangle, mean (2a + b)/3
    values = ppf(Assumption(0.0, 0.0, 0.6, "triangular"), unit, REGISTRY["dispersal_share"])
    assert values.mean() == pytest.approx(0.2, abs=0.002)
    assert values.min() >= 0.0 and values.max() <= 0.6


def test_uniform_moments(unit):
    a, b = 30.0, 180.0
    values = ppf(Assumption(105.0, a, b, "uniform"), unit, REGISTRY["repair_days"])
    assert abs(values.mean() - (a + b) / 2) < 5 * _se((b - a) / math.sqrt(12))
    assert values.var() == pytest.approx((b - a) ** 2 / 12, rel=0.02)
    assert_percentiles(values, stats.uniform(loc=a, scale=b - a))


def test_pert_moments(unit):
    a, m, b = 5_000.0, 30_000.0, 100_000.0
    values = ppf(Assumption(m, a, b, "pert"), unit, REGISTRY["defense_cost_per_drone"])
    mean = (a + 4 * m + b) / 6  # PERT mean
    alpha = 1 + 4 * (m - a) / (b - a)
    beta = 1 + 4 * (b - m) / (b - a)
    var = (mean - a) * (b - mean) / 7  # PERT variance (α + β = 6)
    assert abs(values.mean() - mean) < 5 * _se(math.sqrt(var))
    assert values.var() == pytest.approx(var, rel=0.02)
    assert_percentiles(values, stats.beta(alpha, beta, loc=a, scale=b - a))


def test_lognormal_low_high_are_5th_and_95th_percentiles(unit):
    # mw_per_hit bounds 0..2000 are far in the tails: the truncation is negligible
    low, high = 1.0, 10.0
    values = ppf(Assumption(math.sqrt(10.0), low, high, "lognormal"), unit, REGISTRY["mw_per_hit"])
    p5, p50, p95 = np.percentile(values, [5, 50, 95])
    assert p5 == pytest.approx(low, rel=0.02)
    assert p95 == pytest.approx(high, rel=0.02)
    assert p50 == pytest.approx(math.sqrt(low * high), rel=0.02)  # median = exp(mu)
    # scipy's convention: s = sigma, scale = exp(mu)
    sigma = math.log(high / low) / (2 * Z95)
    dist = stats.lognorm(s=sigma, scale=math.sqrt(low * high))
    assert values.mean() == pytest.approx(dist.mean(), rel=0.01)
    assert_percentiles(values, dist)


def test_lognormal_truncated_to_bounds_not_clipped(unit):
    # site_share lognormal with 90 % interval 0.5..0.99: the tail above 1 is cut off and the
    # rest renormalised, so no mass piles up at the bound
    param = REGISTRY["site_share"]
    low, high = 0.5, 0.99
    values = ppf(Assumption(0.7, low, high, "lognormal"), unit, param)
    assert values.min() >= param.lower_bound and values.max() <= param.upper_bound
    assert np.mean(values >= 0.9999) < 0.001
    mu = 0.5 * (math.log(low) + math.log(high))
    sigma = (math.log(high) - math.log(low)) / (2 * Z95)
    full = stats.lognorm(s=sigma, scale=math.exp(mu))
    # truncated CDF: F(x)/F(1) for x <= 1
    x = 0.8
    assert np.mean(values <= x) == pytest.approx(full.cdf(x) / full.cdf(1.0), abs=0.005)


def test_fixed_returns_central(unit):
    values = ppf(Assumption(0.85, 0.7, 1.0, "fixed"), unit, REGISTRY["site_share"])
    assert np.all(values == 0.85)
    # low == high is fixed whatever the dist
    values = ppf(Assumption(0.5, 0.5, 0.5, "triangular"), unit, REGISTRY["site_share"])
    assert np.all(values == 0.5)


def test_integer_parameters_come_out_whole(unit):
    param = REGISTRY["defense_engagements"]
    assert param.kind == "integer"
    values = ppf(param.default, unit, param)
    assert np.all(values == np.rint(values))
    assert values.min() >= param.default.low and values.max() <= param.default.high
    # rounding a triangular(0, 8, 20): mean stays (0 + 8 + 20)/3 up to the edge effects
    assert values.mean() == pytest.approx(28 / 3, abs=0.05)
    for name in ("restrikes", "restrike_interval_days", "missiles"):
        param = REGISTRY[name]
        spec = Assumption(param.default.low + 0.0, param.default.low, param.default.high,
                          "uniform")
        drawn = ppf(spec, unit[:1000], param)
        assert np.all(drawn == np.rint(drawn)), name


def test_ppf_is_monotone_in_u():
    u = np.linspace(0.0, 0.999999, 2001)
    for spec, name in [
        (Assumption(0.9, 0.75, 0.98, "triangular"), "launch_reliability"),
        (Assumption(30e3, 5e3, 100e3, "pert"), "defense_cost_per_drone"),
        (Assumption(3.0, 1.0, 10.0, "lognormal"), "mw_per_hit"),
        (Assumption(0.5, 0.2, 0.8, "uniform"), "intercept_probability"),
    ]:
        values = ppf(spec, u, REGISTRY[name])
        assert np.all(np.diff(values) >= 0), name
        assert np.all(np.isfinite(values)), name


# --- seeds -----------------------------------------------------------------------------


def _unit_draws(samples: int, columns: int, seed: int) -> np.ndarray:
    """Uniform(0, 1) draws of ``columns`` assumptions (the uniform ppf is the identity)."""
    share = REGISTRY["site_share"]  # 0 to 1
    return draw_matrix([Assumption(0.5, 0.0, 1.0, "uniform")] * columns, [share] * columns,
                       samples, seed)


def test_draws_shape_range_and_seed():
    first = _unit_draws(1000, 5, 7)
    # 1000 draws of 5 parameters (the package may store parameters on either axis)
    assert sorted(first.shape) == [5, 1000]
    per_parameter = first if first.shape[0] == 5 else first.T
    assert first.min() >= 0.0 and first.max() < 1.0
    np.testing.assert_array_equal(first, _unit_draws(1000, 5, 7))
    other = _unit_draws(1000, 5, 8)
    assert not np.any(first == other)
    # the parameters' draws are not copies of each other
    assert np.abs(np.corrcoef(per_parameter) - np.eye(5)).max() < 0.15
    # roughly uniform
    assert first.mean() == pytest.approx(0.5, abs=0.02)


def test_draws_into_a_given_array_equal_fresh_draws():
    """``out=``: the same numbers, written where the kernel's theta wants them; a wrong
    shape or strided rows are refused."""
    share = REGISTRY["site_share"]
    assumptions = [Assumption(0.5, 0.0, 1.0, "uniform"), Assumption(0.3, 0.1, 0.9, "triangular"),
                   Assumption(0.5, 0.5, 0.5, "fixed")]
    fresh = draw_matrix(assumptions, [share] * 3, 500, 11)
    theta = np.empty((5, 500)).T  # columns contiguous, as the kernel's
    into = draw_matrix(assumptions, [share] * 3, 500, 11, out=theta.T[:3])
    assert np.shares_memory(into, theta)
    np.testing.assert_array_equal(theta[:, :3].T, fresh)
    with pytest.raises(ValueError, match="shape"):
        draw_matrix(assumptions, [share] * 3, 500, 11, out=np.empty((3, 499)))
    with pytest.raises(ValueError, match="contiguous rows"):
        draw_matrix(assumptions, [share] * 3, 500, 11, out=np.empty((500, 3)).T)


def test_long_rows_drawn_on_threads_are_the_same_numbers():
    """From THREADED_DRAWS samples each row is drawn on its own thread: every row is still
    its own stream (a longer run's first draws are a shorter run's), and long rows' order
    statistics are those of ``np.percentile``."""
    share = REGISTRY["site_share"]
    assumptions = [Assumption(0.5, 0.0, 1.0, "uniform"), Assumption(0.3, 0.1, 0.9, "triangular"),
                   Assumption(0.5, 0.5, 0.5, "fixed"), Assumption(0.4, 0.2, 0.8, "pert")]
    long = draw_matrix(assumptions, [share] * 4, THREADED_DRAWS + 5, 3)
    short = draw_matrix(assumptions, [share] * 4, 700, 3)  # drawn on this thread
    np.testing.assert_array_equal(long[:, :700], short)
    assert not np.array_equal(long[0, :700], long[1, :700])
    ranked = percentiles(long)
    for level, value in zip((10, 50, 90), ranked, strict=True):
        np.testing.assert_array_equal(value, np.percentile(long, level, axis=-1))


def test_outcome_key_is_seeded():
    assert outcome_key(3) == outcome_key(3)
    assert outcome_key(3) != outcome_key(4)
    assert isinstance(outcome_key(3), np.uint64)


def assert_percentiles(values, dist, qs=(0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)):
    """Empirical quantiles match the distribution's to within 1 % of its 5–95 % span."""
    spread = dist.ppf(0.95) - dist.ppf(0.05)
    empirical = np.quantile(values, qs)
    np.testing.assert_allclose(empirical, dist.ppf(qs), atol=0.01 * spread)
