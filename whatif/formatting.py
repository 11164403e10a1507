"""Numbers as people read them, shared by the CLI, the app and the brief."""

from __future__ import annotations

import math


def format_value(value: float, unit: str = "") -> str:
    """Format ``value`` for display: shares as %, money in $M/$k, counts with separators.

    >>> format_value(0.6846, "share")
    '68.5%'
    >>> format_value(60_000_000, "USD")
    '$60.0M'
    >>> format_value(2538.77, "drones")
    '2,539'
    """
    if value is None or not math.isfinite(value):
        return "n/a"
    if unit in ("share", "probability"):
        return f"{100 * value:.1f}%"
    if unit == "USD":
        if abs(value) >= 1e9:
            return f"${value / 1e9:.2f}B"
        if abs(value) >= 1e6:
            return f"${value / 1e6:.1f}M"
        if abs(value) >= 1e3:
            return f"${value / 1e3:.0f}k"
        return f"${value:.0f}"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def describe_condition(condition: str, threshold=None, threshold_high=None, unit: str = "",
                       ranges=()) -> str:
    """One of :func:`whatif.sensitivity.explain`'s conditions in words.

    >>> describe_condition(">=", 0.48271, None, "probability")
    '>= 0.4827 probability'
    >>> describe_condition("none")
    'no allowed value'
    >>> describe_condition("between", 1.3e-11, 228.7, "days")
    'above 0 and up to 228.7 days'
    >>> describe_condition("ranges", unit="days", ranges=[[45.2, 131.5], [212.9, 218.6]])
    '45.2 to 131.5 or 212.9 to 218.6 days'
    """
    unit = f" {unit}" if unit else ""
    # a lower end a hair above 0 (the refined edge of a value where 0 itself fails, e.g.
    # ramp_days, whose 0 means no ramp at all) reads as "above 0"
    just_above_zero = threshold is not None and 0 < threshold < 1e-6 * max(
        1.0, abs(threshold_high) if threshold_high is not None else 1.0)
    if condition == ">=" and just_above_zero:
        return f"> 0{unit}"
    if condition in (">=", "<="):
        return f"{condition} {threshold:.4g}{unit}"
    if condition == "between" and just_above_zero:
        return f"above 0 and up to {threshold_high:.4g}{unit}"
    if condition == "between":
        return f"between {threshold:.4g} and {threshold_high:.4g}{unit}"
    if condition == "ranges":
        return " or ".join(f"{low:.4g} to {high:.4g}" for low, high in ranges) + unit
    if condition == "any":
        return "any allowed value"
    return "no allowed value"


def explain_lines(frame) -> list[str]:
    """:func:`whatif.sensitivity.explain`'s table as lines of text, binding conditions first.

    Assumptions that can take any allowed value, and those no value of which reaches
    the goal on its own, are each summarised in one line.
    """
    lines, free, hopeless = [], [], []
    for row in frame.itertuples(index=False):
        if row.condition in ("any", "none"):
            (free if row.condition == "any" else hopeless).append(row.parameter)
            continue
        text = describe_condition(row.condition, row.threshold, row.threshold_high, row.unit,
                                  getattr(row, "ranges", ()))
        lines.append(f"{row.parameter:<28} {text}   (central {row.central:g})")
    if free:
        lines.append(f"any allowed value: {', '.join(sorted(free))}")
    if hopeless:
        lines.append(f"no value alone reaches the goal: {', '.join(sorted(hopeless))}")
    return lines
