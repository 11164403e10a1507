"""Sites of a production system, as a scenario lists them, checked and put in order.

A site is written::

    {name: line-a, role: assembly, share: 0.6, stages: [{name: airframes, aimpoints: 4}],
     intercept_probability: 0.7}
    {name: engines, role: component, supplies: [line-a, line-b], stages: "engines:2"}

An assembly site has a ``share`` of national output; a component site ``supplies`` other
sites (assembly lines, or component sites further down the chain). Any of
:data:`SITE_OVERRIDES` may be set per site (a number, a distribution or a choice, as in
``assumptions``); the rest come from the scenario. :func:`system_of` checks the system as
a whole (names, supplies, loops, shares) and gives the index arrays
:mod:`whatif.model.system` reads.

Every error is a :class:`~whatif.errors.ParameterError` for ``sites`` that names the site.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from whatif.errors import ParameterError, show, show_text
from whatif.params import (
    MAX_STAGE_NAME_CHARS,
    MAX_TOTAL_AIMPOINTS,
    Stage,
    as_name,
    is_number,
    lookup,
    parse_stages,
)

ROLES = ("assembly", "component")
#: assumptions a site may set for itself (its defences, the strike on it, its repair)
SITE_OVERRIDES = ("launch_reliability", "defense_engagements", "intercept_probability",
                  "aimpoint_kill_probability", "allocation", "repair_days", "recovery")
MAX_SITES = 20
SITE_KEYS = ("name", "role", "share", "supplies", "stages", *SITE_OVERRIDES)


@dataclass(frozen=True)
class Site:
    """One site of the system: a name, a role, its share of national output (assembly) or
    the sites it supplies (component), its serial stages and its own assumptions."""

    name: str
    role: str
    stages: tuple[Stage, ...]
    share: float = 0.0  # of national output [share]; 0 for a component site
    supplies: tuple[str, ...] = ()
    overrides: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class System:
    """Checked sites with the index arrays the model reads (:mod:`whatif.model.system`)."""

    sites: tuple[Site, ...]
    suppliers: tuple[tuple[int, ...], ...]  # per site, the sites that supply it
    order: tuple[int, ...]  # every site after all of its suppliers

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(site.name for site in self.sites)

    @property
    def share(self) -> np.ndarray:
        """Each site's share of national output [share] (0 for component sites)."""
        return np.array([site.share for site in self.sites])


def _error(message: str) -> ParameterError:
    return ParameterError("sites", message)


def _site_name(value: Any, where: str) -> str:
    name = as_name(value)
    if name is None:
        raise _error(f"{where}: {show(value)} is not a site name (text of 1 to "
                     f"{MAX_STAGE_NAME_CHARS} printable characters)")
    return name.strip()


def parse_site(value: Any, position: int) -> Site:
    """One site from its mapping (see the module); ``position`` (from 1) names it in errors
    until its name is known."""
    where = f"site {position}"
    if not isinstance(value, Mapping):
        raise _error(f"{where}: {show(value)} is not a mapping of {', '.join(SITE_KEYS[:5])}")
    unknown = [key for key in value if key not in SITE_KEYS]
    if unknown:
        raise _error(f"{where}: unknown key {show(unknown[0], 40)}; a site has "
                     f"{', '.join(SITE_KEYS[:5])} and may set {', '.join(SITE_OVERRIDES)}")
    name = _site_name(value.get("name"), where)
    where = f"site {show_text(name, 60)}"
    role = value.get("role")
    if role not in ROLES:
        raise _error(f"{where}: role {show(role, 40)} is not one of {', '.join(ROLES)}")
    if "stages" not in value:
        raise _error(f"{where}: no stages (a list of {{name, aimpoints}})")
    try:
        stages = parse_stages(value["stages"])
    except ParameterError as exc:
        raise _error(f"{where}: {str(exc).removeprefix('stages: ')}") from None
    share = 0.0
    supplies: tuple[str, ...] = ()
    if role == "assembly":
        if "supplies" in value:
            raise _error(f"{where}: an assembly site supplies no other site (give it a share)")
        raw = value.get("share")
        if not is_number(raw) or not math.isfinite(raw) or not 0.0 < raw <= 1.0:
            raise _error(f"{where}: share {show(raw, 40)} is not a share of national output "
                         "(above 0, up to 1)")
        share = float(raw)
    else:
        if "share" in value:
            raise _error(f"{where}: a component site has no share of national output (it "
                         "supplies the sites that need its parts)")
        raw = value.get("supplies")
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, (list, tuple)) or not raw or len(raw) > MAX_SITES:
            raise _error(f"{where}: supplies {show(raw, 40)} is not a list of 1 to {MAX_SITES} "
                         "site names")
        supplies = tuple(_site_name(item, f"{where} supplies") for item in raw)
        if len(set(supplies)) != len(supplies):
            raise _error(f"{where}: supplies a site twice")
    overrides = {}
    for key in SITE_OVERRIDES:
        if key in value:
            try:
                overrides[key] = lookup(key).parse(value[key])
            except ParameterError as exc:
                raise _error(f"{where}: {exc}") from None
    return Site(name, role, stages, share, supplies, MappingProxyType(overrides))


def parse_sites(value: Any) -> tuple[Site, ...]:
    """Sites from a list of mappings (or :class:`Site` objects), each checked on its own;
    :func:`system_of` checks them together."""
    if isinstance(value, Site):
        value = [value]
    if not isinstance(value, (list, tuple)) or not value:
        raise _error(f"{show(value, 40)} is not a list of 1 to {MAX_SITES} sites")
    if len(value) > MAX_SITES:
        raise _error(f"{len(value):,} sites; allowed at most {MAX_SITES}")
    return tuple(item if isinstance(item, Site) else parse_site(item, i + 1)
                 for i, item in enumerate(value))


def system_of(value: Any) -> System:
    """Check sites together: names unique, every supplied site listed (and not the supplier
    itself), no supply loop, at least one assembly site, shares summing to at most 1, and
    at most :data:`~whatif.params.MAX_TOTAL_AIMPOINTS` aimpoints in all."""
    sites = parse_sites(value)
    index: dict[str, int] = {}
    for i, site in enumerate(sites):
        if site.name in index:
            raise _error(f"site {show_text(site.name, 60)} is listed twice")
        index[site.name] = i
    suppliers: list[list[int]] = [[] for _ in sites]
    for i, site in enumerate(sites):
        for target in site.supplies:
            if target not in index:
                raise _error(f"site {show_text(site.name, 60)} supplies "
                             f"{show_text(target, 60)}, which is not a listed site")
            if target == site.name:
                raise _error(f"site {show_text(site.name, 60)} supplies itself")
            suppliers[index[target]].append(i)
    if not any(site.role == "assembly" for site in sites):
        raise _error("no assembly site: at least one site must make a share of national "
                     "output")
    total = sum(site.share for site in sites)
    if total > 1.0 + 1e-12:
        raise _error(f"the assembly sites' shares sum to {total:.4g}; at most 1 (the whole "
                     "national output)")
    aimpoints = sum(stage.aimpoints for site in sites for stage in site.stages)
    if aimpoints > MAX_TOTAL_AIMPOINTS:
        raise _error(f"{aimpoints:,} aimpoints over all sites; allowed at most "
                     f"{MAX_TOTAL_AIMPOINTS:,}")
    return System(sites, tuple(tuple(s) for s in suppliers), _supply_order(sites, suppliers))


def _supply_order(sites, suppliers) -> tuple[int, ...]:
    """Every site after its suppliers (depth-first); a loop is an error naming its sites."""
    state = [0] * len(sites)  # 0 unseen, 1 on the current path, 2 done
    order: list[int] = []
    for root in range(len(sites)):
        if state[root]:
            continue
        path = [root]
        state[root] = 1
        stack = [(root, iter(suppliers[root]))]
        while stack:
            node, pending = stack[-1]
            step = next(pending, None)
            if step is None:
                stack.pop()
                path.pop()
                state[node] = 2
                order.append(node)
            elif state[step] == 1:
                loop = path[path.index(step):] + [step]
                names = " → ".join(show_text(sites[i].name, 30) for i in reversed(loop))
                raise _error(f"a supply loop: {names}")
            elif state[step] == 0:
                state[step] = 1
                path.append(step)
                stack.append((step, iter(suppliers[step])))
    return tuple(order)
