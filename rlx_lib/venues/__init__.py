"""Venue wire formats and the markets rlx captures: Binance spot and USD-M futures.

A market is one :class:`~rlx_lib.venues.binance.Market`: what each stream carries, its sync
rules, endpoints and Lake exchange name. A new market (COIN-M, another venue) is one more
module and one more entry in :data:`MARKETS`.
"""

from __future__ import annotations

from rlx_lib.errors import ConfigError
from rlx_lib.venues.binance import SPOT, Market
from rlx_lib.venues.binance_futures import PERP_SUFFIX, USDM

__all__ = ["MARKETS", "Market", "market", "market_of_exchange", "market_of_symbol"]

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


def market_of_symbol(symbol: str) -> Market:
    """The market of a Lake symbol: ``BTC-USDT-PERP`` is USD-M futures, others spot."""
    return USDM if symbol.upper().endswith(PERP_SUFFIX) else SPOT
