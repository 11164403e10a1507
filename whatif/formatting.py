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


def format_range(p10: float, p50: float, p90: float, unit: str = "") -> str:
    """``P50 (P10–P90)``, e.g. ``75.0% (62.5%–100.0%)``."""
    if p10 == p90:
        return format_value(p50, unit)
    return f"{format_value(p50, unit)} ({format_value(p10, unit)}–{format_value(p90, unit)})"
