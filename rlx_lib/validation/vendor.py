"""Checks over vendor (Crypto Lake) tables under ``lake/``: every finding an ``ISSUE`` row.

- ``book_delta_v2``: ``sequence_number`` (Binance ``u``) never decreases from message to
  message; duplicated rows; REST snapshot rows (``origin_time`` at epoch 0);
- every table: ``origin_time`` float artefacts (not a whole millisecond, Lake's float seconds),
  off-grid values (more decimals than the column's grid), days with no data;
- ``book``: crossed snapshots (best bid at or above best ask);
- ``trades``: aggregate trade ids contiguous, never repeated or decreasing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from rlx_lib import schemas
from rlx_lib.catalog import binance_symbol, day_range, partition_dir, validate_symbol
from rlx_lib.decimals import decimal_to_units, format_units
from rlx_lib.schemas import LAKE_TABLES
from rlx_lib.validation.state import STAGE
from rlx_lib.venues.lake import level_fault

__all__ = ["grid_decimals", "validate_lake"]

TABLES = ("book_delta_v2", "book", "trades")
_MS = 1_000_000


def _files(root: Path, table: str, symbol: str, day: dt.date) -> list[Path]:
    folder = partition_dir(root, f"lake/{table}", exchange="BINANCE", symbol=symbol, day=day)
    return sorted(folder.glob("*.parquet")) if folder.is_dir() else []


def _required(table: str) -> list[str]:
    """Columns the checks read: the table's schema, of the book's levels only the best."""
    return [
        name
        for name in LAKE_TABLES[table]
        if not name.startswith(("bid_", "ask_")) or name.split("_")[1] == "0"
    ]


def _read(path: Path, table: str, out: _Collector) -> pl.DataFrame:
    """A lake file; one that is not readable Parquet or lacks a column the checks read is an
    ``unreadable_file`` issue row (and an empty frame), not a traceback."""
    try:
        frame = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as error:  # empty, garbage, truncated
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        out.add("unreadable_file", "error", f"{path} is not readable Parquet: {reason}")
        return pl.DataFrame()
    missing = [name for name in _required(table) if name not in frame.columns]
    if missing:
        out.add("unreadable_file", "error", f"{path} lacks columns: {', '.join(missing)}")
        return pl.DataFrame()
    return frame


def decimals_used(units: np.ndarray) -> np.ndarray:
    """Decimals each value needs (``61837.63`` -> 2), from int64 units of 1e-8."""
    used = np.full(units.shape, 8, dtype=np.int8)
    remaining = units.copy()
    for _ in range(8):
        whole = remaining % 10 == 0
        used[whole] -= 1
        remaining = np.where(whole, remaining // 10, remaining)
        if not whole.any():
            break
    used[units == 0] = 0
    return used


def grid_decimals(units: np.ndarray, *, share: float = 0.99) -> int:
    """The column's grid: the fewest decimals that cover ``share`` of the values."""
    if not len(units):
        return 8
    counts = np.bincount(decimals_used(units), minlength=9)
    covered = np.cumsum(counts) / len(units)
    return int(np.argmax(covered >= share))


def _units(frame: pl.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    series = frame[column]
    valid = series.is_not_null().to_numpy()
    return decimal_to_units(series.to_arrow()), valid


class _Collector:
    """One vendor symbol's issue rows (capped per check) and exact counts per check."""

    def __init__(self, symbol: str, max_rows: int) -> None:
        self.symbol = symbol
        self.max_rows = max_rows
        self.rows: list[dict[str, Any]] = []
        self.counts: dict[str, int] = {}

    def add(
        self,
        check: str,
        severity: str,
        detail: str,
        count: int = 1,
        *,
        source: str | None = None,
        position: int | None = None,
        update_id: int | None = None,
        origin_ms: int | None = None,
    ) -> None:
        """Count ``count`` findings of ``check``; keep a row for the first ``max_rows``."""
        self.counts[check] = self.counts.get(check, 0) + count
        if sum(1 for row in self.rows if row["check"] == check) < self.max_rows:
            self.rows.append(
                schemas.issue_row(
                    STAGE, check, severity, self.symbol, detail, source=source,
                    position=position, update_id=update_id,
                    origin_time=None if origin_ms is None else origin_ms * 1_000_000,
                )
            )  # fmt: skip


def _off_grid(
    frame: pl.DataFrame,
    columns: list[str],
    source: str,
    out: _Collector,
    rows: np.ndarray | None = None,
) -> None:
    for column in columns:
        units, valid = _units(frame, column)
        if rows is not None:
            valid &= rows
        units = np.where(valid, units, 0)
        grid = grid_decimals(units[valid])
        bad = np.flatnonzero(decimals_used(units) > grid)
        for row in bad[: out.max_rows]:
            out.add(
                "off_grid",
                "error",
                f"{column} {format_units(int(units[row]))} has more decimals than the column's "
                f"grid of {grid}",
                source=source,
                position=int(row),
            )
        if len(bad) > out.max_rows:
            out.counts["off_grid"] += len(bad) - out.max_rows


def _times(frame: pl.DataFrame, table: str, source: str, out: _Collector) -> None:
    origin = frame["origin_time"].dt.epoch("ns").to_numpy()
    snapshot = origin == 0
    artefacts = np.flatnonzero((origin % _MS != 0) & ~snapshot)
    if len(artefacts):
        first = int(artefacts[0])
        out.add(
            "origin_time_float_artefact",
            "info",
            f"{len(artefacts)} {table} rows have origin_time off the whole millisecond "
            f"(float seconds), e.g. {origin[first]} ns; round to the ms before matching E",
            count=len(artefacts),
            source=source,
            position=first,
            origin_ms=round(int(origin[first]) / _MS),
        )
    if table == "book_delta_v2" and snapshot.any():
        out.add(
            "snapshot_rows",
            "info",
            f"{int(snapshot.sum())} REST snapshot rows (origin_time at epoch 0)",
            count=int(snapshot.sum()),
            source=source,
            position=int(np.argmax(snapshot)),
        )


def _sequence_regressions(
    sequence: np.ndarray,
    source: str,
    out: _Collector,
    *,
    origin: np.ndarray | None = None,
    table: str = "",
) -> None:
    """One issue row per row whose ``sequence_number`` is below the row before it."""
    for row in np.flatnonzero(np.diff(sequence) < 0) + 1:
        out.add(
            "sequence_regression",
            "error",
            f"{table}sequence_number {sequence[row]} after {sequence[row - 1]}",
            source=source,
            position=int(row),
            update_id=int(sequence[row]),
            origin_ms=None if origin is None else round(int(origin[row]) / _MS),
        )


def _level_pairs(table: str) -> list[tuple[str, str, pl.Expr | bool]]:
    """``(price, size, listed)`` column pairs of a table that must hold a valid level."""
    if table == "book_delta_v2":
        return [("price", "size", pl.col("origin_time").dt.epoch("ns") == 0)]
    if table == "trades":
        return [("price", "quantity", True)]
    return [
        (f"{side}_{level}_price", f"{side}_{level}_size", True)
        for side in ("bid", "ask")
        for level in range(schemas.LAKE_BOOK_DEPTH)
    ]


def _bad_values(frame: pl.DataFrame, table: str, source: str, out: _Collector) -> None:
    """One issue row per row holding a value that can be neither book state nor a trade."""
    faults = [
        level_fault(price, size, listed=listed)
        if table != "book"  # in a book row an absent level (both null) is fine
        else pl.when(pl.col(price).is_null() & pl.col(size).is_null())
        .then(None)
        .otherwise(level_fault(price, size, listed=listed))
        for price, size, listed in _level_pairs(table)
    ]
    key = "trade_id" if table == "trades" else "sequence_number"
    found = frame.select(pl.coalesce(faults).alias("fault"), pl.col(key))
    rows = np.flatnonzero(found["fault"].is_not_null().to_numpy())
    for row in rows[: out.max_rows].tolist():
        out.add(
            "bad_value",
            "error",
            f"{table}: {found['fault'][row]} ({key} {found[key][row]}); never book state",
            source=source,
            position=row,
        )
    if len(rows) > out.max_rows:
        out.counts["bad_value"] += len(rows) - out.max_rows


def _deltas(frame: pl.DataFrame, source: str, out: _Collector) -> int:
    sequence = frame["sequence_number"].to_numpy()
    origin = frame["origin_time"].dt.epoch("ns").to_numpy()
    starts = (
        np.flatnonzero(np.diff(sequence, prepend=sequence[:1] - 1) != 0) if len(sequence) else []
    )
    _sequence_regressions(sequence, source, out, origin=origin)
    duplicated = frame.select("sequence_number", "side_is_bid", "price").is_duplicated().to_numpy()
    duplicated &= origin != 0
    rows = np.flatnonzero(duplicated)
    if len(rows):
        out.add(
            "duplicate_rows",
            "warning",
            f"{len(rows)} rows repeat a (sequence_number, side, price) of their message",
            count=len(rows),
            source=source,
            position=int(rows[0]),
            update_id=int(sequence[rows[0]]),
        )
    return len(starts)


def _book(frame: pl.DataFrame, source: str, out: _Collector) -> None:
    bid, bid_valid = _units(frame, "bid_0_price")
    ask, ask_valid = _units(frame, "ask_0_price")
    crossed = np.flatnonzero(bid_valid & ask_valid & (bid >= ask))
    sequence = frame["sequence_number"].to_numpy()
    for row in crossed:
        out.add(
            "crossed_book",
            "error",
            f"book snapshot bid_0 {format_units(int(bid[row]))} >= "
            f"ask_0 {format_units(int(ask[row]))}",
            source=source,
            position=int(row),
            update_id=int(sequence[row]),
        )
    _sequence_regressions(sequence, source, out, table="book ")


def _trades(frame: pl.DataFrame, source: str, out: _Collector, previous: int | None) -> int | None:
    ids = frame["trade_id"].to_numpy()
    if not len(ids):
        return previous
    chain = np.concatenate([[previous], ids]) if previous is not None else ids
    offset = 1 if previous is not None else 0
    step = np.diff(chain)
    origin = frame["origin_time"].dt.epoch("ns").to_numpy()
    for index in np.flatnonzero(step != 1):
        row = int(index + 1 - offset)
        if step[index] > 1:
            check, severity = "trade_id_gap", "error"
            detail = f"aggregate trade ids {chain[index] + 1}..{chain[index + 1] - 1} missing"
        elif step[index] == 0:
            check, severity, detail = (
                "duplicate",
                "warning",
                f"trade id {chain[index + 1]} repeated",
            )
        else:
            check, severity = "out_of_order", "warning"
            detail = f"trade id {chain[index + 1]} after {chain[index]}"
        out.add(
            check,
            severity,
            detail,
            source=source,
            position=row,
            origin_ms=round(int(origin[row]) / _MS),
            update_id=int(chain[index + 1]),
        )
    return int(ids[-1])


def validate_lake(
    root: Path,
    symbols: list[str],
    start: str | dt.date,
    end: str | dt.date,
    *,
    max_rows: int = 1000,
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Check the ``lake/`` tables of ``symbols`` over ``[start, end)``.

    Returns ``(summaries, issue_rows)``; summaries are keyed by Binance symbol (``BTCUSDT``).
    """
    summaries: dict[str, dict[str, Any]] = {}
    issues: list[dict[str, Any]] = []
    for name in symbols:
        symbol = validate_symbol(name)
        out = _Collector(binance_symbol(symbol).upper(), max_rows)
        tally = _Tally()
        for day in day_range(start, end):
            for table in TABLES:
                _check_day(root, table, symbol, day, out, tally)
        summaries[out.symbol] = _summary(out, tally)
        issues.extend(out.rows)
    return summaries, issues


@dataclass
class _Tally:
    """What one symbol's checks counted besides issue rows."""

    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    messages: int = 0
    empty_days: list[str] = field(default_factory=list)
    last_trade: int | None = None  # the trade id chain runs across files and days


def _check_day(
    root: Path, table: str, symbol: str, day: dt.date, out: _Collector, tally: _Tally
) -> None:
    """The checks of one table's files of one day."""
    frames = [(str(path), _read(path, table, out)) for path in _files(root, table, symbol, day)]
    day_rows = sum(frame.height for _, frame in frames)
    if not day_rows:
        tally.empty_days.append(f"{day} {table}")
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        out.add(
            "no_data",
            "warning",
            f"no {table} rows for {symbol} on {day}",
            origin_ms=int(midnight.timestamp() * 1000),
        )
    tally.rows[table] += day_rows
    for source, frame in frames:
        if frame.height:
            _check_frame(frame, table, source, out, tally)


def _check_frame(
    frame: pl.DataFrame, table: str, source: str, out: _Collector, tally: _Tally
) -> None:
    """The checks of one file of ``table``."""
    _times(frame, table, source, out)
    _bad_values(frame, table, source, out)
    if table == "book_delta_v2":
        tally.messages += _deltas(frame, source, out)
        live = (frame["size"] > 0).to_numpy()
        _off_grid(frame, ["price", "size"], source, out, live)
    elif table == "book":
        _book(frame, source, out)
        _off_grid(frame, ["bid_0_price", "ask_0_price"], source, out)
    else:
        tally.last_trade = _trades(frame, source, out, tally.last_trade)
        _off_grid(frame, ["price", "quantity"], source, out)


def _summary(out: _Collector, tally: _Tally) -> dict[str, Any]:
    """The ``validation.json`` entry of one vendor symbol."""
    counts = out.counts
    return {
        "rows": tally.rows,
        "delta_messages": tally.messages,
        "sequence_regressions": counts.get("sequence_regression", 0),
        "duplicate_rows": counts.get("duplicate_rows", 0),
        "snapshot_rows": counts.get("snapshot_rows", 0),
        "origin_time_float_artefacts": counts.get("origin_time_float_artefact", 0),
        "off_grid_values": counts.get("off_grid", 0),
        "crossed_books": counts.get("crossed_book", 0),
        "bad_values": counts.get("bad_value", 0),
        "trade_id_gaps": counts.get("trade_id_gap", 0),
        "trade_duplicates": counts.get("duplicate", 0),
        "trade_out_of_order": counts.get("out_of_order", 0),
        "unreadable_files": counts.get("unreadable_file", 0),
        "days_without_data": tally.empty_days,
    }
