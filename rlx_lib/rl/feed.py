"""hftbacktest feeds of both sides of a fidelity alignment: the vendor's and the live book.

Each side's feed is rebuilt from its own reconstructed book states (at the update ids both
sides hold) and its own aggregate trades: the first state is a snapshot, each later state
emits the level changes from the one before (a level leaving the top N is a deletion, on both
sides alike). Exchange time is the message's (shared) exchange time, trades' their own.

Clocks (``clock``): ``"constant"`` (default) gives both sides the same local clock, exchange
time plus one constant feed latency, so the gap isolates the data's content; ``"recorded"``
uses each side's own receive time of each message.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import polars as pl
from hftbacktest import (
    BUY_EVENT,
    DEPTH_CLEAR_EVENT,
    DEPTH_EVENT,
    DEPTH_SNAPSHOT_EVENT,
    SELL_EVENT,
    TRADE_EVENT,
    event_dtype,
)

from rlx_lib.errors import ConfigError, DataRangeError
from rlx_lib.rl.convert import UNIT, order_by_clocks

__all__ = ["CLOCKS", "Side", "event_trades", "feed_latency", "side_feed", "sides", "single_trades"]

CLOCKS = ("constant", "recorded")
_MS = 1_000_000


@dataclass(frozen=True)
class Side:
    """One side's book states and trades, as plain arrays in 1e-8 units."""

    levels: np.ndarray  # (states, 2, depth, 2): side, level, (price, size); -1 empty
    exch_ns: np.ndarray  # exchange time of each state
    received_ns: np.ndarray  # this side's receive time of each state
    trades: pl.DataFrame  # origin_ms, price, is_buy, quantity, received_ns


def feed_latency(aligned) -> int:
    """Median live feed latency (receive minus exchange time), ns; 0 if the clock runs behind."""
    messages = aligned.reference_messages.filter(pl.col("origin_ns") > 0)
    if messages.is_empty():
        return 0
    median = (messages["received_ns"] - messages["origin_ns"]).median()
    return max(int(median), 0)


def sides(aligned) -> tuple[Side, Side]:
    """(live, vendor) sides of an alignment; a window with one side empty is an error."""
    books = aligned.books
    if books.update_id.size == 0:
        msg = (
            f"{aligned.symbol}: the vendor and the live book share no state in this window "
            "(one side is missing); reconstruct both sources over the same days"
        )
        raise DataRangeError(msg)
    inside = books.period >= 0
    keep = inside if inside.any() else np.ones(books.update_id.size, dtype=bool)
    exch = _known_times(books.origin_ns[keep])
    result = []
    for levels, messages, trades in (
        (books.reference, aligned.reference_messages, aligned.reference_trades),
        (books.candidate, aligned.candidate_messages, aligned.candidate_trades),
    ):
        received = _received(messages, books.update_id[keep], exch)
        result.append(Side(levels[keep], exch, received, trades))
    return result[0], result[1]


def _known_times(exch: np.ndarray) -> np.ndarray:
    """Exchange times with the unknown ones (0: a REST snapshot) taken from the next known."""
    known = np.where(exch > 0, exch, np.iinfo(np.int64).max)
    filled = np.minimum.accumulate(known[::-1])[::-1]
    return np.where(filled == np.iinfo(np.int64).max, exch.max(), filled).astype(np.int64)


def _received(messages: pl.DataFrame, update_id: np.ndarray, exch: np.ndarray) -> np.ndarray:
    """This side's receive time of each state (its exchange time where it has no message)."""
    ids = messages["update_id"].to_numpy()
    if not ids.size:
        return exch.astype(np.int64)
    received = messages["received_ns"].to_numpy()
    where = np.clip(np.searchsorted(ids, update_id), 0, ids.size - 1)
    return np.where(ids[where] == update_id, received[where], exch).astype(np.int64)


def event_trades(events: pl.DataFrame) -> pl.DataFrame:
    """The trade rows of ``events/`` (aggregates when the capture recorded them) as a feed's
    trades: ``origin_ms``, ``price``, ``is_buy``, ``quantity``, ``received_ns``, one a row."""
    return _feed_trades(events.filter(pl.col("kind").cast(pl.String) == "trade"))


def single_trades(trades: pl.DataFrame | None) -> pl.DataFrame | None:
    """The live side's single fills (``trades/`` rows) as a feed's trades; None without any."""
    if trades is None or trades.is_empty():
        return None
    return _feed_trades(trades)


def _feed_trades(rows: pl.DataFrame) -> pl.DataFrame:
    """Trade rows (``EVENTS`` or ``TRADES`` columns) in the feed's columns and 1e-8 units."""
    return rows.select(
        ((pl.col("origin_time").dt.epoch("ns") + _MS // 2) // _MS).alias("origin_ms"),
        (pl.col("price") * UNIT).cast(pl.Int64).alias("price"),
        pl.col("side_is_bid").alias("is_buy"),
        (pl.col("size") * UNIT).cast(pl.Int64).alias("quantity"),
        pl.col("received_time").dt.epoch("ns").alias("received_ns"),
    ).sort("origin_ms", maintain_order=True)


def side_feed(side: Side, *, clock: str = "constant", latency_ns: int = 0) -> np.ndarray:
    """The feed (``event_dtype`` rows, both clocks flagged and ordered) of one side."""
    if clock not in CLOCKS:
        msg = f"unknown clock {clock!r}; choose constant or recorded"
        raise ConfigError(msg)
    state, is_bid, price, size, kind = _level_changes(side.levels)
    exch = side.exch_ns[state]
    local = exch + latency_ns if clock == "constant" else side.received_ns[state]
    flags = np.where(kind == 0, DEPTH_EVENT, np.where(kind == 1, DEPTH_SNAPSHOT_EVENT, 0))
    flags = np.where(kind == 2, DEPTH_CLEAR_EVENT, flags).astype(np.uint64)
    flags |= np.where(is_bid, BUY_EVENT, SELL_EVENT).astype(np.uint64)
    within = (pl.col("origin_ms") * _MS).is_between(int(side.exch_ns[0]), int(side.exch_ns[-1]))
    trades = side.trades.filter(within)  # the span of the shared states only
    trade_exch = trades["origin_ms"].to_numpy() * _MS
    trade_local = (
        trade_exch + latency_ns if clock == "constant" else trades["received_ns"].to_numpy()
    )
    rows = np.zeros(state.size + trades.height, dtype=event_dtype)
    rows["ev"] = np.concatenate(
        [flags, (TRADE_EVENT | np.where(trades["is_buy"].to_numpy(), BUY_EVENT, SELL_EVENT))]
    ).astype(np.uint64)
    rows["exch_ts"] = np.concatenate([exch, trade_exch])
    rows["local_ts"] = np.concatenate([local, trade_local])
    rows["px"] = np.concatenate([price, trades["price"].to_numpy()]) / UNIT
    rows["px"][: state.size][kind == 2] = np.nan
    rows["qty"] = np.concatenate([size, trades["quantity"].to_numpy()]) / UNIT
    # trades first at equal times (a depth message reflects the trades before it)
    rank = np.concatenate([np.ones(state.size), np.zeros(trades.height)])
    rows = rows[np.lexsort((rank, rows["local_ts"]))]
    rows["local_ts"] = np.maximum.accumulate(rows["local_ts"])
    return order_by_clocks(rows)


@numba.njit(cache=True)
def _changes_kernel(levels):  # pragma: no cover - compiled
    states, _, depth, _ = levels.shape
    capacity = 2 * depth * (2 * states + 1) + 2
    state = np.empty(capacity, np.int64)
    side = np.empty(capacity, np.bool_)
    price = np.empty(capacity, np.int64)
    size = np.empty(capacity, np.int64)
    kind = np.empty(capacity, np.int8)
    n = 0
    for s in range(states):
        for k in range(2):
            if s == 0:
                state[n], side[n], price[n], size[n], kind[n] = 0, k == 0, 0, 0, 2
                n += 1
                for j in range(depth):
                    if levels[0, k, j, 0] >= 0:
                        state[n], side[n] = 0, k == 0
                        price[n], size[n], kind[n] = levels[0, k, j, 0], levels[0, k, j, 1], 1
                        n += 1
                continue
            for j in range(depth):  # deletions: prices gone from the window
                old = levels[s - 1, k, j, 0]
                if old < 0:
                    continue
                kept = False
                for m in range(depth):
                    if levels[s, k, m, 0] == old:
                        kept = True
                        break
                if not kept:
                    state[n], side[n], price[n], size[n], kind[n] = s, k == 0, old, 0, 0
                    n += 1
            for m in range(depth):  # new or resized levels
                new = levels[s, k, m, 0]
                if new < 0:
                    continue
                before = -1
                for j in range(depth):
                    if levels[s - 1, k, j, 0] == new:
                        before = levels[s - 1, k, j, 1]
                        break
                if before != levels[s, k, m, 1]:
                    state[n], side[n], kind[n] = s, k == 0, 0
                    price[n], size[n] = new, levels[s, k, m, 1]
                    n += 1
    return state[:n], side[:n], price[:n], size[:n], kind[:n]


def _level_changes(levels: np.ndarray):
    """(state, is_bid, price, size, kind) of each level change; kind 0 diff, 1 snapshot, 2 clear."""
    return _changes_kernel(np.ascontiguousarray(levels, dtype=np.int64))
