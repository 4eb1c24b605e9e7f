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
    futures = market == "usdm"
    depth_kind = "depth@0ms" if futures else "depth@100ms"
    state = {}
    for number, symbol in enumerate(symbols):
        mid = 6_000_000 + 10_000 * number
        bids = [[_price(mid - i), f"{rng.randint(1, 900) / 100:.8f}"] for i in range(1, levels)]
        asks = [[_price(mid + i), f"{rng.randint(1, 900) / 100:.8f}"] for i in range(1, levels)]
        update_id = 1_000_000 * (number + 1)
        times = {"E": start_ns // 1_000_000, "T": start_ns // 1_000_000} if futures else {}
        body = orjson.dumps({"lastUpdateId": update_id, **times, "bids": bids, "asks": asks})
        yield GoldenRecord(start_ns, f"{symbol}@{SNAPSHOT_SUFFIX}", body)
        state[symbol] = {
            "mid": mid,
            "u": update_id,  # last depth id sent
            "ticker": update_id,  # last bookTicker id, inside the next depth window
            "t": 10_000 * (number + 1),
            "a": 500 * (number + 1),
        }
    for index in range(messages):
        symbol = symbols[index % len(symbols)]
        kind = _KINDS[rng.randrange(len(_KINDS))]
        kind = depth_kind if kind == "depth@100ms" else kind
        at = state[symbol]
        event_ms = (start_ns + index * 1_000_000) // 1_000_000
        upper = symbol.upper()
        mid = at["mid"] = at["mid"] + rng.choice((-1, 0, 0, 1))
        if kind == depth_kind:
            previous = at["u"]
            first = previous + (rng.randint(1, 5) if futures else 1)
            at["u"] = max(at["ticker"], first) + rng.randint(0, 10)
            bids = [
                [_price(mid - rng.randint(1, levels)), f"{rng.randint(0, 900) / 100:.8f}"]
                for _ in range(rng.randint(0, 6))
            ]
            asks = [
                [_price(mid + rng.randint(1, levels)), f"{rng.randint(0, 900) / 100:.8f}"]
                for _ in range(rng.randint(0, 6))
            ]
            data = {
                "e": "depthUpdate",
                "E": event_ms,
                "s": upper,
                "U": first,
                "u": at["u"],
                "b": bids,
                "a": asks,
            }
            if futures:  # Binance's key order: e, E, T, s, U, u, pu, b, a
                data = {"e": "depthUpdate", "E": event_ms, "T": event_ms - 1, "s": upper}
                data |= {"U": first, "u": at["u"], "pu": previous, "b": bids, "a": asks}
        elif kind == "trade":
            at["t"] += 1
            data = {
                "e": "trade",
                "E": event_ms,
                "s": upper,
                "t": at["t"],
                "p": _price(mid),
                "q": "0.01200000",
                "T": event_ms - 1,
                "m": rng.random() < 0.5,
                **({"X": "MARKET"} if futures else {"M": True}),
            }
        elif kind == "aggTrade":
            at["a"] += 1
            data = {
                "e": "aggTrade",
                "E": event_ms,
                "s": upper,
                "a": at["a"],
                "p": _price(mid),
                "q": "0.05000000",
                "f": at["t"],
                "l": at["t"],
                "T": event_ms - 1,
                "m": False,
                **({} if futures else {"M": True}),
            }
        else:
            at["ticker"] = (
                max(at["ticker"] + 1, at["u"]) if futures else (max(at["ticker"], at["u"]) + 1)
            )
            data = {
                "u": at["ticker"],
                "s": upper,
                "b": _price(mid - 1),
                "B": "1.50000000",
                "a": _price(mid + 1),
                "A": "0.25000000",
            }
            if futures:
                data = {"e": "bookTicker", **data, "T": event_ms - 1, "E": event_ms}
        yield GoldenRecord(start_ns + index * 1_000_000, f"{symbol}@{kind}", orjson.dumps(data))
