"""The "What matters most?" tab: which outputs it explains, its Sobol sample sizes, its
note, and the Sobol indices or the reason there are none."""

from __future__ import annotations

import pandas as pd

from whatif.errors import WhatifError
from whatif.outputs import OUTPUTS
from whatif.scenario import Scenario
from whatif.sensitivity import sobol

#: Sobol base sample sizes offered; the chain runs N × (uncertain assumptions + 2) times
SOBOL_SAMPLE_CHOICES = (256, 1_024, 4_096)
SOBOL_NOTE = ("<small><b>S1</b> (first order): the share of the output's variance that an "
              "assumption causes on its own; <b>ST</b> (total order): its share including its "
              "interactions with the others (ST − S1 is the interaction part). Over the "
              "uncertain assumptions' distributions, expected strike outcome. The black "
              "whiskers are 95% confidence intervals (bootstrap over the sampled points): an "
              "index whose interval reaches 0 cannot be told from none at this Sobol N, and a "
              "larger N narrows them.</small>")
DEFAULT_OUTPUT = "drones_denied"
DEFAULT_SOBOL_SAMPLES = 1_024


def output_choices() -> list[tuple[str, str]]:
    """(label, name) of every output, for the tab's output picker."""
    return [(o.label, name) for name, o in OUTPUTS.items()]


def sobol_choices() -> list[tuple[str, int]]:
    """(shown, value) of each Sobol base sample size offered."""
    return [(f"{n:,}", n) for n in SOBOL_SAMPLE_CHOICES]


def sobol_or_reason(scenario: Scenario, output: str, samples: int,
                    seed: int) -> tuple[pd.DataFrame | None, str]:
    """:func:`whatif.sensitivity.sobol` of ``output``, or ``None`` and why there are no
    indices (e.g. nothing is uncertain: no variance to apportion)."""
    try:
        return sobol(scenario, output, samples=samples, seed=seed), ""
    except WhatifError as exc:
        return None, str(exc)
