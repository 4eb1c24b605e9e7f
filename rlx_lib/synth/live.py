"""The live view: what Binance sends for a ground-truth market, as golden records.

From a :class:`~rlx_lib.synth.market.TruthStream` this derives the exchange's messages exactly
as Binance publishes them:

- ``depth@100ms``: one ``depthUpdate`` per 100 ms window of exchange time holding a change;
  ``U``/``u`` the first and last update id of the window; ``b``/``a`` the final absolute size
  of every price changed in the window (a level born and killed inside it is sent as ``0``),
  bids best first, then asks best first; ``E`` the window end, now and then 1 ms late;
- ``trade`` per fill and ``aggTrade`` per (taker order, price), ``E - T`` a few ms, growing
  with the size of the sweep;
- ``bookTicker`` whenever the best bid or ask (price or size) changes, carrying that change's id;
- REST depth snapshots (1000 levels a side) requested when the first diff arrives, so they
  land after 2-3 diffs, some of them stale.

:class:`Exchange` publishes these window after window of ground truth; :class:`LiveConnection`
delivers them as a capture receives them: a network latency with jitter that never reorders a
stream, a constant capture clock offset, ``_session`` records, and the live faults of
:mod:`rlx_lib.synth.faults`. Records come out in capture order.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np
import orjson
from sortedcontainers import SortedDict

from rlx_lib.catalog import binance_symbol
from rlx_lib.golden import GoldenRecord
from rlx_lib.synth.faults import LiveFaults, plan_disconnects, reorder_neighbours
from rlx_lib.venues.binance import SESSION_STREAM, SNAPSHOT_SUFFIX, stream_name

__all__ = [
    "REST_DEPTH",
    "WINDOW_NS",
    "Exchange",
    "Feed",
    "LiveConnection",
    "live_records",
    "update_id_at",
]

WINDOW_NS = 100_000_000
MS = 1_000_000
REST_DEPTH = 1000
LIVE_STREAMS = ("depth@100ms", "trade", "aggTrade", "bookTicker")


@dataclass(frozen=True)
class Feed:
    """What the exchange publishes for one symbol in one window, before any delivery.

    Arrays are aligned per message kind; ``*_json`` hold the raw message text.
    """

    symbol: str  # Binance style, upper case ("BTCUSDT")
    depth_event_ms: np.ndarray  # E of each depthUpdate
    depth_first_id: np.ndarray  # U
    depth_final_id: np.ndarray  # u
    depth_json: list[bytes]
    trade_event_ms: np.ndarray
    trade_json: list[bytes]
    agg_event_ms: np.ndarray
    agg_json: list[bytes]


def _decimal(units: int) -> str:
    whole, frac = divmod(units, 100_000_000)
    return f"{whole}.{frac:08d}"


def _levels_json(prices: Sequence[int], sizes: Sequence[int]) -> str:
    return ",".join(
        f'["{_decimal(p)}","{_decimal(s)}"]' for p, s in zip(prices, sizes, strict=True)
    )


def _depth(truth: Any, rng: np.random.Generator, symbol: str, phase: int) -> tuple[np.ndarray, ...]:
    """depthUpdate messages: windows of 100 ms of exchange time on a grid starting at ``phase``."""
    window = (np.asarray(truth.change_time_ns, dtype=np.int64) - phase) // WINDOW_NS
    count = len(window)
    ids = int(truth.first_update_id) + np.arange(count, dtype=np.int64)
    if count == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, []
    starts = np.flatnonzero(np.r_[True, window[1:] != window[:-1]])
    ends = np.r_[starts[1:], count]
    is_bid = np.asarray(truth.change_is_bid, dtype=bool)
    price = np.asarray(truth.change_price, dtype=np.int64)
    size = np.asarray(truth.change_size, dtype=np.int64)
    # the last change of each (window, side, price), bids best (highest) first, asks lowest first
    side_key = np.where(is_bid, 0, 1)
    price_key = np.where(is_bid, -price, price)
    order = np.lexsort((np.arange(count), price_key, side_key, window))
    key_w, key_s, key_p = window[order], side_key[order], price_key[order]
    last = np.r_[
        (key_w[1:] != key_w[:-1]) | (key_s[1:] != key_s[:-1]) | (key_p[1:] != key_p[:-1]), True
    ]
    keep = order[last]
    keep_window = window[keep]
    bounds = np.searchsorted(keep_window, window[starts], side="left")
    bounds_end = np.searchsorted(keep_window, window[starts], side="right")
    late = rng.random(len(starts)) < 0.05  # calibration §1: 4.7% of steps are 101 ms
    event_ms = (phase + (window[starts] + 1) * WINDOW_NS) // MS + late
    first_ids, final_ids = ids[starts], ids[ends - 1]
    keep_bid, keep_price, keep_size = (
        is_bid[keep].tolist(),
        price[keep].tolist(),
        size[keep].tolist(),
    )
    texts = []
    for message, (low, high) in enumerate(zip(bounds.tolist(), bounds_end.tolist(), strict=True)):
        split = low + sum(keep_bid[low:high])
        texts.append(
            (
                f'{{"e":"depthUpdate","E":{event_ms[message]},"s":"{symbol}",'
                f'"U":{first_ids[message]},"u":{final_ids[message]},'
                f'"b":[{_levels_json(keep_price[low:split], keep_size[low:split])}],'
                f'"a":[{_levels_json(keep_price[split:high], keep_size[split:high])}]}}'
            ).encode()
        )
    return event_ms, first_ids, final_ids, texts


def _trades(
    truth: Any, rng: np.random.Generator, symbol: str, *, first_agg: int, last_event_ms: int
) -> tuple[np.ndarray, ...]:
    """trade and aggTrade messages; aggregate ids count on from ``first_agg``."""
    time_ms = np.asarray(truth.trade_time_ns, dtype=np.int64) // MS
    count = len(time_ms)
    if count == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, [], empty, []
    taker = np.asarray(truth.trade_taker_order, dtype=np.int64)
    price = np.asarray(truth.trade_price, dtype=np.int64)
    order_start = np.flatnonzero(np.r_[True, taker[1:] != taker[:-1]])
    order_of_fill = np.cumsum(np.r_[True, taker[1:] != taker[:-1]]) - 1
    fills_per_order = np.diff(np.r_[order_start, count])
    position = np.arange(count) - order_start[order_of_fill]
    # E - T: 0-2 ms, plus a publishing delay that grows with the fills of the sweep (§6)
    base = rng.integers(0, 3, size=len(order_start))[order_of_fill]
    growth = np.minimum((fills_per_order[order_of_fill] > 20) * position * 0.3, 210).astype(
        np.int64
    )
    event_ms = np.maximum.accumulate(np.maximum(time_ms + base + growth, last_event_ms))
    maker = np.asarray(truth.trade_buyer_is_maker, dtype=bool).tolist()
    trade_id = np.asarray(truth.trade_id, dtype=np.int64).tolist()
    quantity = np.asarray(truth.trade_quantity, dtype=np.int64).tolist()
    prices, times, events = price.tolist(), time_ms.tolist(), event_ms.tolist()
    flags = ["true" if m else "false" for m in maker]
    trade_json = [
        (
            f'{{"e":"trade","E":{events[i]},"s":"{symbol}","t":{trade_id[i]},'
            f'"p":"{_decimal(prices[i])}","q":"{_decimal(quantity[i])}","T":{times[i]},'
            f'"m":{flags[i]},"M":true}}'
        ).encode()
        for i in range(count)
    ]
    group_start = np.flatnonzero(np.r_[True, (taker[1:] != taker[:-1]) | (price[1:] != price[:-1])])
    group_end = np.r_[group_start[1:], count] - 1
    agg_json = []
    for number, (low, high) in enumerate(
        zip(group_start.tolist(), group_end.tolist(), strict=True)
    ):
        total = sum(quantity[low : high + 1])
        agg_json.append(
            (
                f'{{"e":"aggTrade","E":{events[high]},"s":"{symbol}","a":{first_agg + number},'
                f'"p":"{_decimal(prices[low])}","q":"{_decimal(total)}","f":{trade_id[low]},'
                f'"l":{trade_id[high]},"T":{times[low]},"m":{flags[low]},"M":true}}'
            ).encode()
        )
    return event_ms, trade_json, event_ms[group_end], agg_json


class Exchange:
    """What the exchange publishes for one symbol, window after window of ground truth.

    Keeps what runs across windows: the 100 ms grid, the aggregate-trade ids, the trade
    event clock, and the exchange's own book (for bookTicker and REST snapshots).
    """

    def __init__(self, symbol: str, *, seed: int, start_ns: int) -> None:
        self.symbol = binance_symbol(symbol).upper()
        self._seed = seed
        self.phase_ns = start_ns + int(np.random.default_rng([seed, 0x11FE]).integers(0, 100)) * MS
        self._chunk = 0
        self._next_agg: int | None = None
        self._last_trade_ms = 0
        self._bids: SortedDict | None = None
        self._asks = SortedDict()
        self._top: tuple[Any, Any] = (None, None)

    def messages(self, truth: Any) -> Feed:
        """Depth, trade and aggTrade messages of one window of ground truth."""
        rng = np.random.default_rng([self._seed, 0x11FE, self._chunk])
        self._chunk += 1
        if self._next_agg is None:
            self._next_agg = 1 + int(truth.trade_id[0]) // 3 if len(truth.trade_id) else 1
        depth_ms, first_ids, final_ids, depth_json = _depth(truth, rng, self.symbol, self.phase_ns)
        trade_ms, trade_json, agg_ms, agg_json = _trades(
            truth, rng, self.symbol, first_agg=self._next_agg, last_event_ms=self._last_trade_ms
        )
        self._next_agg += len(agg_json)
        if len(trade_ms):
            self._last_trade_ms = int(trade_ms[-1])
        return Feed(
            symbol=self.symbol,
            depth_event_ms=depth_ms,
            depth_first_id=first_ids,
            depth_final_id=final_ids,
            depth_json=depth_json,
            trade_event_ms=trade_ms,
            trade_json=trade_json,
            agg_event_ms=agg_ms,
            agg_json=agg_json,
        )

    def replay(
        self, truth: Any, *, snapshots: dict[int, int] | None = None
    ) -> tuple[np.ndarray, list[bytes], dict[int, bytes]]:
        """Apply one window's changes to the exchange's book.

        Returns ``(ticker_time_ns, ticker_json, bodies)``: a bookTicker whenever the best bid
        or ask (price or size) changes, and for every id of ``snapshots`` (id -> levels a
        side) inside this window the raw ``/api/v3/depth`` body of the book after that id.
        """
        wanted = dict(snapshots or {})
        if self._bids is None:
            self._bids = SortedDict(
                zip(truth.initial_bid_price.tolist(), truth.initial_bid_size.tolist(), strict=True)
            )
            self._asks = SortedDict(
                zip(truth.initial_ask_price.tolist(), truth.initial_ask_size.tolist(), strict=True)
            )
        bids, asks, symbol = self._bids, self._asks, self.symbol
        first = int(truth.first_update_id)
        bodies: dict[int, bytes] = {}
        if first - 1 in wanted:
            bodies[first - 1] = _snapshot_json(first - 1, bids, asks, wanted[first - 1])
        times: list[int] = []
        texts: list[bytes] = []
        top = self._top
        change_time = truth.change_time_ns.tolist()
        is_bids = truth.change_is_bid.tolist()
        sizes = truth.change_size.tolist()
        for index, price in enumerate(truth.change_price.tolist()):
            book = bids if is_bids[index] else asks
            if sizes[index]:
                book[price] = sizes[index]
            else:
                book.pop(price, None)
            now = (bids.peekitem(-1) if bids else None, asks.peekitem(0) if asks else None)
            update_id = first + index
            if now != top and now[0] is not None and now[1] is not None:
                times.append(change_time[index])
                texts.append(
                    (
                        f'{{"u":{update_id},"s":"{symbol}","b":"{_decimal(now[0][0])}",'
                        f'"B":"{_decimal(now[0][1])}","a":"{_decimal(now[1][0])}",'
                        f'"A":"{_decimal(now[1][1])}"}}'
                    ).encode()
                )
            top = now
            if update_id in wanted:
                bodies[update_id] = _snapshot_json(update_id, bids, asks, wanted[update_id])
        self._top = top
        return np.asarray(times, dtype=np.int64), texts, bodies


def _snapshot_json(update_id: int, bids: SortedDict, asks: SortedDict, depth: int) -> bytes:
    bid_keys = list(islice(reversed(bids.keys()), depth))
    ask_keys = list(islice(asks.keys(), depth))
    return (
        f'{{"lastUpdateId":{update_id},'
        f'"bids":[{_levels_json(bid_keys, [bids[k] for k in bid_keys])}],'
        f'"asks":[{_levels_json(ask_keys, [asks[k] for k in ask_keys])}]}}'
    ).encode()


def update_id_at(truth: Any, time_ns: int) -> int:
    """The id of the last change at or before ``time_ns`` (``first_update_id - 1`` if none)."""
    position = int(np.searchsorted(truth.change_time_ns, time_ns, side="right"))
    return int(truth.first_update_id) + position - 1


_KIND_ORDER = {
    "_session": 0,
    "depthSnapshot": 1,
    "depth@100ms": 2,
    "bookTicker": 3,
    "trade": 4,
    "aggTrade": 5,
}

Event = tuple[int, int, int, str, bytes]  # arrival, kind order, number, stream, text


class LiveConnection:
    """One symbol's live connection, as a capture receives it, window after window.

    Latency with jitter that never reorders a stream (calibration §6, §12), a constant
    capture clock offset, ``_session`` records, a REST snapshot asked for when the first diff
    arrives after (re)connecting, and the live faults. :meth:`deliver` returns the records
    whose capture time is settled, in capture order; later ones wait for the next window.
    """

    def __init__(
        self, symbol: str, *, seed: int, start_ns: int, end_ns: int, faults: LiveFaults
    ) -> None:
        self.symbol = symbol
        self._base = binance_symbol(symbol)
        self._faults = faults
        self._rng = np.random.default_rng([seed, 0x1173])
        clock = np.random.default_rng([seed, 0xC10C])  # its own stream: faults leave it alone
        self.offset_ns = int(clock.integers(0, 3 * MS)) + faults.clock_skew_ns
        self.outages = plan_disconnects(
            faults.disconnects,
            start_ns=start_ns + 5_000 * MS,
            end_ns=end_ns,
            rng=np.random.default_rng([seed, 0xD15C]),
        )
        self._triggers = [start_ns] + [back for _, back in self.outages]
        self._requests: list[tuple[int, int]] = []  # (lastUpdateId, arrival) not yet served
        self._last: dict[str, int] = {}
        self._count: dict[str, int] = {}
        streams = [stream_name(self._base, kind) for kind in LIVE_STREAMS]
        hello = orjson.dumps({"event": "connected", "symbols": [self._base], "streams": streams})
        lost = orjson.dumps(
            {"event": "disconnected", "symbols": [self._base], "reason": "synthetic disconnect"}
        )
        self._held: list[Event] = [(start_ns, 0, 0, SESSION_STREAM, hello)]
        for number, (down, back) in enumerate(self.outages):
            self._held.append((down, 0, 2 * number + 1, SESSION_STREAM, lost))
            self._held.append((back, 0, 2 * number + 2, SESSION_STREAM, hello))
        self._previous_u: int | None = None
        self._snapshot_seen = False
        self.injected: dict[str, Any] = {
            "gaps": [],
            "disconnects": [
                {"symbol": symbol, "down_ns": d + self.offset_ns, "up_ns": b + self.offset_ns}
                for d, b in self.outages
            ],
            "out_of_order": [],
        }

    def _arrivals(self, kind: str, exchange_ns: np.ndarray, jitter_ns: float) -> np.ndarray:
        latency = 4 * MS + self._rng.gamma(2.0, jitter_ns, size=len(exchange_ns)).astype(np.int64)
        arrival = np.asarray(exchange_ns, dtype=np.int64) + latency
        if len(arrival):
            arrival = np.maximum.accumulate(np.maximum(arrival, self._last.get(kind, 0)))
            self._last[kind] = int(arrival[-1])
        return arrival

    def snapshot_requests(self, truth: Any, feed: Feed) -> dict[int, int]:
        """Ask for REST snapshots where due; the ids the exchange must serve (id -> depth)."""
        self._depth_arrival = self._arrivals("depth@100ms", feed.depth_event_ms * MS, 0.6 * MS)
        while self._triggers and len(self._depth_arrival):
            later = int(np.searchsorted(self._depth_arrival, self._triggers[0], side="left"))
            if later >= len(self._depth_arrival):
                break
            self._triggers.pop(0)
            request = int(self._depth_arrival[later]) + int(self._rng.integers(60, 160)) * MS
            served = request + int(self._rng.integers(5, 20)) * MS
            arrival = request + int(self._rng.integers(150, 300)) * MS
            self._requests.append((update_id_at(truth, served), arrival))
        return {update_id: REST_DEPTH for update_id, _ in self._requests}

    def deliver(
        self,
        feed: Feed,
        replayed: tuple[np.ndarray, list[bytes], dict[int, bytes]],
        *,
        horizon_ns: int | None,
    ) -> list[GoldenRecord]:
        """Records of this window whose arrival is before ``horizon_ns`` (all when None)."""
        ticker_ns, ticker_json, bodies = replayed
        events: list[Event] = []
        self._add(events, "depth@100ms", self._depth_arrival, feed.depth_json)
        trades = self._arrivals("trade", feed.trade_event_ms * MS, 1.2 * MS)
        self._add(events, "trade", trades, feed.trade_json)
        aggs = self._arrivals("aggTrade", feed.agg_event_ms * MS, 1.2 * MS)
        self._add(events, "aggTrade", aggs, feed.agg_json)
        tickers = self._arrivals("bookTicker", ticker_ns, 0.6 * MS)
        self._add(events, "bookTicker", tickers, ticker_json)
        waiting = []
        for update_id, arrival in self._requests:
            if update_id in bodies:
                body = bodies[update_id]
                number = self._count.get(SNAPSHOT_SUFFIX, 0)
                self._count[SNAPSHOT_SUFFIX] = number + 1
                stream = stream_name(self._base, SNAPSHOT_SUFFIX)
                events.append((arrival, _KIND_ORDER["depthSnapshot"], number, stream, body))
            else:
                waiting.append((update_id, arrival))
        self._requests = waiting
        events = [e for e in events if not any(d <= e[0] < b for d, b in self.outages)]
        events = sorted(self._held + events, key=lambda e: e[:3])
        cut = len(events) if horizon_ns is None else bisect_left([e[0] for e in events], horizon_ns)
        ready, self._held = events[:cut], events[cut:]
        records = [GoldenRecord(a + self.offset_ns, name, text) for a, _, _, name, text in ready]
        records, swaps = reorder_neighbours(records, rate=self._faults.reorder_rate, rng=self._rng)
        self.injected["out_of_order"] += [{"symbol": self.symbol, **swap} for swap in swaps]
        self._note_gaps(records)
        return records

    def _add(
        self, events: list[Event], kind: str, arrivals: np.ndarray, texts: Sequence[bytes]
    ) -> None:
        name = stream_name(self._base, kind)
        order = _KIND_ORDER[kind]
        start = self._count.get(kind, 0)
        self._count[kind] = start + len(texts)
        events.extend(
            (arrival, order, start + index, name, text)
            for index, (arrival, text) in enumerate(zip(arrivals.tolist(), texts, strict=True))
        )

    def _note_gaps(self, records: Sequence[GoldenRecord]) -> None:
        """Breaks in the delivered diff chain once synced: ``U`` is not the previous ``u + 1``."""
        for record in records:
            if record.stream.endswith("@depthSnapshot"):
                self._snapshot_seen = True
            elif record.stream.endswith("@depth@100ms"):
                message = orjson.loads(record.data)
                previous, self._previous_u = self._previous_u, message["u"]
                if self._snapshot_seen and previous is not None and message["U"] != previous + 1:
                    self.injected["gaps"].append(
                        {"symbol": self.symbol, "after_u": previous, "resume_u": message["U"]}
                    )


def live_records(
    truth: Any, *, seed: int, faults: LiveFaults | None = None
) -> Iterator[GoldenRecord]:
    """Golden records of the live view of one window of ground truth, in capture order."""
    exchange = Exchange(truth.symbol, seed=seed, start_ns=int(truth.start_ns))
    connection = LiveConnection(
        truth.symbol,
        seed=seed,
        start_ns=int(truth.start_ns),
        end_ns=int(truth.end_ns),
        faults=faults or LiveFaults(),
    )
    feed = exchange.messages(truth)
    wanted = connection.snapshot_requests(truth, feed)
    yield from connection.deliver(feed, exchange.replay(truth, snapshots=wanted), horizon_ns=None)
