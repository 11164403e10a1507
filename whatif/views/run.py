"""What the app computes and when: its run settings, the goal check, one run of the model,
and :class:`RefreshQueue`, which coalesces the recomputations that changes ask for."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from whatif.calibrate import calibrate_cached
from whatif.engine import SimulationResult, SolveResult, check_objective, missiles_needed, simulate
from whatif.errors import WhatifError
from whatif.presentation import BAND_SERIES, OTHER_PATH, OtherPath, other_path  # noqa: F401
from whatif.scenario import Scenario

SAMPLE_CHOICES = (500, 1_000, 2_000, 5_000, 10_000)
#: daily series drawn with P10–P90 bands (the rest are shown as means)
CHART_BANDS = BAND_SERIES
MAX_MISSILES = 300  # the solver's curve: 0 … 300 missiles per salvo


@dataclass(frozen=True)
class RunSettings:
    """The "Uncertainty" settings: point estimate or Monte Carlo, and the solver's goal."""

    mode: str = "point"  # "point" (central values) or "mc" (Monte Carlo)
    samples: int = 2_000  # Monte Carlo samples (ignored for the point estimate)
    seed: int = 0
    objective: str = "capacity_loss"
    at_least: float = 0.5  # the objective's threshold, in its unit
    confidence: float = 0.8  # required probability of reaching it

    @property
    def draws(self) -> int:
        """Samples to simulate: 0 (deterministic) for the point estimate."""
        return 0 if self.mode == "point" else int(self.samples)


def parse_goal(objective: str, text: str, confidence: float) -> float:
    """The typed threshold ``text`` of ``objective``, checked as the solver would.

    Raises :class:`~whatif.errors.WhatifError` naming the problem (not a number, out of
    the objective's range, a confidence outside (0, 1]).
    """
    text = text.strip()
    try:
        at_least = float(text)
    except ValueError:
        raise WhatifError(f"at_least: {text!r} is not a number") from None
    check_objective(objective, at_least, confidence, MAX_MISSILES)
    return at_least


def day_zero_check(scenario: Scenario) -> str:
    """A warning when the chosen path's day-0 level lies outside the fit's interval for
    production_now ("" when inside)."""
    estimate = calibrate_cached().production_now
    path = scenario.central("production_path")
    if path == "custom":
        level = float(scenario.central("production_points")[0][1])
        what = "the custom path's day-0 level"
    else:
        level = float(scenario.central("production_now"))
        what = "production_now"
    if estimate.contains(level):
        return ""
    return (f"{what} ({level:,.0f} drones/day) is outside the fit to the launch record: "
            f"{estimate.low:,.0f}–{estimate.high:,.0f} drones/day ({estimate.level:.0%} "
            f"interval, fitted {estimate.value:,.0f}).")


def run(scenario: Scenario, settings: RunSettings
        ) -> tuple[SimulationResult, SolveResult | None]:
    """The model on ``scenario``: daily series for the charts and the missiles needed
    (None for a scenario with a plan, whose salvos are fixed)."""
    result = simulate(scenario, samples=settings.draws, seed=settings.seed, series=True,
                      bands=CHART_BANDS)
    if scenario.plan:
        return result, None
    solve = missiles_needed(scenario, settings.objective, settings.at_least,
                            settings.confidence, samples=settings.draws, seed=settings.seed,
                            max_missiles=MAX_MISSILES)
    return result, solve


class RefreshQueue:
    """Recompute now, or once the queued changes have been taken in (coalesced).

    ``refresh`` recomputes everything; ``refresh_sensitivity`` only the "What matters
    most?" tab. With ``immediate`` (tests, scripts) every request runs at once. Otherwise
    a request made inside a running event loop (the kernel's) is queued with
    ``call_soon``: more requests arriving before it runs join it, so a drag that fires
    many changes costs one run. Without a running loop (plain Python) it runs at once.
    A run calls :meth:`taken` as it starts, so that a queued run it covers is dropped.
    """

    def __init__(self, refresh: Callable[[], None], refresh_sensitivity: Callable[[], None],
                 immediate: bool = False):
        self._refresh = refresh
        self._refresh_sensitivity = refresh_sensitivity
        self.immediate = immediate
        self.pending = False  # a run is scheduled on the loop
        self.full_due = False  # a full refresh is queued
        self.sensitivity_due = False  # only the sensitivity tab is queued

    def request(self, sensitivity_only: bool = False) -> None:
        """Ask for a refresh (``sensitivity_only``: of the sensitivity tab alone)."""
        if self.immediate:
            (self._refresh_sensitivity if sensitivity_only else self._refresh)()
            return
        if sensitivity_only:
            self.sensitivity_due = True
        else:
            self.full_due = True
        if self.pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (plain Python): run now
            self._refresh()
            return
        self.pending = True
        loop.call_soon(self.run_pending)

    def run_pending(self) -> None:
        """Run what is queued: a full refresh if any was asked for, else the tab's."""
        self.pending = False
        if self.full_due:
            self._refresh()
        elif self.sensitivity_due:
            self._refresh_sensitivity()

    def taken(self, sensitivity_only: bool = False) -> None:
        """A run has started: what it covers is no longer due."""
        self.sensitivity_due = False
        if not sensitivity_only:
            self.full_due = False
