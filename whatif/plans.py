"""Strike plans against a system of sites, and the missile inventory they draw on.

A plan is a list of salvos, each on a whole day with missiles per site::

    plan:
      - {day: 0, missiles: {engines: 12, line-a: 8}}
      - {day: 28, missiles: {engines: 6}}
    inventory: {on_hand: 30, delivered_per_30_days: 10}

A batch of ``delivered_per_30_days`` missiles arrives on days 30, 60, …; a salvo may fire
only what is in hand on its day (what was on hand and delivered so far, less what earlier
salvos fired). :func:`check_inventory` refuses a plan that fires more, naming the salvo,
its day and the shortfall. (Plans are not yet read by scenarios or the model.)

Every error is a :class:`~whatif.errors.ParameterError` for ``plan`` or ``inventory``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from whatif.errors import ParameterError, show, show_text
from whatif.params import is_number

DELIVERY_DAYS = 30  # a batch arrives every this many days, from day 30
MAX_SALVOS = 60
MAX_MISSILES = 100_000  # in one salvo at one site, and in the inventory


@dataclass(frozen=True)
class Salvo:
    """Missiles fired at each site [missiles] on whole day ``day`` [days]."""

    day: int
    missiles: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.missiles.values())


@dataclass(frozen=True)
class Inventory:
    """Missiles in hand on day 0 and delivered every :data:`DELIVERY_DAYS` days [missiles]."""

    on_hand: int
    delivered_per_30_days: int = 0

    def delivered_by(self, day: int) -> int:
        """All missiles received up to and including ``day`` (day 0's stock included)."""
        return self.on_hand + self.delivered_per_30_days * (max(day, 0) // DELIVERY_DAYS)


def _is_whole(value: Any) -> bool:
    """A whole number, of any size (a huge int is never turned into a float)."""
    if isinstance(value, bool) or not is_number(value):
        return False
    if isinstance(value, numbers.Integral):
        return True
    return math.isfinite(value) and value == int(value)


def _whole(value: Any, lowest: int, highest: int) -> int | None:
    """``value`` as an int if it is a whole number in ``[lowest, highest]``, else None."""
    if not _is_whole(value):
        return None
    value = int(value)
    return value if lowest <= value <= highest else None


def parse_inventory(value: Any) -> Inventory:
    """``{on_hand, delivered_per_30_days}`` (whole numbers of missiles, 0 to
    :data:`MAX_MISSILES`; deliveries default to 0)."""
    if not isinstance(value, Mapping) or not set(value) <= {"on_hand", "delivered_per_30_days"} \
            or "on_hand" not in value:
        raise ParameterError("inventory", f"{show(value, 60)} is not a mapping "
                             "{on_hand, delivered_per_30_days}")
    counts = {}
    for key in ("on_hand", "delivered_per_30_days"):
        counts[key] = _whole(value.get(key, 0), 0, MAX_MISSILES)
        if counts[key] is None:
            raise ParameterError("inventory", f"{key} {show(value.get(key), 40)} is not a whole "
                                 f"number of missiles from 0 to {MAX_MISSILES:,}")
    return Inventory(counts["on_hand"], counts["delivered_per_30_days"])


def parse_plan(value: Any, sites: Sequence[str], horizon_days: float) -> tuple[Salvo, ...]:
    """Salvos from a list of ``{day, missiles: {site: n}}``, in order of day.

    ``sites`` are the names a salvo may aim at; a day is a whole number from 0 to before
    ``horizon_days``; no two salvos share a day; each site's missiles are a whole number
    from 0 to :data:`MAX_MISSILES` and a salvo fires at least one.
    """
    if not isinstance(value, (list, tuple)) or not value or len(value) > MAX_SALVOS:
        raise ParameterError("plan", f"{show(value, 60)} is not a list of 1 to {MAX_SALVOS} "
                             "salvos {day, missiles: {site: n}}")
    known = set(sites)
    salvos = []
    for position, item in enumerate(value, start=1):
        where = f"salvo {position}"
        if not isinstance(item, Mapping) or set(item) != {"day", "missiles"}:
            raise ParameterError("plan", f"{where}: {show(item, 60)} is not a mapping "
                                 "{day, missiles: {site: n}}")
        day = item["day"]
        if not _is_whole(day):
            raise ParameterError("plan", f"{where}: day {show(day, 40)} is not a whole number "
                                 "of days")
        day = int(day)
        where = f"salvo {position} (day {show(day, 20)})"
        if day < 0:
            raise ParameterError("plan", f"{where}: a salvo cannot land before day 0")
        if day >= horizon_days:
            raise ParameterError("plan", f"{where}: lands after the horizon (day "
                                 f"{math.ceil(horizon_days) - 1} is the last)")
        missiles = item["missiles"]
        if not isinstance(missiles, Mapping) or not missiles or len(missiles) > len(known):
            raise ParameterError("plan", f"{where}: missiles {show(missiles, 60)} is not a "
                                 "mapping of site: missiles")
        counts: dict[str, int] = {}
        for site, count in missiles.items():
            if site not in known:
                raise ParameterError("plan", f"{where}: {show_text(str(site), 60)} is not a "
                                     f"listed site ({', '.join(sorted(known))[:120]})")
            whole = _whole(count, 0, MAX_MISSILES)
            if whole is None:
                raise ParameterError("plan", f"{where}: {show(count, 40)} missiles at "
                                     f"{show_text(site, 60)} is not a whole number from 0 to "
                                     f"{MAX_MISSILES:,}")
            counts[site] = whole
        if sum(counts.values()) == 0:
            raise ParameterError("plan", f"{where}: fires no missile")
        salvos.append(Salvo(day, MappingProxyType(counts)))
    salvos.sort(key=lambda salvo: salvo.day)
    for earlier, later in zip(salvos, salvos[1:], strict=False):
        if earlier.day == later.day:
            raise ParameterError("plan", f"two salvos on day {later.day}; put their missiles "
                                 "in one")
    return tuple(salvos)


def check_inventory(plan: Sequence[Salvo], inventory: Inventory) -> None:
    """Refuse a plan that fires more than is in hand on a salvo's day, naming the salvo
    (in order of day, from 1), its day and the shortfall [missiles]."""
    fired = 0
    for position, salvo in enumerate(sorted(plan, key=lambda s: s.day), start=1):
        in_hand = inventory.delivered_by(salvo.day) - fired
        if salvo.total > in_hand:
            raise ParameterError(
                "plan", f"salvo {position} (day {salvo.day}) fires {salvo.total:,} missiles but "
                f"{in_hand:,} are in hand; {salvo.total - in_hand:,} short (on hand "
                f"{inventory.on_hand:,}, {inventory.delivered_per_30_days:,} delivered every "
                f"{DELIVERY_DAYS} days)")
        fired += salvo.total

