"""The scenario bar (pick, upload, reset, save, export brief, download the samples,
status line) and the "Compare scenarios" tab (with its table's export). What they offer
and write is decided in :mod:`whatif.views.scenarios`."""

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
    DOWNLOAD_FORMATS,
    compare_download,
    compare_table,
    compare_table_html,
    download_html,
    picked_scenario,
    picker_options,
)


def format_picker(name: str) -> w.Dropdown:
    """The file format of a download (:data:`~whatif.views.scenarios.DOWNLOAD_FORMATS`);
    ``name`` is its accessible name (a label only screen readers show: the button beside it
    says what it is for)."""
    picker = w.Dropdown(options=list(DOWNLOAD_FORMATS.items()), value=".csv",
                        description=name, layout=w.Layout(width="90px"), tooltip="file format")
    picker.add_class("whatif-sr-label")
    return picker


def _row(children) -> w.HBox:
    """A row of the scenario bar that wraps onto a second line when the panel is narrow."""
    return w.HBox(children, layout=w.Layout(flex_flow="row wrap", align_items="center"))


class ScenarioBar(w.VBox):
    """At the top of the side panel, a few short rows: the scenario picker; upload, reset;
    save name, save; export the brief and the interactive brief (with its progress bar);
    download the samples (and their format) with the download link; the status line.
    ``on_pick(name)`` is called with the file name chosen in the picker, which then shows
    :data:`~whatif.views.scenarios.CURRENT` again."""

    def __init__(self, save_dir: Path, on_pick: Callable[[str], None]):
        self._on_pick = on_pick
        self.picker = w.Dropdown(options=picker_options(save_dir), value=CURRENT,
                                 description="Scenario", layout=w.Layout(width="100%"))
        self.picker.observe(self._picked, names="value")
        self.upload = w.FileUpload(accept=".yaml,.yml", multiple=False,
                                   description="Upload YAML")
        self.reset_button = w.Button(description="Reset to defaults", icon="undo")
        self.save_name = w.Text(placeholder="name for the saved scenario",
                                description="Name for the saved scenario",
                                layout=w.Layout(flex="1 1 150px", width="auto"))
        self.save_name.add_class("whatif-sr-label")
        self.save_button = w.Button(description="Save as YAML", icon="save")
        self.export_button = w.Button(description="Export brief", icon="file")
        self.interactive_button = w.Button(
            description="Export interactive brief", icon="sliders",
            layout=w.Layout(width="auto"),
            tooltip="one HTML file whose controls a reader can move, every combination "
                    "precomputed (2,000 samples each; about a minute)")
        self.interactive_progress = w.FloatProgress(
            value=0, min=0, max=1, description="Interactive brief",
            layout=w.Layout(width="120px", display="none"))
        self.interactive_progress.add_class("whatif-sr-label")
        self.samples_button = w.Button(
            description="Download samples", icon="download",
            tooltip="every sample of the run on screen (inputs and outputs, one row each)")
        self.samples_format = format_picker("Samples file format")
        self.download = w.HTML("")
        self.status = w.HTML("")
        self.status.add_class("whatif-status")
        super().__init__([
            self.picker,
            _row([self.upload, self.reset_button]),
            _row([self.save_name, self.save_button]),
            _row([self.export_button, self.interactive_button, self.interactive_progress]),
            _row([self.samples_button, self.samples_format, self.download]),
            self.status,
        ])
        self.add_class("whatif-scenario-bar")

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
    """Two scenarios (A, B) side by side: their headline figures and production curves;
    the table can be exported (:meth:`export`, offered as a link in ``download``)."""

    def __init__(self, save_dir: Path, on_compare: Callable[[], None]):
        options = picker_options(save_dir)
        self.a = w.Dropdown(options=options, value=CURRENT, description="A",
                            layout=w.Layout(width="360px"))
        self.b = w.Dropdown(options=options, value="kagan-25-30.yaml", description="B",
                            layout=w.Layout(width="360px"))
        self.button = w.Button(description="Compare", icon="columns")
        self.button.on_click(lambda _: on_compare())
        self.table = w.HTML("")
        self.export_button = w.Button(description="Export table", icon="download",
                                      disabled=True, tooltip="the table above as a file")
        self.export_button.on_click(lambda _: self.export())
        self.export_format = format_picker("Table file format")
        self.download = w.HTML("")
        self.chart = CompareChart()
        self.compared = None  # (A, B, the table as data) of the last comparison
        super().__init__([w.HBox([self.a, self.b, self.button]), self.table,
                          w.HBox([self.export_button, self.export_format, self.download]),
                          self.chart.box])

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
        self.compared = (a, b, compare_table(a, b, runs))
        self.export_button.disabled = False
        self.download.value = ""  # a link to the previous table would mislead

    def export(self) -> str | None:
        """Offer the shown table as a file in the chosen format (a download link); its file
        name, or None before any comparison."""
        if self.compared is None:
            return None
        name, data, mime = compare_download(*self.compared, self.export_format.value)
        self.download.value = download_html(name, data, mime)
        return name


def refresh_options(pickers, save_dir: Path) -> None:
    """Offer the files now in ``save_dir`` in every picker, keeping each one's choice if
    it is still there."""
    options = picker_options(save_dir)
    for picker in pickers:
        value = picker.value
        picker.options = options
        picker.value = value if value in options else CURRENT
