"""Binance USD-M futures (``fstream.binance.com``), Lake's ``BINANCE_FUTURES``.

Payloads are spot's with more fields: a diff carries ``T`` and ``pu`` (the previous diff's
final id), a trade ``X`` (order type) and no ``M``, a bookTicker ``e``, ``E`` and ``T``, a REST
snapshot ``E`` and ``T``; ``@markPrice`` has no spot twin. Update ids are shared across
symbols, so diffs chain by ``pu == previous u``, not ``U == previous u + 1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rlx_lib.venues.binance import (
    PARSERS,
    SNAPSHOT_SUFFIX,
    DepthSync,
    Market,
    SyncStep,
    SyncVerdict,
    T,
    parse_fields,
    read_int,
    read_text,
    read_units,
)

__all__ = [
    "EXCHANGE",
    "FUTURES_KEYS",
    "PERP_SUFFIX",
    "USDM",
    "FuturesDepthSync",
    "MarkPrice",
    "futures_payload",
    "parse_mark_price",
]

EXCHANGE = "BINANCE_FUTURES"
PERP_SUFFIX = "-PERP"
"""Lake's perpetual symbols: ``BTC-USDT-PERP`` is Binance ``BTCUSDT`` on ``fstream``."""
FUTURES_KEYS = {"depth": "pu", "trade": "X", "book_ticker": "e", "snapshot": "E"}
"""Per kind, the key only the futures payload carries (how a capture's market is told)."""


class FuturesDepthSync(DepthSync[T]):
    """The USD-M local-book rules: after a snapshot, diffs with ``u < lastUpdateId`` are stale
    and the first applied one has ``U <= lastUpdateId <= u``; every later one has
    ``pu == previous u``. Anything else is a gap (the book waits for a new snapshot)."""

    def __init__(self, *, max_buffer: int = 1_000_000) -> None:
        super().__init__(max_buffer=max_buffer)
        self.first_pending = True  # the next applied diff is the first after a snapshot

    def resume(self, update_id: int) -> None:
        """Carry on a synced book: the next diff must name ``update_id`` as its ``pu``."""
        super().resume(update_id)
        self.first_pending = False

    def snapshot(self, last_update_id: int) -> list[SyncStep[T]]:
        """Take a snapshot and replay the buffered diffs through the futures rules."""
        self.first_pending = True
        return super().snapshot(last_update_id)

    def diff(
        self, first: int, final: int, item: T, previous: int | None = None
    ) -> list[SyncStep[T]]:
        """Judge one diff with ids ``U=first``, ``u=final``, ``pu=previous``."""
        if self.update_id is None:
            self._buffer.append((first, final, item, previous))
            return [SyncStep(SyncVerdict.BUFFERED, first, final, item)]
        book = self.update_id
        if self.first_pending:
            if final < book:
                return [SyncStep(SyncVerdict.STALE, first, final, item)]
            broken = first > book
        else:
            if final <= book and previous != book:
                return [SyncStep(SyncVerdict.STALE, first, final, item)]
            broken = previous != book
        if broken:
            self.update_id = None
            self._buffer.append((first, final, item, previous))
            return [SyncStep(SyncVerdict.GAP, first, final, item, expected_first=book)]
        self.update_id = final
        self.first_pending = False
        return [SyncStep(SyncVerdict.APPLY, first, final, item)]


@dataclass(frozen=True, slots=True)
class MarkPrice:
    """A ``markPriceUpdate`` (``@markPrice@1s``): ``{"e":"markPriceUpdate","E":..,"s":"BTCUSDT",
    "p":"11794.15","i":"11784.62","P":"11784.25","r":"0.00038167","T":1562306400000}``."""

    event_time: int
    symbol: str
    mark_price: int  # p
    index_price: int  # i
    funding_rate: str  # r, kept as text (it can be negative)
    next_funding_time: int  # T


_MARK_PRICE = (
    ("event_time", "E", read_int),
    ("symbol", "s", read_text),
    ("mark_price", "p", read_units),
    ("index_price", "i", read_units),
    ("funding_rate", "r", read_text),
    ("next_funding_time", "T", read_int),
)


def parse_mark_price(raw: str | bytes | dict[str, Any]) -> MarkPrice:
    """Parse a ``markPriceUpdate``."""
    return parse_fields(MarkPrice, raw, "markPriceUpdate", _MARK_PRICE)


def futures_payload(kind: str, data: dict[str, Any], event_ms: int) -> dict[str, Any]:
    """A spot payload of ``kind`` in USD-M futures' shape (the synthetic market's futures view).

    A diff gains ``T`` and ``pu`` (its ``U - 1``: the synthetic ids are contiguous), a trade
    ``X`` instead of ``M``, an aggTrade loses ``M``, a bookTicker gains ``e``, ``E`` and ``T``
    (``event_ms``), a snapshot ``E`` and ``T``. Other kinds pass unchanged.
    """
    if kind == "depth":
        head = {"e": "depthUpdate", "E": data["E"], "T": data["E"], "s": data["s"]}
        ids = {"U": data["U"], "u": data["u"], "pu": data["U"] - 1}
        return {**head, **ids, "b": data["b"], "a": data["a"]}
    if kind == "trade":
        return {**{k: v for k, v in data.items() if k != "M"}, "X": "MARKET"}
    if kind == "agg_trade":
        return {k: v for k, v in data.items() if k != "M"}
    if kind == "book_ticker":
        return {"e": "bookTicker", **data, "T": event_ms, "E": event_ms}
    if kind == "snapshot":
        return {"lastUpdateId": data["lastUpdateId"], "E": event_ms, "T": event_ms, **data}
    return data


USDM = Market(
    name="usdm",
    exchange=EXCHANGE,
    ws_url="wss://fstream.binance.com",
    rest_url="https://fapi.binance.com",
    snapshot_path="/fapi/v1/depth",
    streams=("depth@0ms", "trade", "aggTrade", "bookTicker"),
    kinds={
        "depth": "depth",
        "depth@0ms": "depth",
        "depth@100ms": "depth",
        "depth@250ms": "depth",
        "depth@500ms": "depth",
        "trade": "trade",
        "aggTrade": "agg_trade",
        "bookTicker": "book_ticker",
        "markPrice": "mark_price",
        "markPrice@1s": "mark_price",
        SNAPSHOT_SUFFIX: "snapshot",
    },
    chained=True,
    sync_type=FuturesDepthSync,
    parsers={**PARSERS, "mark_price": parse_mark_price},
)
"""Binance USD-M futures; diffs chain by ``pu``."""
