"""The plain-NumPy reference (benchmarks/numpy_reference.py) against the package.

Two purposes: an independent check of the numba-compiled chain (the reference is
written from MODEL.md and the documented rules, in plain NumPy), and proof that
``benchmarks/bench_model.py`` times the same arithmetic on both sides.

Per-sample outputs must agree to ~1e-9 relative (values near zero are compared on the
scale of their column); ``missiles_needed`` curves and per-sample salvo sizes must be
identical.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy_reference as ref  # noqa: E402

from whatif import Scenario, missiles_needed, simulate  # noqa: E402
from whatif.engine import compile_scenario  # noqa: E402
from whatif.model import chain, layout  # noqa: E402
from whatif.model.rng import sub_key, uniform  # noqa: E402

SCENARIOS = ROOT / "data" / "scenarios"
SAMPLES = 2_000
RTOL = 1e-9


def load(name: str) -> Scenario:
    return Scenario.from_yaml(SCENARIOS / f"{name}.yaml")


#: the bundled scenarios (trend and target paths, drawdown) and variants of the baseline
#: for the custom path and the other stock policies
VARIANTS = {
    "custom-rebuild": ("baseline", {"production_path": "custom", "stock_policy": "rebuild",
                                    "production_points": "0:80;60:140;200:90"}),
    "target-hold": ("stated-target", {"stock_policy": "hold"}),
}


@pytest.fixture(scope="module", params=["baseline", "dispersal-restrikes", *VARIANTS])
def scenario(request) -> Scenario:
    if request.param in VARIANTS:
        name, values = VARIANTS[request.param]
        return load(name).with_values(**values)
    return load(request.param)


def package_run(compiled, record: bool = False, theta=None):
    theta = compiled.theta if theta is None else np.asfortranarray(theta)
    return chain.run_samples(theta, compiled.shared, record)


def with_mode(compiled, stochastic: bool):
    """``compiled`` with its strike outcomes drawn (True) or expected (False)."""
    return dataclasses.replace(compiled,
                               shared=compiled.shared._replace(stochastic=stochastic))


def assert_outputs_close(actual: np.ndarray, expected: np.ndarray) -> None:
    """Per sample and output: relative 1e-9; values near zero (cancellation) to 1e-12 of
    the column's largest value."""
    assert actual.shape == expected.shape
    scale = np.abs(expected).max(axis=0, keepdims=True)
    excess = np.abs(actual - expected) - RTOL * np.maximum(np.abs(expected), 1e-3 * scale)
    if (excess > 0).any():
        s, o = np.unravel_index(np.argmax(excess), excess.shape)
        raise AssertionError(
            f"{(excess > 0).sum()} values differ; worst: sample {s}, {chain.OUTPUTS[o]}: "
            f"reference {actual[s, o]!r} vs package {expected[s, o]!r}")


# --- the counter-based generator --------------------------------------------------------------
def test_splitmix_matches_package():
    key = np.uint64(0xDEADBEEF12345678)
    for index in (0, 1, 2, 7, 12345, 2**40 + 3):
        assert int(ref.sub_key(key, index)) == int(sub_key(key, index))
        assert float(ref.uniform(key, index)) == uniform(key, index)
    indices = np.arange(1000)
    keys = ref.sub_key(key, indices)
    assert [int(k) for k in keys[:50]] == [int(sub_key(key, int(i))) for i in indices[:50]]
    draws = ref.uniform(keys[5], indices)
    assert np.array_equal(draws, [uniform(keys[5], int(i)) for i in indices])


# --- per-sample outputs -----------------------------------------------------------------------
@pytest.mark.parametrize("stochastic", [True, False], ids=["monte-carlo", "deterministic"])
def test_outputs_match(scenario, stochastic):
    compiled, _ = compile_scenario(scenario, SAMPLES, 0)
    compiled = with_mode(compiled, stochastic)  # expected outcome if False
    expected, _ = package_run(compiled)
    actual, _ = ref.run_samples(compiled, chunk=700)  # several chunks, one partial
    assert_outputs_close(actual, expected)


def test_central_values_match(scenario):
    compiled, _ = compile_scenario(scenario, 0, 0)  # samples=0: one row of central values
    expected, _ = package_run(compiled)
    actual, _ = ref.run_samples(compiled)
    assert_outputs_close(actual, expected)
    summary = simulate(scenario, samples=0).summary
    assert_outputs_close(actual, summary["p50"].to_numpy()[None, :])


def test_summary_matches_simulate(scenario):
    result = simulate(scenario, samples=SAMPLES, seed=3)
    reference = ref.simulate(scenario, samples=SAMPLES, seed=3)
    assert_outputs_close(reference["outputs"], result.outputs.to_numpy())
    for stat in ref.STATS:
        np.testing.assert_allclose(reference["summary"][stat], result.summary[stat].to_numpy(),
                                   rtol=RTOL, atol=1e-9)


def test_series_and_bands_match(scenario):
    compiled, _ = compile_scenario(scenario, 500, 0)
    _, expected = package_run(compiled, record=True)  # (series, days, samples)
    _, actual = ref.run_samples(compiled, record=True)  # (series, days, samples)
    scale = np.abs(expected).max(axis=(1, 2), keepdims=True)
    worst = (np.abs(actual - expected) / scale).max(axis=(1, 2))  # per series, on its scale
    assert (worst <= RTOL).all(), dict(zip(ref.SERIES, worst, strict=False))

    result = simulate(scenario, samples=500, seed=0, series=True)
    bands = ref.simulate(scenario, samples=500, seed=0, series=True)["bands"]
    for i, name in enumerate(ref.SERIES):
        for stat in ref.STATS:
            np.testing.assert_allclose(bands[stat][i], result.series[(name, stat)].to_numpy(),
                                       rtol=RTOL, atol=RTOL * float(scale[i, 0, 0]))


@pytest.mark.parametrize("stochastic", [True, False], ids=["monte-carlo", "deterministic"])
def test_rows_with_their_own_horizon_and_choices_match(scenario, stochastic):
    # the kernel reads the horizon and the choices from each row (as the tornado sets them);
    # series run to the longest horizon, outputs stop at each row's own
    compiled, _ = compile_scenario(scenario, 600, 0)
    compiled = with_mode(compiled, stochastic)
    theta = np.array(compiled.theta, order="F")
    rng = np.random.default_rng(5)
    theta[:, layout.HORIZON_DAYS] = rng.choice([30, 179, 365], size=theta.shape[0])
    for column in (layout.ALLOCATION, layout.RAMP_SHAPE, layout.RECOVERY):
        theta[:, column] = rng.integers(0, 2, size=theta.shape[0])
    expected, expected_series = package_run(compiled, record=True, theta=theta)
    plain, _ = package_run(compiled, record=False, theta=theta)
    actual, actual_series = ref.run_samples(compiled, theta, record=True, chunk=250)
    assert_outputs_close(actual, expected)
    assert_outputs_close(plain, expected)  # the fast path (no series) agrees with the full one
    assert expected_series.shape == (len(ref.SERIES), 365, 600)
    scale = np.abs(expected_series).max(axis=(1, 2), keepdims=True)
    assert (np.abs(actual_series - expected_series) / scale).max() <= RTOL
    # the choices and horizons matter: rows differing only in them differ in their outputs
    assert len({round(v, 6) for v in expected[:, chain.OUTPUTS.index("drones_denied")]}) > 100


# --- missiles_needed ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("objective", "at_least"),
    [("capacity_loss", 0.5), ("drones_denied", 5000.0), ("days_disrupted", 90.0)],
)
def test_salvo_needed_matches(scenario, objective, at_least):
    compiled, _ = compile_scenario(scenario, SAMPLES, 0)
    index = chain.OUTPUTS.index(objective)
    for stochastic in (True, False):
        c = with_mode(compiled, stochastic)
        expected = chain.salvo_needed(c.theta, c.shared, index, at_least, 300)
        actual = ref.salvo_needed(c, index, at_least, 300, chunk=700)
        assert np.array_equal(actual, expected), (objective, stochastic)


@pytest.mark.parametrize("samples", [SAMPLES, 0], ids=["monte-carlo", "deterministic"])
@pytest.mark.parametrize(
    ("objective", "at_least"),
    [("capacity_loss", 0.5), ("drones_denied", 5000.0), ("energy_hit_reduction", 0.05)],
)
def test_missiles_needed_curve_matches(scenario, objective, at_least, samples):
    result = missiles_needed(scenario, objective, at_least, 0.8, samples=samples, seed=1)
    reference = ref.missiles_needed(scenario, objective, at_least, 0.8, samples=samples, seed=1)
    assert reference["missiles_needed"] == result.missiles_needed
    assert np.array_equal(reference["missiles"], result.curve["missiles"].to_numpy())
    assert np.array_equal(reference["probability"], result.curve["probability"].to_numpy())
