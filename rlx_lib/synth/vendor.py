"""The vendor view: what Crypto Lake stores for the messages its collector received.

:class:`LakeRecorder` plays Crypto Lake's collector for one symbol: it keeps the exchange's
sync rules, writes ``book_delta_v2`` rows per applied depth message (bids then asks,
``sequence_number = u``, ``origin_time`` = ``E`` through float seconds), REST snapshot rows
when it (re)syncs (``origin_time`` 0, ``sequence_number = lastUpdateId``),
a 20-level ``book`` row after a depth message unless one was saved less than 25 ms before,
and ``trades`` rows per aggregate trade (``trade_id = a``, taker side, ``origin_time = T``).
Frames come out loaded-style, as ``lakeapi.load_data`` returns them (float64 prices and
sizes, naive ns datetimes), to be made exact by :func:`rlx_lib.venues.lake.normalize_loaded`.

The same recorder serves the synthetic market (:class:`VendorConnection`) and any golden samples
(:mod:`rlx_lib.synth.from_golden`).
"""

from __future__ import annotations

from itertools import islice
from typing import Any

import numpy as np
import polars as pl
from sortedcontainers import SortedDict

from rlx_lib import schemas
from rlx_lib.synth.live import MS, Feed, update_id_at
from rlx_lib.venues.binance import (
    SPOT,
    AggTrade,
    DepthSnapshot,
    DepthSync,
    DepthUpdate,
    Market,
    SyncVerdict,
    parse_agg_trade,
    parse_depth_snapshot,
    parse_depth_update,
)
from rlx_lib.venues.lake import epoch_ns_from_ms_via_float

__all__ = [
    "BOOK_INTERVAL_NS",
    "VENDOR_SNAPSHOT_DEPTH",
    "LakeRecorder",
    "VendorConnection",
    "float_clock",
]

VENDOR_SNAPSHOT_DEPTH = 5000
BOOK_INTERVAL_NS = 25 * MS
_UNIT = 1e-8
_BOOK_DEPTH = schemas.LAKE_BOOK_DEPTH


def float_clock(ns: np.ndarray) -> np.ndarray:
    """A receipt time as the collector stores it: ``int(time.time() * 1e9)`` (float seconds)."""
    return ((np.asarray(ns, dtype=np.int64) / 1e9) * 1e9).astype(np.int64)


class LakeRecorder:
    """Crypto Lake's collector for one symbol: received messages in, Lake table rows out.

    Feed it in receipt order with :meth:`snapshot`, :meth:`depth` and :meth:`agg_trade`;
    diffs before the first snapshot (or after a gap) wait for the next snapshot, stale ones
    are dropped, as the collector does. :meth:`frames` returns the loaded-style tables.
    """

    def __init__(self, *, book_interval_ns: int = BOOK_INTERVAL_NS, market: Market = SPOT) -> None:
        self._sync: DepthSync[tuple[int, DepthUpdate]] = market.depth_sync()
        self._bids: SortedDict = SortedDict()
        self._asks: SortedDict = SortedDict()
        self._book_interval = book_interval_ns
        self._last_book: int | None = None
        self.delta: dict[str, list[Any]] = {k: [] for k in schemas.LAKE_BOOK_DELTA_V2}
        self.book: list[tuple[int, int, int, list[int], list[int], list[int], list[int]]] = []
        self.trades: dict[str, list[Any]] = {k: [] for k in schemas.LAKE_TRADES}
        self.gaps = 0

    def snapshot(self, received_ns: int, body: DepthSnapshot) -> None:
        """Reset the book to a REST snapshot, write its rows, then replay waiting diffs."""
        self._bids = SortedDict(body.bids)
        self._asks = SortedDict(body.asks)
        for is_bid, levels in ((True, body.bids), (False, body.asks)):
            for price, size in levels:
                self._row(0, received_ns, body.last_update_id, is_bid, price, size)
        for step in self._sync.snapshot(body.last_update_id):
            self._judge(step)

    def depth(self, received_ns: int, update: DepthUpdate) -> None:
        """Take one diff through the sync rules; apply and write it when it is next in line."""
        for step in self._sync.diff(
            update.first_update_id,
            update.final_update_id,
            (received_ns, update),
            update.previous_final_update_id,
        ):
            self._judge(step)

    def agg_trade(self, received_ns: int, trade: AggTrade) -> None:
        """Write one aggregate trade (taker side ``sell`` when the buyer is the maker)."""
        rows = self.trades
        rows["origin_time"].append(
            int(epoch_ns_from_ms_via_float(np.asarray([trade.trade_time]))[0])
        )
        rows["received_time"].append(received_ns)
        rows["side"].append("sell" if trade.buyer_is_maker else "buy")
        rows["quantity"].append(trade.quantity * _UNIT)
        rows["price"].append(trade.price * _UNIT)
        rows["trade_id"].append(trade.agg_id)

    def _judge(self, step: Any) -> None:
        if step.verdict is SyncVerdict.APPLY:
            self._apply(*step.item)
        elif step.verdict is SyncVerdict.GAP:
            self.gaps += 1

    def _apply(self, received_ns: int, update: DepthUpdate) -> None:
        origin = int(epoch_ns_from_ms_via_float(np.asarray([update.event_time]))[0])
        for is_bid, levels, book in (
            (True, update.bids, self._bids),
            (False, update.asks, self._asks),
        ):
            for price, size in levels:
                self._row(origin, received_ns, update.final_update_id, is_bid, price, size)
                if size:
                    book[price] = size
                else:
                    book.pop(price, None)
        if self._last_book is None or received_ns - self._last_book >= self._book_interval:
            self._last_book = received_ns
            bids = list(islice(reversed(self._bids.items()), _BOOK_DEPTH))
            asks = list(islice(self._asks.items(), _BOOK_DEPTH))
            self.book.append(
                (
                    origin,
                    received_ns,
                    update.final_update_id,
                    [p for p, _ in bids],
                    [s for _, s in bids],
                    [p for p, _ in asks],
                    [s for _, s in asks],
                )
            )

    def _row(
        self, origin: int, received: int, update_id: int, is_bid: bool, price: int, size: int
    ) -> None:
        rows = self.delta
        rows["origin_time"].append(origin)
        rows["received_time"].append(received)
        rows["sequence_number"].append(update_id)
        rows["side_is_bid"].append(is_bid)
        rows["price"].append(price * _UNIT)
        rows["size"].append(size * _UNIT)

    def frames(self) -> dict[str, pl.DataFrame]:
        """The three tables, loaded-style (float64 numbers, naive ns datetimes)."""
        return {
            "trades": _loaded(self.trades, schemas.LAKE_TRADES),
            "book": self._book_frame(),
            "book_delta_v2": _loaded(self.delta, schemas.LAKE_BOOK_DELTA_V2),
        }

    def take_frames(self) -> dict[str, pl.DataFrame]:
        """:meth:`frames`, then forget the rows (the next call returns only newer rows)."""
        frames = self.frames()
        self.delta = {k: [] for k in schemas.LAKE_BOOK_DELTA_V2}
        self.book = []
        self.trades = {k: [] for k in schemas.LAKE_TRADES}
        return frames

    def _book_frame(self) -> pl.DataFrame:
        columns: dict[str, Any] = {
            "origin_time": [row[0] for row in self.book],
            "received_time": [row[1] for row in self.book],
            "sequence_number": [row[2] for row in self.book],
        }
        for side, price_at, size_at in (("bid", 3, 4), ("ask", 5, 6)):
            for level in range(_BOOK_DEPTH):
                columns[f"{side}_{level}_price"] = [
                    row[price_at][level] * _UNIT if level < len(row[price_at]) else np.nan
                    for row in self.book
                ]
                columns[f"{side}_{level}_size"] = [
                    row[size_at][level] * _UNIT if level < len(row[size_at]) else np.nan
                    for row in self.book
                ]
        return _loaded(columns, schemas.LAKE_BOOK)


def _loaded(columns: dict[str, list[Any]], schema: pl.Schema) -> pl.DataFrame:
    series = []
    for name, kind in schema.items():
        if kind == schemas.TIME:
            series.append(pl.Series(name, columns[name], dtype=pl.Int64).cast(pl.Datetime("ns")))
        elif kind == schemas.DECIMAL:
            series.append(pl.Series(name, columns[name], dtype=pl.Float64))
        else:
            series.append(pl.Series(name, columns[name], dtype=kind))
    return pl.DataFrame(series)


class VendorConnection:
    """The vendor collector's own connection to the exchange, window after window.

    Its receipt clock is ``E`` plus a latency with its own jitter (never reordering a
    stream); it asks for one REST snapshot (5000 levels) when its first diff arrives.
    """

    def __init__(self, *, seed: int) -> None:
        self._rng = np.random.default_rng([seed, 0x7E4D])
        self._last: dict[str, int] = {}
        self._snapshot: tuple[int, int] | None = None  # (lastUpdateId, receipt)
        self._served = False

    def _received(self, kind: str, event_ms: np.ndarray) -> np.ndarray:
        latency = 6 * MS + self._rng.gamma(2.0, 1.5 * MS, size=len(event_ms)).astype(np.int64)
        arrival = np.asarray(event_ms, dtype=np.int64) * MS + latency
        if len(arrival):
            arrival = np.maximum.accumulate(np.maximum(arrival, self._last.get(kind, 0)))
            self._last[kind] = int(arrival[-1])
        return float_clock(arrival)

    def snapshot_requests(self, truth: Any, feed: Feed) -> dict[int, int]:
        """The snapshot the exchange must serve in this window (id -> depth), if any."""
        self._depth = self._received("depth", feed.depth_event_ms)
        self._aggs = self._received("aggTrade", feed.agg_event_ms)
        if self._snapshot is None and len(self._depth):
            asked = int(self._depth[0]) + int(self._rng.integers(1, 30)) * MS
            update_id = update_id_at(truth, asked + int(self._rng.integers(5, 20)) * MS)
            receipt = asked + int(self._rng.integers(150, 400)) * MS
            self._snapshot = (update_id, int(float_clock(np.asarray([receipt]))[0]))
        if self._snapshot is None or self._served:
            return {}
        return {self._snapshot[0]: VENDOR_SNAPSHOT_DEPTH}

    def record(self, recorder: LakeRecorder, feed: Feed, bodies: dict[int, bytes]) -> None:
        """Run the collector over this window's messages in its receipt order."""
        events: list[tuple[int, int, int]] = []
        if self._snapshot is not None and not self._served and self._snapshot[0] in bodies:
            self._served = True
            events.append((self._snapshot[1], 0, 0))
        events.extend((int(t), 1, i) for i, t in enumerate(self._depth.tolist()))
        events.extend((int(t), 2, i) for i, t in enumerate(self._aggs.tolist()))
        events.sort()
        for received, kind, index in events:
            if kind == 0:
                body = bodies[self._snapshot[0]] if self._snapshot else b""
                recorder.snapshot(received, parse_depth_snapshot(body))
            elif kind == 1:
                recorder.depth(received, parse_depth_update(feed.depth_json[index]))
            else:
                recorder.agg_trade(received, parse_agg_trade(feed.agg_json[index]))
