"""A production system of several sites: what output survives a strike.

Sites are numbered ``0 … S - 1``. An *assembly* site makes a share of national output;
a *component* site makes parts that the sites it supplies need. A site can produce at
most the share of its capacity still in action, and no more than each of its suppliers
can feed (Leontief across sites, as across a plant's stages)::

    available[s] = min(1 - lost[s], available[c] for every supplier c of s)

National output lost is ``Σ_assembly share[a] · (1 - available[a])`` (output made at no
listed site is not struck). Everything is vectorised over leading axes (samples).

Suppliers are given as a tuple per site of the sites that supply it, and ``order`` lists
every site after all of its suppliers (see :func:`whatif.sites.system_of`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from whatif.model._compile import scalar
from whatif.model.production import lost_days_into

__all__ = ["available_share", "listed_capacity_lost", "national_lost_share"]


def available_share(lost, suppliers: Sequence[Sequence[int]], order: Sequence[int]) -> np.ndarray:
    """The share of each site's capacity that can produce [share], ``(..., S)``.

    Parameters
    ----------
    lost : array (..., S)
        Share of each site's capacity out of action [share, 0–1].
    suppliers : S sequences of site indices
        ``suppliers[s]``: the sites whose output site ``s`` needs.
    order : sequence of the S site indices
        Each site after all of its suppliers.

    Examples
    --------
    An engine maker (site 0) that has lost half its capacity holds back the assembly line
    it supplies (site 1), which has lost only a fifth of its own:

    >>> available_share(np.array([0.5, 0.2]), suppliers=((), (0,)), order=(0, 1))
    array([0.5, 0.5])
    """
    lost = np.asarray(lost, dtype=float)
    available = 1.0 - lost
    for s in order:
        for c in suppliers[s]:
            np.minimum(available[..., s], available[..., c], out=available[..., s])
    return available


def national_lost_share(lost, share, suppliers: Sequence[Sequence[int]],
                        order: Sequence[int]) -> np.ndarray:
    """Share of national output lost [share], ``(...)``: ``Σ_s share[s] (1 - available[s])``.

    ``share`` (S,) is each site's share of national output [share]: 0 for a component site,
    and at most 1 in all (the rest is made at no listed site).

    Examples
    --------
    Two assembly lines (50 % and 25 % of output) fed by one engine maker that loses all:

    >>> float(national_lost_share([1.0, 0.0, 0.0], [0.0, 0.5, 0.25], ((), (0,), (0,)),
    ...                           (0, 1, 2)))
    0.75
    """
    available = available_share(lost, suppliers, order)
    # summed site by site in order: the same number alone or among other samples
    return ((1.0 - available) * np.asarray(share, dtype=float)).sum(axis=-1)


def listed_capacity_lost(lost, share, suppliers: Sequence[Sequence[int]],
                         order: Sequence[int]) -> np.ndarray:
    """Share of the listed sites' combined output lost [share], ``(...)``: the national share
    lost over the listed sites' share. For a single plant it is that plant's loss."""
    total = float(np.sum(share))
    if total <= 0.0:
        raise ValueError("the listed sites make no output (their shares sum to 0)")
    return national_lost_share(lost, share, suppliers, order) / total


# --- the same rule inside the compiled daily loop ---------------------------------------------
@scalar
def system_available_into(lost, suppliers, supplier_count, order, available):
    """:func:`available_share` for one sample: ``lost`` (S,) in, ``available`` (S,) out."""
    for i in range(order.shape[0]):
        s = order[i]
        value = 1.0 - lost[s]
        for j in range(supplier_count[s]):
            c = suppliers[s, j]
            if available[c] < value:
                value = available[c]
        available[s] = value


@scalar
def system_national_lost(available, share):
    """:func:`national_lost_share` from ``available`` (S,): ``Σ_s share[s] (1 - available[s])``
    summed site by site in order (as the NumPy version)."""
    total = 0.0
    for s in range(share.shape[0]):
        total += (1.0 - available[s]) * share[s]
    return total


@scalar
def site_lost_days_into(days, salvo_day, site_loss, site_repair, site_exponential, out):
    """Each site's own share out of action on days ``0 … days - 1`` before the cap at 1, into
    ``out[s, t]``: :func:`whatif.model.production.lost_days_into` of each site's salvo
    losses ``site_loss[:, s]`` with its repair and recovery."""
    for s in range(out.shape[0]):
        lost_days_into(days, salvo_day, site_loss[:, s], site_repair[s], site_exponential[s],
                       out[s])


@scalar
def system_days_into(days, salvo_day, site_loss, site_repair, site_exponential, suppliers,
                     supplier_count, order, share, out):
    """A system's days ``0 … days - 1`` at once, into ``out`` ``(sites + 1, days)``: row ``s``
    each site's capacity in action [share] (:func:`system_available_into` of the capped
    :func:`site_lost_days_into`), the last row the national share of output lost
    (:func:`system_national_lost`). Each step is a loop over days without a carried value
    (vectorised); per day the arithmetic and its order are those of the one-day functions."""
    sites = order.shape[0]
    site_lost_days_into(days, salvo_day, site_loss, site_repair, site_exponential,
                        out[:sites])
    for i in range(sites):  # in supply order: a site's suppliers are done before it
        s = order[i]
        row = out[s]
        for t in range(days):
            row[t] = 1.0 - min(row[t], 1.0)
        for j in range(supplier_count[s]):
            feeding = out[suppliers[s, j]]
            for t in range(days):
                if feeding[t] < row[t]:
                    row[t] = feeding[t]
    national = out[sites]
    for t in range(days):
        national[t] = 0.0
    for s in range(sites):
        row = out[s]
        weight = share[s]
        for t in range(days):
            national[t] += (1.0 - row[t]) * weight
