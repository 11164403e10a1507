"""whatif — how many cruise missiles would it take to disrupt Shahed-type drone production,
and what would that buy against attacks on Ukraine's power grid?

>>> from whatif import Scenario, simulate, missiles_needed
>>> result = simulate(Scenario.default(), samples=0)
>>> round(float(result.summary.loc["capacity_loss", "p50"]), 3)
0.661

The names below are loaded on first use (PEP 562), so that ``import whatif`` itself reads
no data: a bad ``$WHATIF_DATA_DIR`` then surfaces as the project's own error where the data
is first needed (the ``whatif`` command turns it into one line and exit code 2).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name → the module that defines it
_EXPORTS = {
    "missiles_needed": "whatif.engine",
    "point_estimate_is_exact": "whatif.engine",
    "simulate": "whatif.engine",
    "ParameterError": "whatif.errors",
    "ScenarioError": "whatif.errors",
    "WhatifError": "whatif.errors",
    "OBJECTIVES": "whatif.outputs",
    "OUTPUTS": "whatif.outputs",
    "REGISTRY": "whatif.params",
    "Assumption": "whatif.params",
    "Parameter": "whatif.params",
    "Stage": "whatif.params",
    "Scenario": "whatif.scenario",
    "explain": "whatif.sensitivity",
    "sobol": "whatif.sensitivity",
    "tornado": "whatif.sensitivity",
}

__all__ = [
    "Assumption",
    "OBJECTIVES",
    "OUTPUTS",
    "Parameter",
    "ParameterError",
    "REGISTRY",
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
assert sorted(__all__) == sorted(_EXPORTS)

if TYPE_CHECKING:  # for type checkers and editors: the same names, eagerly
    from whatif.engine import missiles_needed, point_estimate_is_exact, simulate
    from whatif.errors import ParameterError, ScenarioError, WhatifError
    from whatif.outputs import OBJECTIVES, OUTPUTS
    from whatif.params import REGISTRY, Assumption, Parameter, Stage
    from whatif.scenario import Scenario
    from whatif.sensitivity import explain, sobol, tornado


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'whatif' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
