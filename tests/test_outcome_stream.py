"""The strike-outcome stream: keyed by the seed, the same for the same seed, and independent
of the number of threads and of how many samples are run."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from conftest import fixed_scenario

from whatif.engine import missiles_needed, simulate
from whatif.scenario import Scenario

SAMPLES = 4_000


@pytest.fixture(scope="module")
def fixed():
    """Every assumption fixed at its central value: only the strike outcome is random."""
    return fixed_scenario()


def test_different_seeds_draw_different_outcomes_with_fixed_parameters(fixed):
    a = simulate(fixed, samples=SAMPLES, seed=0).outputs["capacity_loss"].to_numpy()
    b = simulate(fixed, samples=SAMPLES, seed=1).outputs["capacity_loss"].to_numpy()
    assert len(np.unique(a)) > 3  # the outcome is random
    # outcomes take a handful of values; two independent streams agree on a sample with
    # probability sum_v P(v)^2, which is what they should do and no more
    values, counts = np.unique(np.concatenate([a, b]), return_counts=True)
    p = counts / counts.sum()
    same = float(np.mean(a == b))
    expected_same = float(np.sum(p**2))
    assert expected_same < 0.5
    assert abs(same - expected_same) < 4 * np.sqrt(expected_same / SAMPLES) + 0.01
    # ... from the same distribution
    assert abs(a.mean() - b.mean()) < 4 * np.sqrt(2 * a.var() / SAMPLES)


def test_same_seed_draws_identical_outcomes(fixed):
    a = simulate(fixed, samples=SAMPLES, seed=5).outputs
    b = simulate(fixed, samples=SAMPLES, seed=5).outputs
    assert a.equals(b)


@pytest.fixture
def one_thread():
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(threads)


def test_results_do_not_depend_on_threads(one_thread):
    scenario = Scenario.default()
    single = simulate(scenario, samples=3000, seed=8, series=True)
    solved = missiles_needed(scenario, "drones_denied", 5000.0, samples=3000, seed=8)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    if numba.get_num_threads() < 2:
        pytest.skip("one thread only on this machine")
    threaded = simulate(scenario, samples=3000, seed=8, series=True)
    assert single.outputs.equals(threaded.outputs)
    assert single.series.equals(threaded.series)
    again = missiles_needed(scenario, "drones_denied", 5000.0, samples=3000, seed=8)
    assert solved.curve.equals(again.curve)


def test_a_sample_does_not_depend_on_how_many_are_run():
    # parameter draws and strike outcomes are indexed by sample: a longer run extends a shorter
    scenario = Scenario.default()
    short = simulate(scenario, samples=1000, seed=4).outputs
    long = simulate(scenario, samples=2500, seed=4).outputs
    assert short.equals(long.iloc[:1000])
