"""A small exact L2 book: validation's own instrument for crossed-book and bookTicker checks.

Prices and sizes are int64 units of 1e-8; bids and asks are separate sorted maps (the same price
may sit in both within one message). Quantities are absolute and 0 removes the level.
"""

from __future__ import annotations

from collections.abc import Iterable

from sortedcontainers import SortedDict

__all__ = ["ExactBook", "Top"]

Top = tuple[int | None, int | None, int | None, int | None]
"""``(bid_price, bid_size, ask_price, ask_size)`` in units; ``None`` for an empty side."""


class ExactBook:
    """Bids and asks as sorted ``price -> size`` maps.

    Examples
    --------
    >>> book = ExactBook([(100, 5)], [(101, 7)])
    >>> book.apply([(100, 0), (99, 1)], [])
    >>> book.top()
    (99, 1, 101, 7)
    """

    __slots__ = ("asks", "bids")

    def __init__(
        self, bids: Iterable[tuple[int, int]] = (), asks: Iterable[tuple[int, int]] = ()
    ) -> None:
        self.bids: SortedDict = SortedDict()
        self.asks: SortedDict = SortedDict()
        self.apply(bids, asks)

    def apply(self, bids: Iterable[tuple[int, int]], asks: Iterable[tuple[int, int]]) -> None:
        """Set absolute sizes; a size of 0 removes the level (absent levels are fine)."""
        for side, changes in ((self.bids, bids), (self.asks, asks)):
            for price, size in changes:
                if size:
                    side[price] = size
                else:
                    side.pop(price, None)

    def top(self) -> Top:
        """Best bid and best ask with their sizes."""
        bid = self.bids.peekitem(-1) if self.bids else (None, None)
        ask = self.asks.peekitem(0) if self.asks else (None, None)
        return bid[0], bid[1], ask[0], ask[1]

    @property
    def crossed(self) -> bool:
        """True when the best bid is at or above the best ask."""
        return bool(
            self.bids and self.asks and self.bids.peekitem(-1)[0] >= self.asks.peekitem(0)[0]
        )
