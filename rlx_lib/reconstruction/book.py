"""``L2Book``: an exact L2 order book over the compiled kernel, for replay and for analysts.

Prices and sizes are int64 units of 1e-8 (:mod:`rlx_lib.decimals`). Bids and asks are separate;
a size of 0 removes a level; there is no depth limit. A crossed book is reported
(:attr:`L2Book.crossed`), never repaired.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from rlx_lib.decimals import format_units
from rlx_lib.reconstruction import kernel

__all__ = ["L2Book", "TopLevels"]


@dataclass(frozen=True)
class TopLevels:
    """Top levels after each replayed message: int64 units, 0 where a level is absent."""

    bid_price: np.ndarray  # (messages, depth)
    bid_size: np.ndarray
    ask_price: np.ndarray
    ask_size: np.ndarray
    crossed: np.ndarray  # (messages,) bool


class L2Book:
    """An exact, unlimited-depth L2 book.

    Examples
    --------
    >>> book = L2Book()
    >>> book.apply(is_bid=True, price=6_400_000_000_000, size=150_000_000)
    >>> book.apply(is_bid=False, price=6_400_001_000_000, size=20_000_000)
    >>> book.best_bid, book.best_ask
    ((6400000000000, 150000000), (6400001000000, 20000000))
    """

    def __init__(self, *, window: int = kernel.WINDOW, capacity: int = 1024) -> None:
        self._window = window
        self._state = kernel.new_state(window, capacity)

    # state -----------------------------------------------------------------------------
    def _grow(self, needed: int) -> None:
        dense, bits, meta, far_key, far_size = self._state
        capacity = far_key.shape[1]
        if needed < capacity:
            return
        new_capacity = max(capacity * 2, needed + 1)
        grown_key = np.zeros((2, new_capacity), dtype=np.int64)
        grown_size = np.zeros((2, new_capacity), dtype=np.int64)
        grown_key[:, :capacity] = far_key
        grown_size[:, :capacity] = far_size
        self._state = (dense, bits, meta, grown_key, grown_size)

    def _levels_count(self) -> int:
        meta = self._state[2]
        return int(max(meta[s, kernel.COUNT] + meta[s, kernel.FAR] for s in (0, 1)))

    def apply(self, *, is_bid: bool, price: int, size: int) -> None:
        """Set one level: ``size`` is the absolute new size, 0 removes the level."""
        self.apply_levels(
            np.array([is_bid], dtype=bool),
            np.array([price], dtype=np.int64),
            np.array([size], dtype=np.int64),
        )

    def apply_levels(self, is_bid: np.ndarray, price: np.ndarray, size: np.ndarray) -> bool:
        """Apply the level changes of one message in order; return True if the book is crossed."""
        top = self.replay(
            np.asarray(is_bid, dtype=bool),
            np.asarray(price, dtype=np.int64),
            np.asarray(size, dtype=np.int64),
            np.array([0, len(price)], dtype=np.int64),
            np.zeros(1, dtype=bool),
            depth=1,
        )
        return bool(top.crossed[0])

    def reset(self, bids: Iterable[tuple[int, int]], asks: Iterable[tuple[int, int]]) -> None:
        """Replace the whole book with a snapshot's levels (zero sizes are ignored)."""
        bid_levels = [(p, s) for p, s in bids if s != 0]
        ask_levels = [(p, s) for p, s in asks if s != 0]
        prices = np.array([p for p, _ in bid_levels + ask_levels], dtype=np.int64)
        sizes = np.array([s for _, s in bid_levels + ask_levels], dtype=np.int64)
        is_bid = np.zeros(len(prices), dtype=bool)
        is_bid[: len(bid_levels)] = True
        self.replay(
            is_bid,
            prices,
            sizes,
            np.array([0, len(prices)], dtype=np.int64),
            np.ones(1, dtype=bool),
            depth=1,
        )

    def replay(
        self,
        is_bid: np.ndarray,
        price: np.ndarray,
        size: np.ndarray,
        message_start: np.ndarray,
        message_reset: np.ndarray,
        *,
        depth: int = 20,
    ) -> TopLevels:
        """Apply many messages; return the top ``depth`` levels after each one.

        Message ``m`` is rows ``message_start[m]:message_start[m+1]``; ``message_reset[m]``
        marks a snapshot, which replaces the book.
        """
        messages = len(message_start) - 1
        out = TopLevels(
            bid_price=np.empty((messages, depth), dtype=np.int64),
            bid_size=np.empty((messages, depth), dtype=np.int64),
            ask_price=np.empty((messages, depth), dtype=np.int64),
            ask_size=np.empty((messages, depth), dtype=np.int64),
            crossed=np.zeros(messages, dtype=bool),
        )
        done = 0
        while done < messages:
            stopped = kernel.replay_messages(
                *self._state,
                is_bid,
                price,
                size,
                message_start,
                message_reset,
                done,
                out.bid_price[done:],
                out.bid_size[done:],
                out.ask_price[done:],
                out.ask_size[done:],
                out.crossed[done:],
            )
            if stopped < messages:
                rows = int(message_start[stopped + 1] - message_start[stopped])
                self._grow(self._levels_count() + rows + 1)
            done = stopped
        return out

    # reading ----------------------------------------------------------------------------
    def levels(self, *, is_bid: bool) -> tuple[np.ndarray, np.ndarray]:
        """Every level of one side as ``(prices, sizes)``, best first."""
        keys, sizes = kernel.side_levels(*self._state, 0 if is_bid else 1)
        return (-keys if is_bid else keys), sizes

    def top(self, depth: int = 20) -> dict[str, list[tuple[int, int]]]:
        """The best ``depth`` levels per side: ``{"bids": [(price, size), ..], "asks": [..]}``."""
        result = {}
        for name, is_bid in (("bids", True), ("asks", False)):
            prices, sizes = self.levels(is_bid=is_bid)
            result[name] = list(zip(prices[:depth].tolist(), sizes[:depth].tolist(), strict=True))
        return result

    def _best(self, side: int) -> tuple[int, int] | None:
        keys = np.empty((1, 1), dtype=np.int64)
        sizes = np.empty((1, 1), dtype=np.int64)
        if kernel.top_levels(*self._state, side, 1, keys, sizes, 0) == 0:
            return None
        price = int(keys[0, 0])
        return (-price if side == 0 else price), int(sizes[0, 0])

    @property
    def best_bid(self) -> tuple[int, int] | None:
        """``(price, size)`` of the best bid, or None."""
        return self._best(0)

    @property
    def best_ask(self) -> tuple[int, int] | None:
        """``(price, size)`` of the best ask, or None."""
        return self._best(1)

    @property
    def crossed(self) -> bool:
        """True when the best bid is at or above the best ask."""
        bid, ask = self.best_bid, self.best_ask
        return bid is not None and ask is not None and bid[0] >= ask[0]

    def depth(self) -> tuple[int, int]:
        """Number of levels ``(bids, asks)``."""
        meta = self._state[2]
        return tuple(int(meta[s, kernel.COUNT] + meta[s, kernel.FAR]) for s in (0, 1))

    def snapshot_arrays(self) -> dict[str, np.ndarray]:
        """All levels as arrays (for checkpoints): ``bid_price, bid_size, ask_price, ask_size``."""
        bid_price, bid_size = self.levels(is_bid=True)
        ask_price, ask_size = self.levels(is_bid=False)
        return {
            "bid_price": bid_price,
            "bid_size": bid_size,
            "ask_price": ask_price,
            "ask_size": ask_size,
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> L2Book:
        """Rebuild a book from :meth:`snapshot_arrays`."""
        book = cls()
        book.reset(
            zip(arrays["bid_price"].tolist(), arrays["bid_size"].tolist(), strict=True),
            zip(arrays["ask_price"].tolist(), arrays["ask_size"].tolist(), strict=True),
        )
        return book

    def __repr__(self) -> str:
        bids, asks = self.depth()
        bid, ask = self.best_bid, self.best_ask
        show = "/".join(format_units(level[0]) if level else "-" for level in (bid, ask))
        return f"L2Book(bids={bids}, asks={asks}, best={show})"

    def _repr_html_(self) -> str:
        top = self.top(10)
        rows = []
        for index in range(max(len(top["bids"]), len(top["asks"]))):
            cells = []
            for name in ("bids", "asks"):
                level = top[name][index] if index < len(top[name]) else None
                cells.extend(
                    [html.escape(format_units(level[1])), html.escape(format_units(level[0]))]
                    if level
                    else ["", ""]
                )
            bid_size, bid_price, ask_size, ask_price = cells
            rows.append(
                f"<tr><td>{bid_size}</td><td>{bid_price}</td>"
                f"<td>{ask_price}</td><td>{ask_size}</td></tr>"
            )
        bids, asks = self.depth()
        head = (
            "<tr><th>bid size</th><th>bid</th><th>ask</th><th>ask size</th></tr>"
            if rows
            else "<tr><td>empty book</td></tr>"
        )
        note = " <b>crossed</b>" if self.crossed else ""
        return (
            f"<div><small>L2Book: {bids} bids, {asks} asks{note}</small>"
            f"<table>{head}{''.join(rows)}</table></div>"
        )
