"""Costs (MODEL.md §4)."""

from __future__ import annotations

from whatif.model._compile import scalar, ufunc


@scalar
def _cost_exchange_ratio(
    drones_denied, drone_unit_cost, defense_cost_per_drone, missiles, salvos, missile_unit_cost
):
    """Value denied per dollar of missiles spent [USD/USD].

    ``drones_denied (c_drone + c_defence) / (missiles × salvos × c_missile)``: the drones
    never built, valued at what they cost Russia to make plus what they would have cost
    Ukraine to defeat, over the cost of every missile fired (first salvo and re-strikes).
    A ratio above 1 means the strike costs less than it denies.

    Parameters
    ----------
    drones_denied : array_like
        Drones not produced over the horizon [drones].
    drone_unit_cost, defense_cost_per_drone, missile_unit_cost : array_like
        [USD].
    missiles : array_like
        Missiles per salvo [missiles]; must be positive.
    salvos : array_like
        Salvos fired, ``1 + restrikes`` [salvos].

    Examples
    --------
    >>> float(cost_exchange_ratio(1000, 50_000, 30_000, 30, 1, 2_000_000))
    1.3333333333333333
    """
    return drones_denied * (drone_unit_cost + defense_cost_per_drone) / (
        missiles * salvos * missile_unit_cost
    )


cost_exchange_ratio = ufunc(
    _cost_exchange_ratio, "float64(float64, float64, float64, float64, float64, float64)"
)
