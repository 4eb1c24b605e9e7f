"""The exchange-time span two sides share: none when they are two different windows.

Vendor-against-live runs compare one window seen twice, so most metrics measure the span both
sides hold. ``compare`` puts two different windows side by side; there the sides share no span
and each side is measured over its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from rlx_lib.fidelity.align import Aligned

__all__ = ["event_span", "shared_span"]


def event_span(events: pl.DataFrame | None) -> tuple[int, int] | None:
    """First and last exchange time (ns) of a side's level changes; None without any."""
    if events is None:
        return None
    times = events.filter(pl.col("kind").cast(pl.String) == "delta")["origin_time"]
    times = times.dt.epoch("ns").drop_nulls()
    return None if times.is_empty() else (int(times.min()), int(times.max()))


def shared_span(aligned: Aligned) -> tuple[int, int] | None:
    """The exchange-time span both sides' level changes cover; None if they do not overlap."""
    spans = [event_span(aligned.reference_events), event_span(aligned.candidate_events)]
    if None in spans:
        return None
    low, high = max(span[0] for span in spans), min(span[1] for span in spans)
    return (low, high) if low <= high else None
