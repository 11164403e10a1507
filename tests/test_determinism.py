"""A sample's figures are the same to the last digit however it is run.

The kernels are compiled once (one array type in, whatever the number of rows or their
order) and without fastmath, so a figure does not change with the compiled variant or
the context the compiler inlined it into: alone or among others, in C or Fortran order,
with or without the daily series, by ``simulate`` or by the ``missiles_needed`` solver.
"""

from __future__ import annotations

import numpy as np
import pytest

from whatif.engine import compile_scenario
from whatif.model import chain, layout
from whatif.model.layout import OUTPUT_NAMES as OUTPUTS
from whatif.scenario import Scenario

SAMPLES = 400

#: one of each production path, stock policy and recovery
VARIANTS = {
    "trend, drawdown": {},
    "target, hold": {"production_path": "target", "stock_policy": "hold"},
    "target, rebuild": {"production_path": "target", "stock_policy": "rebuild"},
    "custom, exponential": {"production_path": "custom", "recovery": "exponential"},
    "trend, restrikes": {"restrikes": 2, "restrike_interval_days": 30},
}


@pytest.fixture(scope="module", params=list(VARIANTS))
def compiled(request):
    scenario = Scenario.default().with_values(**VARIANTS[request.param])
    return compile_scenario(scenario, SAMPLES, seed=11)[0]


def test_order_of_theta_does_not_change_a_figure(compiled):
    fortran, _ = chain.run_samples(np.asfortranarray(compiled.theta), compiled.shared, False)
    c_order, _ = chain.run_samples(np.ascontiguousarray(compiled.theta), compiled.shared, False)
    assert np.array_equal(fortran, c_order)
    assert np.isfinite(fortran).all() and fortran[:, OUTPUTS.index("drones_denied")].max() > 0


def test_recording_the_series_does_not_change_a_figure(compiled):
    plain, _ = chain.run_samples(compiled.theta, compiled.shared, False)
    recorded, daily = chain.run_samples(compiled.theta, compiled.shared, True)
    assert np.array_equal(plain, recorded)  # bit for bit, every output
    # and the series are those outputs' days: the launches denied over the horizon
    horizon = compiled.theta[:, layout.HORIZON_DAYS].astype(int)
    for s in range(0, SAMPLES, 37):
        days = slice(0, horizon[s])
        lost = (daily[layout.LAUNCHES_BASELINE, days, s]
                - daily[layout.LAUNCHES_STRIKE, days, s]).sum()
        assert lost == pytest.approx(recorded[s, OUTPUTS.index("energy_hits_averted")]
                                     / (compiled.theta[s, layout.ENERGY_SHARE]
                                        * (1 - compiled.theta[s, layout.DEFEAT_RATE])),
                                     rel=1e-9, abs=1e-9)


def test_a_row_alone_gives_the_figures_it_gives_among_others(compiled):
    # the expected strike outcome (no draws keyed by the row's position)
    shared = compiled.shared._replace(stochastic=False)
    together, _ = chain.run_samples(compiled.theta, shared, False)
    for s in (0, 1, 57, SAMPLES - 1):
        alone, _ = chain.run_samples(compiled.theta[s:s + 1], shared, False)
        assert np.array_equal(alone[0], together[s])


def test_the_solver_evaluates_the_same_figures(compiled):
    # the smallest salvo the solver finds reaches the objective in a direct run, and one
    # missile fewer does not: compared exactly, at the solver's own threshold
    index = OUTPUTS.index("drones_denied")
    values, _ = chain.run_samples(compiled.theta, compiled.shared, False)
    at_least = float(np.quantile(values[:, index], 0.4))
    needed = chain.salvo_needed(compiled.theta, compiled.shared, index, at_least, 120)
    reached = needed <= 120
    assert 0 < reached.sum() < SAMPLES or reached.all()
    theta = compiled.theta.copy()
    theta[:, layout.MISSILES] = np.where(reached, needed, 0)
    at_needed, _ = chain.run_samples(theta, compiled.shared, False)
    assert (at_needed[reached, index] >= at_least).all()
    fewer = reached & (needed > 0)
    theta[:, layout.MISSILES] = np.where(fewer, needed - 1, 0)
    below, _ = chain.run_samples(theta, compiled.shared, False)
    assert (below[fewer, index] < at_least).all()


def test_each_kernel_is_compiled_once():
    # every call above and in the rest of the suite hands the kernels one array type
    single = compile_scenario(Scenario.default(), 0)[0]
    chain.run_samples(single.theta, single.shared, False)
    chain.run_samples(np.ascontiguousarray(single.theta), single.shared, True)
    assert len(chain._run_samples_into.signatures) == 1
    chain.salvo_needed(single.theta, single.shared, 0, 0.5, 10)
    assert len(chain._salvo_needed.signatures) == 1
