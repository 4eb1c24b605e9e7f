"""Every symbol's validation state, by market, and what each stream name means."""

from __future__ import annotations

from typing import NamedTuple

from rlx_lib.validation.state import SymbolState
from rlx_lib.venues.binance import SPOT, Market

__all__ = ["Stream", "Symbols"]


class Stream(NamedTuple):
    """A stream name read: its Binance symbol (``BTCUSDT``) and message kind."""

    symbol: str
    kind: str


class Symbols:
    """The states of the symbols seen so far: spot and USD-M futures apart, each by Binance
    symbol. ``market`` is the market of the file being read (its path says which)."""

    def __init__(self, window: int) -> None:
        self.window = window
        self.market: Market = SPOT
        self.spot: dict[str, SymbolState] = {}
        self.futures: dict[str, SymbolState] = {}
        self.hashes: dict[int, Stream] = {}  # stream-name hash (of the scan) -> stream
        self._streams: dict[tuple, Stream] = {}

    def state(self, symbol: str) -> SymbolState:
        """The state of ``symbol`` in the current market, created at its first message."""
        states = self.futures if self.market.chained else self.spot
        state = states.get(symbol)
        if state is None:
            state = states[symbol] = SymbolState(symbol, self.window, self.market.name)
        return state

    def stream(self, stream: str, event: str | None = None) -> Stream:
        """What ``stream`` is; the market's classifier decides the kind."""
        key = (self.market.name, stream, event)
        known = self._streams.get(key)
        if known is None:
            symbol = stream.partition("@")[0].upper()
            known = self._streams[key] = Stream(symbol, self.market.classify(stream, event))
        return known

    def all(self) -> list[SymbolState]:
        """Spot states, then futures ones, each in the order first seen."""
        return [*self.spot.values(), *self.futures.values()]
