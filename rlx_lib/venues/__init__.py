"""Venue wire formats and the markets rlx captures: Binance spot and USD-M futures.

A market is one :class:`~rlx_lib.venues.binance.Market`: what each stream carries, its sync
rules, endpoints and Lake exchange name. A new market (COIN-M, another venue) is one more
module and one more entry in :data:`MARKETS`.
"""

from __future__ import annotations

import re

from rlx_lib.errors import ConfigError
from rlx_lib.venues.binance import SPOT, Market
from rlx_lib.venues.binance_futures import FUTURES_KEYS, PERP_SUFFIX, USDM

__all__ = [
    "MARKETS",
    "Market",
    "market",
    "market_of_exchange",
    "market_of_message",
    "market_of_path",
    "market_of_symbol",
    "raw_stream",
    "stream_kind",
]

MARKETS: dict[str, Market] = {SPOT.name: SPOT, USDM.name: USDM}


def market(name: str) -> Market:
    """The market called ``name`` (``spot`` or ``usdm``); anything else is a clear error."""
    found = MARKETS.get(name)
    if found is None:
        msg = f"market must be one of {', '.join(MARKETS)}, received {name!r}"
        raise ConfigError(msg)
    return found


def market_of_exchange(exchange: str) -> Market:
    """The market filed under Lake exchange ``exchange`` (``BINANCE``, ``BINANCE_FUTURES``)."""
    for candidate in MARKETS.values():
        if candidate.exchange == exchange:
            return candidate
    msg = f"exchange must be one of {', '.join(m.exchange for m in MARKETS.values())}, "
    msg += f"received {exchange!r}"
    raise ConfigError(msg)


def market_of_path(path: object) -> Market:
    """The market of a file from the ``exchange=`` part of its path (spot when it has none)."""
    found = re.search(r"exchange=([A-Z0-9_]+)", str(path))
    return market_of_exchange(found.group(1)) if found else SPOT


def market_of_symbol(symbol: str) -> Market:
    """The market of a Lake symbol: ``BTC-USDT-PERP`` is USD-M futures, others spot."""
    return USDM if symbol.upper().endswith(PERP_SUFFIX) else SPOT


def market_of_message(stream: str, data: bytes) -> Market | None:
    """Which market a captured message comes from, by its stream and fields (``data`` is the
    raw compact payload); None when it does not say (an aggTrade, an unknown stream).

    Streams only futures has (``@depth@0ms``, ``@markPrice``) are futures. Otherwise a diff
    with ``pu``, a trade with ``X``, a bookTicker with ``e`` and a snapshot with ``E`` are
    futures, and the same kinds without them spot; an aggTrade with ``M`` is spot's.
    """
    suffix = stream.partition("@")[2]
    if suffix not in SPOT.kinds:
        return USDM if suffix in USDM.kinds else None
    kind = SPOT.classify(stream)
    if kind == "agg_trade":
        return SPOT if b'"M":' in data else USDM
    key = FUTURES_KEYS.get(kind)
    if key is None:
        return None
    return USDM if b'"%s":' % key.encode() in data else SPOT


def raw_stream(data: dict) -> str | None:
    """The stream of a payload received without one (a raw ``/ws`` frame), from its market's
    ``e`` and ``s`` (None when it has no ``e``)."""
    chosen = USDM if "pu" in data or "X" in data else SPOT
    return chosen.raw_stream(data)


def stream_kind(stream: str) -> str:
    """The kind of a stream in whichever market names it (``@depth@0ms`` is futures only)."""
    kind = SPOT.classify(stream)
    return USDM.classify(stream) if kind == "other" else kind
