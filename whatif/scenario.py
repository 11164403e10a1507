"""Scenarios: a title, a note and any subset of the assumptions; the rest are defaults.

A scenario file is YAML::

    title: Kagan's 25-30 missiles
    note: Free text shown in the brief.
    assumptions:
      missiles: 30
      launch_reliability: {low: 0.8, mode: 0.9, high: 0.95, dist: triangular}
      allocation: bottleneck
      stages: [{name: airframes, aimpoints: 4}, {name: engines, aimpoints: 2}]

A scenario may also describe a target system and a strike plan (MODEL.md §6; see
:mod:`whatif.sites` and :mod:`whatif.plans`)::

    sites:
      - {name: line-a, role: assembly, share: 0.5, stages: [{name: assembly, aimpoints: 4}]}
      - {name: engines, role: component, supplies: [line-a], stages: "engines:2"}
    plan:
      - {day: 0, missiles: {engines: 12, line-a: 8}}
    inventory: {on_hand: 30, delivered_per_30_days: 10}

Without ``sites`` a plan aims at the single plant, named ``plant``. With ``sites`` the
scenario's ``stages`` and ``site_share`` are the sites'; with a ``plan``, its salvos replace
``missiles``, ``restrikes`` and ``restrike_interval_days``.

Scenarios are immutable; :meth:`Scenario.with_values` and :meth:`Scenario.with_plan` return
a changed copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from whatif.errors import ParameterError, ScenarioError, show, show_path, show_text
from whatif.inputs import MAX_SCALAR_CHARS, decode_text, load_yaml, read_text
from whatif.params import REGISTRY, Assumption, Stage, lookup
from whatif.plans import (
    Inventory,
    Salvo,
    check_inventory,
    parse_inventory,
    parse_plan,
)
from whatif.sites import Site, System, system_of

TOP_LEVEL_KEYS = ("title", "note", "assumptions", "sites", "plan", "inventory")
#: the single plant's name in a plan of a scenario without sites
PLANT = "plant"
#: what sites replace, and what a plan replaces
SITE_REPLACES = ("stages", "site_share")
PLAN_REPLACES = ("missiles", "restrikes", "restrike_interval_days")
_KEEP = object()
MAX_TITLE_CHARS = 200
MAX_NOTE_CHARS = MAX_SCALAR_CHARS


def show_key(key: Any) -> str:
    """A mapping key as a message shows it: text unquoted, anything else as a value."""
    return show_text(key, 40) if isinstance(key, str) else show(key, 40)


def _check_text(value: Any, what: str, limit: int, where: str = "scenario") -> None:
    if not isinstance(value, str):
        raise ScenarioError(f"{where}: title and note must be text ({what}: {show(value)})")
    if len(value) > limit:
        raise ScenarioError(f"{where}: the {what} has {len(value):,} characters; allowed at most "
                            f"{limit:,}")


def _plain(x: float) -> float | int:
    return int(x) if float(x).is_integer() else float(x)


def _defaults() -> dict[str, Any]:
    return {name: p.default for name, p in REGISTRY.items()}


@dataclass(frozen=True)
class Scenario:
    """A complete set of assumptions: every registry parameter has a value.

    ``values`` maps each parameter name to an :class:`~whatif.params.Assumption`
    (numeric parameters), a string (choices) or a tuple of :class:`Stage` (stages).
    ``overrides`` lists the names the scenario sets itself (the rest are defaults).
    """

    title: str = "Defaults"
    note: str = ""
    values: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType(_defaults()))
    overrides: tuple[str, ...] = ()
    system: System | None = None  # the sites, checked together; None: the single plant
    plan: tuple[Salvo, ...] = ()  # empty: missiles, restrikes and their interval
    inventory: Inventory | None = None

    # --- construction ------------------------------------------------------------------
    @classmethod
    def default(cls) -> Scenario:
        """The defaults of ``data/assumptions.csv``."""
        return cls()

    @classmethod
    def from_dict(cls, data: Any, origin: str = "scenario") -> Scenario:
        """Build a scenario from parsed YAML, validating every value."""
        where = show_path(origin)
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ScenarioError(f"{where}: expected a mapping with {', '.join(TOP_LEVEL_KEYS)}")
        unknown = [k for k in data if k not in TOP_LEVEL_KEYS]
        if unknown:
            raise ScenarioError(
                f"{where}: unknown key(s) {show_text(', '.join(map(show_key, unknown[:5])), 80)}; "
                f"a scenario has {', '.join(TOP_LEVEL_KEYS)} (assumptions go under "
                "'assumptions:')"
            )
        title = data.get("title", "Untitled scenario")
        note = data.get("note", "") or ""
        _check_text(title, "title", MAX_TITLE_CHARS, where)
        _check_text(note, "note", MAX_NOTE_CHARS, where)
        assumptions = data.get("assumptions") or {}
        if not isinstance(assumptions, Mapping):
            raise ScenarioError(f"{where}: 'assumptions' must be a mapping of name: value")
        for name in assumptions:
            if not isinstance(name, str):
                raise ScenarioError(
                    f"{where}: assumption name {show(name)} is not a parameter name; "
                    "see `whatif params`"
                )
        scenario = cls(title=title.strip(), note=note.strip()).with_values(**assumptions)
        if any(key in data for key in ("sites", "plan", "inventory")):
            scenario = scenario.with_plan(sites=data.get("sites"), plan=data.get("plan"),
                                          inventory=data.get("inventory"))
        return scenario

    @classmethod
    def from_yaml(cls, path: str | Path) -> Scenario:
        """Read a scenario file; a :class:`~whatif.errors.ScenarioError` if it can't be read.

        At most :data:`whatif.inputs.MAX_FILE_BYTES` bytes of a regular file are read.
        """
        return cls.from_text(read_text(path), origin=str(path))

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview,
                   origin: str = "uploaded file") -> Scenario:
        """Parse a scenario from UTF-8 bytes (an upload), within the same limits as files."""
        return cls.from_text(decode_text(data, origin), origin=origin)

    @classmethod
    def from_text(cls, text: str, origin: str = "scenario") -> Scenario:
        """Parse scenario YAML text (refusing aliases, deep nesting and huge values)."""
        if not isinstance(text, str):
            raise ScenarioError(f"{show_path(origin)}: expected YAML text, got {show(text)}")
        return cls.from_dict(load_yaml(text, origin), origin=origin)

    # --- changes -----------------------------------------------------------------------
    def with_values(self, **changes: Any) -> Scenario:
        """A copy with some assumptions changed (numbers, distribution dicts, choices, stages)."""
        values = dict(self.values)
        overrides = list(self.overrides)
        for name, value in changes.items():
            values[name] = lookup(str(name)).parse(value)
            if name not in overrides:
                overrides.append(name)
        changed = replace(self, values=MappingProxyType(values), overrides=tuple(overrides))
        if self.system is not None or self.plan:
            changed._check_structure()  # e.g. a shorter horizon than a salvo's day
        return changed

    def without(self, *names: str) -> Scenario:
        """A copy with ``names`` back at their defaults (no longer set by the scenario)."""
        defaults = _defaults()
        values = dict(self.values)
        for name in names:
            values[name] = defaults[name]
        return replace(self, values=MappingProxyType(values),
                       overrides=tuple(n for n in self.overrides if n not in names))

    def with_plan(self, sites: Any = _KEEP, plan: Any = _KEEP, inventory: Any = _KEEP
                  ) -> Scenario:
        """A copy with other ``sites`` (a list of site mappings, or None for the single plant),
        ``plan`` (a list of salvos, or None) and/or ``inventory`` (a mapping, or None),
        checked together (:mod:`whatif.sites`, :mod:`whatif.plans`); the rest is kept."""
        system = self.system if sites is _KEEP else (
            None if sites is None else system_of(sites))
        names = system.names if system is not None else (PLANT,)
        if plan is _KEEP:
            plan = [{"day": salvo.day, "missiles": dict(salvo.missiles)} for salvo in self.plan]
        salvos = parse_plan(plan, names, self.shortest_horizon) if plan else ()
        if inventory is _KEEP:
            stock = self.inventory
        else:
            stock = None if inventory is None else (
                inventory if isinstance(inventory, Inventory) else parse_inventory(inventory))
        changed = replace(self, system=system, plan=salvos, inventory=stock)
        changed._check_structure()
        return changed

    @property
    def shortest_horizon(self) -> float:
        """The shortest horizon a run may draw [days] (a plan's salvos must land within it)."""
        value = self.values["horizon_days"]
        return float(min(value.low, value.central))

    @property
    def replaced(self) -> tuple[str, ...]:
        """Assumptions this scenario's sites and plan replace (they have no effect on it)."""
        return ((SITE_REPLACES if self.system is not None else ())
                + (PLAN_REPLACES if self.plan else ()))

    @property
    def site_names(self) -> tuple[str, ...]:
        """The names a plan aims at: the sites', or the single plant's."""
        return self.system.names if self.system is not None else (PLANT,)

    def _check_structure(self) -> None:
        """Sites, plan and inventory against the assumptions (a ParameterError if not)."""
        if self.system is not None:
            clash = [name for name in SITE_REPLACES if name in self.overrides]
            if clash:
                raise ParameterError("sites", f"the scenario sets {clash[0]}, which its sites "
                                     "replace (each site has its own stages; each assembly "
                                     "site its share)")
        if self.plan:
            clash = [name for name in PLAN_REPLACES if name in self.overrides]
            if clash:
                raise ParameterError("plan", f"the scenario sets {clash[0]}, which its plan "
                                     "replaces (the plan's salvos say how many missiles fly "
                                     "and when)")
            last = self.plan[-1]
            if last.day >= self.shortest_horizon:
                raise ParameterError("plan", f"salvo {len(self.plan)} (day {last.day}) lands "
                                     "after the horizon (day "
                                     f"{int(self.shortest_horizon) - 1} is the last)")
            if self.inventory is not None:
                check_inventory(self.plan, self.inventory)

    def with_text(self, title: str | None = None, note: str | None = None) -> Scenario:
        """A copy with a new title and/or note (text of at most MAX_TITLE_CHARS /
        MAX_NOTE_CHARS characters)."""
        if title is not None:
            _check_text(title, "title", MAX_TITLE_CHARS)
        if note is not None:
            _check_text(note, "note", MAX_NOTE_CHARS)
        return replace(self, title=self.title if title is None else title,
                       note=self.note if note is None else note)

    # --- reading -----------------------------------------------------------------------
    def central(self, name: str) -> Any:
        """The value used in deterministic mode (a float, a choice or the stages)."""
        value = self.values[name]
        return value.central if isinstance(value, Assumption) else value

    @property
    def stages(self) -> tuple[Stage, ...]:
        return self.values["stages"]

    def assumptions_dict(self, only_overrides: bool = False) -> dict[str, Any]:
        """Plain YAML/JSON-ready values: numbers, distribution mappings, choices, stage lists."""
        names = self.overrides if only_overrides else tuple(REGISTRY)
        out: dict[str, Any] = {}
        for name in names:
            value = self.values[name]
            if isinstance(value, Assumption):
                out[name] = value.to_yaml_value()
            elif name == "stages":
                out[name] = [{"name": s.name, "aimpoints": s.aimpoints} for s in value]
            elif REGISTRY[name].kind == "points":
                out[name] = [[_plain(day), _plain(level)] for day, level in value]
            else:
                out[name] = value
        return out

    def plan_dict(self) -> dict[str, Any]:
        """``sites``, ``plan`` and ``inventory`` as a scenario file writes them (those set)."""
        out: dict[str, Any] = {}
        if self.system is not None:
            out["sites"] = [site_dict(site) for site in self.system.sites]
        if self.plan:
            out["plan"] = [{"day": salvo.day, "missiles": dict(salvo.missiles)}
                           for salvo in self.plan]
        if self.inventory is not None:
            out["inventory"] = {"on_hand": self.inventory.on_hand,
                                "delivered_per_30_days": self.inventory.delivered_per_30_days}
        return out

    def to_yaml(self, only_overrides: bool = False) -> str:
        """The scenario as a YAML file that :meth:`from_yaml` reads back to the same values."""
        assumptions = self.assumptions_dict(only_overrides)
        for name in self.replaced:  # what the sites and the plan give instead
            if name not in self.overrides:
                assumptions.pop(name, None)
        data = {"title": self.title, "note": self.note, "assumptions": assumptions,
                **self.plan_dict()}
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def site_dict(site: Site) -> dict[str, Any]:
    """One site as a scenario file writes it."""
    out: dict[str, Any] = {"name": site.name, "role": site.role}
    if site.role == "assembly":
        out["share"] = _plain(site.share)
    else:
        out["supplies"] = list(site.supplies)
    out["stages"] = [{"name": s.name, "aimpoints": s.aimpoints} for s in site.stages]
    for key, value in site.overrides.items():
        out[key] = value.to_yaml_value() if isinstance(value, Assumption) else value
    return out
