"""What is in the local lake: a coverage table per table, symbol and day, and its calendar.

Rows and bytes come from Parquet footers through DuckDB (``workbench/sql/lake_coverage.sql``);
issue counts and sha256 come from each partition's manifest, written by ``rlx acquire``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from rlx_lib.catalog import read_manifest
from rlx_lib.schemas import LAKE_COVERAGE, LAKE_TABLES, empty_frame
from workbench import db
from workbench.readonly import url

__all__ = ["calendar_chart", "lake_coverage"]


def lake_coverage(root: Path | str | None = None) -> pl.DataFrame:
    """One row per (table, exchange, symbol, day) in ``lake/``: files, rows, bytes, issues.

    ``verified`` is true when the partition has an acquisition manifest entry.
    """
    database = db.connect(root)
    try:
        base = database.root
        if not any((base / "lake").glob("**/*.parquet")):
            return empty_frame(LAKE_COVERAGE)
        found = database.query("lake_coverage", prefix=url(""), glob=url("lake/**/*.parquet"))
    finally:
        database.close()
    entries = [
        {
            "table": table,
            "exchange": entry["exchange"],
            "symbol": entry["symbol"],
            "dt": entry["dt"],
            "issues": sum((entry.get("issues") or {}).values()),
            "verified": entry.get("stage") == "acquisition",
        }
        for table in LAKE_TABLES
        for entry in read_manifest(base, f"lake/{table}")
        if entry.get("file") == "part-0.parquet"
    ]
    manifests = pl.DataFrame(
        entries,
        schema={k: LAKE_COVERAGE[k] for k in ("table", "exchange", "symbol", "issues", "verified")}
        | {"dt": pl.String},
    ).with_columns(pl.col("dt").str.to_date())
    joined = found.join(manifests, on=["table", "exchange", "symbol", "dt"], how="left")
    return joined.with_columns(pl.col("verified").fill_null(value=False)).select(
        list(LAKE_COVERAGE)
    )


def calendar_chart(coverage: pl.DataFrame) -> Any:
    """A calendar heat map: one row per symbol and table, one cell per day, coloured by rows."""
    import altair as alt

    data = coverage.with_columns(
        (pl.col("symbol") + " · " + pl.col("table")).alias("series"),
        (pl.col("bytes") / 1e6).round(3).alias("megabytes"),
    )
    return (
        alt.Chart(data.to_pandas())
        .mark_rect()
        .encode(
            x=alt.X(
                "dt:T",
                timeUnit="utcyearmonthdate",
                title="day (UTC)",
                axis=alt.Axis(labelExpr="utcFormat(datum.value, '%Y-%m-%d')"),
            ),
            y=alt.Y("series:N", title=None),
            color=alt.Color("rows:Q", scale=alt.Scale(type="log"), title="rows"),
            tooltip=[
                "symbol",
                "table",
                alt.Tooltip("dt:T", format="%Y-%m-%d", formatType="utc"),
                *("rows", "megabytes", "files", "issues", "verified"),
            ],
        )
        .properties(width=600, title="lake/ coverage: rows per symbol, table and day")
    )
