"""The "When does it work?" tab and the brief's section of that name: a small ensemble of
the scenario (:mod:`whatif.explore`), scenario discovery on it (:mod:`whatif.discover`), and
what is shown of the result.

The ensemble runs in this process, chunk by chunk (:func:`whatif.explore.run_chunk`), with
nothing written to disk: ``futures`` points of a Latin hypercube over the range of every
uncertain assumption of the scenario, each run with ``samples`` Monte Carlo samples of
what stays random within a future (the strike's outcome, the production trend's fit). A
future *succeeds* when the goal's statistic over its samples (by default the mean) reaches
the threshold. PRIM then finds the box of assumptions in which the futures succeed; the
first box, at the point of its peeling trajectory :func:`whatif.discover.choose_point`
picks, is what the tab and the brief show.

Numbers in the text: shares as whole percentages (never rounded to 0 or 100 unless they
are), limits in each assumption's unit.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd

from whatif.discover import MIN_DENSITY, Box, DiscoveryResult, discover
from whatif.errors import ParameterError, WhatifError, show
from whatif.explore import chunk_tasks, design, run_chunk
from whatif.formatting import format_value
from whatif.outputs import OBJECTIVES, OUTPUTS, STATS
from whatif.params import REGISTRY
from whatif.presentation import output_label
from whatif.scenario import Scenario

#: the tab's ensemble: futures offered (the first is the default), samples per future
FUTURES_CHOICES = (400, 1_000, 2_000)
TAB_SAMPLES = 200
#: the brief's ensemble (about 0.3 s of model runs, plus the discovery)
BRIEF_FUTURES = 300
BRIEF_SAMPLES = 200
#: about this many chunks per ensemble: one progress step each
PROGRESS_STEPS = 10
DEFAULT_OUTPUT = "capacity_loss"
DEFAULT_THRESHOLD = 0.5
DEFAULT_STATISTIC = "mean"
#: feature scores listed (the inputs that decide most whether a future succeeds)
TOP_SCORES = 5
#: how each statistic of a future's samples reads in the statistic picker
STATISTIC_WORDS = {
    "mean": "mean of its samples",
    "p10": "P10 (9 in 10 of its samples reach it)",
    "p50": "P50 (half of its samples reach it)",
    "p90": "P90 (1 in 10 of its samples reach it)",
}


# --- the goal ----------------------------------------------------------------------------------
def output_choices() -> list[tuple[str, str]]:
    """(label, name) of the outputs a goal can be set on: those where more is better (the
    app's goal control offers the same)."""
    return [(OUTPUTS[name].label, name) for name in OBJECTIVES]


def statistic_choices() -> list[tuple[str, str]]:
    """(shown, name) of each statistic a future's success can be judged on."""
    return [(STATISTIC_WORDS[name], name) for name in STATS]


def futures_choices() -> list[tuple[str, int]]:
    """(shown, value) of each ensemble size the tab offers."""
    return [(f"{n:,} futures", n) for n in FUTURES_CHOICES]


def parse_threshold(output: str, text: str) -> float:
    """The typed threshold of ``output`` [the output's unit], checked: a finite number from
    0 up to the output's largest value (shares: 1). Raises
    :class:`~whatif.errors.ParameterError` naming the allowed range."""
    if output not in OBJECTIVES:
        raise ParameterError("output", f"{show(output)} is not allowed; allowed one of "
                             f"{', '.join(OBJECTIVES)}")
    spec = OUTPUTS[output]
    allowed = (f"0 to {spec.upper:g} {spec.unit}" if spec.upper is not None
               else f"a number >= 0 {spec.unit}")
    typed = str(text).strip()
    try:
        value = float(typed)
    except ValueError:
        raise ParameterError("threshold", f"{show(typed)} is not a number; allowed "
                             f"{allowed}") from None
    if not math.isfinite(value) or value < 0 or (spec.upper is not None and value > spec.upper):
        raise ParameterError("threshold", f"{show(typed)} is out of range for {output}; "
                             f"allowed {allowed}")
    return value


def goal_text(output: str, threshold: float, statistic: str = DEFAULT_STATISTIC,
              scenario: Scenario | None = None) -> str:
    """The goal in words: ``Plant capacity lost (first salvo) ≥ 50.0%``, with the statistic
    when it is not the mean (a system's capacity loss is its listed sites')."""
    label = output_label(output, scenario) if scenario is not None else OUTPUTS[output].label
    shown = {"mean": "", "p10": " (P10)", "p50": " (P50)", "p90": " (P90)"}[statistic]
    return f"{label}{shown} ≥ {format_value(threshold, OUTPUTS[output].unit)}"


# --- the ensemble and the discovery ------------------------------------------------------------
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Ensemble:
    """A small ensemble of ``scenario``: its results table and manifest
    (:mod:`whatif.explore`'s), and how long it took [s]."""

    scenario: Scenario
    table: pd.DataFrame
    manifest: dict
    futures: int
    samples: int
    seed: int
    uncertain: int  # uncertain assumptions explored
    seconds: float

    @property
    def runs(self) -> int:
        """Model runs: futures × samples."""
        return self.futures * self.samples


def ensemble(scenario: Scenario, futures: int = FUTURES_CHOICES[0], samples: int = TAB_SAMPLES,
             seed: int = 0, progress: Progress | None = None) -> Ensemble:
    """Run ``futures`` futures of ``scenario`` (no levers) with ``samples`` samples each, in
    this process, in about :data:`PROGRESS_STEPS` chunks; ``progress(done, total)`` after
    each. Each future equals a direct simulate at its own seed, however it is chunked, so
    the table is that of ``whatif explore`` with the same settings. Raises
    :class:`~whatif.errors.ParameterError` (e.g. nothing is uncertain, nothing to explore).
    """
    started = time.perf_counter()
    chunk_rows = max(1, math.ceil(futures * samples / PROGRESS_STEPS))
    plan = design(scenario, futures, samples=samples, seed=seed, chunk_rows=chunk_rows)
    tasks = chunk_tasks(plan, list(range(plan.chunks)))
    frames = []
    for done, task in enumerate(tasks, start=1):
        frames.append(run_chunk(task))
        if progress is not None:
            progress(done, len(tasks))
    table = pd.concat(frames, ignore_index=True)
    return Ensemble(scenario, table, plan.manifest(), plan.futures, plan.samples, plan.seed,
                    len(plan.uncertain), time.perf_counter() - started)


def discovery(runs: Ensemble, output: str = DEFAULT_OUTPUT,
              threshold: float = DEFAULT_THRESHOLD,
              statistic: str = DEFAULT_STATISTIC) -> DiscoveryResult:
    """PRIM's first box (and CART, the feature scores) for ``output``'s ``statistic`` ≥
    ``threshold`` over the ensemble (:func:`whatif.discover.discover`, its defaults; the
    ensemble's seed). Imports the EMA Workbench on first use (about 2 s)."""
    return discover(runs.table, runs.manifest, output, at_least=threshold,
                    statistic=statistic, max_boxes=1, seed=runs.seed)


@dataclass(frozen=True)
class WhenItWorks:
    """What the tab and the brief show: the ensemble and what discovery found in it."""

    ensemble: Ensemble
    result: DiscoveryResult
    seconds: float  # the discovery's time [s]

    @property
    def box(self) -> Box | None:
        """The chosen box (PRIM's first), or None (no success, all, or no dense box)."""
        return self.result.boxes[0] if self.result.boxes else None


def when_it_works(scenario: Scenario, output: str = DEFAULT_OUTPUT,
                  threshold: float = DEFAULT_THRESHOLD, statistic: str = DEFAULT_STATISTIC,
                  futures: int = FUTURES_CHOICES[0], samples: int = TAB_SAMPLES, seed: int = 0,
                  progress: Progress | None = None, runs: Ensemble | None = None
                  ) -> WhenItWorks:
    """The ensemble (or ``runs``, one already computed) and its discovery."""
    if runs is None:
        runs = ensemble(scenario, futures, samples, seed, progress)
    started = time.perf_counter()
    result = discovery(runs, output, threshold, statistic)
    return WhenItWorks(runs, result, time.perf_counter() - started)


def when_it_works_or_reason(scenario: Scenario, output: str = DEFAULT_OUTPUT,
                            threshold: float = DEFAULT_THRESHOLD,
                            statistic: str = DEFAULT_STATISTIC, futures: int = BRIEF_FUTURES,
                            samples: int = BRIEF_SAMPLES, seed: int = 0
                            ) -> tuple[WhenItWorks | None, str]:
    """:func:`when_it_works`, or None and why not (:func:`reason_text`): the brief's
    section (by default its goal and ensemble size)."""
    try:
        return when_it_works(scenario, output, threshold, statistic, futures, samples,
                             seed), ""
    except WhatifError as exc:
        return None, reason_text(exc)


def reason_text(exc: WhatifError) -> str:
    """Why there is no ensemble, in words for the tab and the brief."""
    message = str(exc)
    if "nothing to explore" in message:
        return ("No assumption of this scenario is uncertain, so there are no futures to "
                "explore: give an assumption a range (Monte Carlo) first.")
    return message


# --- the chart's numbers -----------------------------------------------------------------------
@dataclass(frozen=True)
class TradeOff:
    """The first box's peeling trajectory: each step's coverage and density (shares 0 to 1)
    and inputs restricted, and the index of the chosen step."""

    coverage: np.ndarray
    density: np.ndarray
    restricted: np.ndarray
    chosen: int


def trade_off(result: DiscoveryResult) -> TradeOff | None:
    """The points of the trade-off chart (coverage on x, density on y): the first box's
    trajectory as PRIM computed it. None when there is no box."""
    if not result.boxes:
        return None
    box = result.boxes[0]
    points = box.trajectory
    return TradeOff(np.array([p.coverage for p in points], dtype=float),
                    np.array([p.density for p in points], dtype=float),
                    np.array([p.restricted for p in points], dtype=int), int(box.point))


# --- the text ----------------------------------------------------------------------------------
def percent(share: float) -> str:
    """A share 0 to 1 as a whole percentage that never rounds to 0 or 100 unless it is:
    ``97 %``, ``< 1 %``, ``> 99 %``."""
    if 0 < share < 0.005:
        return "< 1 %"
    if 0.995 < share < 1:
        return "> 99 %"
    return f"{100 * share:.0f} %"


def limit_value(name: str, value: float) -> str:
    """A limit of assumption ``name`` with its unit: ``0.61``, ``90.5 days``, ``18 missiles``,
    ``$1.2M``. Probabilities and shares are plain numbers 0 to 1, as the controls show them."""
    parameter = REGISTRY[name]
    unit = parameter.unit
    if unit == "USD":
        return format_value(value, unit)
    if parameter.kind == "integer":
        text = f"{value:,.0f}"
    elif abs(value) >= 1000:
        text = f"{value:,.0f}"
    else:
        text = f"{value:.3g}"
    return text if unit in ("", "share", "probability") else f"{text} {unit}"


def condition_text(name: str, low: float, high: float, data_low: float,
                   data_high: float) -> str:
    """One restricted assumption in words with its label: ``Kill probability per arriving
    missile ≥ 0.61``; both ends when both restrict (``… from 30 to 90 days``). An integer
    assumption's limits read as the whole numbers they allow (``≤ 18.5`` is ``≤ 18``)."""
    parameter = REGISTRY[name]
    below, above = low > data_low, high < data_high
    if parameter.kind == "integer":
        low, high = math.ceil(low), math.floor(high)
    label = parameter.label
    if below and above:
        return f"{label} from {limit_value(name, low)} to {limit_value(name, high)}"
    if below:
        return f"{label} ≥ {limit_value(name, low)}"
    return f"{label} ≤ {limit_value(name, high)}"


def conditions(result: DiscoveryResult, box: Box) -> list[str]:
    """The box's restricted assumptions in words, in registry order."""
    return [condition_text(name, low, high, *result.ranges[name])
            for name, (low, high) in box.limits.items()]


def share_text(found: WhenItWorks) -> str:
    """The share of futures meeting the goal, with the ensemble's size."""
    result, runs = found.result, found.ensemble
    return (f"{goal_text(result.output, result.threshold, result.statistic, runs.scenario)} in "
            f"{percent(result.share_met)} of {runs.futures:,} futures "
            f"({result.successes:,} of {result.experiments:,}).")


def box_words(box: Box) -> str:
    """The box's coverage and density in words."""
    return (f"This box holds {percent(box.coverage)} of the futures that succeed, and "
            f"{percent(box.density)} of the futures in it succeed (it holds "
            f"{percent(box.mass)} of all futures).")


def size_text(runs: Ensemble, assumptions: bool = True) -> str:
    """The ensemble's size: ``400 futures × 200 samples = 80,000 model runs, over the
    ranges of 19 uncertain assumptions, seed 0`` (without the assumptions' count if not
    ``assumptions``)."""
    over = (f", over the ranges of {runs.uncertain} uncertain assumptions" if assumptions
            else "")
    return (f"{runs.futures:,} futures × {runs.samples:,} samples = {runs.runs:,} model "
            f"runs{over}, seed {runs.seed}")


def box_html(found: WhenItWorks) -> str:
    """The finding as HTML: the share of futures meeting the goal, then the chosen box's
    conditions with its coverage and density, or why there is no box."""
    result, box = found.result, found.box
    share = f'<p class="whatif-discovery-share"><b>{escape(share_text(found))}</b></p>'
    if result.successes == 0:
        return share + ("<p class='whatif-discovery-none'>The goal is met in none of the "
                        "futures: no combination of the assumptions within their ranges "
                        "reaches it, so there is no box to show.</p>")
    if result.successes == result.experiments:
        return share + ("<p class='whatif-discovery-none'>The goal is met in every future: "
                        "it holds whatever the uncertain assumptions are within their ranges, "
                        "so there is no box to show.</p>")
    if box is None:
        return share + (f"<p class='whatif-discovery-none'>No box of the assumptions holds "
                        f"futures of which at least {percent(MIN_DENSITY)} succeed: success "
                        "is not confined to a simple region.</p>")
    items = "".join(f"<li>{escape(text)}</li>" for text in conditions(result, box))
    return (share + "<p>It works when:</p>"
            f"<ul class='whatif-discovery-box'>{items}</ul>"
            f"<p class='whatif-discovery-words'>{escape(box_words(box))}</p>")


def scores_html(result: DiscoveryResult, top: int = TOP_SCORES,
                table_class: str = "whatif-table") -> str:
    """The assumptions that decide most whether a future succeeds (extra-trees feature
    scores, summing to 1 over all), as a small table of class ``table_class``; "" when
    there are none."""
    if not result.feature_scores:
        return ""
    rows = "".join(
        f"<tr><td>{escape(REGISTRY[name].label)}</td><td>{score:.2f}</td></tr>"
        for name, score in list(result.feature_scores.items())[:top])
    count = len(result.feature_scores)
    return ("<p>What decides it most (feature scores of extra trees; all "
            f"{count} sum to 1, so a score near an equal share, {1 / count:.2f}, may be "
            "noise):</p>"
            f"<table class='{table_class} whatif-discovery-scores'><tr><th>Assumption</th>"
            f"<th>Feature score</th></tr>{rows}</table>")


def method_text(runs: Ensemble) -> str:
    """How the finding was made, in one paragraph (plain text)."""
    return (f"Each future is one point of a Latin hypercube over the ranges of the "
            f"scenario's {runs.uncertain} uncertain assumptions, run with {runs.samples:,} "
            "Monte Carlo samples of the strike's outcome; a future succeeds when the goal's "
            "statistic over its samples reaches the threshold. PRIM (EMA Workbench) peels the "
            "assumptions' ranges to a box in which most futures succeed; the box shown is "
            "the step of its peeling with the best balance of coverage (the share of the "
            "successful futures inside it) and density (the share of the futures inside it "
            f"that succeed), with a density of at least {percent(MIN_DENSITY)}.")


def finding_html(found: WhenItWorks, table_class: str = "whatif-table") -> str:
    """Everything the tab and the brief write about the finding (not the chart); tables of
    class ``table_class``."""
    return box_html(found) + scores_html(found.result, table_class=table_class)

