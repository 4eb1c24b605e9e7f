"""Replay inputs: Lake's delta rows or golden samples turned into one ordered list of book messages.

Both sources become a :class:`DayInput`: level rows (side, price, size in int64 units) grouped
into exchange messages in the order they are applied to the book, each message with its
``update_id`` (Binance ``u``), clocks and a ``reset`` flag (a snapshot replaces the book), plus
the day's trades.

- **Lake** (``lake/book_delta_v2``): consecutive rows sharing ``sequence_number``,
  ``received_time`` and ``origin_time`` form one message; rows with ``origin_time`` at epoch 0
  are a REST snapshot and reset the book (their ``origin_time`` becomes null: it is unknown).
- **Golden**: the Binance sync procedure through :class:`~rlx_lib.venues.binance.DepthSync`:
  diffs wait for a snapshot, stale diffs are dropped, a gap (``U > u_prev + 1``) is an issue and
  the book is rebuilt at the next snapshot. A ``_session`` disconnect also waits for a snapshot.

**Order of events (the tie-break).** Messages keep their application order; each gets an
``event_ns``, the running maximum of its ``received_time`` (a diff replayed from the buffer
after a snapshot is applied no earlier than the snapshot's receipt). A trade goes after every
message with ``event_ns <= `` its ``received_time``: on equal times depth comes first, trades
keep the order of ``(received_time, trade_id)``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from rlx_lib import catalog, schemas
from rlx_lib.decimals import SCALE, decimal_to_units
from rlx_lib.errors import DataRangeError, ParseError
from rlx_lib.golden import GoldenRecord, ReadReport, golden_files, iter_records
from rlx_lib.venues import binance, lake, market_of_symbol

__all__ = [
    "DayInput",
    "RowReader",
    "golden_input",
    "has_book_input",
    "input_files",
    "lake_input",
]

log = logging.getLogger(__name__)
NULL_TIME = np.iinfo(np.int64).min  # marks an unknown origin_time
_CLOCKS = ("received_time", "origin_time")
_STAGE = "reconstruction"  # the stage of its ISSUE rows


class RowReader:
    """Level rows ``(is_bid, price, size)`` of a day, read forward in slices.

    Held in memory for golden input; streamed from the Parquet row groups for Lake input, so
    memory stays bounded by one segment however long the day.
    """

    def __init__(
        self,
        arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
        *,
        files: list[Path] | None = None,
        batch_rows: int = 1 << 18,
    ) -> None:
        self._arrays = arrays
        self._files = files or []
        self._batch_rows = batch_rows
        self._batches = None
        self._buffer: list[np.ndarray] = [
            np.zeros(0, bool),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
        ]
        self._buffer_start = 0

    def _next_batch(self) -> bool:
        if self._batches is None:
            self._batches = (
                frame for path in self._files for frame in _level_batches(path, self._batch_rows)
            )
        frame = next(self._batches, None)
        if frame is None:
            return False
        columns = [frame[name].to_numpy() for name in ("side_is_bid", "price", "size")]
        self._buffer = [
            np.concatenate([old, new]) for old, new in zip(self._buffer, columns, strict=True)
        ]
        return True

    def rows(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows ``start:stop``; calls must move forward (``start`` never below a previous one)."""
        if self._arrays is not None:
            return tuple(column[start:stop] for column in self._arrays)  # type: ignore[return-value]
        if start < self._buffer_start:
            msg = f"rows are read forward only: asked for {start} after {self._buffer_start}"
            raise ValueError(msg)
        drop = start - self._buffer_start
        while len(self._buffer[0]) < stop - self._buffer_start and self._next_batch():
            pass
        self._buffer = [column[drop:] for column in self._buffer]
        self._buffer_start = start
        count = stop - start
        return tuple(column[:count] for column in self._buffer)  # type: ignore[return-value]


def _level_batches(path: Path, rows: int) -> Iterator[pl.DataFrame]:
    """``side_is_bid, price, size`` of a ``book_delta_v2`` file in batches, prices and sizes as
    int64 units read straight from the decimals' integers (nulls: False and 0)."""
    schema = pl.read_parquet_schema(path)
    for name in ("price", "size"):
        kind = schema.get(name)
        if not isinstance(kind, pl.Decimal) or kind.scale != SCALE or (kind.precision or 38) > 18:
            msg = f"{path}: {name} must be Decimal(18, {SCALE}), found {kind}"
            raise ParseError(msg)
    units = [pl.col(n).to_physical().cast(pl.Int64) for n in ("price", "size")]
    frame = (
        pl.scan_parquet(path)
        .filter(_level_fault().is_null())  # rows that cannot be book state are left out
        .select(pl.col("side_is_bid").fill_null(False), *units)
    )
    return frame.collect_batches(chunk_size=rows)


def _level_fault() -> pl.Expr:
    """Why a ``book_delta_v2`` row cannot be book state (a snapshot row lists a level)."""
    return lake.level_fault(listed=pl.col("origin_time").dt.epoch("ns") == 0)


@dataclass
class DayInput:
    """One symbol-day of book messages (in application order) and trades (by receipt).

    ``trade_*`` are the trades merged into ``events/`` (aggregates when there are any);
    ``single_trades`` the golden capture's ``@trade`` fills, keyed like them (empty: none).
    """

    reader: RowReader  # the level rows
    start: np.ndarray  # messages + 1: row offsets
    reset: np.ndarray  # bool per message: a snapshot
    update_id: np.ndarray
    first_update_id: np.ndarray  # U, or -1 when unknown
    origin_ns: np.ndarray  # NULL_TIME when unknown
    received_ns: np.ndarray
    trade_origin_ns: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    trade_received_ns: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    trade_id: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    trade_buy: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    trade_price: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    trade_size: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    single_trades: dict[str, np.ndarray] = field(default_factory=dict)  # golden @trade fills
    issues: list[dict] = field(default_factory=list)
    notes: dict = field(default_factory=dict)

    @property
    def messages(self) -> int:
        """Number of book messages."""
        return len(self.update_id)

    @property
    def event_ns(self) -> np.ndarray:
        """Running maximum of ``received_ns``: the time each message takes effect."""
        return np.maximum.accumulate(self.received_ns) if self.messages else self.received_ns


def input_files(root: Path, *, source: str, symbol: str, day: dt.date) -> list[Path]:
    """The input files of one symbol-day (for checksums and for reading)."""
    if source == "lake":
        found = []
        for table in ("book_delta_v2", "trades", "book"):
            folder = catalog.partition_dir(root, f"lake/{table}", symbol=symbol, day=day)
            found.extend(sorted(folder.glob("*.parquet")))
        return found
    folder = catalog.partition_dir(root, "golden", symbol=symbol, day=day)
    return golden_files([folder]) if folder.is_dir() else []


def has_book_input(root: Path, *, source: str, symbol: str, day: dt.date) -> bool:
    """Whether a symbol-day has what its book is rebuilt from: ``book_delta_v2`` or golden files."""
    if source == "lake":
        folder = catalog.partition_dir(root, "lake/book_delta_v2", symbol=symbol, day=day)
        return any(folder.glob("*.parquet"))
    return bool(input_files(root, source=source, symbol=symbol, day=day))


def _time_ns(series: pl.Series) -> np.ndarray:
    return series.dt.epoch("ns").fill_null(NULL_TIME).to_numpy().astype(np.int64, copy=False)


def _units(series: pl.Series) -> np.ndarray:
    return decimal_to_units(series.to_arrow())


def _read(root: Path, table: str, symbol: str, day: dt.date) -> pl.DataFrame | None:
    folder = catalog.partition_dir(root, f"lake/{table}", symbol=symbol, day=day)
    files = sorted(folder.glob("*.parquet"))
    if not files:
        return None
    return pl.concat([pl.read_parquet(path) for path in files], how="vertical")


def lake_trades(root: Path, symbol: str, day: dt.date) -> dict[str, np.ndarray]:
    """Lake aggregate trades of a day as arrays, sorted by (received_time, trade_id)."""
    frame = _read(root, "trades", symbol, day)
    if frame is None or frame.is_empty():
        return {}
    frame = frame.sort(["received_time", "trade_id"], maintain_order=True)
    return {
        "trade_origin_ns": _time_ns(frame["origin_time"]),
        "trade_received_ns": _time_ns(frame["received_time"]),
        "trade_id": frame["trade_id"].fill_null(-1).to_numpy().astype(np.int64),
        "trade_buy": (frame["side"] == "buy").to_numpy(),
        "trade_price": _units(frame["price"]),
        "trade_size": _units(frame["quantity"]),
    }


def lake_input(root: Path, *, symbol: str, day: dt.date, batch_rows: int = 1 << 18) -> DayInput:
    """Index the messages of ``lake/book_delta_v2`` (rows are streamed later) and read trades."""
    folder = catalog.partition_dir(root, "lake/book_delta_v2", symbol=symbol, day=day)
    files = sorted(folder.glob("*.parquet"))
    if not files:
        msg = f"no lake/book_delta_v2 data for {symbol} on {day}"
        raise FileNotFoundError(msg)
    first_rows, sequences, receiveds, origins = [], [], [], []
    previous = None
    offset = 0
    faults: list[dict] = []
    for path in files:
        batches = (
            pl.scan_parquet(path)
            .select(
                pl.col("sequence_number").fill_null(-1),
                *(pl.col(n).dt.epoch("ns").fill_null(NULL_TIME) for n in _CLOCKS),
                _level_fault().alias("fault"),
            )
            .collect_batches(chunk_size=batch_rows)
        )
        for batch in batches:
            sequence, received, origin = (
                batch[n].to_numpy() for n in ("sequence_number", *_CLOCKS)
            )
            good = batch["fault"].is_null().to_numpy()
            if not good.all():
                _note_faults(faults, batch.filter(pl.col("fault").is_not_null()), str(path))
            index = np.flatnonzero(_message_starts(sequence, received, origin, previous))
            if len(sequence):
                previous = (sequence[-1], received[-1], origin[-1])
            kept_before = np.cumsum(good) - good  # rows kept before each row
            first_rows.append(kept_before[index] + offset)
            sequences.append(sequence[index])
            receiveds.append(received[index])
            origins.append(origin[index])
            offset += int(good.sum())
    first = np.concatenate(first_rows) if first_rows else np.zeros(0, np.int64)
    message_origin = np.concatenate(origins) if origins else np.zeros(0, np.int64)
    reset = message_origin == 0
    day_input = DayInput(
        reader=RowReader(files=files, batch_rows=batch_rows),
        start=np.append(first, offset).astype(np.int64),
        reset=reset,
        update_id=np.concatenate(sequences) if sequences else np.zeros(0, np.int64),
        first_update_id=np.full(len(first), -1, dtype=np.int64),
        origin_ns=np.where(reset, NULL_TIME, message_origin),
        received_ns=np.concatenate(receiveds) if receiveds else np.zeros(0, np.int64),
        **lake_trades(root, symbol, day),
    )
    day_input.notes["snapshots"] = int(reset.sum())
    day_input.notes["bad_rows"] = sum(fault["count"] for fault in faults)
    day_input.issues = [_fault_issue(fault, symbol) for fault in faults]
    return day_input


def _message_starts(
    sequence: np.ndarray, received: np.ndarray, origin: np.ndarray, previous: tuple | None
) -> np.ndarray:
    """True on the first row of each message (its id or clocks differ from the row before)."""
    boundary = np.ones(len(sequence), dtype=bool)
    boundary[1:] = (
        (sequence[1:] != sequence[:-1])
        | (received[1:] != received[:-1])
        | (origin[1:] != origin[:-1])
    )
    if previous is not None and len(sequence):
        boundary[0] = (sequence[0], received[0], origin[0]) != previous
    return boundary


def _fault_issue(fault: dict, symbol: str) -> dict:
    """The issue row of the rows left out of the book for one reason."""
    detail = (
        f"{fault['count']} book_delta_v2 row(s): {fault['fault']} (first at "
        f"sequence_number {fault['update_id']}); left out of the book"
    )
    return schemas.issue_row(
        _STAGE, "bad_value", "error", symbol, detail, source=fault["source"],
        update_id=fault["update_id"],
    )  # fmt: skip


def _note_faults(faults: list[dict], bad: pl.DataFrame, source: str) -> None:
    """Count rows left out of the book by reason (the first row of each reason kept)."""
    for (fault,), rows in bad.group_by("fault", maintain_order=True):
        known = next((f for f in faults if f["fault"] == fault and f["source"] == source), None)
        if known is None:
            update_id = int(rows["sequence_number"][0])
            faults.append({"fault": fault, "source": source, "update_id": update_id, "count": 0})
            known = faults[-1]
        known["count"] += rows.height


def lake_book_seed(root: Path, *, symbol: str, day: dt.date) -> tuple[int, dict] | None:
    """Lake's first ``book`` snapshot of a day as ``(update_id, levels)``, or None."""
    folder = catalog.partition_dir(root, "lake/book", symbol=symbol, day=day)
    files = sorted(folder.glob("*.parquet"))
    if not files:
        return None
    row = pl.scan_parquet(files).head(1).collect()
    if row.is_empty():
        return None
    levels: dict[str, list[tuple[int, int]]] = {"bids": [], "asks": []}
    for side, name in (("bid", "bids"), ("ask", "asks")):
        for level in range(20):
            price, size = row[f"{side}_{level}_price"], row[f"{side}_{level}_size"]
            if price.null_count() or size.null_count():
                continue
            level = (int(_units(price)[0]), int(_units(size)[0]))
            if min(level) > 0:  # a level that is there has a positive price and size
                levels[name].append(level)
    return int(row["sequence_number"][0]), levels


@dataclass
class _Builder:
    """Accumulates messages in application order."""

    rows_bid: list[np.ndarray] = field(default_factory=list)
    rows_price: list[np.ndarray] = field(default_factory=list)
    rows_size: list[np.ndarray] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    reset: list[bool] = field(default_factory=list)
    update_id: list[int] = field(default_factory=list)
    first_update_id: list[int] = field(default_factory=list)
    origin_ns: list[int] = field(default_factory=list)
    received_ns: list[int] = field(default_factory=list)

    def add(self, item: tuple, *, reset: bool) -> None:
        capture_ns, origin_ns, first, final, levels = item
        self.rows_bid.append(np.array([lv[0] for lv in levels], dtype=bool))
        self.rows_price.append(np.array([lv[1] for lv in levels], dtype=np.int64))
        self.rows_size.append(np.array([lv[2] for lv in levels], dtype=np.int64))
        self.counts.append(len(levels))
        self.reset.append(reset)
        self.update_id.append(final)
        self.first_update_id.append(first)
        self.origin_ns.append(origin_ns)
        self.received_ns.append(capture_ns)

    def build(self) -> DayInput:
        def join(parts: list[np.ndarray], kind: type) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=kind)

        rows = (
            join(self.rows_bid, bool),
            join(self.rows_price, np.int64),
            join(self.rows_size, np.int64),
        )
        return DayInput(
            reader=RowReader(rows),
            start=np.concatenate([[0], np.cumsum(self.counts, dtype=np.int64)]).astype(np.int64),
            reset=np.array(self.reset, dtype=bool),
            update_id=np.array(self.update_id, dtype=np.int64),
            first_update_id=np.array(self.first_update_id, dtype=np.int64),
            origin_ns=np.array(self.origin_ns, dtype=np.int64),
            received_ns=np.array(self.received_ns, dtype=np.int64),
        )


_REPLAYED = frozenset({"session", "snapshot", "depth", "trade", "agg_trade"})


@dataclass
class _GoldenDay:
    """The sync rules applied to one symbol-day of golden records, record by record."""

    symbol: str
    market: Any
    sync: binance.DepthSync[tuple]
    builder: _Builder = field(default_factory=_Builder)
    trades: dict[str, list] = field(default_factory=lambda: {"trade": [], "agg_trade": []})
    issues: list[dict] = field(default_factory=list)
    notes: dict = field(
        default_factory=lambda: {
            "stale": 0,
            "gaps": 0,
            "snapshots": 0,
            "malformed": 0,
            "buffered_at_end": 0,
        }
    )

    def add(self, record: GoldenRecord, source: str, line: int) -> None:
        """Apply one record; a message that cannot be parsed is an issue row and a resync."""
        kind = self.market.classify(record.stream)
        if kind not in _REPLAYED:
            return
        try:
            kind, parsed = self.market.parse(record.stream, record.data)
            if kind == "session":
                event = binance.decode(record.data).get("event")
                if event in ("disconnected", "resync") and self.sync.synced:
                    self.sync.reset()
            elif kind == "snapshot":
                levels = list(binance.iter_levels(parsed))
                item = (record.capture_ns, NULL_TIME, -1, parsed.last_update_id, levels)
                self.builder.add(item, reset=True)
                self.notes["snapshots"] += 1
                self._steps(self.sync.snapshot(parsed.last_update_id), source, line)
            elif kind == "depth":
                self._depth(record, parsed, source, line)
            elif kind in self.trades:
                self.trades[kind].append((record.capture_ns, parsed))
        except (ParseError, DataRangeError) as error:
            self._malformed(record, kind, error, source, line)

    def _depth(self, record: GoldenRecord, parsed: Any, source: str, line: int) -> None:
        item = (
            record.capture_ns,
            parsed.event_time * 1_000_000,
            parsed.first_update_id,
            parsed.final_update_id,
            list(binance.iter_levels(parsed)),
        )
        steps = self.sync.diff(
            parsed.first_update_id,
            parsed.final_update_id,
            item,
            parsed.previous_final_update_id,
        )
        self._steps(steps, source, line)

    def _malformed(
        self, record: GoldenRecord, kind: str, error: Exception, source: str, line: int
    ) -> None:
        """As validation does: an issue row; a diff that cannot be applied is also a resync."""
        self.notes["malformed"] += 1
        detail = f"{record.stream}: {error}; message skipped"
        if kind == "depth":
            detail += "; the book waits for a new snapshot"
            if self.sync.synced:
                self.sync.reset()
        self.issues.append(
            schemas.issue_row(
                _STAGE, "bad_message", "error", self.symbol, detail, source=source, position=line
            )
        )

    def _steps(self, steps: list, source: str, line: int) -> None:
        for step in steps:
            if step.verdict is binance.SyncVerdict.APPLY:
                self.builder.add(step.item, reset=False)
            elif step.verdict is binance.SyncVerdict.STALE:
                self.notes["stale"] += 1
            elif step.verdict is binance.SyncVerdict.GAP:
                self.notes["gaps"] += 1
                self.issues.append(
                    schemas.issue_row(
                        _STAGE,
                        "depth_gap",
                        "warning",
                        self.symbol,
                        f"expected U={step.expected_first}, received "
                        f"U={step.first_update_id}; the book waits for a new snapshot",
                        source=source,
                        position=line,
                        origin_time=step.item[1],
                        update_id=step.final_update_id,
                    )
                )

    def file_findings(self, report: ReadReport) -> None:
        """Issue rows for what the file itself says is wrong (cut short, damaged, empty)."""
        for check, severity, line, detail in report.findings():
            self.issues.append(
                schemas.issue_row(
                    _STAGE, check, severity, self.symbol, detail, source=report.path, position=line
                )
            )
        if report.bad_lines:
            line, why = report.bad_lines[0]
            detail = f"{len(report.bad_lines)} unreadable line(s), the first: {why}"
            self.issues.append(
                schemas.issue_row(
                    _STAGE,
                    "bad_line",
                    "error",
                    self.symbol,
                    detail,
                    source=report.path,
                    position=line,
                )
            )


def golden_input(
    root: Path, *, symbol: str, day: dt.date, synced_update_id: int | None = None
) -> DayInput:
    """Parse a symbol-day of golden samples and run the Binance sync rules over it.

    ``synced_update_id`` is the id of a book carried over from the previous day (None: wait
    for a snapshot). Trades come from ``@aggTrade`` when the capture holds it, else ``@trade``;
    ``single_trades`` holds the ``@trade`` fills whenever there are any (the arrays of the
    trades, keyed alike), else it is empty.
    """
    market = market_of_symbol(symbol)
    state = _GoldenDay(symbol, market, market.depth_sync())
    if synced_update_id is not None:
        state.sync.resume(synced_update_id)
    for path in input_files(root, source="golden", symbol=symbol, day=day):
        report = ReadReport(str(path))
        for record in iter_records(path, report):
            state.add(record, str(path), report.lines)
        state.file_findings(report)
    state.notes["synced_update_id_at_end"] = state.sync.update_id
    return replace(
        state.builder.build(),
        **_trade_arrays(state.trades["agg_trade"] or state.trades["trade"]),
        single_trades=_trade_arrays(state.trades["trade"]) if state.trades["trade"] else {},
        issues=state.issues,
        notes=state.notes,
    )


def _trade_arrays(trades: list[tuple[int, Any]]) -> dict[str, np.ndarray]:
    """Trades ``(capture_ns, parsed)`` as :class:`DayInput`'s trade arrays, sorted by
    (receipt, trade id)."""
    trades = sorted(trades, key=lambda pair: (pair[0], _trade_id(pair[1])))
    return {
        "trade_received_ns": np.array([c for c, _ in trades], dtype=np.int64),
        "trade_origin_ns": np.array([t.trade_time * 1_000_000 for _, t in trades], np.int64),
        "trade_id": np.array([_trade_id(t) for _, t in trades], dtype=np.int64),
        "trade_buy": np.array([not t.buyer_is_maker for _, t in trades], dtype=bool),
        "trade_price": np.array([t.price for _, t in trades], dtype=np.int64),
        "trade_size": np.array([t.quantity for _, t in trades], dtype=np.int64),
    }


def _trade_id(trade: binance.Trade | binance.AggTrade) -> int:
    return trade.agg_id if isinstance(trade, binance.AggTrade) else trade.trade_id
