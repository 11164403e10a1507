"""whatif — how many cruise missiles would it take to disrupt Shahed-type drone production,
and what would that buy against attacks on Ukraine's power grid?

>>> from whatif import Scenario, simulate, missiles_needed
>>> result = simulate(Scenario.default(), samples=0)
>>> round(float(result.summary.loc["capacity_loss", "p50"]), 3)
0.661
"""

from whatif.engine import missiles_needed, point_estimate_is_exact, simulate
from whatif.errors import ParameterError, ScenarioError, WhatifError
from whatif.outputs import OBJECTIVES, OUTPUTS
from whatif.params import REGISTRY, Assumption, Parameter, Stage
from whatif.scenario import Scenario
from whatif.sensitivity import explain, sobol, tornado

__version__ = "0.1.0"

__all__ = [
    "OBJECTIVES",
    "OUTPUTS",
    "REGISTRY",
    "Assumption",
    "Parameter",
    "ParameterError",
    "Scenario",
    "ScenarioError",
    "Stage",
    "WhatifError",
    "explain",
    "missiles_needed",
    "point_estimate_is_exact",
    "simulate",
    "sobol",
    "tornado",
]
