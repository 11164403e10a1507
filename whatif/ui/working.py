"""Show the working: per headline figure, a section that opens on the steps that reach it
(the text is made in :mod:`whatif.views.working`, the numbers by :func:`whatif.working.working`)."""

from __future__ import annotations

from html import escape

import ipywidgets as w

from whatif.engine import SimulationResult
from whatif.errors import WhatifError
from whatif.scenario import Scenario
from whatif.views.working import WORKING_STYLE, note_html, section_html
from whatif.working import HEADLINE, working

#: the app's section that holds the panel
WORKING_TITLE = "Show the working: how each figure is reached"

#: shown while the first working is made (after an install the model's step-by-step run is
#: compiled on first use: 16 s on the 2-core development machine, 2026-12-01)
FIRST_WORKING_NOTE = ("Working it out… The first time after installing, the model's "
                      "step-by-step run is compiled: this can take up to a minute.")


class WorkingPanel(w.VBox):
    """The note, then one native ``<details>`` section per headline figure.

    Each figure has its own HTML widget, so an update redraws (and closes) only the
    sections whose numbers changed.
    """

    def __init__(self):
        self.note = w.HTML("")
        self.sections = {name: w.HTML("") for name in HEADLINE}
        super().__init__([self.note, *self.sections.values()])
        self.add_class("whatif-working")
        self.working = None

    def update(self, scenario: Scenario, result: SimulationResult) -> None:
        """The working of ``scenario`` beside ``result``, the headline's run (its samples,
        and in Monte Carlo its P50)."""
        if self.working is None:
            self.note.value = (WORKING_STYLE
                               + f"<p role='status'>{FIRST_WORKING_NOTE}</p>")
        try:
            work = working(scenario, samples=result.samples)
        except WhatifError as exc:  # (the run on screen already passed these checks)
            self.note.value = WORKING_STYLE + f"<p class='whatif-error'>{escape(str(exc))}</p>"
            return
        self.working = work
        self.note.value = WORKING_STYLE + note_html(work)
        for chain in work.chains:
            self.sections[chain.output].value = section_html(work, chain, result)
