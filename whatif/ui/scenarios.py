"""The scenario bar (pick, upload, reset, save, export brief, status line) and the
"Compare scenarios" tab. What they offer and write is decided in
:mod:`whatif.views.scenarios`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import ipywidgets as w

from whatif.presentation import status_html
from whatif.scenario import Scenario
from whatif.ui.charts import CompareChart
from whatif.views.headline import headline_figures
from whatif.views.run import RunSettings, run
from whatif.views.scenarios import (
    CURRENT,
    compare_table_html,
    picked_scenario,
    picker_options,
)


class ScenarioBar(w.VBox):
    """Scenario picker, upload, reset; save name, save, export; the download link and the
    status line. ``on_pick(name)`` is called with the file name chosen in the picker,
    which then shows :data:`~whatif.views.scenarios.CURRENT` again."""

    def __init__(self, save_dir: Path, on_pick: Callable[[str], None]):
        self._on_pick = on_pick
        self.picker = w.Dropdown(options=picker_options(save_dir), value=CURRENT,
                                 description="Scenario", layout=w.Layout(width="360px"))
        self.picker.observe(self._picked, names="value")
        self.upload = w.FileUpload(accept=".yaml,.yml", multiple=False,
                                   description="Upload YAML")
        self.reset_button = w.Button(description="Reset to defaults", icon="undo")
        self.save_name = w.Text(placeholder="name for the saved scenario",
                                layout=w.Layout(width="220px"))
        self.save_button = w.Button(description="Save as YAML", icon="save")
        self.export_button = w.Button(description="Export brief", icon="file")
        self.download = w.HTML("")
        self.status = w.HTML("")
        self.status.add_class("whatif-status")
        super().__init__([
            w.HBox([self.picker, self.upload, self.reset_button]),
            w.HBox([self.save_name, self.save_button, self.export_button, self.download]),
            self.status,
        ])

    def say(self, message: str, error: bool = False) -> None:
        """Show ``message`` on the status line (``error``: with a warning sign, in red)."""
        self.status.value = status_html(message, error)

    def _picked(self, change) -> None:
        if change["new"] == CURRENT:
            return
        try:
            self._on_pick(change["new"])
        finally:
            self.picker.unobserve(self._picked, names="value")
            self.picker.value = CURRENT
            self.picker.observe(self._picked, names="value")


class ComparePanel(w.VBox):
    """Two scenarios (A, B) side by side: their headline figures and production curves."""

    def __init__(self, save_dir: Path, on_compare: Callable[[], None]):
        options = picker_options(save_dir)
        self.a = w.Dropdown(options=options, value=CURRENT, description="A",
                            layout=w.Layout(width="360px"))
        self.b = w.Dropdown(options=options, value="kagan-25-30.yaml", description="B",
                            layout=w.Layout(width="360px"))
        self.button = w.Button(description="Compare", icon="columns")
        self.button.on_click(lambda _: on_compare())
        self.table = w.HTML("")
        self.chart = CompareChart()
        super().__init__([w.HBox([self.a, self.b, self.button]), self.table, self.chart.figure])

    def compare(self, current: Scenario, settings: RunSettings, save_dir: Path) -> None:
        """Run the two picked scenarios with ``settings`` and show them.

        Raises :class:`~whatif.errors.WhatifError` (nothing shown) if a file is bad.
        """
        (label_a, a), (label_b, b) = (picked_scenario(p.value, current, save_dir)
                                      for p in (self.a, self.b))
        runs = [run(s, settings) for s in (a, b)]
        figures = [headline_figures(result, solve) for result, solve in runs]
        self.table.value = compare_table_html(a, b, *figures)
        self.chart.update(runs[0][0], runs[1][0], label_a, label_b)


def refresh_options(pickers, save_dir: Path) -> None:
    """Offer the files now in ``save_dir`` in every picker, keeping each one's choice if
    it is still there."""
    options = picker_options(save_dir)
    for picker in pickers:
        value = picker.value
        picker.options = options
        picker.value = value if value in options else CURRENT
