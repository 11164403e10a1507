"""Tests of the daily bands: ``whatif.model.bands`` (means and order statistics per day,
selected rather than sorted) and ``whatif.outputs.series_frame`` built on it.

The reference is NumPy: ``np.mean`` along samples and ``np.percentile`` (linear
interpolation). Order statistics must be exactly the sorted values; percentiles agree
with ``np.percentile`` to 1e-12 relative (the interpolation is written as the package
always wrote it, which can differ from NumPy's in the last bit). Data cover random
values, ties (small integers, a mass of zeros), constant days, very few samples (1, 2,
3, …, even and odd), smooth day-to-day drift (where the day before's bracket is used)
and jumps (where the ranks are selected from the whole day).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from whatif.model import bands
from whatif.model.campaign import SERIES
from whatif.outputs import interpolation_ranks, series_frame

N_SERIES = len(SERIES)
LEVELS = (10, 50, 90)


def ranks_for(n: int) -> np.ndarray:
    return np.unique([r for lo, hi, _ in interpolation_ranks(n, LEVELS) for r in (lo, hi)]
                     ).astype(np.int64)


def day_major(daily: np.ndarray) -> np.ndarray:
    """Sample-major ``(samples, series, days)`` → the day-major layout the bands read."""
    return np.ascontiguousarray(daily.transpose(1, 2, 0))


def daily_data(kind: str, n: int, days: int = 40, seed: int = 0) -> np.ndarray:
    """``(n, len(SERIES), days)`` test data of one kind (sample-major: the references
    below reduce along axis 0, in sample order)."""
    rng = np.random.default_rng(seed)
    shape = (n, N_SERIES, days)
    if kind == "normal":
        return rng.normal(size=shape)
    if kind == "ties":  # few distinct values
        return rng.integers(0, 4, size=shape).astype(float)
    if kind == "zeros":  # a mass of zeros, the rest spread (as capacity lost after repair)
        return np.where(rng.random(shape) < 0.6, 0.0, rng.lognormal(size=shape))
    if kind == "constant":
        return np.full(shape, 7.25)
    if kind == "drift":  # smooth: each sample's own trend plus small noise
        trend = rng.normal(size=(n, N_SERIES, 1)) * np.linspace(1, 3, days)
        return 100 + trend + 0.01 * rng.normal(size=shape)
    if kind == "jumps":  # drift, then everything moves at once on some days
        data = daily_data("drift", n, days, seed)
        return data + 50.0 * (np.arange(days) >= days // 3) - 80.0 * (np.arange(days) >= days // 2)
    raise ValueError(kind)


KINDS = ("normal", "ties", "zeros", "constant", "drift", "jumps")
SIZES = (1, 2, 3, 4, 5, 10, 11, 100, 101, 1000, 1001, 2500)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", SIZES)
def test_order_statistics_are_the_sorted_values(kind, n):
    daily = daily_data(kind, n)
    ranks = ranks_for(n)
    banded = np.array([k % 3 != 1 for k in range(N_SERIES)])
    means, ordered, fast, finite = bands.daily_bands(day_major(daily), banded, ranks, 2)
    assert finite
    assert np.array_equal(means, daily.mean(axis=0))  # sums in sample order: same numbers
    expected = np.sort(daily, axis=0)[ranks]  # (ranks, series, days)
    for k in np.flatnonzero(banded):
        assert np.array_equal(ordered[k], expected[:, k, :]), (kind, n, k)
    assert 0 <= fast <= banded.sum() * daily.shape[2] * len(bands._groups(ranks, n))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", SIZES)
def test_series_frame_matches_numpy_percentile(kind, n):
    daily = daily_data(kind, n, seed=n)
    frame = series_frame(day_major(daily))
    for k, name in enumerate(SERIES):
        np.testing.assert_array_equal(frame[(name, "mean")].to_numpy(), daily[:, k].mean(axis=0))
        want = np.percentile(daily[:, k, :], LEVELS, axis=0)
        for level, row in zip(LEVELS, want, strict=True):
            np.testing.assert_allclose(frame[(name, f"p{level}")].to_numpy(), row,
                                       rtol=1e-12, atol=1e-300, err_msg=f"{kind} n={n} {name}")


def test_only_the_named_series_get_bands():
    daily = daily_data("normal", 50)
    frame = series_frame(day_major(daily), bands=(SERIES[1], SERIES[7]))
    banded = {name for name, stat in frame.columns if stat == "p50"}
    assert banded == {SERIES[1], SERIES[7]}
    assert {name for name, stat in frame.columns if stat == "mean"} == set(SERIES)


def test_smooth_days_are_read_off_the_bracket():
    """With day-to-day drift, nearly every (series, day, group of ranks) comes from the
    day before's bracket; only each run's first days are selected from scratch."""
    n, days = 5000, 120
    daily = daily_data("drift", n, days)
    ranks = ranks_for(n)
    banded = np.ones(N_SERIES, dtype=bool)
    _, ordered, fast, _ = bands.daily_bands(day_major(daily), banded, ranks, 2)
    groups = len(bands._groups(ranks, n))
    total = N_SERIES * days * groups
    assert fast >= 0.9 * total, (fast, total)
    assert np.array_equal(ordered, np.sort(daily, axis=0)[ranks].transpose(1, 0, 2))


def test_jumps_fall_back_and_stay_exact():
    n = 3000
    daily = daily_data("jumps", n, days=60)
    ranks = ranks_for(n)
    banded = np.ones(N_SERIES, dtype=bool)
    _, ordered, fast, _ = bands.daily_bands(day_major(daily), banded, ranks, 2)
    assert fast < N_SERIES * 60 * len(bands._groups(ranks, n))  # some were selected anew
    assert np.array_equal(ordered, np.sort(daily, axis=0)[ranks].transpose(1, 0, 2))


def test_threads_do_not_change_the_numbers():
    daily = daily_data("zeros", 2000, days=90)
    ranks = ranks_for(2000)
    banded = np.ones(N_SERIES, dtype=bool)
    one = bands.daily_bands(day_major(daily), banded, ranks, 1)
    two = bands.daily_bands(day_major(daily), banded, ranks, 2)
    assert np.array_equal(one[0], two[0]) and np.array_equal(one[1], two[1])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_value_is_reported_not_summarised(bad):
    daily = daily_data("normal", 100)
    daily[37, 4, 11] = bad
    *_, finite = bands.daily_bands(day_major(daily), np.ones(N_SERIES, dtype=bool),
                                   ranks_for(100), 2)
    assert finite is False
    with pytest.raises(FloatingPointError, match="non-finite daily series"):
        series_frame(day_major(daily))


@pytest.mark.parametrize("order", ["sorted", "reversed", "equal", "organ", "random"])
def test_select_ranks_puts_each_rank_in_place(order):
    n = 4001
    values = {
        "sorted": np.arange(n, dtype=float),
        "reversed": np.arange(n, dtype=float)[::-1].copy(),
        "equal": np.full(n, 2.5),
        "organ": np.concatenate([np.arange(n // 2 + 1), np.arange(n // 2)[::-1]]).astype(float),
        "random": np.random.default_rng(3).integers(0, 50, n).astype(float),
    }[order]
    ranks = np.array([0, 1, 400, 401, 2000, 3599, 3600, n - 1], dtype=np.int64)
    work = values.copy()
    bands.select_ranks(work, ranks)
    ordered = np.sort(values)
    assert np.array_equal(work[ranks], ordered[ranks])
    assert np.array_equal(np.sort(work), ordered)  # a rearrangement, nothing lost
    for k in ranks:  # nothing larger before a selected rank, nothing smaller after
        assert work[:k].max(initial=-np.inf) <= work[k] <= work[k + 1:].min(initial=np.inf)


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(np.float64, st.tuples(st.integers(1, 300), st.just(N_SERIES), st.integers(1, 12)),
               elements=st.one_of(st.floats(-1e6, 1e6), st.sampled_from([0.0, 1.0, -3.5]))),
)
def test_percentiles_match_numpy_for_any_finite_data(daily):
    frame = series_frame(day_major(daily))
    for k, name in enumerate(SERIES):
        want = np.percentile(daily[:, k, :], LEVELS, axis=0)
        for level, row in zip(LEVELS, want, strict=True):
            np.testing.assert_allclose(frame[(name, f"p{level}")].to_numpy(), row,
                                       rtol=1e-12, atol=1e-9)


def test_a_series_the_kernel_copies_takes_the_bands_of_its_original():
    # the no-strike world has no stock: its launches are its production, value for value
    from whatif.engine import compile_scenario
    from whatif.model import chain
    from whatif.outputs import COPIES
    from whatif.scenario import Scenario

    assert COPIES == {"launches_baseline": "production_baseline"}
    for path in ("trend", "target"):
        scenario = Scenario.default().with_values(production_path=path)
        compiled, _ = compile_scenario(scenario, 3_000, 4)
        _, daily = chain.run_samples(np.asfortranarray(compiled.theta), compiled.shared, True)
        copy, original = SERIES.index("launches_baseline"), SERIES.index("production_baseline")
        np.testing.assert_array_equal(daily[copy], daily[original])
        fast = series_frame(daily, copies=COPIES)
        full = series_frame(daily)
        pd.testing.assert_frame_equal(fast, full, check_exact=True)


@pytest.mark.parametrize("kind", ["normal", "ties", "zeros", "jumps"])
def test_days_without_a_usable_bracket_are_bracketed_from_a_subsample(kind):
    # independent days (normal, ties, zeros) leave the day before's bracket useless; with
    # at least SEED_MIN samples each such day is bracketed from a subsample, and the
    # order statistics stay exactly the sorted values
    n = bands.SEED_MIN + 1001
    daily = daily_data(kind, n, days=24, seed=9)
    ranks = ranks_for(n)
    banded = np.ones(N_SERIES, dtype=bool)
    _, ordered, fast, _ = bands.daily_bands(day_major(daily), banded, ranks, 2)
    assert np.array_equal(ordered, np.sort(daily, axis=0)[ranks].transpose(1, 0, 2))
    groups = bands._groups(ranks, n)
    column = np.ascontiguousarray(daily[:, 2, 5])
    brackets = np.zeros((len(groups), 4))
    bands._seed_brackets(column, np.empty(n), ranks, groups, brackets,
                         np.ones(len(groups), dtype=bool))
    assert (brackets[:, 2] == 1.0).all()
    ordered_day = np.sort(column)
    for g, (first, end) in enumerate(groups):  # the subsample's bracket holds the ranks
        assert brackets[g, 0] <= ordered_day[ranks[first]]
        assert ordered_day[ranks[end - 1]] <= brackets[g, 1]
