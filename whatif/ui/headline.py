"""The scenario's title and the headline cards above the tabs (the text is made in
:mod:`whatif.views.headline`)."""

from __future__ import annotations

import ipywidgets as w

from whatif.engine import SimulationResult, SolveResult
from whatif.scenario import Scenario
from whatif.views.headline import headline_figures, headline_html, title_html


class TitleLine(w.HTML):
    """The scenario's title and note."""

    def show(self, scenario: Scenario) -> None:
        self.value = title_html(scenario)


class HeadlinePanel(w.HTML):
    """The headline cards: P50 and P10–P90 of what the run buys."""

    def __init__(self):
        super().__init__("")
        self.add_class("whatif-headline")

    def update(self, result: SimulationResult, solve: SolveResult) -> None:
        self.value = headline_html(headline_figures(result, solve))
