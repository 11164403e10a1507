"""The model: pure, vectorised functions, one module per link of the chain.

strike → capacity lost (:mod:`.strike`), production over time (:mod:`.production`),
launches and the grid (:mod:`.campaign`), costs (:mod:`.cost`); :mod:`.chain` runs the
whole chain for many samples, laid out as :mod:`.layout` declares. See ``MODEL.md`` for the
specification.
"""

from whatif.model.campaign import SERIES, energy_hits
from whatif.model.cost import cost_exchange_ratio
from whatif.model.production import (
    baseline_production,
    dispersal_makeup,
    production_after_strike,
    production_shortfall,
    ramp_day_average,
    ramp_fraction,
    recovery_remaining,
    scatter_factor,
    trend_factor,
)
from whatif.model.strike import (
    aimpoint_destroyed_probability,
    arrival_probability,
    capacity_loss,
    expected_arrivals,
    expected_destroyed_share,
)

__all__ = [
    "SERIES",
    "aimpoint_destroyed_probability",
    "arrival_probability",
    "baseline_production",
    "capacity_loss",
    "cost_exchange_ratio",
    "dispersal_makeup",
    "energy_hits",
    "expected_arrivals",
    "expected_destroyed_share",
    "production_after_strike",
    "production_shortfall",
    "ramp_day_average",
    "ramp_fraction",
    "recovery_remaining",
    "scatter_factor",
    "trend_factor",
]
