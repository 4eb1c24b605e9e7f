"""Per-symbol validation state, issue rows and the ``validation.json`` summary of a symbol."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from rlx_lib.reconstruction import L2Book
from rlx_lib.validation.sequence import IdSequence
from rlx_lib.venues import MARKETS
from rlx_lib.venues.binance import SPOT, DepthSync

__all__ = [
    "STAGE",
    "BookOp",
    "SnapshotLevels",
    "SymbolState",
    "Where",
    "latency_bins",
    "latency_quantiles",
    "state_summary",
    "units_text",
]

STAGE = "validation"
_EXACT_LATENCY_MS = 60_000


def latency_bins(latency: np.ndarray) -> np.ndarray:
    """Latency histogram bins: 1 ms within a minute, whole seconds beyond (bounded memory)."""
    return np.where(
        np.abs(latency) <= _EXACT_LATENCY_MS, latency, np.round(latency / 1000) * 1000
    ).astype(np.int64)


def _iso_ms(ms: int | None) -> str | None:
    if ms is None:
        return None
    moment = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def units_text(units: int | None) -> str:
    if units is None:
        return "-"
    whole, frac = divmod(units, 100_000_000)
    return f"{whole}.{frac:08d}".rstrip("0").rstrip(".")


class Where(NamedTuple):
    """Where a message is: its file, its line there, its exchange time in ms when known."""

    source: str
    position: int
    origin_ms: int | None = None


class BookOp(NamedTuple):
    """One change waiting to be replayed on a symbol's book: a snapshot or an applied diff."""

    snapshot: bool
    is_bid: np.ndarray
    price: np.ndarray
    size: np.ndarray
    update_id: int | None = None  # the diff's ``u`` (None for a snapshot)
    where: Where | None = None  # the diff's message (None for a snapshot)


class SnapshotLevels(NamedTuple):
    """A depth snapshot's id and how many levels it held per side."""

    last_update_id: int
    bids: int
    asks: int


@dataclass
class SymbolState:
    """Everything the validator knows about one symbol so far."""

    symbol: str
    window: int
    market: str = SPOT.name  # which market's rules judge its depth diffs
    counts: Counter = field(default_factory=Counter)
    depth_ids: IdSequence = field(init=False)
    trade_ids: IdSequence = field(init=False)
    agg_ids: IdSequence = field(init=False)
    sync: DepthSync = field(init=False)
    book: L2Book | None = None  # the shared exact book, created at the first snapshot
    book_valid: bool = False  # False until a snapshot, and again after a gap
    ops: list[BookOp] = field(default_factory=list)  # book changes not yet replayed
    last_ticker_id: int | None = None
    # bookTickers kept for the join (u ascending) and their (b, B, a, A) in units
    ticker_ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    ticker_tops: np.ndarray = field(default_factory=lambda: np.empty((0, 4), dtype=np.int64))
    # book states waiting for a bookTicker with a larger u: ids, tops (0 = empty side), where
    pending_ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    pending_tops: np.ndarray = field(default_factory=lambda: np.empty((0, 4), dtype=np.int64))
    pending_where: list[Where] = field(default_factory=list)
    latency: Counter = field(default_factory=Counter)  # ms -> messages
    previous_latency: int | None = None
    first_ms: int | None = None
    last_ms: int | None = None
    snapshot_levels: list[SnapshotLevels] = field(default_factory=list)
    depth_since_reset: bool = False

    def __post_init__(self) -> None:
        self.sync = MARKETS[self.market].depth_sync(max_buffer=20_000)
        self.depth_ids = IdSequence(self.window)
        self.trade_ids = IdSequence(self.window)
        self.agg_ids = IdSequence(self.window)


def latency_quantiles(latency: Counter) -> dict[str, int | None]:
    """Min, p1, p50, p99 and max of a ``latency_ms -> count`` histogram."""
    total = sum(latency.values())
    if not total:
        return {"min": None, "p1": None, "p50": None, "p99": None, "max": None}
    ordered = sorted(latency.items())
    marks = {"p1": 0.01, "p50": 0.5, "p99": 0.99}
    found: dict[str, int | None] = {"min": ordered[0][0]}
    seen = 0
    pending = sorted(marks.items(), key=lambda item: item[1])
    for value, count in ordered:
        seen += count
        while pending and seen >= pending[0][1] * total:
            found[pending.pop(0)[0]] = value
    found["max"] = ordered[-1][0]
    return found


def state_summary(state: SymbolState) -> dict[str, Any]:
    """The ``validation.json`` entry of one symbol (DESIGN's fields first, then extras)."""
    counts = state.counts
    checks = counts["book_ticker_checks"]
    summary: dict[str, Any] = {
        "depth_messages": counts["depth_messages"],
        "depth_gaps": counts["depth_gaps"],
        "trade_messages": counts["trade_messages"],
        "trade_id_gaps": counts["trade_id_gaps"],
        "out_of_order": counts["out_of_order"],
        "duplicates": counts["duplicates"],
        "snapshots": counts["snapshots"],
        "book_ticker_checks": checks,
        "book_ticker_agreement": counts["book_ticker_matches"] / checks if checks else None,
    }
    if not checks:
        summary["book_ticker_note"] = _ticker_note(state)
    summary.update(
        first_origin_time=_iso_ms(state.first_ms),
        last_origin_time=_iso_ms(state.last_ms),
        book_ticker_mismatches=checks - counts["book_ticker_matches"],
        book_ticker_messages=counts["book_ticker_messages"],
        agg_trade_messages=counts["agg_trade_messages"],
        agg_trade_id_gaps=counts["agg_trade_id_gaps"],
        missing_update_ids=counts["missing_depth_ids"],
        missing_trade_ids=counts["missing_trade_ids"],
        depth_applied=counts["depth_applied"],
        depth_stale=counts["depth_stale"],
        crossed_books=counts["crossed_books"],
        book_resets=counts["book_resets"],
        session_resets=counts["session_resets"],
        snapshot_levels=[
            {"last_update_id": level.last_update_id, "bids": level.bids, "asks": level.asks}
            for level in state.snapshot_levels
        ],
        latency_ms=latency_quantiles(state.latency),
        negative_latency=counts["negative_latency"],
        capture_clock_jumps=counts["capture_clock_jumps"],
        capture_clock_backwards=counts["capture_clock_backwards"],
    )
    return summary


def _ticker_note(state: SymbolState) -> str:
    if not state.counts["book_ticker_messages"]:
        return "no bookTicker stream in the capture"
    if not state.counts["snapshots"]:
        return "no depth snapshot: the book could not be rebuilt"
    if not state.counts["depth_applied"]:
        return "no diff could be applied after the snapshots"
    return "no rebuilt book state had a bookTicker at or before its update id"
