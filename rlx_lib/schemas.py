"""The data contract: every dataset rlx writes, defined once.

Prices and sizes are ``Decimal(18, 8)`` (int64-backed; see :mod:`rlx_lib.decimals`). Every
market row carries two clocks: ``origin_time`` (exchange time) and ``received_time`` (vendor
receipt or our capture time), both ``Datetime(ns, UTC)``. Partition keys (``exchange``,
``symbol``, ``dt``) live in the hive path, not inside the files.
"""

from __future__ import annotations

import polars as pl

from rlx_lib.errors import SchemaError

__all__ = [
    "BOOK_STATE",
    "COVERAGE",
    "DECIMAL",
    "DRIFT",
    "EVENTS",
    "EVENT_KINDS",
    "FIDELITY_RESULT",
    "GOLDEN_RECORD",
    "ISSUE",
    "ISSUE_SEVERITIES",
    "LAKE_BOOK",
    "LAKE_BOOK_DELTA_V2",
    "LAKE_COVERAGE",
    "LAKE_TABLES",
    "LAKE_TRADES",
    "PATTERN",
    "PATTERN_KINDS",
    "SCHEMAS",
    "SOURCES",
    "TIME",
    "TRADES",
    "book_levels_schema",
    "book_state_schema",
    "check_schema",
    "empty_frame",
    "issue_frame",
    "issue_row",
]

DECIMAL = pl.Decimal(18, 8)
TIME = pl.Datetime("ns", "UTC")
LAKE_BOOK_DEPTH = 20


def book_levels_schema(depth: int) -> pl.Schema:
    """Wide level columns ``bid_0_price, bid_0_size, ..., ask_{depth-1}_size`` (Lake's order)."""
    columns: dict[str, pl.DataType] = {}
    for side in ("bid", "ask"):
        for level in range(depth):
            columns[f"{side}_{level}_price"] = DECIMAL
            columns[f"{side}_{level}_size"] = DECIMAL
    return pl.Schema(columns)


LAKE_TRADES = pl.Schema(
    {
        "origin_time": TIME,  # Binance aggTrade T
        "received_time": TIME,  # vendor receipt
        "side": pl.String,  # taker side: "buy" | "sell"
        "quantity": DECIMAL,
        "price": DECIMAL,
        "trade_id": pl.Int64,  # aggregate trade id (Binance aggTrade a)
    }
)
"""Crypto Lake ``trades``: aggregate trades, one row per taker order and price."""

LAKE_BOOK_DELTA_V2 = pl.Schema(
    {
        "origin_time": TIME,  # depthUpdate E via float seconds; epoch 0 on REST snapshot rows
        "received_time": TIME,
        "sequence_number": pl.Int64,  # depthUpdate u, or lastUpdateId on snapshot rows
        "side_is_bid": pl.Boolean,
        "price": DECIMAL,
        "size": DECIMAL,  # absolute new size; 0 removes the level
    }
)
"""Crypto Lake ``book_delta_v2``: one row per changed level, rows of a message share clocks."""

LAKE_BOOK = pl.Schema(
    {
        "origin_time": TIME,
        "received_time": TIME,
        "sequence_number": pl.Int64,
        **book_levels_schema(LAKE_BOOK_DEPTH),
    }
)
"""Crypto Lake ``book``: 20-level snapshots about every 100 ms; missing levels are null."""

LAKE_TABLES: dict[str, pl.Schema] = {
    "trades": LAKE_TRADES,
    "book": LAKE_BOOK,
    "book_delta_v2": LAKE_BOOK_DELTA_V2,
}

GOLDEN_RECORD = pl.Schema(
    {
        "capture_ns": pl.Int64,  # time.time_ns() at receipt
        "stream": pl.String,  # e.g. "btcusdt@depth@100ms", "_session"
        "data": pl.String,  # the exchange's raw text, byte for byte
    }
)
"""One line of a golden sample file (JSON lines, zstd)."""

EVENT_KINDS = ("snapshot", "delta", "trade")
SOURCES = ("lake", "golden")
"""Where a reconstruction came from; both live in one partition as ``part-<source>.parquet``."""

EVENTS = pl.Schema(
    {
        "source": pl.Enum(SOURCES),
        "origin_time": TIME,
        "received_time": TIME,
        "sequence": pl.Int64,  # position in the partition's chronological order
        "kind": pl.Enum(EVENT_KINDS),
        "update_id": pl.Int64,  # depth: message u (snapshot: lastUpdateId); trade: null
        "first_update_id": pl.Int64,  # depth: message U when known; else null
        "trade_id": pl.Int64,  # trade: (aggregate) trade id; else null
        "side_is_bid": pl.Boolean,  # level side; for trades: True when the taker bought
        "price": DECIMAL,
        "size": DECIMAL,  # level: absolute new size (0 removes); trade: quantity
    }
)
"""The unified chronological stream: one row per level change or trade."""

TRADES = pl.Schema(
    {
        "source": pl.Enum(SOURCES),
        "origin_time": TIME,  # Binance trade T
        "received_time": TIME,  # capture time
        "trade_id": pl.Int64,  # Binance trade t
        "side_is_bid": pl.Boolean,  # True when the taker bought
        "price": DECIMAL,
        "size": DECIMAL,
    }
)
"""A live capture's single fills (``@trade``), one row each, by (``received_time``, ``trade_id``).

Written by golden reconstruction whenever the capture holds ``@trade`` messages, beside
``events/`` (which keeps the capture's ``@aggTrade`` rows when it recorded both streams)."""

BOOK_STATE_KEYS = pl.Schema(
    {
        "source": pl.Enum(SOURCES),
        "origin_time": TIME,
        "received_time": TIME,
        "update_id": pl.Int64,  # Binance u after which the state holds
    }
)


def book_state_schema(depth: int = 20) -> pl.Schema:
    """``BOOK_STATE`` for a given depth: source, clocks, ``update_id``, then wide levels."""
    return pl.Schema({**BOOK_STATE_KEYS, **book_levels_schema(depth)})


BOOK_STATE = book_state_schema(20)
"""Book after each exchange message (or sampled), top 20 levels."""

DRIFT = pl.Schema(
    {
        "source": pl.Enum(SOURCES),
        "origin_time": TIME,
        "received_time": TIME,
        "update_id": pl.Int64,  # the vendor book row's sequence_number
        "levels_differ": pl.Int32,  # of the 2 x depth slots, how many differ in price or size
        "size_error": DECIMAL,  # sum of |size difference| over slots with equal prices
    }
)
"""Drift of the rebuilt book against the vendor's own ``book`` snapshot at the same id."""

ISSUE_SEVERITIES = ("info", "warning", "error")

ISSUE = pl.Schema(
    {
        "stage": pl.String,  # who found it: acquisition, validation, reconstruction, ...
        "check": pl.String,  # e.g. depth_gap, trade_id_gap, crossed_book, off_grid
        "severity": pl.Enum(ISSUE_SEVERITIES),
        "symbol": pl.String,
        "source": pl.String,  # file or dataset where it was found
        "position": pl.Int64,  # line or row number in the source, when known
        "origin_time": TIME,
        "update_id": pl.Int64,
        "detail": pl.String,  # human-readable: what was expected and what was seen
    }
)
"""A data-quality finding. Bad data is data: it becomes a row, not an exception."""


def issue_row(
    stage: str,
    check: str,
    severity: str,
    symbol: str,
    detail: str,
    *,
    source: str | None = None,
    position: int | None = None,
    origin_time: int | None = None,
    update_id: int | None = None,
) -> dict[str, object]:
    """One ``ISSUE`` row as a dict (``origin_time`` in ns since the epoch, UTC)."""
    return {
        "stage": stage,
        "check": check,
        "severity": severity,
        "symbol": symbol,
        "source": source,
        "position": position,
        "origin_time": origin_time,
        "update_id": update_id,
        "detail": detail,
    }


def issue_frame(found: pl.DataFrame, **constants: object) -> pl.DataFrame:
    """``ISSUE`` rows from a frame of findings: the ``ISSUE`` columns ``found`` has, the
    others from ``constants`` (one value for every row: ``stage``, ``symbol``, ...) or null."""
    unknown = sorted(set(constants) - set(ISSUE))
    if unknown:
        msg = f"{unknown} are not ISSUE columns"
        raise SchemaError(msg)
    columns = [
        (pl.col(name) if name in found.columns else pl.lit(constants.get(name))).alias(name)
        for name in ISSUE
    ]
    return found.select(columns).cast(dict(ISSUE))


FIDELITY_RESULT = pl.Schema(
    {
        "run_id": pl.String,
        "symbol": pl.String,
        "period": pl.Int32,  # resync period index; null for the whole run
        "metric": pl.String,
        "value": pl.Float64,
        "unit": pl.String,
        "n": pl.Int64,  # sample size behind the value
        "passed": pl.Boolean,  # null when the metric has no threshold
        "detail": pl.String,  # JSON: effect sizes, p-values, per-side figures
    }
)
"""One metric result of a fidelity run."""

PATTERN_KINDS = ("spoofing", "layering", "momentum_ignition")

PATTERN = pl.Schema(
    {
        "kind": pl.Enum(PATTERN_KINDS),
        "symbol": pl.String,
        "source": pl.Enum(SOURCES),
        "side": pl.String,  # book side "bid" | "ask"; momentum ignition: taker "buy" | "sell"
        "start_time": TIME,  # exchange time of the first order of the pattern
        "end_time": TIME,  # exchange time of its last cancel (ignition: the reversal)
        "detail": pl.String,  # JSON: sizes, prices, distances, the thresholds met
    }
)
"""One adversarial-pattern detection in the ``events/`` of one source."""

COVERAGE = pl.Schema(
    {
        "dataset": pl.String,
        "exchange": pl.String,
        "symbol": pl.String,
        "dt": pl.Date,
        "files": pl.Int64,
        "rows": pl.Int64,
        "bytes": pl.Int64,
    }
)
"""What a data root holds: files, rows and bytes per dataset and partition (read, not written)."""

LAKE_COVERAGE = pl.Schema(
    {
        "table": pl.String,
        "exchange": pl.String,
        "symbol": pl.String,
        "dt": pl.Date,
        "files": pl.Int64,
        "rows": pl.Int64,
        "bytes": pl.Int64,
        "issues": pl.Int64,  # issue rows the acquisition manifest records
        "verified": pl.Boolean,  # the partition has an acquisition manifest entry
    }
)
"""What ``lake/`` holds per table and partition, with what acquisition found (read, not written)."""

SCHEMAS: dict[str, pl.Schema] = {
    "lake/trades": LAKE_TRADES,
    "lake/book": LAKE_BOOK,
    "lake/book_delta_v2": LAKE_BOOK_DELTA_V2,
    "events": EVENTS,
    "trades": TRADES,
    "book": BOOK_STATE,
    "drift": DRIFT,
    "issues": ISSUE,
    "fidelity": FIDELITY_RESULT,
    "patterns": PATTERN,
}
"""Every Parquet dataset under the data root, by its path relative to the root."""


def empty_frame(name: str | pl.Schema) -> pl.DataFrame:
    """An empty frame of the dataset ``name`` (a key of :data:`SCHEMAS`) or of a schema here."""
    return pl.DataFrame(schema=SCHEMAS[name] if isinstance(name, str) else name)


def check_schema(frame: pl.DataFrame | pl.LazyFrame, expected: pl.Schema, *, name: str) -> None:
    """Raise :class:`SchemaError` unless ``frame`` has exactly the expected columns and types."""
    actual = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
    if dict(actual) == dict(expected):
        return
    missing = [c for c in expected if c not in actual]
    extra = [c for c in actual if c not in expected]
    wrong = [
        f"{c}: expected {expected[c]}, received {actual[c]}"
        for c in expected
        if c in actual and actual[c] != expected[c]
    ]
    parts = []
    if missing:
        parts.append(f"missing columns {missing}")
    if extra:
        parts.append(f"unexpected columns {extra}")
    if wrong:
        parts.append("; ".join(wrong))
    if not parts:
        parts.append("columns are in a different order")
    msg = f"{name} does not match its schema: " + "; ".join(parts)
    raise SchemaError(msg)
