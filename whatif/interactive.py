"""Interactive briefs: one self-contained HTML file whose controls a reader can move, with no
kernel and no network.

``whatif brief SCENARIO -o brief.html --interactive [--controls a,b,c] [--levels K]`` and
the app's "Export interactive brief" write it. Nothing is simulated in the browser: every
combination of the controls' levels (a *grid point*) is run here, with the same engine,
samples and seed as ``whatif run``, and the page only looks the answers up.

* **Controls.** By default the :data:`DEFAULT_CONTROLS` numeric assumptions with the widest
  swing in the scenario's tornado of :data:`whatif.brief.MAIN_OUTPUT` (the static brief's),
  each at ``levels`` values evenly spaced over the scenario's range (low to high; whole
  numbers for integer assumptions), plus the salvo size: :data:`SALVO_SIZES` sizes ``step,
  2 step, …`` up to twice the scenario's largest salvo (:func:`salvo_sizes`). A scenario
  with a plan fixes its missiles, so it has no salvo control. A live assumption is set to the
  chosen level in every sample (``--set name=value``); every other assumption stays as the
  scenario sets it (drawn from its distribution where it is uncertain).
* **One truth.** The headline table at a point is, string for string, what ``whatif run
  SCENARIO --samples S --seed K --set name=value …`` prints (:func:`whatif.formatting.
  format_value` of the same summary: :func:`whatif.engine.run_grid` gives each point's
  samples exactly as :func:`whatif.engine.simulate` does). The chance of the goal is stored
  to :data:`SIGNIFICANT_DIGITS` significant digits (:func:`round_significant`); each chart's
  numbers at a point as whole multiples of one power of ten, 3 digits at the chart's top
  (:func:`quantize`). The charts' bands come from the first ``chart_samples`` of the
  point's samples (:data:`CHART_RUNS` shared out over the points, at least
  :data:`MIN_CHART_SAMPLES`: 136 of 2,000 at the baseline's 5,880 points; a run of fewer
  samples is the first of a longer one): exactly
  ``simulate(…, samples=chart_samples, seed=K, series=True).series`` at every 7th day
  (day 0, 7, …, and the horizon's last; whole weeks further apart past 26 weeks:
  :func:`band_days`), and the weekly hits as
  :func:`whatif.outputs.weekly_hits`. Daily series cost ~5× a run without them (the kernel
  writes every series of every day), which is why they use fewer samples.
* **The page.** Vega-Lite (built with Altair), its parameters bound to select and range
  inputs that filter the precomputed table; Vega, Vega-Lite and Vega-Embed inlined
  (``vl_convert.javascript_bundle``). The table is gzip-compressed JSON in base64, unpacked by
  the browser's own ``DecompressionStream``. A Content-Security-Policy meta tag forbids
  every fetch (no ``connect-src``, no external scripts, styles, fonts or images) and
  ``eval``: Vega runs its expressions through its interpreter (``ast: true``). Scenario text
  is HTML-escaped on the page and never placed in a script.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import functools
import gzip
import json
import math
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from html import escape
from pathlib import Path

import numba
import numpy as np

from whatif import presentation as look
from whatif import resources
from whatif.brief import GOAL, MAIN_OUTPUT, assumption_text
from whatif.engine import (
    _check_samples,
    _check_seed,
    check_series_samples,
    check_work,
    compile_grid,
    compile_scenario,
    run_grid,
    work_per_run,
)
from whatif.errors import ParameterError, WhatifError, show, show_text
from whatif.exports import write_atomic
from whatif.formatting import format_value
from whatif.inputs import check_writable
from whatif.model import chain
from whatif.model.bands import daily_bands
from whatif.model.campaign import SERIES
from whatif.outputs import DEBATE_SALVO, OUTPUTS, STATS, interpolation_ranks, summarise
from whatif.params import REGISTRY, Assumption
from whatif.scenario import Scenario
from whatif.sensitivity import tornado

DEFAULT_CONTROLS = 3  # assumptions live by default (besides the salvo size)
DEFAULT_LEVELS = 7  # levels per control
MIN_LEVELS, MAX_LEVELS = 2, 15
MAX_CONTROLS = 4  # assumptions live at once (besides the salvo size)
SALVO_SIZES = 30  # salvo sizes on the grid
#: steps of the salvo grid, the smallest that reaches twice the scenario's largest salvo
SALVO_STEPS = (1, 2, 5, 10, 20, 25, 50, 100)
DEFAULT_SAMPLES = 2_000  # Monte Carlo samples per grid point
#: model runs with daily series for the charts, shared out over the grid's points (the first
#: of each point's samples: ~9 s here), but never fewer than MIN_CHART_SAMPLES per point
CHART_RUNS = 800_000
MIN_CHART_SAMPLES = 80
MAX_POINTS = 20_000  # grid points (combinations of levels and salvo sizes)
#: model work of a whole grid (:func:`grid_work`): 15 × a single call's
#: :data:`whatif.engine.MAX_WORK` (a grid is many calls), about two minutes here; the
#: default grids of the bundled scenarios take 0.3 (baseline) to 0.8 (dispersal-restrikes:
#: three salvos over 270 days) of it
MAX_GRID_WORK = 30_000_000_000
SIGNIFICANT_DIGITS = 4  # of the stored chance of the goal
CHART_DIGITS = 3  # of each chart's numbers at a point, at its top (quantize)
WEEK = 7  # days; the hits chart is weekly
#: the charts' bands are kept every 7th day, or every 14th, 21st, … beyond 26 weeks, so at
#: most 27 days a series (the file's size does not grow with the horizon)
MAX_BAND_WEEKS = 26
#: the goal of the success chart and the headline chance (the static brief's)
GOAL_OUTPUT, GOAL_AT_LEAST, GOAL_CONFIDENCE = GOAL
#: assumptions that cannot be live: the horizon sets the charts' length
NOT_CONTROLS = ("horizon_days",)
#: the key output whose tornado picks the default controls, and the headline's figure (the
#: static brief's tornado and Sobol output)
KEY_OUTPUT = MAIN_OUTPUT
#: the series the charts draw, by name (bands: production and the grid; means: hits)
BAND_SERIES = ("production_baseline", "production_strike", "grid_damaged_baseline",
               "grid_damaged_strike")
HIT_SERIES = ("energy_hits_baseline", "energy_hits_strike")
#: rows of series per kernel call in the charts' pass (~130 MB of daily series at 180 days)
CHART_BATCH_ROWS = 10_000
OUTPUT_BATCH_ROWS = 100_000  # model runs per kernel call in the outputs' pass
OUTPUT_BLOCK_ROWS = 500_000  # model runs summarised at a time (~44 MB of outputs)
#: a run with daily series costs about this many runs without (progress only)
SERIES_RUN_COST = 5


# --- the grid --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Control:
    """One live assumption and the values (``levels``, in its unit) the reader can pick."""

    name: str
    levels: tuple[float, ...]

    @property
    def label(self) -> str:
        return REGISTRY[self.name].label

    @property
    def unit(self) -> str:
        return REGISTRY[self.name].unit

    @property
    def input_label(self) -> str:
        """The label of the control's input: its label and unit, e.g. ``Days to restore the
        plant's lost capacity [days]``."""
        return look.axis_label(self.label, self.unit)

    def level_text(self, value: float) -> str:
        """A level as the page's picker shows it, e.g. ``85.83 days``."""
        unit = f" {self.unit}" if self.unit else ""
        return f"{number_text(value)}{unit}"


@dataclass(frozen=True)
class Grid:
    """Every combination of the controls' levels and the salvo sizes: what is precomputed.

    Points are numbered in C order over ``(*controls, salvo)``: the salvo size varies
    fastest. ``salvo`` is None for a scenario whose plan fixes its missiles.
    """

    scenario: Scenario
    controls: tuple[Control, ...]
    salvo: Control | None
    samples: int
    seed: int
    chart_samples: int

    @property
    def axes(self) -> tuple[Control, ...]:
        return self.controls + ((self.salvo,) if self.salvo is not None else ())

    @property
    def names(self) -> list[str]:
        return [axis.name for axis in self.axes]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(axis.levels) for axis in self.axes)

    @property
    def points(self) -> int:
        return math.prod(self.shape)

    def values(self) -> np.ndarray:
        """``(points, len(names))``: each point's values, each in its assumption's unit."""
        mesh = np.meshgrid(*(np.array(axis.levels) for axis in self.axes), indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1).reshape(-1, len(self.axes))

    def point_values(self, point: int) -> dict[str, float]:
        """The live assumptions' values at ``point`` (``--set`` these to reproduce it)."""
        index = np.unravel_index(point, self.shape)
        return {axis.name: axis.levels[i] for axis, i in zip(self.axes, index, strict=True)}

    def start(self) -> tuple[int, ...]:
        """The level of each axis shown first: the nearest to the scenario's central value."""
        return tuple(int(np.argmin(np.abs(np.array(axis.levels)
                                          - float(self.scenario.central(axis.name)))))
                     for axis in self.axes)

    @property
    def days(self) -> int:
        return int(self.scenario.central("horizon_days"))

    @property
    def band_days(self) -> np.ndarray:
        """The days the charts' bands are kept (:func:`band_days`)."""
        return band_days(self.days)

    def work(self) -> int:
        """Model work of the grid's outputs' pass (:func:`whatif.engine.work_per_run` of each
        point: its salvo size and re-strikes), in work units."""
        return grid_work(self)


def band_days(horizon: int) -> np.ndarray:
    """Days 0, 7, 14, … below ``horizon`` and the horizon's last day; every 14th day beyond
    :data:`MAX_BAND_WEEKS` weeks, every 21st beyond twice that, …"""
    return np.unique(np.append(np.arange(0, horizon, band_step(horizon)), horizon - 1))


def band_step(horizon: int) -> int:
    """Days between the charts' kept days: whole weeks, at most :data:`MAX_BAND_WEEKS` steps."""
    return WEEK * -(-horizon // (WEEK * MAX_BAND_WEEKS))


def number_text(value: float) -> str:
    """A level as text: a whole number without decimals, else up to 4 significant digits."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.4g}"


def eligible(scenario: Scenario, name: str) -> str | None:
    """Why ``name`` cannot be a control of ``scenario`` (one line), or None if it can."""
    parameter = REGISTRY.get(name)
    if parameter is None:
        return "unknown assumption; see `whatif params`"
    if name in scenario.replaced:
        return "this scenario's sites or plan replace it"
    if not parameter.is_numeric:
        return "not a number (a choice or a list): set it in the scenario instead"
    if name in NOT_CONTROLS:
        return "cannot be a control (it sets the charts' length): set it in the scenario"
    value = scenario.values[name]
    if not value.low < value.high:
        return (f"fixed at {number_text(value.central)} in this scenario (no range to move "
                "over): give it a low and a high in the scenario")
    return None


def default_controls(scenario: Scenario, count: int = DEFAULT_CONTROLS) -> list[str]:
    """The ``count`` assumptions that move the key output most (the scenario's tornado of
    :data:`KEY_OUTPUT`) and can be controls (:func:`eligible`; the salvo size is one anyway)."""
    order = tornado(scenario, KEY_OUTPUT)["parameter"]
    return [name for name in order
            if name != "missiles" and eligible(scenario, name) is None][:count]


def control_levels(scenario: Scenario, name: str, levels: int) -> tuple[float, ...]:
    """``levels`` values of ``name`` evenly spaced from the scenario's low to its high, each
    to 4 significant digits (the ends exact); whole numbers (without repeats) for an integer
    assumption."""
    value: Assumption = scenario.values[name]
    spaced = np.linspace(value.low, value.high, levels)
    if REGISTRY[name].kind == "integer":
        return tuple(float(v) for v in np.unique(np.round(spaced)))
    shown = [float(f"{v:.4g}") for v in spaced[1:-1]]
    return (float(value.low), *shown, float(value.high))


def salvo_sizes(scenario: Scenario, count: int = SALVO_SIZES) -> tuple[float, ...]:
    """``count`` salvo sizes ``step, 2 step, …, count × step`` [missiles], ``step`` the
    smallest of :data:`SALVO_STEPS` that reaches twice the scenario's largest salvo (its
    own salvo mid-grid; the bundled scenarios' 25–30: 2, 4, …, 60)."""
    value = scenario.values["missiles"]
    largest = max(value.high, value.central)
    step = next((s for s in SALVO_STEPS if s * count >= 2 * largest), SALVO_STEPS[-1])
    most = REGISTRY["missiles"].upper_bound
    return tuple(float(step * k) for k in range(1, count + 1) if step * k <= most)


def grid_work(grid: Grid) -> int:
    """Work units of the outputs' pass: every point's :func:`whatif.engine.work_per_run`
    (which depends on its salvo size and, if live, its re-strikes) × samples."""
    scenario = grid.scenario
    per_run = {}
    restrikes = next((c for c in grid.controls if c.name == "restrikes"), None)
    pinned = scenario.values["restrikes"]
    if restrikes is None and not scenario.plan and pinned.is_fixed:
        # every run uses its central value (work_per_run counts a fixed range's high)
        scenario = scenario.with_values(restrikes=pinned.central)
    for r in (restrikes.levels if restrikes else (None,)):
        base = scenario.with_values(restrikes=r) if r is not None else scenario
        for m in (grid.salvo.levels if grid.salvo else (None,)):
            per_run[r, m] = work_per_run(base, missiles=None if m is None else int(m))
    others = grid.points // ((len(restrikes.levels) if restrikes else 1)
                             * (len(grid.salvo.levels) if grid.salvo else 1))
    return max(grid.samples, 1) * others * sum(per_run.values())


def plan_grid(scenario: Scenario, controls: list[str] | None = None,
              levels: int = DEFAULT_LEVELS, samples: int = DEFAULT_SAMPLES, seed: int = 0,
              chart_samples: int | None = None) -> Grid:
    """The grid of an interactive brief, every input checked before any work is done.

    ``controls``: assumption names (default :func:`default_controls`); ``missiles`` among
    them is the salvo size, which is live anyway. Raises
    :class:`~whatif.errors.ParameterError` (one line) for an unknown, fixed or unusable
    control, a bad ``levels``, ``samples`` or ``seed``, or a grid beyond
    :data:`MAX_POINTS` or :data:`MAX_GRID_WORK`.
    """
    samples = _check_samples(samples)
    seed = _check_seed(seed)
    if seed is None:
        raise ParameterError("seed", "an interactive brief needs a seed (a whole number >= 0)")
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or not (
            MIN_LEVELS <= levels <= MAX_LEVELS):
        raise ParameterError("levels", f"{show(levels)} is out of range; allowed "
                             f"{MIN_LEVELS} to {MAX_LEVELS} levels per control")
    if chart_samples is not None and (isinstance(chart_samples, bool) or not isinstance(
            chart_samples, (int, np.integer)) or chart_samples < 1):
        raise ParameterError("chart_samples", f"{show(chart_samples)} is not allowed; allowed "
                             "a whole number >= 1 (at most the samples)")
    if controls is None:
        names = default_controls(scenario)
    else:
        names = []
        for name in controls:
            if name == "missiles" and "missiles" not in scenario.replaced:
                continue  # the salvo size: live anyway
            problem = eligible(scenario, name)
            if problem is not None:
                raise ParameterError(name, problem)
            if name in names:
                raise ParameterError(name, "named twice in the controls")
            names.append(name)
        if len(names) > MAX_CONTROLS:
            raise ParameterError("controls", f"{len(names)} assumptions is too many; allowed 1 "
                                 f"to {MAX_CONTROLS} (besides the salvo size)")
    salvo = None if scenario.plan else Control("missiles", salvo_sizes(scenario))
    grid = Grid(scenario, tuple(Control(n, control_levels(scenario, n, int(levels)))
                                for n in names), salvo, samples, int(seed), 1)
    if chart_samples is None:  # CHART_RUNS over the points, at least MIN_CHART_SAMPLES
        chart_samples = max(MIN_CHART_SAMPLES, CHART_RUNS // grid.points)
    grid = replace(grid, chart_samples=min(int(chart_samples), max(samples, 1)))
    if not grid.axes:
        raise ParameterError("controls", "nothing to control: this scenario's plan fixes its "
                             "missiles and no assumption has a range; name some with --controls")
    if grid.points > MAX_POINTS:
        raise ParameterError("levels", f"{grid.points:,} combinations "
                             f"({' × '.join(map(str, grid.shape))}) is too many; allowed at "
                             f"most {MAX_POINTS:,} (fewer --levels or --controls)")
    check_series_samples(scenario, grid.chart_samples)
    # each point alone must be a run `whatif run` would accept, and the grid must fit
    values = grid.values()
    heaviest = scenario.with_values(**{n: float(values[:, i].max())
                                       for i, n in enumerate(grid.names)
                                       if n in ("missiles", "restrikes")})
    check_work(samples, work_per_run(heaviest), " samples at the grid's largest salvo")
    work = grid.work()
    if work > MAX_GRID_WORK:
        raise ParameterError("levels", f"{grid.points:,} combinations × {max(samples, 1):,} "
                             f"samples is too much work ({work:.1e} units); allowed at most "
                             f"{MAX_GRID_WORK:.0e} (fewer --levels, --controls or --samples)")
    return grid


# --- the precomputed answers -----------------------------------------------------------------
@dataclass
class GridAnswers:
    """What the page looks up, per grid point (``points`` first on every array).

    ``table``: the headline table as ``whatif run`` prints it, ``(points, outputs, 4)``
    strings (mean, P10, P50, P90: :data:`whatif.outputs.STATS`); ``summary``: the same
    numbers (full precision, not stored in the page); ``chance``: P(goal) [probability];
    ``bands``: ``(points, len(BAND_SERIES), 3, len(band_days))`` P10/P50/P90 [series' unit];
    ``hits``: ``(points, len(HIT_SERIES), weeks)`` [hits/week], means.
    """

    table: np.ndarray
    summary: np.ndarray
    chance: np.ndarray | None
    bands: np.ndarray
    hits: np.ndarray
    seconds: dict[str, float] = field(default_factory=dict)


Progress = Callable[[int, int], None]  # (model runs done, model runs in all)


def compute(grid: Grid, progress: Progress | None = None) -> GridAnswers:
    """Run every grid point: the outputs at ``grid.samples`` (:func:`run_grid`), then the
    daily series at ``grid.chart_samples`` (the first of the same samples). ``progress`` is
    called with the work done so far and in all (model runs, a run with daily series
    counted as :data:`SERIES_RUN_COST` runs)."""
    names, values = grid.names, grid.values()
    points, samples = grid.points, max(grid.samples, 1)
    chart_rows = max(grid.chart_samples, 1) if grid.samples else 1
    total = points * (samples + SERIES_RUN_COST * chart_rows)
    report = progress or (lambda done, total: None)
    started = time.perf_counter()
    n_out = len(chain.OUTPUTS)
    summary = np.empty((points, n_out, len(STATS)))
    chance = np.empty(points) if grid.salvo is not None else None
    goal = chain.OUTPUTS.index(GOAL_OUTPUT)
    step = max(1, OUTPUT_BLOCK_ROWS // samples)
    report(0, total)
    for first in range(0, points, step):
        block = slice(first, min(first + step, points))
        outputs = run_grid(grid.scenario, names, values[block], grid.samples, grid.seed,
                           batch_rows=OUTPUT_BATCH_ROWS)  # (block, samples, outputs)
        stats = summarise(outputs, axis=1)  # as simulate's summary, point by point
        for k, stat in enumerate(STATS):
            summary[block, :, k] = stats[stat]
        if chance is not None:
            chance[block] = (outputs[:, :, goal] >= GOAL_AT_LEAST).mean(axis=1)
        report(block.stop * samples, total)
    outputs_seconds = time.perf_counter() - started
    bands, hits = _chart_series(grid, values, lambda done: report(
        points * samples + SERIES_RUN_COST * done, total))
    table = np.empty(summary.shape, dtype=object)
    for o, name in enumerate(chain.OUTPUTS):
        unit = OUTPUTS[name].unit
        for k in range(len(STATS)):
            table[:, o, k] = [format_value(v, unit) for v in summary[:, o, k]]
    return GridAnswers(table, summary, chance, bands, hits, {
        "outputs": outputs_seconds,
        "charts": time.perf_counter() - started - outputs_seconds})


def _chart_series(grid: Grid, values: np.ndarray, report: Callable[[int], None]):
    """The charts' bands and weekly hits of every point from ``grid.chart_samples`` samples
    (daily series recorded by the kernel, a batch of points at a time)."""
    scenario, points = grid.scenario, grid.points
    samples = grid.chart_samples if grid.samples else 0
    rows = max(samples, 1)
    days, kept = grid.days, grid.band_days
    weeks = -(-days // WEEK)
    bands = np.empty((points, len(BAND_SERIES), 3, kept.size))
    hits = np.empty((points, len(HIT_SERIES), weeks))
    band_rows = [SERIES.index(name) for name in BAND_SERIES]
    hit_rows = [SERIES.index(name) for name in HIT_SERIES]
    levels = interpolation_ranks(rows)
    ranks = np.unique([r for lo, hi, _ in levels for r in (lo, hi)]).astype(np.int64)
    where = {int(r): i for i, r in enumerate(ranks)}
    threads = numba.get_num_threads()
    base, _ = compile_scenario(scenario, samples, grid.seed)
    step = max(1, CHART_BATCH_ROWS // rows)
    buffer = None
    for first in range(0, points, step):
        block = slice(first, min(first + step, points))
        n = block.stop - block.start
        compiled = compile_grid(scenario, grid.names, values[block], samples, grid.seed, base)
        shape = (len(SERIES) + _site_rows(scenario), days, n * rows)
        if buffer is None or buffer.size < math.prod(shape):
            buffer = np.empty(math.prod(shape))
        daily = buffer[:math.prod(shape)].reshape(shape)
        chain.run_samples(compiled.theta, compiled.shared, True, daily)
        # each (day, point) a "day" of `rows` samples: the same sums and order statistics as
        # simulate's series_frame of that point alone
        picked = np.ascontiguousarray(daily[band_rows][:, kept]).reshape(
            len(band_rows), kept.size * n, rows)
        means, ordered, _, finite = daily_bands(picked, np.ones(len(band_rows), np.bool_),
                                                ranks, threads)
        for j, (lo, hi, frac) in enumerate(levels):
            low, high = ordered[:, where[lo]], ordered[:, where[hi]]
            value = (low + frac * (high - low)).reshape(len(band_rows), kept.size, n)
            bands[block, :, j, :] = value.transpose(2, 0, 1)
        picked = np.ascontiguousarray(daily[hit_rows]).reshape(len(hit_rows), days * n, rows)
        means, _, _, finite_hits = daily_bands(picked, np.zeros(len(hit_rows), np.bool_),
                                               ranks[:0], threads)
        if not (finite and finite_hits):  # a model defect, never user input
            raise FloatingPointError("the model produced a non-finite daily series")
        daily_means = means.reshape(len(hit_rows), days, n)
        for w in range(weeks):  # as weekly_hits: 7 × the week's mean daily hits
            hits[block, :, w] = (daily_means[:, w * WEEK:(w + 1) * WEEK].mean(axis=1)
                                 * WEEK).T
        report(block.stop * rows)
    return bands, hits


def _site_rows(scenario: Scenario) -> int:
    return 0 if scenario.system is None else len(scenario.system.sites)


def round_significant(values, digits: int = SIGNIFICANT_DIGITS) -> np.ndarray:
    """``values`` rounded to ``digits`` significant digits (half to even); zeros stay zero.
    How the page stores its numbers: ``repr`` of each is at most ``digits`` digits long."""
    values = np.asarray(values, dtype=float)
    out = np.zeros_like(values)
    nonzero = values != 0
    shift = (digits - 1 - np.floor(np.log10(np.abs(values[nonzero])))).astype(int)
    # divide or multiply by an exact power of ten, so the result is the nearest float
    up = 10.0 ** np.maximum(shift, 0)
    down = 10.0 ** np.maximum(-shift, 0)
    out[nonzero] = np.round(values[nonzero] * up / down) * down / up
    return out


def quantize(values, digits: int = CHART_DIGITS) -> tuple[np.ndarray, np.ndarray]:
    """Fixed point over the last two axes: ``values ≈ ints × 10**exponent`` with the largest
    magnitude of each group ``digits`` digits long (so ``digits`` significant digits at the
    group's top, 1/10**digits to 1/10**(digits-1) of it everywhere). Returns ``(ints,
    exponent)``, the exponent one per group (shape ``values.shape[:-2]``). How the page stores
    a chart's series: one group per point and chart (its P10, P50 and P90 together)."""
    values = np.asarray(values, dtype=float)
    top = np.abs(values).max(axis=(-2, -1))
    exponent = np.where(top > 0, np.floor(np.log10(np.where(top > 0, top, 1.0))) - (digits - 1),
                        0).astype(int)
    up = 10.0 ** np.maximum(-exponent, 0)[..., None, None]
    down = 10.0 ** np.maximum(exponent, 0)[..., None, None]
    return np.round(values * up / down).astype(np.int64), exponent


# --- the page --------------------------------------------------------------------------------
#: the page may fetch nothing: no connections, no external scripts, styles, fonts, frames;
#: scripts and styles only inline, images only data: URLs; no eval (Vega's interpreter)
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "img-src data:; base-uri 'none'; form-action 'none'")
STAT_LABELS = {"t1": "P10", "t2": "P50", "t3": "P90", "t0": "mean"}  # t<k>: STATS[k]
CHART_WIDTH, CHART_HEIGHT = 400, 220
TABLE_WIDTH, TABLE_LABEL_WIDTH = 620, 340  # the headline table and its labels' column
BAND_STATS = ("10", "50", "90")


def _script_json(value) -> str:
    """JSON safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` (so no
    ``</script>``), nor the two line separators JavaScript once refused."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                       ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, code)
    return text


def _number(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def payload(grid: Grid, answers: GridAnswers) -> dict:
    """The precomputed table as the page carries it: ``points``, one column per field (a
    list over the points; the page makes them rows, adding ``p``, the point's number; see
    :func:`chart_spec` for the fields), and ``baselines``, the distinct no-strike series
    (rows; ``n`` of a point is its row)."""
    bands, base_exp = quantize(answers.bands.transpose(0, 1, 3, 2)[:, 0::2])  # no strike
    strike, strike_exp = quantize(answers.bands.transpose(0, 1, 3, 2)[:, 1::2])
    hits, hit_exp = quantize(answers.hits[:, :, None, :])
    # the no-strike series depend only on the live assumptions that shape production
    base_key = np.concatenate([bands.reshape(grid.points, -1), base_exp,
                               hits[:, 0].reshape(grid.points, -1), hit_exp[:, :1]], axis=1)
    _, first, which = np.unique(base_key, axis=0, return_index=True, return_inverse=True)
    baselines = []
    for n, p in enumerate(first):
        row = {"n": n, "bse": int(base_exp[p, 0]), "bge": int(base_exp[p, 1]),
               "bhe": int(hit_exp[p, 0]), "bh": hits[p, 0, 0].tolist()}
        for j, stat in enumerate(BAND_STATS):
            row[f"bs{stat}"] = bands[p, 0, :, j].tolist()
            row[f"bg{stat}"] = bands[p, 1, :, j].tolist()
        baselines.append(row)
    columns = {"n": which.ravel().tolist()}
    if answers.chance is not None:  # (a plan has no salvo size, so no chance curve)
        columns["ok"] = [_plain(v) for v in round_significant(answers.chance).tolist()]
        columns["ct"] = [chance_text(v) for v in answers.chance.tolist()]
    for k in range(len(STATS)):
        columns[f"t{k}"] = answers.table[:, :, k].tolist()
    columns.update(se=strike_exp[:, 0].tolist(), ge=strike_exp[:, 1].tolist(),
                   he=hit_exp[:, 1].tolist(), h=hits[:, 1, 0].tolist())
    for j, stat in enumerate(BAND_STATS):
        columns[f"s{stat}"] = strike[:, 0, :, j].tolist()
        columns[f"g{stat}"] = strike[:, 1, :, j].tolist()
    return {"points": columns, "baselines": baselines}


def _plain(value: float) -> float | int:
    """A whole number as an int (shorter in JSON)."""
    return int(value) if value.is_integer() else value


def chance_text(chance: float) -> str:
    """The chance of the goal as the static brief's bottom line writes it (``99%``)."""
    return f"{chance:.0%}"


def _list(values) -> str:
    """A Vega expression's array literal of numbers."""
    return "[" + ",".join(_number(v) for v in values) + "]"


def _strings(values) -> str:
    """A Vega expression's array literal of the numbers as text (as ``--set`` takes them)."""
    return "[" + ",".join(_string(_number(v)) for v in values) + "]"


def _string(text: str) -> str:
    """A Vega expression's string literal (JSON's quoting and escapes)."""
    return json.dumps(text)


def point_expression(grid: Grid) -> str:
    """The Vega expression of the picked point's number from the parameters: ``c0`` … (each
    control's level, 0-based) and ``salvo`` (missiles; level = salvo / step - 1)."""
    terms = [f"c{i}" for i in range(len(grid.controls))]
    if grid.salvo is not None:
        terms.append(f"(round(salvo / {_number(grid.salvo.levels[0])}) - 1)")
    expression = terms[0]
    for term, size in zip(terms[1:], grid.shape[1:], strict=True):
        expression = f"({expression}) * {size} + {term}"
    return expression


def _params(grid: Grid) -> list:
    """The controls as Vega-Lite parameters bound to inputs (select: each control's levels;
    range: the salvo size), and ``point``, the number of the point they pick."""
    import altair as alt

    start = grid.start()
    params = [alt.param(name=f"c{i}", value=start[i], bind=alt.binding_select(
        options=list(range(len(c.levels))), labels=[c.level_text(v) for v in c.levels],
        name=f"{c.input_label} ")) for i, c in enumerate(grid.controls)]
    if grid.salvo is not None:
        sizes = grid.salvo.levels
        params.append(alt.param(name="salvo", value=sizes[start[-1]], bind=alt.binding_range(
            min=sizes[0], max=sizes[-1], step=sizes[0], name=f"{grid.salvo.input_label} ")))
    params.append(alt.param(name="point", expr=point_expression(grid)))
    return params


def _picked(chart):
    return chart.transform_filter("datum.p == point")


def _color(labels: list[str], colors: list[str]):
    import altair as alt

    return alt.Scale(domain=labels, range=colors)


def headline_chart(grid: Grid, source: str):
    """The headline: the key output's P50 with its P10–P90, the chance of the goal, and the
    command that reproduces the picked point."""
    import altair as alt

    key = list(OUTPUTS).index(KEY_OUTPUT)
    label = OUTPUTS[KEY_OUTPUT].label
    lines = [f"{_string(label + ': ')} + datum.t2[{key}] + {_string('  (P10–P90 ')} + "
             f"datum.t1[{key}] + ' – ' + datum.t3[{key}] + ')'"]
    if grid.salvo is not None:
        spec = OUTPUTS[GOAL_OUTPUT]
        chance = f"P({spec.label.lower()} ≥ {format_value(GOAL_AT_LEAST, spec.unit)}): "
        lines.append(f"{_string(chance)} + datum.ct")
    sets = " + ".join(
        f"{_string(f' --set {axis.name}=')} + {_strings(axis.levels)}[{_level(grid, i)}]"
        for i, axis in enumerate(grid.axes))
    command = f"Same numbers: whatif run {source} --samples {grid.samples} --seed {grid.seed}"
    lines.append(f"{_string(command)} + {sets}")
    base = _picked(alt.Chart(alt.Data(name="points")))
    layers = []
    for i, expression in enumerate(lines):
        size, weight = ((20, "bold") if i == 0 else (15, "normal") if i < len(lines) - 1
                        else (12, "normal"))
        layers.append(base.transform_calculate(line=expression).mark_text(
            align="left", baseline="top", fontSize=size, fontWeight=weight,
            font="monospace" if i == len(lines) - 1 else "sans-serif").encode(
            x=alt.value(0), y=alt.value(4 + 30 * i), text="line:N",
            description=alt.value(f"headline {i}")))
    return alt.layer(*layers).properties(
        width=TABLE_WIDTH, height=30 * len(lines), name="headline",
        description=f"Headline: {label} at the picked values, with its P10–P90, the chance "
                    "of the goal and the command that gives the same numbers.")


def _level(grid: Grid, i: int) -> str:
    """The expression of axis ``i``'s picked level (0-based)."""
    if grid.salvo is not None and i == len(grid.axes) - 1:
        return f"round(salvo / {_number(grid.salvo.levels[0])}) - 1"
    return f"c{i}"


def table_chart(grid: Grid):
    """The headline table (every output's P10, P50, P90 and mean) as text marks: the
    outputs' labels, then one column per statistic."""
    import altair as alt

    chart = _picked(alt.Chart(alt.Data(name="points"))).transform_flatten(
        ["t0", "t1", "t2", "t3"]).transform_window(k="row_number()").transform_lookup(
        lookup="k", from_=alt.LookupData(alt.Data(name="outputs"), "k", ["label"]))
    y = alt.Y("k:O", axis=None)
    labels = chart.mark_text(align="left", fontSize=12).encode(
        x=alt.value(0), y=y, text="label:N")
    cells = chart.transform_fold(list(STAT_LABELS), as_=["stat", "text"]).transform_calculate(
        column=" + ".join(f"(datum.stat == '{k}' ? '{v}' : '')"
                          for k, v in STAT_LABELS.items())
    ).mark_text(align="right", fontSize=12).encode(
        x=alt.X("column:N", sort=list(STAT_LABELS.values()), title=None,
                scale=alt.Scale(range=[TABLE_LABEL_WIDTH + 40, TABLE_WIDTH - 20]),
                axis=alt.Axis(orient="top", labelAngle=0, labelFontWeight="bold", ticks=False,
                              domain=False, labelAlign="right", labelFontSize=12)),
        y=y, text="text:N")
    return alt.layer(labels, cells).properties(
        width=TABLE_WIDTH, height=22 * len(OUTPUTS), name="table",
        title="Headline figures (as whatif run prints them)",
        description="Headline figures at the picked values: each output's P10, P50, P90 "
                    "and mean, with its unit, as whatif run prints them.")


def _band_layers(prefix: str, base_prefix: str, spec: look.BandChartSpec, days: np.ndarray,
                 target: str | None):
    """A band chart: P10–P90 areas and P50 lines without and with the strike, as the static
    brief's (:data:`whatif.presentation.PRODUCTION`, :data:`~whatif.presentation.GRID`)."""
    import altair as alt

    scale = spec.scale
    fields = [f"{prefix}{s}" for s in BAND_STATS] + [f"{base_prefix}{s}" for s in BAND_STATS]
    which = {base_prefix: look.NO_STRIKE_P50, prefix: look.STRIKE_P50}
    calc = {"day": f"{_list(days)}[datum.k - 1]"}
    for stat in BAND_STATS:  # each row once without and once with the strike
        calc[f"v{stat}"] = (f"(datum.which == {_string(prefix)} ? datum.{prefix}{stat} * "
                            f"pow(10, datum.{prefix}e) : datum.{base_prefix}{stat} * "
                            f"pow(10, datum.{base_prefix}e)) * {scale!r}")
    calc["series"] = (f"datum.which == {_string(prefix)} ? {_string(look.STRIKE_P50)} : "
                      f"{_string(look.NO_STRIKE_P50)}")
    base = _picked(alt.Chart(alt.Data(name="points"))).transform_lookup(
        lookup="n", from_=alt.LookupData(alt.Data(name="baselines"), "n",
                                         [*(f"{base_prefix}{s}" for s in BAND_STATS),
                                          f"{base_prefix}e"])
    ).transform_flatten(fields).transform_window(k="row_number()").transform_fold(
        list(which), as_=["which", "unused"]).transform_calculate(**calc)
    labels = [*which.values()] + ([look.TARGET_LABEL] if target else [])
    colors = [look.NO_STRIKE, look.STRIKE] + ([look.TARGET] if target else [])
    color = alt.Color("series:N", title=None, scale=_color(labels, colors), sort=labels,
                      legend=alt.Legend(symbolType="stroke", symbolOpacity=1,
                                        symbolStrokeWidth=2))
    x = alt.X("day:Q", title=spec.text.x_label, scale=alt.Scale(domain=[0, int(days[-1])]))
    fmt = spec.tick_format
    layers = [
        base.mark_area(opacity=look.BAND_OPACITY).encode(
            x=x, y=alt.Y("v10:Q", title=spec.text.y_label, axis=alt.Axis(format=fmt)),
            y2="v90:Q", color=color),
        base.mark_line().encode(
            x=x, y="v50:Q", color=color,
            tooltip=["series:N", alt.Tooltip("day:Q", title="day"),
                     alt.Tooltip("v10:Q", title="P10", format=fmt),
                     alt.Tooltip("v50:Q", title="P50", format=fmt),
                     alt.Tooltip("v90:Q", title="P90", format=fmt)])]
    if target:
        layers.append(base.transform_filter("datum.k == 1 && datum.which == "
                                            f"{_string(prefix)}").transform_calculate(
            target=target, series=_string(look.TARGET_LABEL)).mark_rule(
            strokeDash=[6, 4]).encode(y="target:Q", color=color))
    return alt.layer(*layers).properties(
        width=CHART_WIDTH, height=CHART_HEIGHT, title=spec.text.title,
        name="production" if spec.target else "grid", description=spec.text.description(labels))


def hits_chart(grid: Grid):
    """Weekly hits on energy infrastructure (means), without and with the strike."""
    import altair as alt

    weeks = -(-grid.days // WEEK)
    labels = {"vbh": look.NO_STRIKE_MEAN, "vh": look.STRIKE_MEAN}
    return _picked(alt.Chart(alt.Data(name="points"))).transform_lookup(
        lookup="n", from_=alt.LookupData(alt.Data(name="baselines"), "n", ["bh", "bhe"])
    ).transform_flatten(["h", "bh"]).transform_window(week="row_number()").transform_filter(
        f"datum.week <= {weeks}").transform_calculate(
        vh="datum.h * pow(10, datum.he)", vbh="datum.bh * pow(10, datum.bhe)"
    ).transform_fold(list(labels), as_=["which", "hits"]).transform_calculate(
        series=f"datum.which == 'vh' ? '{look.STRIKE_MEAN}' : '{look.NO_STRIKE_MEAN}'"
    ).mark_bar().encode(
        x=alt.X("week:O", title=look.HITS.x_label, axis=alt.Axis(labelAngle=0,
                                                                  labelOverlap=True)),
        xOffset=alt.XOffset("series:N", sort=list(labels.values())),
        y=alt.Y("hits:Q", title=look.HITS.y_label),
        color=alt.Color("series:N", title=None,
                        scale=_color(list(labels.values()), [look.NO_STRIKE, look.STRIKE])),
        tooltip=["week:O", "series:N", alt.Tooltip("hits:Q", format=",.1f")],
    ).properties(width=CHART_WIDTH, height=CHART_HEIGHT, title=look.HITS.title, name="hits",
                 description=look.HITS.description(list(labels.values())))


def success_chart(grid: Grid):
    """The chance of the goal against the salvo size, the other controls as picked; the
    picked salvo marked, with the required confidence and the debate's 25–30."""
    import altair as alt

    sizes = grid.salvo.levels
    count = len(sizes)
    base = alt.Chart(alt.Data(name="points")).transform_filter(
        f"floor(datum.p / {count}) == floor(point / {count})").transform_calculate(
        missiles=f"(datum.p % {count} + 1) * {_number(sizes[0])}",
        series=_string(look.SUCCESS_LABEL))
    labels = [look.SUCCESS_LABEL, look.CONFIDENCE_LABEL, look.DEBATE_LABEL]
    color = alt.Color("series:N", title=None, sort=labels,
                      scale=_color(labels, [look.STRIKE, look.TARGET, look.DEBATE]),
                      legend=alt.Legend(orient="bottom", direction="horizontal", symbolOpacity=1))
    x = alt.X("missiles:Q", title=look.SUCCESS.x_label, scale=alt.Scale(domain=[0, sizes[-1]]))
    y = alt.Y("ok:Q", title=look.SUCCESS.y_label, scale=alt.Scale(domain=[0, 1]),
              axis=alt.Axis(format=".0%"))
    debate = alt.Chart(alt.Data(values=[{"from": DEBATE_SALVO[0], "to": DEBATE_SALVO[1],
                                         "series": look.DEBATE_LABEL}])
                       ).mark_rect(opacity=look.DEBATE_OPACITY).encode(
        x="from:Q", x2="to:Q", color=color)
    line = base.mark_line().encode(x=x, y=y, color=color)
    dots = base.mark_point(filled=True, size=18, color=look.STRIKE).encode(
        x=x, y=y, tooltip=[alt.Tooltip("missiles:Q", title="missiles"),
                           alt.Tooltip("ok:Q", title="P(success)", format=".1%")])
    picked = base.transform_filter("datum.p == point").mark_point(
        size=160, color=look.TARGET, strokeWidth=2).encode(x=x, y=y)
    rule = alt.Chart(alt.Data(values=[{"y": GOAL_CONFIDENCE, "series": look.CONFIDENCE_LABEL}])
                     ).mark_rule(strokeDash=[6, 4]).encode(y="y:Q", color=color)
    # the smallest salvo on the grid that reaches the confidence (the solver's answer, to
    # the grid's step)
    needed = base.transform_filter(f"datum.ok >= {GOAL_CONFIDENCE!r}").transform_aggregate(
        needed="min(missiles)").transform_calculate(
        ok=repr(GOAL_CONFIDENCE), missiles="datum.needed",
        text=f"{_string(f'≥ {GOAL_CONFIDENCE:.0%} from ')} + datum.needed + ' missiles'"
    ).mark_text(align="left", dx=6, dy=12, fontSize=12, fontWeight="bold").encode(
        x=x, y=y, text="text:N")
    return alt.layer(debate, line, dots, rule, picked, needed).properties(
        width=CHART_WIDTH, height=CHART_HEIGHT, name="success",
        title=look.goal_text(GOAL_OUTPUT, GOAL_AT_LEAST, GOAL_CONFIDENCE),
        description=look.describe_chart(look.SUCCESS.title + ": " + look.goal_text(
            GOAL_OUTPUT, GOAL_AT_LEAST, GOAL_CONFIDENCE), look.SUCCESS.x_label,
            look.SUCCESS.y_label, labels))


def tornado_chart(frame, top: int = 10):
    """The scenario's tornado (central values; as the static brief's): what picks the
    default controls."""
    import altair as alt

    central = float(frame.attrs["central"])
    rows = [{"parameter": r.parameter, "value": float(value), "central": central, "order": i,
             "end": label}
            for i, r in enumerate(frame.head(top).itertuples(index=False))
            for value, label in ((r.output_at_low, look.AT_LOW_LABEL),
                                 (r.output_at_high, look.AT_HIGH_LABEL))]
    labels = [look.AT_LOW_LABEL, look.AT_HIGH_LABEL]
    bars = alt.Chart(alt.Data(values=rows)).mark_bar(opacity=0.9).encode(
        x=alt.X("value:Q", title=look.output_axis_label(KEY_OUTPUT)), x2="central:Q",
        y=alt.Y("parameter:N", sort=alt.SortField("order"), title=None),
        color=alt.Color("end:N", title=None, sort=labels,
                        scale=_color(labels, [look.AT_LOW, look.AT_HIGH])),
        tooltip=["parameter:N", "end:N", alt.Tooltip("value:Q", format=",.0f")])
    rule = alt.Chart(alt.Data(values=[{"x": central}])).mark_rule(
        color=look.REFERENCE).encode(x="x:Q")
    title = look.tornado_title(KEY_OUTPUT, central) + " (scenario as set)"
    return alt.layer(bars, rule).properties(
        width=CHART_WIDTH, height=CHART_HEIGHT, name="tornado", title=title,
        description=look.describe_chart(title, look.output_axis_label(KEY_OUTPUT),
                                        "assumption", labels))


def chart_spec(grid: Grid, source: str, tornado_frame, validate: bool = False) -> dict:
    """The page's Vega-Lite specification (built with Altair), without the precomputed
    rows: ``points`` (one per grid point: ``p`` its number; ``t0``…``t3`` the table's
    strings per output for mean, P10, P50, P90; ``ok`` the chance of the goal, ``ct`` as
    text; ``s10/50/90`` production, ``g10/50/90`` the damaged grid, ``h`` weekly hits after
    the strike, each ``ints × 10**exponent`` with ``se``, ``ge``, ``he``; ``n`` its row of
    ``baselines``, the same without the strike) are added by the page's loader.
    ``validate``: check it against Vega-Lite's schema (Altair's check, ~2 s)."""
    import altair as alt

    scenario = grid.scenario
    names = [c.name for c in grid.controls]
    target = (f"{_list(grid.controls[names.index('production_target')].levels)}"
              f"[c{names.index('production_target')}]" if "production_target" in names
              else _number(scenario.central("production_target")))
    days = grid.band_days
    production = _band_layers("s", "bs", look.PRODUCTION, days, target)
    damaged = _band_layers("g", "bg", look.GRID, days, None)
    top = [table_chart(grid)]
    if grid.salvo is not None:
        top.append(success_chart(grid))

    def row(*charts):  # each chart its own colours
        return alt.hconcat(*charts, spacing=40).resolve_scale(color="independent")

    chart = alt.vconcat(
        headline_chart(grid, source), row(*top), row(production, damaged),
        row(hits_chart(grid), tornado_chart(tornado_frame)), spacing=30,
        description="The interactive brief's charts: the headline figures, "
                    + ("the chance of the goal against the salvo size, " if grid.salvo
                       else "") + "national production and the damaged grid over time, the "
                    "weekly hits and the tornado, at the values picked above.",
    ).resolve_scale(color="independent").add_params(*_params(grid)).configure_view(
        stroke=None).configure_axis(labelFontSize=11, titleFontSize=12).configure_title(
        fontSize=14, anchor="start").configure_mark(color=look.BLUE)
    # (Altair's check against the Vega-Lite schema takes ~2 s: the tests make it)
    spec = chart.to_dict(validate=validate)
    spec["datasets"] = {"outputs": [
        {"k": k + 1, "label": look.output_label(name, scenario)}
        for k, name in enumerate(OUTPUTS)]}
    spec.pop("$schema", None)  # (a link; nothing is fetched)
    return spec


@functools.cache
def javascript_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed as one script (``vl_convert.javascript_bundle``, the
    Vega-Lite version Altair writes), with ``vegaEmbed`` on ``window``: ~0.9 MB. Bundling
    takes 2–5 s, so the script is kept in the user's cache folder, one file per vl-convert
    and Vega-Lite version (made again if it cannot be read or written)."""
    import altair as alt
    import vl_convert

    version = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    if version not in vl_convert.get_vegalite_versions():
        version = None  # (vl-convert's newest)
    cached = _bundle_cache(f"vega-bundle-{_distribution_version('vl-convert-python')}-"
                           f"vl{version or 'latest'}.js")
    try:
        script = cached.read_text(encoding="utf-8") if cached else ""
    except OSError:
        script = ""
    if not script.startswith(BUNDLE_HEAD):
        script = BUNDLE_HEAD + vl_convert.javascript_bundle(vl_version=version)
        if cached:
            with contextlib.suppress(OSError, WhatifError):
                cached.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(cached, lambda handle: handle.write(script.encode("utf-8")),
                             "cache")
    return script.replace("</script", "<\\/script")  # (never in it; never let it end early)


#: the first line of the bundle as the page carries it (and of its cached copy)
BUNDLE_HEAD = "// Vega, Vega-Lite and Vega-Embed (BSD-3-Clause), bundled by vl-convert\n"


def _bundle_cache(name: str) -> Path | None:
    """Where the bundle is kept: ``$WHATIF_CACHE_DIR``, else the user's cache folder."""
    folder = os.environ.get("WHATIF_CACHE_DIR")
    if not folder:
        try:
            import platformdirs  # comes with the app extra
        except ImportError:
            return None
        folder = platformdirs.user_cache_path("whatif")
    return Path(folder).expanduser() / name


def _distribution_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


STYLE = """
body {font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
  max-width: 1240px; margin: 1.5em auto; padding: 0 1em; color: #222; line-height: 1.4;}
h1 {margin-bottom: 0.2em;} .meta {color: #555; font-size: 90%;}
#whatif-controls {position: sticky; top: 0; z-index: 2; background: #f6f6f6;
  border-left: 4px solid """ + look.STRIKE + """; padding: 0.5em 0.8em; margin: 1em 0;}
#whatif-controls .vega-bind {display: inline-block; margin: 0.2em 1.5em 0.2em 0;}
#whatif-controls .vega-bind-name {font-weight: 600; margin-right: 0.3em;}
#whatif-controls select, #whatif-controls input {font-size: 100%;}
#whatif-status {color: """ + look.ERROR + """;}
table.about {border-collapse: collapse; width: 100%; font-size: 90%;}
table.about th, table.about td {border-bottom: 1px solid #ddd; padding: 3px 6px;
  text-align: left; vertical-align: top;}
.vega-embed summary {display: none;}
"""

LOADER = """
(async () => {
  const status = document.getElementById("whatif-status");
  try {
    const packed = document.getElementById("whatif-data").textContent.trim();
    const bytes = Uint8Array.from(atob(packed), (c) => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    const data = JSON.parse(await new Response(stream).text());
    const spec = JSON.parse(document.getElementById("whatif-spec").textContent);
    // the points come as columns: one row per point, p its number
    const columns = Object.entries(data.points);
    spec.datasets.points = columns[0][1].map((_, p) => {
      const row = {p};
      for (const [name, values] of columns) row[name] = values[p];
      return row;
    });
    spec.datasets.baselines = data.baselines;
    const result = await vegaEmbed("#whatif-charts", spec, {
      ast: true, actions: false, renderer: "svg", bind: "#whatif-controls",
      tooltip: true, defaultStyle: false});
    window.whatifView = result.view;
    // the charts as one graphic, named by the spec's description, for screen readers
    const svg = document.querySelector("#whatif-charts svg");
    svg.setAttribute("role", "graphics-document");
    svg.setAttribute("aria-roledescription", "charts");
    svg.setAttribute("aria-label", spec.description);
    status.textContent = "";
    document.body.dataset.ready = "yes";
  } catch (error) {
    status.textContent = "The charts could not be drawn here: " + error;
  }
})();
"""


def _live_rows(grid: Grid) -> str:
    rows = []
    for axis in grid.axes:
        shown = ", ".join(axis.level_text(v) for v in axis.levels)
        value = grid.scenario.values[axis.name]
        rows.append(f"<tr><td>{escape(axis.label)}<br><code>{escape(axis.name)}</code></td>"
                    f"<td>{escape(shown)}</td><td>{escape(assumption_text(value))}</td></tr>")
    return ("<table class='about'><tr><th>Live assumption</th><th>Levels you can pick</th>"
            "<th>In the scenario</th></tr>" + "".join(rows) + "</table>")


def _fixed_rows(grid: Grid) -> str:
    scenario = grid.scenario
    live = set(grid.names)
    rows = []
    for name, p in REGISTRY.items():
        if name in live or name in scenario.replaced:
            continue
        value = scenario.values[name]
        if isinstance(value, Assumption) or isinstance(value, str):
            shown = assumption_text(value)
        elif p.kind == "stages":
            shown = "; ".join(str(stage) for stage in value)
        else:
            shown = str(value)
        set_here = " *" if name in scenario.overrides else ""
        rows.append(f"<tr><td>{escape(p.label)}{set_here}<br><code>{escape(name)}</code></td>"
                    f"<td>{escape(p.unit)}</td><td>{escape(shown)}</td></tr>")
    return ("<table class='about'><tr><th>Fixed assumption</th><th>Unit</th><th>Value (drawn "
            "from this distribution where uncertain)</th></tr>" + "".join(rows) + "</table>")


def _plan_html(scenario: Scenario) -> str:
    if not scenario.plan:
        return ""
    if scenario.system is not None:
        sites = "; ".join(f"{site.name} ({site.role}: "
                          + ", ".join(str(stage) for stage in site.stages) + ")"
                          for site in scenario.system.sites)
    else:
        sites = ", ".join(scenario.site_names)
    return (f"<p>The plan fixes the missiles: {escape(look.plan_summary(scenario))}, "
            f"aimed at {escape(sites)}.</p>")


def page_html(grid: Grid, answers: GridAnswers, tornado_frame, source: str | None = None,
              created: str | None = None) -> str:
    """The interactive brief as one HTML document (scripts and data inline)."""
    from whatif.brief import _version

    scenario = grid.scenario
    shown_source = source if source and _plain_name(source) else "SCENARIO.yaml"
    data = json.dumps(payload(grid, answers), ensure_ascii=False, separators=(",", ":"))
    packed = base64.b64encode(gzip.compress(data.encode("utf-8"), compresslevel=6, mtime=0)
                              ).decode("ascii")
    spec = chart_spec(grid, shown_source, tornado_frame)
    created = created or dt.date.today().isoformat()
    mode = (f"{grid.samples:,} Monte Carlo samples per combination, seed {grid.seed}"
            if grid.samples else "deterministic (central values)")
    charts_from = (f"the first {grid.chart_samples:,} of those samples" if grid.samples
                   else "the same deterministic run")
    salvo = ""
    if grid.salvo is not None:
        sizes = grid.salvo.levels
        salvo = (f" The salvo size runs over {len(sizes)} sizes, {number_text(sizes[0])} to "
                 f"{number_text(sizes[-1])} missiles in steps of {number_text(sizes[0])} "
                 "(twice the scenario's largest salvo).")
    about = (
        f"<h2>What is live, what is fixed</h2><p>{grid.points:,} combinations, each run in "
        f"advance with the whatif model ({escape(mode)}); this page only looks them up, and "
        "makes no request of any kind. A live assumption is set to the level you pick in "
        "every sample, as <code>whatif run --set name=value</code> does; the rest stay as the "
        f"scenario sets them.{escape(salvo)}</p>" + _live_rows(grid) + _plan_html(scenario)
        + _fixed_rows(grid)
        + "<p>* set by this scenario; the rest are the cited defaults of "
        "<code>data/assumptions.csv</code>.</p>"
        "<h2>How to read it</h2><p>The headline table is what <code>whatif run "
        f"{escape(shown_source)} --samples {grid.samples} --seed {grid.seed} --set …</code> "
        "prints with the picked values (the line above the table gives the command). The "
        "chance of the goal comes from the same samples, stored to "
        f"{SIGNIFICANT_DIGITS} significant digits. The charts' P10–P90 bands and P50 lines "
        f"come from {escape(charts_from)} (the daily series of every combination cost about "
        f"five times the run itself), every {band_step(grid.days)} days and the "
        "horizon's last; the weekly hits are means. Each chart's numbers are stored to "
        f"{CHART_DIGITS} significant digits of its largest value. The tornado is the "
        "scenario's own, at its central values: it picked the default live "
        "assumptions.</p>")
    body = (
        f"<h1>{escape(scenario.title)}</h1>"
        f"<p class='meta'>Interactive brief · whatif {escape(_version())} · "
        f"{escape(created)} · {escape(mode)} · scenario {escape(shown_source)}"
        + ("" if shown_source == source else " (this scenario saved as YAML)") + "</p>"
        + (f"<p>{escape(scenario.note)}</p>" if scenario.note else "")
        + "<div id='whatif-controls'></div>"
        "<noscript><p>The controls and charts need JavaScript; the tables below do not."
        "</p></noscript>"
        "<p id='whatif-status'>Unpacking the precomputed answers…</p>"
        "<div id='whatif-charts'></div>" + about)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(scenario.title)}</title><style>{STYLE}</style></head><body>"
        f"<main>{body}</main>"
        f'<script type="application/octet-stream" id="whatif-data">{packed}</script>'
        f'<script type="application/json" id="whatif-spec">{_script_json(spec)}</script>'
        f"<script>{javascript_bundle()}</script><script>{LOADER}</script>"
        "</body></html>\n")


def _plain_name(name: str) -> bool:
    """Whether ``name`` is safe to show in a command as it is (letters, digits, ``._-/``)."""
    return bool(re.fullmatch(r"[A-Za-z0-9._/-]{1,120}", name))


def interactive_html(grid: Grid, source: str | None = None,
                     progress: Progress | None = None, created: str | None = None
                     ) -> tuple[str, GridAnswers]:
    """Compute ``grid`` (:func:`plan_grid`) and return the page (and the answers)."""
    # Altair's import (~2 s of Python) and the bundle on a thread, while the model (which
    # releases the GIL) runs
    preparing = threading.Thread(target=_quietly, args=(javascript_bundle,), daemon=True)
    preparing.start()
    frame = tornado(grid.scenario, KEY_OUTPUT)
    answers = compute(grid, progress)
    preparing.join()
    started = time.perf_counter()
    html = page_html(grid, answers, frame, source, created)
    answers.seconds["page"] = time.perf_counter() - started
    return html, answers


def _quietly(work: Callable[[], object]) -> None:
    """``work()``, its failure left for the caller's own call of it to raise."""
    with contextlib.suppress(Exception):
        work()


def progress_bar() -> tuple[Progress, Callable[[], None]]:
    """A tqdm bar on stderr counting model runs, and the call that closes it."""
    from tqdm import tqdm

    bar = tqdm(total=0, unit="run", unit_scale=True, desc="interactive brief", leave=True,
               dynamic_ncols=True, bar_format="{l_bar}{bar}| {elapsed} elapsed, {remaining} left")

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    return update, bar.close


def render(scenario_source: str | Path, output: str | Path, controls: list[str] | None = None,
           levels: int = DEFAULT_LEVELS, samples: int = DEFAULT_SAMPLES, seed: int = 0,
           chart_samples: int | None = None, progress: bool | Progress = False
           ) -> Path:
    """Write the interactive brief of a scenario (a YAML file or a bundled name) to
    ``output``, atomically. Every input is checked before any work (one-line
    :class:`~whatif.errors.WhatifError`). ``progress``: a tqdm bar on stderr if true, or a
    callable ``(runs done, runs in all)``."""
    source = resources.scenario_path(scenario_source)
    scenario = Scenario.from_yaml(source)
    grid = plan_grid(scenario, controls, levels, samples, seed, chart_samples)
    out = check_writable(output, "--output")
    close = None
    if progress is True:
        progress, close = progress_bar()
    try:
        html, _ = interactive_html(grid, str(scenario_source), progress or None)
    finally:
        if close is not None:
            close()
    write_atomic(out, lambda handle: handle.write(html.encode("utf-8")), "--output")
    return out


def parse_controls(text: str) -> list[str]:
    """``--controls a,b,c`` as names (blanks dropped); an empty list is refused."""
    names = [part.strip() for part in str(text).split(",") if part.strip()]
    if not names:
        raise ParameterError("controls", f"{show_text(text)} names no assumption; give names "
                             "separated by commas, e.g. repair_days,production_now")
    return names


def export_interactive_brief(scenario: Scenario, seed: int, save_dir: Path,
                             progress: Progress | None = None) -> tuple[Path, str]:
    """The app's "Export interactive brief": the default grid of ``scenario`` (the settings
    on screen) at :data:`DEFAULT_SAMPLES` samples and ``seed``, written in ``save_dir``;
    returns the path and the HTML. Raises :class:`~whatif.errors.WhatifError` before any
    work for a scenario that cannot have one."""
    from whatif.views.scenarios import slug

    grid = plan_grid(scenario, None, DEFAULT_LEVELS, DEFAULT_SAMPLES, seed,
                     None)  # (the defaults as they are now)
    html, _ = interactive_html(grid, None, progress)
    save_dir.mkdir(parents=True, exist_ok=True)
    path = save_dir / f"{slug(scenario.title, 'brief')}-interactive.html"
    write_atomic(path, lambda handle: handle.write(html.encode("utf-8")), "export")
    return path, html
