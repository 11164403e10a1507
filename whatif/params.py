"""The one parameter registry.

Every assumption of the model is defined once, in ``data/assumptions.csv``: name,
group, label, unit, kind, bounds, central value, low, high, distribution and a
cited public source. Validation, the CLI's ``whatif params``, scenario files, the
app's sliders and the brief all read the :data:`REGISTRY` built here.

Kinds
-----
``real``      a float within ``[lower_bound, upper_bound]``
``integer``   a whole number within the bounds (drawn values are rounded)
``choice``    one of ``choices`` (e.g. allocation: even or bottleneck)
``stages``    the plant as serial stages, each with a number of aimpoints
``points``    a table of (day, value) points, e.g. the custom production path
"""

from __future__ import annotations

import csv
import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from whatif.errors import ParameterError, show, show_text
from whatif.resources import data_file

ASSUMPTIONS_CSV = data_file("assumptions.csv")  # bundled, or under $WHATIF_DATA_DIR

DISTRIBUTIONS = ("fixed", "uniform", "triangular", "pert", "lognormal")
KINDS = ("real", "integer", "choice", "stages", "points")
GROUPS = ("Strike", "Production", "Campaign & grid", "Costs")
# Parameters that shape arrays or time; they take a single value, never a distribution.
STRUCTURAL = ("horizon_days",)
# Limits on what a scenario may ask for (each is named in the error that enforces it).
MAX_NUMBER_CHARS = 100  # characters of a number given as text
MAX_STAGES = 50  # serial stages of the plant
MAX_TOTAL_AIMPOINTS = 5_000  # aimpoints over all stages
MAX_STAGE_NAME_CHARS = 60
MAX_POINTS = 100  # points of a table such as production_points
MAX_POINT_DAY = 3650  # the last day a point may have [days]


@dataclass(frozen=True)
class Stage:
    """One serial production stage of the struck plant."""

    name: str
    aimpoints: int

    def __str__(self) -> str:
        return f"{self.name}:{self.aimpoints}"


@dataclass(frozen=True)
class Assumption:
    """A scenario's value for one numeric parameter: a central value and a distribution.

    ``central`` is the value used in deterministic mode; ``low``/``high`` bound the
    distribution (for ``lognormal`` they are its 5th and 95th percentiles).
    """

    central: float
    low: float
    high: float
    dist: str = "fixed"

    @property
    def is_fixed(self) -> bool:
        return self.dist == "fixed" or self.low == self.high

    def to_yaml_value(self) -> Any:
        if self.dist == "fixed" and self.low == self.central == self.high:
            return _plain_number(self.central)
        return {
            "low": _plain_number(self.low),
            "mode": _plain_number(self.central),
            "high": _plain_number(self.high),
            "dist": self.dist,
        }


@dataclass(frozen=True)
class Parameter:
    """The definition of one assumption, as read from ``data/assumptions.csv``."""

    name: str
    group: str
    label: str
    unit: str
    kind: str
    lower_bound: float | None
    upper_bound: float | None
    default: Any  # Assumption (real/integer), str (choice) or tuple[Stage, ...] (stages)
    choices: tuple[str, ...] = ()
    source: str = ""
    source_url: str = ""
    source_date: str = ""
    reliability: str = ""
    notes: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_numeric(self) -> bool:
        return self.kind in ("real", "integer")

    @property
    def is_table(self) -> bool:
        """Takes a structure (stages, points), not a number or a choice."""
        return self.kind in ("stages", "points")

    def range_text(self) -> str:
        """The allowed range in words, with the unit: ``0 to 1 probability``."""
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "stages":
            return (
                f"a list of 1 to {MAX_STAGES} stages, each with {_fmt(self.lower_bound)} to "
                f"{_fmt(self.upper_bound)} aimpoints (at most {MAX_TOTAL_AIMPOINTS} in all)"
            )
        unit = f" {self.unit}" if self.unit else ""
        if self.kind == "points":
            return (f"1 to {MAX_POINTS} points day:value, days 0 to {MAX_POINT_DAY} (each once), "
                    f"values {_fmt(self.lower_bound)} to {_fmt(self.upper_bound)}{unit}")
        whole = " (whole numbers)" if self.kind == "integer" else ""
        return f"{_fmt(self.lower_bound)} to {_fmt(self.upper_bound)}{unit}{whole}"

    def error(self, value: Any, problem: str = "is out of range") -> ParameterError:
        return ParameterError(self.name, f"{_show(value)} {problem}; allowed {self.range_text()}")

    # --- validation of single values -------------------------------------------------
    def check_number(self, value: Any, what: str = "value") -> float:
        """Return ``value`` as a float if it is a number within the bounds, else raise.

        Numbers include NumPy scalars (``np.int64``, ``np.float64``) and numeric text;
        booleans are not numbers.
        """
        if isinstance(value, str):
            if len(value) > MAX_NUMBER_CHARS:
                raise self.error(value, f"is not a number (longer than {MAX_NUMBER_CHARS} "
                                 "characters)")
            try:
                value = float(value)
            except ValueError:
                raise self.error(value, "is not a number") from None
        if not is_number(value):
            raise self.error(value, "is not a number")
        try:
            number = float(value)
        except OverflowError:  # an integer beyond the float range
            raise self.error(value, "is out of range") from None
        if not math.isfinite(number):
            raise self.error(value, "is not a finite number")
        if number < self.lower_bound or number > self.upper_bound:
            raise self.error(value, f"({what}) is out of range" if what != "value"
                             else "is out of range")
        if self.kind == "integer" and number != round(number):
            raise self.error(value, "is not a whole number" if what == "value"
                             else f"({what}) is not a whole number")
        return number

    def parse(self, value: Any) -> Any:
        """Validate a scenario value for this parameter and return its canonical form.

        Numbers give a fixed :class:`Assumption`; a mapping ``{low, mode, high, dist}``
        gives a distribution; choices give a string; stages give a tuple of :class:`Stage`.
        """
        if self.kind == "choice":
            if not isinstance(value, str) or value not in self.choices:
                raise self.error(value, "is not allowed")
            return value
        if self.kind == "stages":
            return parse_stages(value, self)
        if self.kind == "points":
            return parse_points(value, self)
        if isinstance(value, Assumption):
            value = value.to_yaml_value()
        if isinstance(value, Mapping):
            return self._parse_distribution(value)
        number = self.check_number(value)
        return Assumption(number, number, number, "fixed")

    def _parse_distribution(self, spec: Mapping[str, Any]) -> Assumption:
        unknown = set(spec) - {"low", "mode", "high", "dist"}
        if unknown:
            raise ParameterError(
                self.name,
                f"unknown key(s) {', '.join(sorted(map(str, unknown)))}; a distribution has "
                f"low, mode, high and dist; allowed {self.range_text()}",
            )
        dist = spec.get("dist", "triangular" if "mode" in spec else "uniform")
        if dist not in DISTRIBUTIONS:
            raise ParameterError(
                self.name, f"dist {_show(dist)} is not one of {', '.join(DISTRIBUTIONS)}"
            )
        if self.name in STRUCTURAL and dist != "fixed":
            raise ParameterError(
                self.name, f"takes a single value, not a distribution; allowed {self.range_text()}"
            )
        values = {k: self.check_number(spec[k], k) for k in ("low", "mode", "high") if k in spec}
        if dist == "fixed":
            if "mode" not in values:
                raise ParameterError(
                    self.name, f"a fixed distribution needs mode; allowed {self.range_text()}"
                )
            m = values["mode"]
            # low/high of a fixed value are kept as its documented range (for sensitivity)
            return Assumption(m, min(values.get("low", m), m), max(values.get("high", m), m),
                              "fixed")
        if "low" not in values or "high" not in values:
            raise ParameterError(
                self.name, f"a {dist} distribution needs low and high; allowed {self.range_text()}"
            )
        low, high = values["low"], values["high"]
        if low > high:
            raise ParameterError(
                self.name, f"low {_fmt(low)} is above high {_fmt(high)} {self.unit}".rstrip()
            )
        if dist in ("triangular", "pert") and "mode" not in values:
            raise ParameterError(
                self.name,
                f"a {dist} distribution needs low, mode and high; allowed {self.range_text()}"
            )
        if dist == "lognormal":
            if low <= 0:
                raise ParameterError(
                    self.name, f"a lognormal distribution needs low > 0 (got {_fmt(low)}); "
                    f"allowed {self.range_text()}"
                )
            central = values.get("mode", math.sqrt(low * high))
            if self.kind == "integer":
                central = math.floor(central + 0.5)
        else:
            central = values.get("mode", (low + high) / 2)
            if self.kind == "integer":
                central = math.floor(central + 0.5)  # midpoint of whole numbers, half up
        if not low <= central <= high:
            raise ParameterError(
                self.name,
                f"mode {_fmt(central)} is outside low {_fmt(low)} to high {_fmt(high)} "
                f"{self.unit}".rstrip(),
            )
        return Assumption(central, low, high, dist)


_STAGE_TEXT = re.compile(r"^\s*([A-Za-z0-9_\- ]+?)\s*:\s*(\S+)\s*$")


def as_name(value: Any) -> str | None:
    """``value`` as the name of a stage or a site (a whole number becomes text), or None if
    it is not text of 1 to :data:`MAX_STAGE_NAME_CHARS` printable characters."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = str(value)
    if (not isinstance(value, str) or not value.strip() or len(value) > MAX_STAGE_NAME_CHARS
            or not value.isprintable()):
        return None
    return value


def parse_stages(value: Any, parameter: Parameter | None = None) -> tuple[Stage, ...]:
    """Parse stages from ``"a:8;b:4"``, ``[{name: a, aimpoints: 8}, ...]`` or Stage objects.

    At most :data:`MAX_STAGES` stages and :data:`MAX_TOTAL_AIMPOINTS` aimpoints in all.
    """
    param = parameter or REGISTRY["stages"]
    too_many = f"has more than {MAX_STAGES} stages"
    items: list[tuple[Any, Any]] = []
    if isinstance(value, str):
        if len(value) > MAX_STAGES * (MAX_STAGE_NAME_CHARS + 8):
            raise param.error(value, too_many)
        parts = [part for part in re.split(r"[;,]", value) if part.strip()]
        if len(parts) > MAX_STAGES:
            raise param.error(value, too_many)
        for part in parts:
            m = _STAGE_TEXT.match(part)
            if not m:
                raise param.error(value, "is not a list of name:aimpoints")
            items.append((m.group(1), m.group(2)))
    elif isinstance(value, (list, tuple)):
        if len(value) > MAX_STAGES:
            raise param.error(value, too_many)
        for item in value:
            if isinstance(item, Stage):
                items.append((item.name, item.aimpoints))
            elif (isinstance(item, Mapping) and set(item) <= {"name", "aimpoints"}
                  and "aimpoints" in item):
                items.append((item.get("name", f"stage{len(items) + 1}"), item["aimpoints"]))
            else:
                raise param.error(item, "is not a stage {name, aimpoints}")
    else:
        raise param.error(value, "is not a list of stages")
    if not items:
        raise param.error(value, "has no stages")
    stages = []
    for raw, count in items:
        name = as_name(raw)
        if name is None:  # (a whole number is shown as the text it was taken as)
            shown = str(raw) if is_number(raw) and not isinstance(raw, (bool, float)) else raw
            raise param.error(shown, f"is not a stage name (text of 1 to {MAX_STAGE_NAME_CHARS} "
                              "printable characters)")
        if isinstance(count, str) and len(count) <= 20 and re.fullmatch(r"\d+", count.strip()):
            count = int(count)
        if not is_number(count) or not math.isfinite(count) or count != int(count):
            raise param.error(count, f"(aimpoints of stage {show_text(name)}) is not a whole "
                              "number")
        if not param.lower_bound <= count <= param.upper_bound:
            raise param.error(count, f"(aimpoints of stage {show_text(name)}) is out of range")
        stages.append(Stage(name, int(count)))
    total = sum(stage.aimpoints for stage in stages)
    if total > MAX_TOTAL_AIMPOINTS:
        raise param.error(total, f"aimpoints in all are too many (at most {MAX_TOTAL_AIMPOINTS})")
    return tuple(stages)


_POINT_TEXT = re.compile(r"^\s*([^:]+?)\s*:\s*(\S+)\s*$")


def parse_points(value: Any, param: Parameter) -> tuple[tuple[float, float], ...]:
    """Parse a table of (day, value) points, sorted by day.

    Accepts ``"0:99;180:250"``, a list of ``[day, value]`` pairs, or a list of mappings
    ``{day, value}``. Days run 0 to :data:`MAX_POINT_DAY`, each at most once; values lie
    within the parameter's bounds; at most :data:`MAX_POINTS` points.
    """
    too_many = f"has more than {MAX_POINTS} points"
    items: list[tuple[Any, Any]] = []
    if isinstance(value, str):
        if len(value) > MAX_POINTS * 2 * (MAX_NUMBER_CHARS + 2):
            raise param.error(value, too_many)
        parts = [part for part in re.split(r"[;,]", value) if part.strip()]
        if len(parts) > MAX_POINTS:
            raise param.error(value, too_many)
        for part in parts:
            m = _POINT_TEXT.match(part)
            if not m:
                raise param.error(value, "is not a list of day:value")
            items.append((m.group(1), m.group(2)))
    elif isinstance(value, (list, tuple)):
        if len(value) > MAX_POINTS:
            raise param.error(value, too_many)
        for item in value:
            if isinstance(item, (list, tuple)) and len(item) == 2:
                items.append((item[0], item[1]))
            elif isinstance(item, Mapping) and set(item) == {"day", "value"}:
                items.append((item["day"], item["value"]))
            else:
                raise param.error(item, "is not a point [day, value]")
    else:
        raise param.error(value, "is not a list of points")
    if not items:
        raise param.error(value, "has no points")
    day_param = Parameter("day", "", "day", "days", "real", 0.0, float(MAX_POINT_DAY), None)
    points = []
    for day, level in items:
        try:
            day = day_param.check_number(day)
        except ParameterError:
            raise param.error(day, f"(a day) is not a day 0 to {MAX_POINT_DAY}") from None
        points.append((day, param.check_number(level)))
    points.sort()
    for (a, _), (b, _) in zip(points, points[1:], strict=False):
        if a == b:
            raise param.error(a, "(a day) is given twice")
    return tuple(points)


def points_text(points) -> str:
    """A table of points as ``day:value;…`` (what :func:`parse_points` reads back)."""
    return ";".join(f"{_fmt(day)}:{_fmt(level)}" for day, level in points)


def _fmt(x: float | None) -> str:
    if x is None:
        return "?"
    if float(x).is_integer():
        return f"{int(x):,}".replace(",", "")
    return f"{x:g}"


def is_number(value: Any) -> bool:
    """A real number: ``int``, ``float``, NumPy integer or float scalars; not a boolean."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


_show = show  # every message shows values through whatif.errors.show


def _plain_number(x: float) -> float | int:
    return int(x) if float(x).is_integer() else float(x)


def _number_or_none(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


def load_registry(path: Path | str = ASSUMPTIONS_CSV) -> dict[str, Parameter]:
    """Read the parameter definitions from the assumptions CSV, checking each row."""
    registry: dict[str, Parameter] = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name = row["name"].strip()
            kind = row["kind"].strip()
            if kind not in KINDS:
                raise ValueError(f"{path}: {name}: unknown kind {kind!r}")
            if not row.get("source", "").strip():
                raise ValueError(f"{path}: {name}: every assumption needs a source")
            choices = tuple(c.strip() for c in row.get("choices", "").split("|") if c.strip())
            base = Parameter(
                name=name,
                group=row["group"].strip(),
                label=row["label"].strip(),
                unit=row["unit"].strip(),
                kind=kind,
                lower_bound=_number_or_none(row["lower_bound"]),
                upper_bound=_number_or_none(row["upper_bound"]),
                default=None,
                choices=choices,
                source=row["source"].strip(),
                source_url=row.get("source_url", "").strip(),
                source_date=row.get("source_date", "").strip(),
                reliability=row.get("reliability", "").strip(),
                notes=row.get("notes", "").strip(),
            )
            if kind in ("choice", "stages", "points"):
                default = base.parse(row["central"].strip())
            else:
                spec: dict[str, Any] = {"mode": float(row["central"]),
                                        "dist": row["distribution"].strip()}
                if row["low"].strip():
                    spec["low"] = float(row["low"])
                if row["high"].strip():
                    spec["high"] = float(row["high"])
                default = base._parse_distribution(spec)
            registry[name] = Parameter(**{**base.__dict__, "default": default})
    return registry


REGISTRY: dict[str, Parameter] = load_registry()
NUMERIC = tuple(name for name, p in REGISTRY.items() if p.is_numeric)


def lookup(name: str) -> Parameter:
    """The definition of parameter ``name``; a :class:`ParameterError` if there is none."""
    try:
        return REGISTRY[name]
    except KeyError:
        close = [n for n in REGISTRY if n.startswith(name[:4])] if name else []
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ParameterError(name, f"unknown parameter{hint}; see `whatif params`") from None
