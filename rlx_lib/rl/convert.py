"""rlx's ``events/`` rows as hftbacktest feed rows (``hftbacktest.event_dtype``).

One row per level change or trade, in rlx's own order (the ``sequence`` column). A snapshot
opens with a depth clear of each side (``px`` NaN: the whole side), then one snapshot row per
level. Exchange time is ``origin_time``; a snapshot row has none, so it takes the earliest
exchange time at or after it. Local time is ``received_time``, held non-decreasing in rlx's
order (a REST snapshot is fetched after the first diffs were buffered, yet applied before them).

hftbacktest reads exchange-flagged rows in exchange time and local-flagged rows in local time.
A row whose two clocks agree in order with every other row carries both flags; any other row is
written twice, once per clock, each copy where its clock puts it.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from hftbacktest import (
    BUY_EVENT,
    DEPTH_CLEAR_EVENT,
    DEPTH_EVENT,
    DEPTH_SNAPSHOT_EVENT,
    EXCH_EVENT,
    LOCAL_EVENT,
    SELL_EVENT,
    TRADE_EVENT,
    event_dtype,
)

from rlx_lib.errors import SchemaError

__all__ = ["UNIT", "events_to_feed", "order_by_clocks", "rows_to_feed"]

UNIT = 100_000_000
"""Scaled integer units per price or size unit (1e-8)."""

_KIND_FLAG = {"delta": DEPTH_EVENT, "snapshot": DEPTH_SNAPSHOT_EVENT, "trade": TRADE_EVENT}


def events_to_feed(events: pl.DataFrame) -> np.ndarray:
    """Feed rows for one ``EVENTS`` frame (one symbol), ordered for hftbacktest."""
    missing = {"sequence", "kind", "origin_time", "received_time", "price", "size"} - set(
        events.columns
    )
    if missing:
        msg = f"events frame lacks columns {sorted(missing)}"
        raise SchemaError(msg)
    frame = events.sort("sequence").select(
        pl.col("kind").cast(pl.String),
        pl.col("update_id"),
        pl.col("side_is_bid").fill_null(False),
        pl.col("origin_time").dt.epoch("ns").alias("exch"),
        pl.col("received_time").dt.epoch("ns").alias("local"),
        (pl.col("price") * UNIT).cast(pl.Int64).alias("price"),
        (pl.col("size") * UNIT).cast(pl.Int64).alias("size"),
    )
    kind = frame["kind"].to_numpy()
    return rows_to_feed(
        kind=kind,
        update_id=frame["update_id"].fill_null(-1).to_numpy(),
        is_bid=frame["side_is_bid"].to_numpy(),
        exch=frame["exch"].to_numpy(),
        local=frame["local"].to_numpy(),
        price=frame["price"].to_numpy(),
        size=frame["size"].to_numpy(),
    )


def rows_to_feed(
    *,
    kind: np.ndarray,
    update_id: np.ndarray,
    is_bid: np.ndarray,
    exch: np.ndarray,
    local: np.ndarray,
    price: np.ndarray,
    size: np.ndarray,
) -> np.ndarray:
    """Feed rows from column arrays in rlx's order (``exch`` NaN or absent for snapshots)."""
    flags = np.array([_KIND_FLAG[k] for k in kind], dtype=np.uint64) if kind.size else kind
    flags = flags.astype(np.uint64) | np.where(is_bid, BUY_EVENT, SELL_EVENT).astype(np.uint64)
    clears = _snapshot_starts(kind, update_id)
    exch = _fill_exchange_time(np.asarray(exch, dtype=np.float64))
    local = np.maximum.accumulate(np.asarray(local, dtype=np.int64)) if local.size else local
    rows = np.zeros(kind.size + 2 * clears.size, dtype=event_dtype)
    at = np.arange(kind.size) + 2 * np.searchsorted(clears, np.arange(kind.size), side="right")
    rows["ev"][at] = flags
    rows["exch_ts"][at] = exch
    rows["local_ts"][at] = local
    rows["px"][at] = price / UNIT
    rows["qty"][at] = size / UNIT
    for shift, side in ((0, BUY_EVENT), (1, SELL_EVENT)):
        where = clears + 2 * np.arange(clears.size) + shift
        rows["ev"][where] = DEPTH_CLEAR_EVENT | side
        rows["exch_ts"][where] = exch[clears]
        rows["local_ts"][where] = local[clears]
        rows["px"][where] = np.nan
    return order_by_clocks(rows)


def _snapshot_starts(kind: np.ndarray, update_id: np.ndarray) -> np.ndarray:
    """Positions of the first row of each snapshot (a run of snapshot rows with one id)."""
    snapshot = kind == "snapshot"
    previous_snapshot = np.concatenate([[False], snapshot[:-1]])
    previous_id = np.concatenate([[-2], update_id[:-1]])
    starts = snapshot & ~(previous_snapshot & (previous_id == update_id))
    return np.flatnonzero(starts)


def _fill_exchange_time(exch: np.ndarray) -> np.ndarray:
    """Exchange times with gaps (NaN) filled by the earliest time at or after them."""
    if not exch.size:
        return exch.astype(np.int64)
    filled = np.where(np.isnan(exch), np.inf, exch)
    filled = np.minimum.accumulate(filled[::-1])[::-1]
    known = np.flatnonzero(np.isfinite(filled))
    if not known.size:
        msg = "events hold no exchange time at all (origin_time is null everywhere)"
        raise SchemaError(msg)
    filled[~np.isfinite(filled)] = np.maximum.accumulate(np.where(np.isnan(exch), -np.inf, exch))[
        ~np.isfinite(filled)
    ]
    return filled.astype(np.int64)


def order_by_clocks(rows: np.ndarray) -> np.ndarray:
    """Flag rows for both clocks, splitting those whose clocks disagree in order.

    ``rows`` are in local order (``local_ts`` non-decreasing) without clock flags. A row keeps
    one copy with both flags when no other row is on the other side of it in exchange time;
    otherwise it gets an exchange copy, placed by its exchange time, and a local copy in place.
    """
    count = rows.size
    if not count:
        return rows
    exch = rows["exch_ts"]
    before = np.maximum.accumulate(exch)
    after = np.minimum.accumulate(exch[::-1])[::-1]
    both = (exch >= before) & (exch <= after)
    by_exch = np.argsort(exch, kind="stable")
    both_rank = np.cumsum(both)  # in local order: B rows up to and including each row
    segment_local = both_rank - both
    both_in_exch = both[by_exch]
    segment_exch = np.cumsum(both_in_exch) - both_in_exch
    split_local = np.flatnonzero(~both)
    split_exch = by_exch[~both_in_exch]
    joint = np.flatnonzero(both)
    source = np.concatenate([joint, split_exch, split_local])
    flag = np.concatenate(
        [
            np.full(joint.size, EXCH_EVENT | LOCAL_EVENT, np.uint64),
            np.full(split_exch.size, EXCH_EVENT, np.uint64),
            np.full(split_local.size, LOCAL_EVENT, np.uint64),
        ]
    )
    segment = np.concatenate(
        [segment_local[joint], segment_exch[~both_in_exch], segment_local[split_local]]
    )
    tier = np.concatenate(
        [np.full(joint.size, 2), np.zeros(split_exch.size, int), np.ones(split_local.size, int)]
    )
    position = np.concatenate([joint, np.arange(split_exch.size), split_local])
    order = np.lexsort((position, tier, segment))
    out = rows[source[order]]
    out["ev"] |= flag[order]
    return out
