"""The controls' plain logic: slider steps, shown numbers, hover text, range notes, and
how a slider move changes an uncertain assumption (:func:`shifted`)."""

from __future__ import annotations

import math
from typing import Any

from whatif.params import Assumption, Parameter, Stage, points_text


def nice_step(span: float, *anchors: float) -> float:
    """A power-of-ten slider step with every anchor (bounds, default) on the grid.

    The browser snaps a slider to ``min + k·step``; a default off that grid would be
    moved (and reported back as a change) on first display.

    >>> nice_step(1.0, 0.0, 0.9)
    0.001
    >>> nice_step(1095.0, 1.0, 60.0)
    1.0
    """
    step = 10.0 ** math.floor(math.log10(span / 400)) if span > 0 else 1.0
    while step > 1e-6 and any(abs(a / step - round(a / step)) > 1e-9 for a in anchors):
        step /= 10
    return step


def show_number(value: float, parameter: Parameter) -> str:
    """A control's value as typed: integers without a decimal point, else 6 digits."""
    if parameter.kind == "integer" or float(value).is_integer():
        return f"{int(round(value))}"
    return f"{value:.6g}"


def tooltip(parameter: Parameter) -> str:
    """Source (and date, URL) of a parameter's default, for hover text."""
    parts = [f"{parameter.label} [{parameter.unit or '-'}]", f"Source: {parameter.source}"]
    if parameter.source_date:
        parts.append(f"Date: {parameter.source_date}")
    if parameter.source_url:
        parts.append(parameter.source_url)
    return "\n".join(parts)


def table_text(parameter, value) -> str:
    """A table-kind value (stages, points) as its text box shows it."""
    if parameter.kind == "points":
        return points_text(value).replace(";", "; ")
    return stages_text(value)


def stages_text(stages: tuple[Stage, ...]) -> str:
    """Stages as the text box shows and parses them: ``name:aimpoints; …``."""
    return "; ".join(str(s) for s in stages)


def range_text(parameter: Parameter, value: Any, uncertain: bool) -> str:
    """The note under a control: the allowed range and, in Monte Carlo mode
    (``uncertain``), the distribution drawn from."""
    text = (f"allowed {parameter.range_text()}" if parameter.kind in ("real", "integer", "points")
            else "")
    if uncertain and isinstance(value, Assumption) and not value.is_fixed:
        text += (f" · drawn {value.dist} {show_number(value.low, parameter)}–"
                 f"{show_number(value.high, parameter)}")
    return text


def shifted(assumption: Assumption, central: float, parameter: Parameter) -> Any:
    """The assumption with its central value moved to ``central``.

    A fixed value becomes ``central``. A distribution keeps its shape: it is shifted by
    the same amount (scaled, for a lognormal), its ends held within the parameter's bounds.
    """
    if assumption.is_fixed:
        return central
    lo, hi = parameter.lower_bound, parameter.upper_bound
    if assumption.dist == "lognormal" and assumption.central > 0 and central > 0:
        ratio = central / assumption.central
        low, high = assumption.low * ratio, assumption.high * ratio
    else:
        delta = central - assumption.central
        low, high = assumption.low + delta, assumption.high + delta
    low, high = max(lo, min(low, central)), min(hi, max(high, central))
    if parameter.kind == "integer":
        low, high = float(round(low)), float(round(high))
    spec = {"low": low, "high": high, "dist": assumption.dist}
    if assumption.dist != "uniform":
        spec["mode"] = central
    return spec
