"""Faults injected into the synthetic views, each one listed so tests and stages can find it.

Live view (golden): disconnect gaps (messages lost, ``_session`` records, a resync snapshot
after the reconnect), out-of-order arrival (neighbouring records of different streams swap
places; a stream's own order is never broken) and a capture clock skew. Vendor view (Lake):
dropped messages (every row of some ``u``), duplicated rows, and off-grid floats (a float a
few 1e-9 away from the 1e-8 grid: :func:`rlx_lib.venues.lake.normalize_loaded` flags it and
rounds it back, so the exact value is unchanged).

What was injected goes to ``golden/_injected.json`` and ``lake/_injected.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from rlx_lib.errors import ConfigError
from rlx_lib.golden import GoldenRecord

__all__ = [
    "OFF_GRID_NUDGE",
    "LiveFaults",
    "VendorFaults",
    "duplicate_rows",
    "empty_vendor_injected",
    "nudge_off_grid",
    "plan_disconnects",
    "reorder_neighbours",
]

OFF_GRID_NUDGE = 3e-9
"""Added to a float to take it off the grid: a third of a unit, so rounding restores it."""

_MS = 1_000_000


def _rate(name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        msg = f"{name} must be between 0 and 1, received {value}"
        raise ConfigError(msg)
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveFaults:
    """Faults of the live view: disconnects, reordered neighbours, capture clock skew."""

    disconnects: int = 0
    reorder_rate: float = 0.0
    clock_skew_ns: int = 0

    def __post_init__(self) -> None:
        if self.disconnects < 0:
            msg = f"disconnects must be >= 0, received {self.disconnects}"
            raise ConfigError(msg)
        _rate("reorder_rate", self.reorder_rate)


@dataclass(frozen=True, slots=True, kw_only=True)
class VendorFaults:
    """Faults of the vendor view: dropped messages, duplicated rows, off-grid floats."""

    drop_rate: float = 0.0
    duplicate_rate: float = 0.0
    off_grid_rate: float = 0.0

    def __post_init__(self) -> None:
        _rate("drop_rate", self.drop_rate)
        _rate("duplicate_rate", self.duplicate_rate)
        _rate("off_grid_rate", self.off_grid_rate)


def empty_vendor_injected() -> dict[str, list[Any]]:
    """The vendor ``_injected.json`` content when nothing was injected."""
    return {"dropped_messages": [], "duplicated_rows": [], "off_grid_values": []}


def plan_disconnects(
    count: int, *, start_ns: int, end_ns: int, rng: np.random.Generator
) -> list[tuple[int, int]]:
    """``count`` outages ``(down_ns, up_ns)`` of 1-3 s, spread over ``[start_ns, end_ns)``.

    Each outage sits in its own slice of the window, so a resync finishes before the next one.
    Fewer are planned when the window is too short (each needs 6 s).
    """
    if count <= 0 or end_ns <= start_ns:
        return []
    slice_ns = (end_ns - start_ns) // count
    if slice_ns < 6_000 * _MS:
        count = int((end_ns - start_ns) // (6_000 * _MS))
        slice_ns = (end_ns - start_ns) // max(count, 1)
    outages = []
    for number in range(count):
        duration = int(rng.integers(1_000, 3_000)) * _MS
        room = slice_ns - duration - 2_000 * _MS
        down = start_ns + number * slice_ns + int(rng.integers(0, max(room, 1)))
        outages.append((down, down + duration))
    return outages


def reorder_neighbours(
    records: Sequence[GoldenRecord], *, rate: float, rng: np.random.Generator
) -> tuple[list[GoldenRecord], list[dict[str, Any]]]:
    """Swap the arrival order of neighbouring market records of different streams.

    Capture times stay where they are (the clock reads arrival), so the later message now
    carries the earlier capture time. Session and snapshot records never move.
    """
    out = list(records)
    swaps: list[dict[str, Any]] = []
    if rate <= 0:
        return out, swaps
    draws = rng.random(len(out))
    index = 0
    while index < len(out) - 1:
        first, second = out[index], out[index + 1]
        if (
            draws[index] < rate
            and first.stream != second.stream
            and _movable(first.stream)
            and _movable(second.stream)
        ):
            out[index] = GoldenRecord(first.capture_ns, second.stream, second.data)
            out[index + 1] = GoldenRecord(second.capture_ns, first.stream, first.data)
            swaps.append(
                {
                    "capture_ns": [first.capture_ns, second.capture_ns],
                    "streams": [second.stream, first.stream],
                }
            )
            index += 2
        else:
            index += 1
    return out, swaps


def _movable(stream: str) -> bool:
    return not stream.startswith("_") and not stream.endswith("@depthSnapshot")


def nudge_off_grid(
    frame: pl.DataFrame, columns: Sequence[str], *, rate: float, rng: np.random.Generator
) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Move a share ``rate`` of the non-null values of ``columns`` off the 1e-8 grid.

    Returns the new frame and ``{"row", "column", "value"}`` for every value moved, in the
    order :func:`rlx_lib.venues.lake.normalize_loaded` lists them (give ``columns`` in schema
    order).
    """
    if rate <= 0 or frame.height == 0:
        return frame, []
    found: list[dict[str, Any]] = []
    replaced = {}
    for column in columns:
        values = frame[column].to_numpy().astype(np.float64, copy=True)
        pick = (rng.random(len(values)) < rate) & ~np.isnan(values)
        values[pick] += OFF_GRID_NUDGE
        replaced[column] = pl.Series(column, values)
        found.extend(
            {"row": int(row), "column": column, "value": float(values[row])}
            for row in np.flatnonzero(pick)
        )
    return frame.with_columns(**replaced), found


def duplicate_rows(
    frame: pl.DataFrame, *, rate: float, rng: np.random.Generator
) -> tuple[pl.DataFrame, np.ndarray]:
    """Repeat a share ``rate`` of the rows right after themselves; return the rows repeated."""
    if rate <= 0 or frame.height == 0:
        return frame, np.zeros(0, dtype=np.int64)
    picked = np.flatnonzero(rng.random(frame.height) < rate)
    repeat = np.ones(frame.height, dtype=np.int64)
    repeat[picked] = 2
    order = np.repeat(np.arange(frame.height), repeat)
    return frame[order], picked
