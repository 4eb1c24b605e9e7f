"""The live view: what Binance sends for a ground-truth market, as golden records.

From a :class:`~rlx_lib.synth.market.TruthStream` this derives the exchange's messages exactly
as Binance publishes them (``shared/research/binance.md``, ``calibration.md`` §1, §6, §12-14):

- ``depth@100ms``: one ``depthUpdate`` per 100 ms window of exchange time holding a change;
  ``U``/``u`` the first and last update id of the window; ``b``/``a`` the final absolute size
  of every price changed in the window (a level born and killed inside it is sent as ``0``),
  bids best first, then asks best first; ``E`` the window end, now and then 1 ms late;
- ``trade`` per fill and ``aggTrade`` per (taker order, price), ``E - T`` a few ms, growing
  with the size of the sweep;
- ``bookTicker`` whenever the best bid or ask (price or size) changes, carrying that change's id;
- REST depth snapshots (1000 levels a side) requested when the first diff arrives, so they
  land after 2-3 diffs, some of them stale.

Delivery (:func:`build_live`) adds a network latency with jitter that never reorders a stream,
a constant capture clock offset, ``_session`` records, and the live faults of
:mod:`rlx_lib.synth.faults`. Records come out in capture order.
"""

from __future__ import annotations

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
    "Feed",
    "LiveView",
    "build_live",
    "exchange_feed",
    "live_records",
    "replay_book",
]

WINDOW_NS = 100_000_000
MS = 1_000_000
REST_DEPTH = 1000
LIVE_STREAMS = ("depth@100ms", "trade", "aggTrade", "bookTicker")


@dataclass(frozen=True)
class Feed:
    """What the exchange publishes for one symbol, before any delivery.

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


def _depth_windows(truth: Any, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Window index of every change, and the end (ms) of every window index used."""
    phase = int(truth.start_ns) - int(rng.integers(0, 100)) * MS
    window = (np.asarray(truth.change_time_ns, dtype=np.int64) - phase) // WINDOW_NS
    return window, phase


def _depth(truth: Any, rng: np.random.Generator, symbol: str) -> tuple[np.ndarray, ...]:
    window, phase = _depth_windows(truth, rng)
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


def _trades(truth: Any, rng: np.random.Generator, symbol: str) -> tuple[np.ndarray, ...]:
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
    event_ms = np.maximum.accumulate(time_ms + base + growth)
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
    first_agg = 1 + int(trade_id[0]) // 3 if count else 1
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


def replay_book(
    truth: Any, *, snapshots: dict[int, int] | None = None
) -> tuple[np.ndarray, list[bytes], dict[int, bytes]]:
    """Replay the truth book: bookTicker messages, and REST snapshots.

    ``snapshots`` maps an update id to a depth (levels a side). Returns
    ``(ticker_time_ns, ticker_json, bodies)``; ``bodies`` maps each requested id to the raw
    ``/api/v3/depth`` body of the book right after that id.
    """
    wanted = dict(snapshots or {})
    symbol = binance_symbol(truth.symbol).upper()
    bids = SortedDict(
        zip(truth.initial_bid_price.tolist(), truth.initial_bid_size.tolist(), strict=True)
    )
    asks = SortedDict(
        zip(truth.initial_ask_price.tolist(), truth.initial_ask_size.tolist(), strict=True)
    )
    first = int(truth.first_update_id)
    bodies: dict[int, bytes] = {}
    if first - 1 in wanted:
        bodies[first - 1] = _snapshot_json(first - 1, bids, asks, wanted[first - 1])
    times: list[int] = []
    texts: list[bytes] = []
    top: tuple[Any, Any] = (None, None)
    change_time = truth.change_time_ns.tolist()
    is_bids = truth.change_is_bid.tolist()
    prices = truth.change_price.tolist()
    sizes = truth.change_size.tolist()
    for index, price in enumerate(prices):
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
    return np.asarray(times, dtype=np.int64), texts, bodies


def _snapshot_json(update_id: int, bids: SortedDict, asks: SortedDict, depth: int) -> bytes:
    bid_keys = list(islice(reversed(bids.keys()), depth))
    ask_keys = list(islice(asks.keys(), depth))
    return (
        f'{{"lastUpdateId":{update_id},'
        f'"bids":[{_levels_json(bid_keys, [bids[k] for k in bid_keys])}],'
        f'"asks":[{_levels_json(ask_keys, [asks[k] for k in ask_keys])}]}}'
    ).encode()


def exchange_feed(truth: Any, *, seed: int) -> Feed:
    """Every depth, trade and aggTrade message the exchange publishes for ``truth``."""
    rng = np.random.default_rng([seed, 0x11FE])
    symbol = binance_symbol(truth.symbol).upper()
    depth_ms, first_ids, final_ids, depth_json = _depth(truth, rng, symbol)
    trade_ms, trade_json, agg_ms, agg_json = _trades(truth, rng, symbol)
    return Feed(
        symbol=symbol,
        depth_event_ms=depth_ms,
        depth_first_id=first_ids,
        depth_final_id=final_ids,
        depth_json=depth_json,
        trade_event_ms=trade_ms,
        trade_json=trade_json,
        agg_event_ms=agg_ms,
        agg_json=agg_json,
    )


def update_id_at(truth: Any, time_ns: int) -> int:
    """The id of the last change at or before ``time_ns`` (``first_update_id - 1`` if none)."""
    position = int(np.searchsorted(truth.change_time_ns, time_ns, side="right"))
    return int(truth.first_update_id) + position - 1


def _arrivals(exchange_ns: np.ndarray, rng: np.random.Generator, *, jitter_ns: float) -> np.ndarray:
    """Network latency with jitter that never reorders a stream (calibration §6, §12)."""
    latency = 4 * MS + rng.gamma(2.0, jitter_ns, size=len(exchange_ns)).astype(np.int64)
    arrival = np.asarray(exchange_ns, dtype=np.int64) + latency
    return np.maximum.accumulate(arrival) if len(arrival) else arrival


@dataclass(frozen=True)
class LiveView:
    """Golden records of one symbol in capture order, and the faults injected into them."""

    records: list[GoldenRecord]
    injected: dict[str, Any]
    snapshots: dict[int, bytes]  # every REST body produced, by lastUpdateId (extras included)


_KIND_ORDER = {
    "_session": 0,
    "depthSnapshot": 1,
    "depth@100ms": 2,
    "bookTicker": 3,
    "trade": 4,
    "aggTrade": 5,
}


def _rest_request(truth: Any, arrival_ns: int, rng: np.random.Generator) -> tuple[int, int]:
    """A REST snapshot asked for when a diff arrives: ``(lastUpdateId, response arrival)``."""
    request = arrival_ns + int(rng.integers(60, 160)) * MS
    served = request + int(rng.integers(5, 20)) * MS
    return update_id_at(truth, served), request + int(rng.integers(150, 300)) * MS


def build_live(
    truth: Any,
    feed: Feed,
    *,
    seed: int,
    faults: LiveFaults | None = None,
    extra_snapshots: dict[int, int] | None = None,
) -> LiveView:
    """Deliver ``feed`` as a live connection would receive it, with the given faults.

    ``extra_snapshots`` (id -> depth) asks the same book replay for more REST bodies (the
    vendor view's), returned in :attr:`LiveView.snapshots`.
    """
    faults = faults or LiveFaults()
    rng = np.random.default_rng([seed, 0x1173])
    base = binance_symbol(truth.symbol)
    depth_arrival = _arrivals(feed.depth_event_ms * MS, rng, jitter_ns=0.6 * MS)
    trade_arrival = _arrivals(feed.trade_event_ms * MS, rng, jitter_ns=1.2 * MS)
    agg_arrival = _arrivals(feed.agg_event_ms * MS, rng, jitter_ns=1.2 * MS)
    connected = int(truth.start_ns)
    requests: list[tuple[int, int]] = []  # (lastUpdateId, arrival)
    if len(depth_arrival):
        requests.append(_rest_request(truth, int(depth_arrival[0]), rng))
    not_before = requests[0][1] + 1_000 * MS if requests else int(truth.end_ns)
    outages = plan_disconnects(
        faults.disconnects, start_ns=not_before, end_ns=int(truth.end_ns), rng=rng
    )
    for _, back in outages:
        later = int(np.searchsorted(depth_arrival, back, side="left"))
        if later < len(depth_arrival):
            requests.append(_rest_request(truth, int(depth_arrival[later]), rng))
    wanted = {update_id: REST_DEPTH for update_id, _ in requests}
    for update_id, depth in (extra_snapshots or {}).items():
        wanted[update_id] = max(depth, wanted.get(update_id, 0))
    ticker_ns, ticker_json, bodies = replay_book(truth, snapshots=wanted)
    ticker_arrival = _arrivals(ticker_ns, rng, jitter_ns=0.6 * MS)

    events: list[tuple[int, int, int, str, bytes]] = []

    def add(arrivals: np.ndarray, kind: str, texts: Sequence[bytes]) -> None:
        name = stream_name(base, kind)
        order = _KIND_ORDER[kind]
        events.extend(
            (arrival, order, index, name, text)
            for index, (arrival, text) in enumerate(zip(arrivals.tolist(), texts, strict=True))
        )

    add(depth_arrival, "depth@100ms", feed.depth_json)
    add(trade_arrival, "trade", feed.trade_json)
    add(agg_arrival, "aggTrade", feed.agg_json)
    add(ticker_arrival, "bookTicker", ticker_json)
    snapshot_stream = stream_name(base, SNAPSHOT_SUFFIX)
    for number, (update_id, arrival) in enumerate(requests):
        events.append(
            (arrival, _KIND_ORDER["depthSnapshot"], number, snapshot_stream, bodies[update_id])
        )
    streams = [stream_name(base, kind) for kind in LIVE_STREAMS]
    session = {"event": "connected", "symbols": [base], "streams": streams}
    events.append((connected, 0, 0, SESSION_STREAM, orjson.dumps(session)))
    for number, (down, back) in enumerate(outages):
        events = [e for e in events if not (down <= e[0] < back) or e[3] == SESSION_STREAM]
        lost = {"event": "disconnected", "symbols": [base], "reason": "synthetic disconnect"}
        events.append((down, 0, 2 * number + 1, SESSION_STREAM, orjson.dumps(lost)))
        events.append((back, 0, 2 * number + 2, SESSION_STREAM, orjson.dumps(session)))
    events.sort(key=lambda e: e[:3])
    clock = np.random.default_rng([seed, 0xC10C])  # its own stream: faults leave it alone
    offset = int(clock.integers(0, 3 * MS)) + faults.clock_skew_ns  # capture clock ahead
    records = [GoldenRecord(arrival + offset, name, text) for arrival, _, _, name, text in events]
    records, swaps = reorder_neighbours(records, rate=faults.reorder_rate, rng=rng)
    injected = {
        "gaps": _gaps(records, truth.symbol),
        "disconnects": [
            {"symbol": truth.symbol, "down_ns": down + offset, "up_ns": back + offset}
            for down, back in outages
        ],
        "out_of_order": [{"symbol": truth.symbol, **swap} for swap in swaps],
        "clock_skew_ns": faults.clock_skew_ns,
    }
    return LiveView(records=records, injected=injected, snapshots=bodies)


def _gaps(records: Sequence[GoldenRecord], symbol: str) -> list[dict[str, Any]]:
    """Breaks in the delivered diff chain: ``U`` not equal to the previous ``u + 1``."""
    gaps = []
    previous = None
    for record in records:
        if not record.stream.endswith("@depth@100ms"):
            continue
        message = orjson.loads(record.data)
        if previous is not None and message["U"] != previous + 1:
            gaps.append({"symbol": symbol, "after_u": previous, "resume_u": message["U"]})
        previous = message["u"]
    return gaps


def live_records(
    truth: Any, *, seed: int, faults: LiveFaults | None = None
) -> Iterator[GoldenRecord]:
    """Golden records of the live view of ``truth`` in capture order."""
    view = build_live(truth, exchange_feed(truth, seed=seed), seed=seed, faults=faults)
    yield from view.records
