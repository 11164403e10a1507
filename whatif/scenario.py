"""Scenarios: a title, a note and any subset of the assumptions; the rest are defaults.

A scenario file is YAML::

    title: Kagan's 25-30 missiles
    note: Free text shown in the brief.
    assumptions:
      missiles: 30
      launch_reliability: {low: 0.8, mode: 0.9, high: 0.95, dist: triangular}
      allocation: bottleneck
      stages: [{name: airframes, aimpoints: 4}, {name: engines, aimpoints: 2}]

Scenarios are immutable; :meth:`Scenario.with_values` returns a changed copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from whatif.errors import ScenarioError, show, show_path, show_text
from whatif.inputs import MAX_SCALAR_CHARS, decode_text, load_yaml, read_text
from whatif.params import REGISTRY, Assumption, Stage, lookup

TOP_LEVEL_KEYS = ("title", "note", "assumptions")
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
        return cls(title=title.strip(), note=note.strip()).with_values(**assumptions)

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
        return replace(self, values=MappingProxyType(values), overrides=tuple(overrides))

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

    def to_yaml(self, only_overrides: bool = False) -> str:
        """The scenario as a YAML file that :meth:`from_yaml` reads back to the same values."""
        data = {"title": self.title, "note": self.note,
                "assumptions": self.assumptions_dict(only_overrides)}
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
