"""Integrity checks on one downloaded unit (table, symbol, day) before it enters ``lake/``.

A broken contract raises (columns or types drifted, an empty day); questionable data becomes
``ISSUE`` rows (stage ``acquisition``) and the unit is still accepted:

======================  ========  ==========================================================
check                   severity  finding
======================  ========  ==========================================================
off_grid                warning   a float price or size not on the 1e-8 grid (rounded)
sequence_decreasing     error     ``sequence_number`` lower than on the row before
message_clocks          error     rows of one message (same sequence) with different clocks
origin_time_artefact    warning   ``origin_time`` farther than float noise from a whole ms
duplicate_row           warning   a row repeated exactly
duplicate_trade_id      error     one ``trade_id`` on rows that differ
snapshot_rows           info      REST-snapshot rows (``origin_time`` at epoch 0), per block
crossed_book            warning   a ``book`` row with best bid >= best ask
======================  ========  ==========================================================
"""

from __future__ import annotations

import numpy as np
import polars as pl

from rlx_lib import schemas
from rlx_lib.errors import NoDataError, SchemaError
from rlx_lib.venues.lake import normalize_loaded

__all__ = ["ARTEFACT_TOLERANCE_NS", "STAGE", "check_unit"]

STAGE = "acquisition"
ARTEFACT_TOLERANCE_NS = 1_000
"""How far ``origin_time`` may sit from a whole exchange millisecond.

Crypto Lake stores ``int(float_seconds * 1e9)`` of a millisecond exchange time, so a genuine
value sits within float noise (under 1 µs today, far within 1 ms) of a whole millisecond and
``round(ns / 1e6)`` recovers the exchange ms; anything farther is not such a time.
"""

_MS = 1_000_000


def check_unit(
    table: str, loaded: pl.DataFrame, *, symbol: str, source: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Verify one loaded day of ``table`` and convert it to the exact contract.

    Parameters
    ----------
    table
        ``trades``, ``book`` or ``book_delta_v2``.
    loaded
        The frame as ``lakeapi.load_data`` returns it (lakeapi names, float64 numbers).
    symbol, source
        Written into the issue rows (``source`` names the unit, e.g. its lake path).

    Returns
    -------
    (exact, issues)
        ``exact`` follows ``schemas.LAKE_TABLES[table]``; ``issues`` follows ``schemas.ISSUE``.

    Raises
    ------
    SchemaError
        Columns missing or unexpected, or of the wrong type.
    NoDataError
        The day holds no rows.
    """
    try:
        exact, off_grid = normalize_loaded(table, loaded)
    except SchemaError as error:
        msg = f"{source}: {error}"
        raise SchemaError(msg) from None
    if exact.height == 0:
        msg = f"{source}: the vendor file holds no rows"
        raise NoDataError(msg)
    schemas.check_schema(exact, schemas.LAKE_TABLES[table], name=source)
    indexed = exact.with_row_index("position").with_columns(pl.col("position").cast(pl.Int64))
    found = [
        _off_grid(indexed, off_grid),
        _origin_time_artefacts(indexed),
        _duplicates(table, indexed),
    ]
    if "sequence_number" in exact.columns:
        found.append(_sequence_decreasing(indexed))
    if table == "book_delta_v2":
        found += [_message_clocks(indexed), _snapshot_rows(indexed)]
    if table == "book":
        found.append(_crossed(indexed))
    issues = pl.concat(
        [schemas.issue_frame(f, stage=STAGE, symbol=symbol, source=source) for f in found]
    )
    return exact, issues.sort("position", "check")


def _finding(frame: pl.DataFrame, check: str, severity: str, detail: pl.Expr) -> pl.DataFrame:
    """Rows of one finding: position, origin_time, update_id, check, severity, detail."""
    update_id = (
        pl.col("sequence_number") if "sequence_number" in frame.columns else pl.lit(None)
    ).cast(pl.Int64)
    return frame.select(
        pl.col("position"),
        pl.col("origin_time"),
        update_id.alias("update_id"),
        pl.lit(check).alias("check"),
        pl.lit(severity).alias("severity"),
        detail.alias("detail"),
    )


def _text(template: str, *values: pl.Expr) -> pl.Expr:
    """``pl.format`` without its polars 2.1 panic on some filtered frames: ``{}`` per value."""
    pieces = template.split("{}")
    parts: list[pl.Expr] = [pl.lit(pieces[0])]
    for value, piece in zip(values, pieces[1:], strict=True):
        parts += [value.cast(pl.String), pl.lit(piece)]
    return pl.concat_str(parts)


def _off_grid(indexed: pl.DataFrame, off_grid: pl.DataFrame) -> pl.DataFrame:
    rows = off_grid.rename({"row": "position"}).join(indexed, on="position", how="left")
    return _finding(
        rows,
        "off_grid",
        "warning",
        _text(
            "{} = {} is not on the 1e-8 grid; stored rounded",
            pl.col("column"),
            pl.col("value").cast(pl.String),
        ),
    )


def _origin_time_artefacts(indexed: pl.DataFrame) -> pl.DataFrame:
    nanos = pl.col("origin_time").dt.epoch("ns")
    distance = (nanos - (nanos / _MS).round(0).cast(pl.Int64) * _MS).abs()
    rows = indexed.filter((nanos != 0) & (distance >= ARTEFACT_TOLERANCE_NS))
    return _finding(
        rows,
        "origin_time_artefact",
        "warning",
        _text("origin_time {} ns is not a float-rounded exchange millisecond", nanos),
    )


def _repeats(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Rows equal (on ``columns``) to an earlier row; row hashes skip the common clean case."""
    hashes = frame.select(columns).hash_rows()
    if hashes.n_unique() == frame.height:
        return frame.clear()
    candidates = frame.filter(hashes.is_duplicated())
    return candidates.filter(pl.struct(columns).is_first_distinct().not_())


def _duplicates(table: str, indexed: pl.DataFrame) -> pl.DataFrame:
    columns = [c for c in indexed.columns if c != "position"]
    repeated = _repeats(indexed, columns)
    found = [
        _finding(
            repeated,
            "duplicate_row",
            "warning",
            pl.lit("the row repeats an earlier row exactly"),
        )
    ]
    if table == "trades":
        shared = indexed.filter(pl.col("trade_id").is_duplicated())
        distinct = shared.filter(~pl.col("position").is_in(repeated["position"].implode()))
        clash = distinct.filter(pl.col("trade_id").is_first_distinct().not_())
        found.append(
            _finding(
                clash,
                "duplicate_trade_id",
                "error",
                _text("trade_id {} appears on rows that differ", pl.col("trade_id")),
            )
        )
    return pl.concat(found)


def _sequence_decreasing(indexed: pl.DataFrame) -> pl.DataFrame:
    previous = pl.col("sequence_number").shift(1)
    rows = indexed.with_columns(previous.alias("previous")).filter(
        pl.col("sequence_number") < pl.col("previous")
    )
    return _finding(
        rows,
        "sequence_decreasing",
        "error",
        _text("sequence_number {} follows {}", pl.col("sequence_number"), pl.col("previous")),
    )


def _message_clocks(indexed: pl.DataFrame) -> pl.DataFrame:
    """Consecutive rows sharing a sequence number (one message) must share both clocks."""
    sequence = indexed["sequence_number"].to_numpy()
    origin = indexed["origin_time"].to_physical().to_numpy()
    received = indexed["received_time"].to_physical().to_numpy()
    split = (sequence[1:] == sequence[:-1]) & (
        (origin[1:] != origin[:-1]) | (received[1:] != received[:-1])
    )
    rows = indexed[np.flatnonzero(split) + 1]
    return _finding(
        rows,
        "message_clocks",
        "error",
        _text(
            "rows of message {} carry different origin_time or received_time",
            pl.col("sequence_number"),
        ),
    )


def _snapshot_rows(indexed: pl.DataFrame) -> pl.DataFrame:
    """One info row per block of REST-snapshot rows (origin_time at epoch 0)."""
    is_snapshot = pl.col("origin_time").dt.epoch("ns") == 0
    block = (is_snapshot != is_snapshot.shift(1, fill_value=False)).cum_sum()
    blocks = (
        indexed.with_columns(block.alias("block"))
        .filter(is_snapshot)
        .group_by("block", maintain_order=True)
        .agg(pl.first("position", "origin_time", "sequence_number"), pl.len().alias("rows"))
    )
    return _finding(
        blocks,
        "snapshot_rows",
        "info",
        _text(
            "{} REST-snapshot rows (origin_time at epoch 0), lastUpdateId {}",
            pl.col("rows"),
            pl.col("sequence_number"),
        ),
    )


def _crossed(indexed: pl.DataFrame) -> pl.DataFrame:
    rows = indexed.filter(pl.col("bid_0_price") >= pl.col("ask_0_price"))
    return _finding(
        rows,
        "crossed_book",
        "warning",
        _text(
            "best bid {} >= best ask {}",
            pl.col("bid_0_price").cast(pl.String),
            pl.col("ask_0_price").cast(pl.String),
        ),
    )
