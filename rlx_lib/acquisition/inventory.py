"""What acquisition left in the data root: one row per acquired unit, and its issue rows."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from rlx_lib.catalog import read_manifest
from rlx_lib.schemas import ISSUE
from rlx_lib.venues.lake import TABLES

__all__ = ["acquired_units", "acquisition_issues"]

STAGE = "acquisition"

_UNITS = {
    "table": pl.String,
    "symbol": pl.String,
    "dt": pl.String,
    "rows": pl.Int64,
    "first": pl.String,
    "last": pl.String,
    "sha256": pl.String,
    "key": pl.String,
}


def acquired_units(root: Path) -> pl.DataFrame:
    """One row per acquired (table, symbol, day) from the manifests under ``lake/``.

    Columns: table, symbol, dt, rows, first and last received time, the first 16 hex digits of
    the file's sha256 and the source object key (manifests never hold credentials).
    """
    rows = [
        {
            "table": entry["table"],
            "symbol": entry["symbol"],
            "dt": str(entry["dt"]),
            "rows": entry["rows"],
            "first": entry["received_time_first"],
            "last": entry["received_time_last"],
            "sha256": entry["sha256"][:16],
            "key": entry["source"]["key"],
        }
        for table in TABLES
        for entry in read_manifest(Path(root), f"lake/{table}")
        if entry.get("stage") == STAGE
    ]
    return pl.DataFrame(rows, schema=_UNITS)


def acquisition_issues(root: Path) -> pl.DataFrame:
    """Every issue row the acquisition checks wrote (``issues/**/part-acquisition-*.parquet``)."""
    files = sorted((Path(root) / "issues").glob(f"**/part-{STAGE}-*.parquet"))
    if not files:
        return pl.DataFrame(schema=ISSUE)
    return pl.concat([pl.read_parquet(path, hive_partitioning=False) for path in files])
