"""Adversarial-pattern rates: detections per hour on each side and how far they overlap.

The value is the candidate's rate minus the reference's (detections per hour of exchange time);
``detail`` holds both counts and rates and the overlap: the share of each side's detections
that the other side also made (same side of the book, overlapping time spans). Detections are
computed once per alignment and shared by the three metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from rlx_lib.fidelity.align import Aligned
from rlx_lib.fidelity.metrics.base import MetricResult, register
from rlx_lib.fidelity.patterns import detections

__all__ = ["PatternRate"]

_HOUR_NS = 3_600_000_000_000


def _hours(events: pl.DataFrame | None) -> float:
    if events is None or events.is_empty():
        return float("nan")
    times = events["origin_time"].dt.epoch("ns")
    return float(times.max() - times.min()) / _HOUR_NS


def _overlap(mine: pl.DataFrame, theirs: pl.DataFrame) -> float | None:
    """Share of ``mine`` that ``theirs`` also holds (same side, overlapping spans)."""
    if mine.is_empty():
        return None
    joined = (
        mine.with_row_index("row")
        .join(theirs.select("side", "start_time", "end_time"), on="side", suffix="_other")
        .filter(
            (pl.col("start_time") <= pl.col("end_time_other"))
            & (pl.col("start_time_other") <= pl.col("end_time"))
        )
    )
    return joined["row"].n_unique() / mine.height


@register(kind="spoofing")
@register(kind="layering")
@register(kind="momentum_ignition")
@dataclass(frozen=True)
class PatternRate:
    """Candidate minus reference detections per hour of one pattern kind."""

    kind: str = "spoofing"
    unit: str = "detections per hour, difference"

    @property
    def name(self) -> str:
        """``<kind>_rate``."""
        return f"{self.kind}_rate"

    def compute(self, aligned: Aligned) -> MetricResult:
        found = {
            source: frame.filter(pl.col("kind").cast(pl.String) == self.kind)
            for source, frame in detections(aligned).items()
        }
        hours = _hours(aligned.reference_events)
        # two windows (no shared span): each side's rate over its own hours
        theirs = hours if aligned.same_window else _hours(aligned.candidate_events)
        reference, candidate = found["golden"], found["lake"]
        detail = {
            "reference_count": reference.height,
            "candidate_count": candidate.height,
            "hours": hours,
            "reference_per_hour": reference.height / hours if hours > 0 else None,
            "candidate_per_hour": candidate.height / theirs if theirs > 0 else None,
            "reference_found_by_candidate": _overlap(reference, candidate),
            "candidate_found_by_reference": _overlap(candidate, reference),
        }
        if not min(hours, theirs) > 0:
            return MetricResult(float("nan"), 0, detail)
        if theirs == hours:
            value = (candidate.height - reference.height) / hours
        else:
            value = candidate.height / theirs - reference.height / hours
        return MetricResult(value, reference.height + candidate.height, detail)
