"""The output registry and summaries: what the model reports, in which unit, and how
samples are summarised (mean, P10/P50/P90; daily series with bands; weekly hits)."""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd

from whatif.model import chain
from whatif.model.bands import daily_bands
from whatif.model.campaign import SERIES, SERIES_UNITS
from whatif.model.layout import SITE_SERIES_UNIT
from whatif.sampling import THREADED_DRAWS, in_threads

STATS = ("mean", "p10", "p50", "p90")
#: the salvo of the public debate (F. Kagan, ISW, podcast of 24 Feb 2026), marked on charts
DEBATE_SALVO = (25, 30)

@dataclass(frozen=True)
class Output:
    """One model output: label and unit for tables, charts and the brief."""

    name: str
    label: str
    unit: str
    objective: bool = True  # non-decreasing in missiles: usable by missiles_needed
    upper: float | None = None  # largest possible value (shares: 1)


OUTPUTS: dict[str, Output] = {
    o.name: o
    for o in (
        Output("capacity_loss", "Plant capacity lost (first salvo)", "share", upper=1.0),
        Output("drones_denied", "Drones denied over the horizon", "drones"),
        # a ratio to the target: above 1 only if output already exceeds the target
        Output("target_share_denied",
               "Drones denied as a share of target output (target/day × days)", "share"),
        Output("days_disrupted", "Days national output is below 90% of baseline", "days"),
        Output("energy_hits_averted", "Hits on energy infrastructure averted", "hits"),
        # where the rest of the denial went: the stock still short at the horizon's end,
        # and the hits that shortfall removes later (averted + deferred = denied × got-through)
        Output("stock_shortfall_end", "Drone stock still short at the end of the horizon", "drones",
               objective=False),
        Output("energy_hits_deferred", "Hits deferred past the horizon (stock short)", "hits",
               objective=False),
        Output("energy_hit_reduction", "Reduction in energy hits vs no strike", "share", upper=1.0),
        Output("grid_gw_days_averted", "Grid outage averted", "GW·days"),
        Output("cost_exchange_ratio", "Cost exchange ratio (value denied / missiles spent)",
               "USD per USD", objective=False),
        Output("strike_cost_usd", "Cost of the missiles fired", "USD", objective=False),
    )
}
if tuple(OUTPUTS) != chain.OUTPUTS:  # the model's output order is the table's
    raise RuntimeError("whatif.outputs.OUTPUTS and whatif.model.chain.OUTPUTS differ")
OBJECTIVES = tuple(name for name, o in OUTPUTS.items() if o.objective)

def interpolation_ranks(n: int, q=(10, 50, 90)) -> list[tuple[int, int, float]]:
    """For ``n`` sorted values, each level's ``(lo, hi, frac)``: its percentile is
    ``v[lo] + frac * (v[hi] - v[lo])`` (``np.percentile``'s linear interpolation)."""
    out = []
    for level in q:
        position = level / 100 * (n - 1)
        lo = int(np.floor(position))
        out.append((lo, min(lo + 1, n - 1), position - lo))
    return out


def percentiles(values: np.ndarray, q=(10, 50, 90)) -> list[np.ndarray]:
    """Percentiles along the last axis, as ``np.percentile`` (linear interpolation).

    Sorting contiguous rows (NumPy's vectorised sort) is several times faster here than
    ``np.percentile``'s partitioning; the results agree to the last bit or two.
    """
    if values.ndim == 2 and values.shape[0] > 1 and values.shape[1] >= THREADED_DRAWS:
        ordered = np.array(values, order="C")  # long rows: sorted in place, on several threads
        in_threads(lambda row: ordered[row].sort(), range(ordered.shape[0]))
    else:
        ordered = np.sort(values, axis=-1)
    return [ordered[..., lo] + frac * (ordered[..., hi] - ordered[..., lo])
            for lo, hi, frac in interpolation_ranks(ordered.shape[-1], q)]


def summarise(values: np.ndarray, axis: int = 0) -> dict[str, np.ndarray]:
    """Mean, P10, P50 and P90 along ``axis`` (linear interpolation between order statistics)."""
    moved = np.ascontiguousarray(np.moveaxis(values, axis, -1))  # contiguous rows: faster
    p10, p50, p90 = percentiles(moved)
    return {"mean": moved.mean(axis=-1), "p10": p10, "p50": p50, "p90": p90}


#: daily series the kernel writes as exact copies of another (no stock enters the no-strike
#: world: its launches are its production), so their bands are that series' bands
COPIES = {"launches_baseline": "production_baseline"}


def series_frame(daily: np.ndarray, bands=SERIES, q=(10, 50, 90),
                 copies: dict[str, str] | None = None,
                 site_series: tuple[str, ...] = ()) -> pd.DataFrame:
    """Daily series ``(series, days, samples)`` (day-major, as the kernel writes them) →
    DataFrame indexed by day.

    Every series gets its ``mean``; those named in ``bands`` also get ``p10``, ``p50`` and
    ``p90`` (percentiles across samples, as ``np.percentile``; the levels are ``q``).
    Columns are ``(series, stat)``; units are in ``frame.attrs["units"]``. ``copies``
    names series known to hold exactly another's values (the model's :data:`COPIES`),
    whose bands are then taken from that one instead of computed again. ``site_series``
    names the rows after :data:`SERIES` (a system's sites' capacity in action [share]),
    which always get bands.
    """
    names = (*SERIES, *site_series)
    if daily.ndim != 3 or daily.shape[0] != len(names):
        raise ValueError(f"daily series must be (series, days, samples) with {len(names)} "
                         f"series, got shape {daily.shape}")
    copies = copies or {}
    levels = interpolation_ranks(daily.shape[-1], q)
    ranks = np.unique([rank for lo, hi, _ in levels for rank in (lo, hi)]).astype(np.int64)
    where = {int(rank): i for i, rank in enumerate(ranks)}
    banded = np.array([name in bands for name in SERIES] + [True] * len(site_series))
    # a series the kernel writes as a copy of another takes that one's order statistics
    source = {k: names.index(copies.get(name, name)) if k < len(SERIES) else k
              for k, name in enumerate(names)}
    selected = banded.copy()
    for k, origin in source.items():
        if origin != k and banded[k]:
            selected[k], selected[origin] = False, True
    means, ordered, _, finite = daily_bands(np.ascontiguousarray(daily, dtype=np.float64),
                                            selected, ranks, numba.get_num_threads())
    if not finite:  # a model defect, never user input: fail loudly
        raise FloatingPointError("the model produced a non-finite daily series")
    columns: dict[tuple[str, str], np.ndarray] = {}
    for k, name in enumerate(names):
        columns[(name, "mean")] = means[k]
        if banded[k]:
            for level, (lo, hi, frac) in zip(q, levels, strict=True):
                low, high = ordered[source[k], where[lo]], ordered[source[k], where[hi]]
                columns[(name, f"p{level}")] = low + frac * (high - low)
    frame = pd.DataFrame(columns)
    frame.columns.names = ["series", "stat"]
    frame.index.name = "day"
    frame.attrs["units"] = {**dict(zip(SERIES, SERIES_UNITS, strict=True)),
                            **{name: SITE_SERIES_UNIT for name in site_series}}
    return frame


def weekly_hits(result) -> pd.DataFrame:
    """Hits on energy infrastructure per week: 7 × the week's mean daily hits (sample means).

    Means add up where percentiles would not; a last, partial week is scaled to a full
    week's rate instead of showing as a dip. Columns ``baseline`` and ``strike``.
    """
    daily = pd.DataFrame({
        "baseline": result.series[("energy_hits_baseline", "mean")],
        "strike": result.series[("energy_hits_strike", "mean")],
    })
    return daily.groupby(daily.index // 7).mean() * 7
