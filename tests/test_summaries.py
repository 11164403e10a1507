"""Summaries: the fast percentile equals NumPy's, for any shape and sample count."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from whatif.engine import simulate
from whatif.outputs import percentiles, summarise, weekly_hits
from whatif.scenario import Scenario


@settings(max_examples=80, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 300)),
              elements=st.floats(-1e6, 1e6, allow_nan=False)))
def test_percentiles_equal_numpy(values):
    got = np.array(percentiles(values))
    np.testing.assert_allclose(got, np.percentile(values, [10, 50, 90], axis=-1),
                               rtol=1e-12, atol=1e-9)


def test_summarise_along_samples_axis():
    values = np.arange(20.0).reshape(10, 2)  # 10 samples, 2 outputs
    stats = summarise(values)
    np.testing.assert_allclose(stats["p50"], [9.0, 10.0])
    np.testing.assert_allclose(stats["p10"], [1.8, 2.8])
    np.testing.assert_allclose(stats["mean"], [9.0, 10.0])


def test_single_sample_has_no_spread():
    stats = summarise(np.array([[3.0, 4.0]]))
    for key in ("mean", "p10", "p50", "p90"):
        assert stats[key].tolist() == pytest.approx([3.0, 4.0])


def test_daily_series_refuse_a_sample_count_that_would_not_fit_in_memory():
    from whatif.engine import simulate
    from whatif.errors import ParameterError
    from whatif.scenario import Scenario

    with pytest.raises(ParameterError, match=r"samples: 1000000 is too many for daily series "
                                             r"over 180 days; allowed 0 to 123456 samples"):
        simulate(Scenario.default(), samples=1_000_000, series=True)


def test_weekly_hits_are_sums_of_daily_means():
    result = simulate(Scenario.default(), samples=200, seed=1, series=True)
    weekly = weekly_hits(result)
    daily = result.series[("energy_hits_strike", "mean")].to_numpy()
    assert weekly["strike"].iloc[0] == pytest.approx(daily[:7].sum())
    assert len(weekly) == int(np.ceil(len(daily) / 7))  # 180 days: 25 weeks and 5 days
    assert weekly["strike"].iloc[-1] == pytest.approx(daily[175:].mean() * 7)  # a week's rate
