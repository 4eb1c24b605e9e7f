"""Capture health: live counters with a status line, and the health of a golden folder.

:class:`CaptureHealth` counts what a running capture sees (messages and bytes per stream,
depth gaps, trade-id gaps, resyncs, reconnects, duplicates dropped at a hand-over, malformed
frames). The functions below compute the same view from golden files with polars, for the
``20_capture`` notebooks: message rate per stream over time, capture latency
(``capture_ns`` minus the exchange's ``E``), gaps and session events.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from rlx_lib.golden import GoldenRecord, ReadReport, golden_files, iter_records
from rlx_lib.venues import stream_kind
from rlx_lib.venues.binance import SESSION_STREAM

__all__ = [
    "CaptureHealth",
    "capture_gaps",
    "capture_latency",
    "latency_summary",
    "load_capture",
    "message_rates",
    "session_events",
]

log = logging.getLogger(__name__)


class CaptureHealth:
    """Counters of a running capture; :meth:`status_line` gives rates since the last call."""

    def __init__(self) -> None:
        self.messages: Counter[str] = Counter()
        self.bytes: Counter[str] = Counter()
        self.depth_gaps: Counter[str] = Counter()
        self.trade_gaps: Counter[str] = Counter()
        self.snapshots: Counter[str] = Counter()
        self.snapshot_failures = 0
        self.resyncs = 0
        self.connections = 0
        self.reconnects = 0
        self.duplicates = 0
        self.malformed = 0
        self.started = time.monotonic()
        self._last_time = self.started
        self._last_messages: Counter[str] = Counter()

    def message(self, stream: str, size: int) -> None:
        """Count one recorded market message of ``size`` bytes."""
        self.messages[stream] += 1
        self.bytes[stream] += size

    def rates(self) -> dict[str, float]:
        """Messages per second per stream since the previous call."""
        now = time.monotonic()
        elapsed = max(now - self._last_time, 1e-9)
        rates = {s: (n - self._last_messages[s]) / elapsed for s, n in self.messages.items()}
        self._last_time, self._last_messages = now, Counter(self.messages)
        return rates

    def status_line(self) -> str:
        """One line: total rate, the busiest streams, gaps, reconnects and bytes."""
        rates = self.rates()
        busiest = sorted(rates.items(), key=lambda item: -item[1])[:4]
        streams = " ".join(f"{stream} {rate:.0f}/s" for stream, rate in busiest)
        return (
            f"{sum(rates.values()):.0f} msg/s [{streams}] gaps {sum(self.depth_gaps.values())}"
            f"+{sum(self.trade_gaps.values())} resyncs {self.resyncs} "
            f"reconnects {self.reconnects} {sum(self.bytes.values()) / 1e6:.1f} MB"
        )

    def summary(self) -> dict[str, Any]:
        """Every figure, for the log and the end of a run."""
        elapsed = time.monotonic() - self.started
        total = sum(self.messages.values())
        return {
            "seconds": round(elapsed, 3),
            "messages": total,
            "messages_per_second": round(total / elapsed, 1) if elapsed > 0 else 0.0,
            "bytes": sum(self.bytes.values()),
            "streams": dict(sorted(self.messages.items())),
            "depth_gaps": sum(self.depth_gaps.values()),
            "trade_gaps": sum(self.trade_gaps.values()),
            "resyncs": self.resyncs,
            "snapshots": sum(self.snapshots.values()),
            "snapshot_failures": self.snapshot_failures,
            "connections": self.connections,
            "reconnects": self.reconnects,
            "duplicates_dropped": self.duplicates,
            "malformed_frames": self.malformed,
        }


_COLUMNS = {
    "capture_ns": pl.Int64,
    "stream": pl.String,
    "symbol": pl.String,
    "kind": pl.String,
    "event_time_ms": pl.Int64,
    "first_id": pl.Int64,
    "last_id": pl.Int64,
    "event": pl.String,
    "bytes": pl.Int64,
}


def load_capture(paths: Iterable[Path | str]) -> pl.DataFrame:
    """One row per golden record of files or folders: ``capture_ns``, ``stream``, ``symbol``,
    ``kind``, ``event_time_ms`` (``E``), ``first_id`` (``U``), ``last_id`` (``u``/``t``/``a``),
    ``event`` (for ``_session`` records), ``bytes``."""
    rows: dict[str, list[Any]] = {key: [] for key in _COLUMNS}
    for path in golden_files(paths):
        report = ReadReport(str(path))
        for record in iter_records(path, report):
            _row(rows, record)
        if not report.clean:
            log.warning("%s: %s %s", path, report.bad_lines[:3], report.truncated)
    frame = pl.DataFrame(rows, schema=_COLUMNS)
    return frame.with_columns(
        capture_time=pl.from_epoch("capture_ns", time_unit="ns").dt.replace_time_zone("UTC")
    ).sort("capture_ns", maintain_order=True)


_LAST_ID = {
    "depth": "u",
    "book_ticker": "u",
    "trade": "t",
    "agg_trade": "a",
    "snapshot": "lastUpdateId",
}
"""The key of each kind's last id (a pre-2024 trade's ``a`` is an order id, not this)."""


def _row(rows: dict[str, list[Any]], record: GoldenRecord) -> None:
    data = orjson.loads(record.data)
    if record.stream == SESSION_STREAM:
        symbol, kind = str(data.get("symbol", "")).lower(), SESSION_STREAM
    else:
        symbol, _, kind = record.stream.partition("@")
    last = data.get(_LAST_ID.get(stream_kind(record.stream), ""))
    event_time = data.get("E")
    rows["capture_ns"].append(record.capture_ns)
    rows["stream"].append(record.stream)
    rows["symbol"].append(symbol)
    rows["kind"].append(kind)
    rows["event_time_ms"].append(event_time if isinstance(event_time, int) else None)
    rows["first_id"].append(data.get("U") if isinstance(data.get("U"), int) else None)
    rows["last_id"].append(last if isinstance(last, int) and not isinstance(last, bool) else None)
    rows["event"].append(data.get("event") if kind == SESSION_STREAM else None)
    rows["bytes"].append(len(record.data))


def message_rates(frame: pl.DataFrame, *, every: str = "1s") -> pl.DataFrame:
    """Messages per second per market stream in windows of ``every``."""
    market = frame.filter(pl.col("kind") != SESSION_STREAM)
    grouped = (
        market.sort("capture_time")
        .group_by_dynamic("capture_time", every=every, group_by="stream")
        .agg(messages=pl.len())
    )
    length = _seconds(every)
    return grouped.with_columns(per_second=pl.col("messages") / length).sort(
        "capture_time", "stream"
    )


def _seconds(every: str) -> float:
    units = {"ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    for unit in ("ms", "s", "m", "h"):
        if every.endswith(unit) and every[: -len(unit)].isdigit():
            return int(every[: -len(unit)]) * units[unit]
    msg = f"window must look like '1s', '500ms', '1m', received {every!r}"
    raise ValueError(msg)


def capture_latency(frame: pl.DataFrame) -> pl.DataFrame:
    """``capture_ns`` minus the exchange event time ``E`` in ms, per market message with ``E``.

    The clocks differ (a recorder's clock may run behind Binance), so read the spread and shape
    more than the level.
    """
    return frame.filter(pl.col("event_time_ms").is_not_null()).select(
        "capture_time",
        "stream",
        "kind",
        latency_ms=(pl.col("capture_ns") - pl.col("event_time_ms") * 1_000_000) / 1e6,
    )


def latency_summary(frame: pl.DataFrame) -> pl.DataFrame:
    """Median, p99 and max capture latency per stream kind."""
    return (
        capture_latency(frame)
        .group_by("kind")
        .agg(
            messages=pl.len(),
            median_ms=pl.col("latency_ms").median(),
            p99_ms=pl.col("latency_ms").quantile(0.99),
            max_ms=pl.col("latency_ms").max(),
        )
        .sort("kind")
    )


def capture_gaps(frame: pl.DataFrame) -> pl.DataFrame:
    """Sequence gaps per symbol: depth diffs whose ``U`` is not the previous ``u + 1``, and
    trade (``t``) or aggregate-trade (``a``) ids that skip; ``missing`` ids per gap."""
    depth = (
        frame.filter(pl.col("kind").str.starts_with("depth@"))
        .sort("symbol", "last_id")
        .with_columns(previous=pl.col("last_id").shift(1).over("symbol"))
        .filter(pl.col("first_id") > pl.col("previous") + 1)
        .select(
            "capture_time",
            "symbol",
            "kind",
            expected=pl.col("previous") + 1,
            received=pl.col("first_id"),
        )
    )
    trades = (
        frame.filter(pl.col("kind").is_in(["trade", "aggTrade"]))
        .sort("symbol", "kind", "last_id")
        .with_columns(previous=pl.col("last_id").shift(1).over("symbol", "kind"))
        .filter(pl.col("last_id") > pl.col("previous") + 1)
        .select(
            "capture_time",
            "symbol",
            "kind",
            expected=pl.col("previous") + 1,
            received=pl.col("last_id"),
        )
    )
    return (
        pl.concat([depth, trades])
        .with_columns(missing=pl.col("received") - pl.col("expected"))
        .sort("capture_time")
    )


def session_events(frame: pl.DataFrame) -> pl.DataFrame:
    """``_session`` records (connects, acks, disconnects with reasons, resyncs) and snapshots."""
    return frame.filter(
        (pl.col("kind") == SESSION_STREAM) | pl.col("kind").str.ends_with("Snapshot")
    ).select(
        "capture_time",
        "symbol",
        event=pl.coalesce("event", pl.col("kind")),
    )
