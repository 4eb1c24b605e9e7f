"""Numbers formatted for people: p-values, shares, measurements (tables, titles, tooltips)."""

from __future__ import annotations

import math

__all__ = ["format_number", "format_p_value", "format_share", "format_value"]

P_FLOOR = 1e-16
"""Below this a p-value is shown as ``< 1e-16``: double precision cannot tell it from 0."""


def format_p_value(value: float | None) -> str:
    """``< 1e-16`` for the tiny ones, else three significant digits; blank when missing."""
    if value is None or math.isnan(value):
        return ""
    return f"< {P_FLOOR:.0e}" if value < P_FLOOR else f"{value:.3g}"


def format_share(value: float | None) -> str:
    """A share as a percentage with the digits that matter near 0 % and 100 %."""
    if value is None or math.isnan(value):
        return "undefined"
    if value in (0.0, 1.0):
        return f"{value:.0%}"
    distance = min(value, 1.0 - value)
    decimals = max(1, min(6, 1 - math.floor(math.log10(distance * 100)))) if distance > 0 else 1
    return f"{value * 100:.{decimals}f}%"


def format_number(value: float | None) -> str:
    """Four significant digits, thousands separated; integers as integers."""
    if value is None or math.isnan(value):
        return "undefined"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 1e-3 or value == 0:
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return f"{value:.3g}"


def format_value(value: float | None, unit: str = "") -> str:
    """A metric value by its unit: shares as %, p-values floored, the rest as numbers."""
    if unit.startswith("share"):
        return format_share(value)
    if unit in ("p", "p-value", "p_value"):
        return format_p_value(value)
    return format_number(value)
