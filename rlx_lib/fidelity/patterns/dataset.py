"""Detections of both sides of an alignment (computed once), and the ``patterns/`` dataset.

``patterns/exchange=../symbol=../dt=../part-<source>.parquet`` holds one source's detections
for a fidelity run's first day, following ``PATTERN``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from rlx_lib.catalog import partition_dir, write_parquet
from rlx_lib.fidelity.align import Aligned
from rlx_lib.fidelity.patterns.detect import detect
from rlx_lib.fidelity.patterns.thresholds import Thresholds
from rlx_lib.schemas import PATTERN, check_schema, empty_frame

__all__ = ["detections", "write_patterns"]

_CACHE = "_pattern_detections"


def detections(aligned: Aligned, thresholds: Thresholds | None = None) -> dict[str, pl.DataFrame]:
    """``{"golden": ..., "lake": ...}`` detections of the reference and candidate events.

    Kept on the alignment (per thresholds), so several metrics share one detection pass.
    """
    rules = thresholds or Thresholds()
    cache = aligned.__dict__.setdefault(_CACHE, {})
    if rules not in cache:
        found = {}
        for source, events in (
            ("golden", aligned.reference_events),
            ("lake", aligned.candidate_events),
        ):
            if events is None:
                found[source] = empty_frame("patterns")
            else:
                found[source] = detect(
                    events, symbol=aligned.symbol, source=source, thresholds=rules
                )
        cache[rules] = found
    return cache[rules]


def write_patterns(root: Path, aligned: Aligned, day: dt.date) -> list[Path]:
    """Write each side's detections (default thresholds) under ``patterns/``; return the files."""
    written = []
    folder = partition_dir(root, "patterns", symbol=aligned.symbol, day=day)
    for source, frame in detections(aligned).items():
        check_schema(frame, PATTERN, name="patterns")
        written.append(write_parquet(frame, folder / f"part-{source}.parquet", force=True))
    return written
