"""A deterministic Binance-shaped market feed for the test server, demos and benchmarks.

:func:`synthetic_feed` yields golden records for a few symbols: a REST snapshot first, then
``depth@100ms`` diffs with contiguous update ids, ``trade`` and ``aggTrade`` with contiguous
ids, and ``bookTicker``, in the proportions of a busy Binance spot symbol. With
``market="usdm"`` the same feed comes in USD-M futures shapes: ``depth@0ms`` diffs chained by
``pu`` over ids that skip (shared with other symbols), ``T`` on diffs, ``X`` on trades, ``e``,
``E`` and ``T`` on bookTickers (the first after a diff carries its ``u``), ``E`` and ``T`` on
snapshots. It is a wire-format generator, not a market model: for realistic markets use
:mod:`rlx_lib.synth`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from rlx_lib.golden import GoldenRecord
from rlx_lib.venues.binance import SNAPSHOT_SUFFIX

__all__ = ["synthetic_feed"]

_KINDS = ("depth@100ms", "trade", "trade", "aggTrade", "bookTicker", "bookTicker", "bookTicker")


def _price(ticks: int) -> str:
    return f"{ticks // 100}.{ticks % 100:02d}000000"


def synthetic_feed(
    symbols: Sequence[str],
    *,
    messages: int,
    seed: int = 0,
    start_ns: int = 1_723_161_600_000_000_000,
    levels: int = 20,
    market: str = "spot",
) -> Iterator[GoldenRecord]:
    """Yield a snapshot per symbol, then ``messages`` market records round-robin by symbol.

    Examples
    --------
    >>> [r.stream for r in synthetic_feed(["btcusdt"], messages=2)][:1]
    ['btcusdt@depthSnapshot']
    """
    rng = random.Random(seed)
    shape = _Shape(futures=market == "usdm", levels=levels)
    depth_kind = "depth@0ms" if shape.futures else "depth@100ms"
    state = {}
    for number, symbol in enumerate(symbols):
        snapshot, state[symbol] = _opening(rng, shape, number, symbol, start_ns)
        yield snapshot
    for index in range(messages):
        symbol = symbols[index % len(symbols)]
        kind = _KINDS[rng.randrange(len(_KINDS))]
        kind = depth_kind if kind == "depth@100ms" else kind
        at = state[symbol]
        event_ms = (start_ns + index * 1_000_000) // 1_000_000
        at["mid"] += rng.choice((-1, 0, 0, 1))
        make = _MAKERS.get(kind, _depth if kind == depth_kind else _book_ticker)
        data = make(rng, shape, at, symbol.upper(), event_ms)
        yield GoldenRecord(start_ns + index * 1_000_000, f"{symbol}@{kind}", orjson.dumps(data))


@dataclass(frozen=True)
class _Shape:
    futures: bool  # USD-M futures shapes
    levels: int  # price levels each side of the mid


def _opening(
    rng: random.Random, shape: _Shape, number: int, symbol: str, start_ns: int
) -> tuple[GoldenRecord, dict[str, int]]:
    """A symbol's REST snapshot and its starting state (mid, last ids)."""
    mid = 6_000_000 + 10_000 * number
    levels = shape.levels
    bids = [[_price(mid - i), f"{rng.randint(1, 900) / 100:.8f}"] for i in range(1, levels)]
    asks = [[_price(mid + i), f"{rng.randint(1, 900) / 100:.8f}"] for i in range(1, levels)]
    update_id = 1_000_000 * (number + 1)
    times = {"E": start_ns // 1_000_000, "T": start_ns // 1_000_000} if shape.futures else {}
    body = orjson.dumps({"lastUpdateId": update_id, **times, "bids": bids, "asks": asks})
    state = {
        "mid": mid,
        "u": update_id,  # last depth id sent
        "ticker": update_id,  # last bookTicker id, inside the next depth window
        "t": 10_000 * (number + 1),
        "a": 500 * (number + 1),
    }
    return GoldenRecord(start_ns, f"{symbol}@{SNAPSHOT_SUFFIX}", body), state


def _depth(
    rng: random.Random, shape: _Shape, at: dict[str, int], upper: str, event_ms: int
) -> dict[str, Any]:
    mid, levels = at["mid"], shape.levels
    previous = at["u"]
    first = previous + (rng.randint(1, 5) if shape.futures else 1)
    at["u"] = max(at["ticker"], first) + rng.randint(0, 10)
    bids = [
        [_price(mid - rng.randint(1, levels)), f"{rng.randint(0, 900) / 100:.8f}"]
        for _ in range(rng.randint(0, 6))
    ]
    asks = [
        [_price(mid + rng.randint(1, levels)), f"{rng.randint(0, 900) / 100:.8f}"]
        for _ in range(rng.randint(0, 6))
    ]
    if shape.futures:  # Binance's key order: e, E, T, s, U, u, pu, b, a
        data = {"e": "depthUpdate", "E": event_ms, "T": event_ms - 1, "s": upper}
        return data | {"U": first, "u": at["u"], "pu": previous, "b": bids, "a": asks}
    return {
        "e": "depthUpdate",
        "E": event_ms,
        "s": upper,
        "U": first,
        "u": at["u"],
        "b": bids,
        "a": asks,
    }


def _trade(
    rng: random.Random, shape: _Shape, at: dict[str, int], upper: str, event_ms: int
) -> dict[str, Any]:
    at["t"] += 1
    return {
        "e": "trade",
        "E": event_ms,
        "s": upper,
        "t": at["t"],
        "p": _price(at["mid"]),
        "q": "0.01200000",
        "T": event_ms - 1,
        "m": rng.random() < 0.5,
        **({"X": "MARKET"} if shape.futures else {"M": True}),
    }


def _agg_trade(
    rng: random.Random, shape: _Shape, at: dict[str, int], upper: str, event_ms: int
) -> dict[str, Any]:
    at["a"] += 1
    return {
        "e": "aggTrade",
        "E": event_ms,
        "s": upper,
        "a": at["a"],
        "p": _price(at["mid"]),
        "q": "0.05000000",
        "f": at["t"],
        "l": at["t"],
        "T": event_ms - 1,
        "m": False,
        **({} if shape.futures else {"M": True}),
    }


def _book_ticker(
    rng: random.Random, shape: _Shape, at: dict[str, int], upper: str, event_ms: int
) -> dict[str, Any]:
    ticker = at["ticker"]
    at["ticker"] = max(ticker + 1, at["u"]) if shape.futures else max(ticker, at["u"]) + 1
    mid = at["mid"]
    data = {
        "u": at["ticker"],
        "s": upper,
        "b": _price(mid - 1),
        "B": "1.50000000",
        "a": _price(mid + 1),
        "A": "0.25000000",
    }
    if shape.futures:
        return {"e": "bookTicker", **data, "T": event_ms - 1, "E": event_ms}
    return data


_MAKERS = {"trade": _trade, "aggTrade": _agg_trade}
