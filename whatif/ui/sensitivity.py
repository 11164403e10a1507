"""The "What matters most?" tab: the tornado of the chosen output (always up to date, ~1 ms)
and its Sobol indices (computed only while the tab is shown)."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w

from whatif.presentation import error_html
from whatif.scenario import Scenario
from whatif.sensitivity import tornado
from whatif.ui.charts import SobolChart, TornadoChart
from whatif.views.sensitivity import (
    DEFAULT_OUTPUT,
    DEFAULT_SOBOL_SAMPLES,
    SOBOL_NOTE,
    output_choices,
    sobol_choices,
    sobol_or_reason,
)


class SensitivityPanel(w.VBox):
    """Output picker, tornado chart, Sobol sample size, note and Sobol chart.

    ``on_change()`` is called when the output or the Sobol sample size is changed.
    """

    def __init__(self, on_change: Callable[[], None]):
        self.sensitivity = None  # tornado of the chosen output (DataFrame)
        self.sobol_indices = None  # Sobol indices of the chosen output (DataFrame)
        self.sobol_stale = True  # the Sobol chart lags the settings (computed when shown)
        self.output = w.Dropdown(options=output_choices(), value=DEFAULT_OUTPUT,
                                 description="Output", layout=w.Layout(width="520px"))
        self.output.observe(lambda _: on_change(), names="value")
        self.tornado_chart = TornadoChart()
        self.sobol_samples = w.Dropdown(options=sobol_choices(), value=DEFAULT_SOBOL_SAMPLES,
                                        description="Sobol N",
                                        tooltip="Base sample size of the Sobol indices: more "
                                        "is steadier and slower", layout=w.Layout(width="200px"))
        self.sobol_samples.observe(lambda _: on_change(), names="value")
        self.sobol_error = w.HTML("")
        self.sobol_chart = SobolChart()
        super().__init__([self.output, self.tornado_chart.box,
                          w.HBox([self.sobol_samples, self.sobol_error]), w.HTML(SOBOL_NOTE),
                          self.sobol_chart.box])

    def update(self, scenario: Scenario, seed: int, shown: bool) -> None:
        """The tornado of the chosen output for ``scenario`` and, if the tab is ``shown``,
        its Sobol indices (else they are only marked stale: computed when it is opened,
        so that they never slow down the other charts)."""
        output = self.output.value
        self.sensitivity = tornado(scenario, output)
        self.tornado_chart.update(self.sensitivity, output)
        self.sobol_stale = True
        if shown:
            self.update_sobol(scenario, seed)

    def update_sobol(self, scenario: Scenario, seed: int) -> None:
        """Sobol indices of the chosen output (the app's seed, the chosen base sample size)."""
        output, samples = self.output.value, int(self.sobol_samples.value)
        self.sobol_indices, reason = sobol_or_reason(scenario, output, samples, seed)
        if self.sobol_indices is None:
            self.sobol_error.value = error_html(reason)
            self.sobol_chart.clear("Sobol indices: nothing to show")
        else:
            self.sobol_error.value = ""
            self.sobol_chart.update(self.sobol_indices, output, samples)
        self.sobol_stale = False
