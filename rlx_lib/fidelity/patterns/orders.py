"""What the detectors read from ``events/``: level adds with their fate, and taker orders.

An *add* is a depth row that raises a level's size; its fate is the next row at the same side
and price (the cancel time and the size left). The touch before each depth message comes from
replaying the rows through the exact book kernel, so distances are measured against the book
as it was when the order arrived.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from rlx_lib.reconstruction import L2Book

__all__ = ["level_adds", "mark_traded", "taker_orders", "units"]

_BOOK_KINDS = ["snapshot", "delta"]


def units(column: str) -> pl.Expr:
    """Decimal(18, 8) as int64 units, exactly."""
    return (pl.col(column) * 100_000_000).cast(pl.Int64)


def _touch(rows: pl.DataFrame) -> pl.DataFrame:
    """Best bid and ask before each row's message (0 when unknown)."""
    update = rows["update_id"].to_numpy()
    kind = rows["kind"].to_numpy()
    new = np.r_[True, (update[1:] != update[:-1]) | (kind[1:] != kind[:-1])]
    starts = np.flatnonzero(new)
    message = np.cumsum(new) - 1
    top = L2Book().replay(
        rows["side_is_bid"].to_numpy(),
        rows["price_units"].to_numpy(),
        rows["size_units"].to_numpy(),
        np.r_[starts, len(rows)].astype(np.int64),
        kind[starts] == "snapshot",
        depth=1,
    )
    bid = np.r_[0, top.bid_price[:-1, 0]][message]
    ask = np.r_[0, top.ask_price[:-1, 0]][message]
    return rows.with_columns(pl.Series("bid_before", bid), pl.Series("ask_before", ask))


def _neighbours(rows: pl.DataFrame) -> dict[str, pl.Series]:
    """Per row: the size before it at its level, and the time and size of the next row there."""
    is_bid = rows["side_is_bid"].to_numpy()
    price = rows["price_units"].to_numpy()
    size = rows["size_units"].to_numpy()
    time = rows["time_ns"].to_numpy()
    order = np.lexsort((np.arange(price.size), price, is_bid))
    same = (price[order][1:] == price[order][:-1]) & (is_bid[order][1:] == is_bid[order][:-1])
    before = np.zeros(price.size, dtype=np.int64)
    before[order[1:][same]] = size[order[:-1][same]]
    has_next = np.zeros(price.size, dtype=bool)
    has_next[order[:-1][same]] = True
    next_time = np.zeros(price.size, dtype=np.int64)
    next_size = np.zeros(price.size, dtype=np.int64)
    next_time[order[:-1][same]] = time[order[1:][same]]
    next_size[order[:-1][same]] = size[order[1:][same]]
    return {
        "before": pl.Series(before),
        "next_time_ns": pl.Series(np.ma.masked_array(next_time, ~has_next), dtype=pl.Int64),
        "next_size": pl.Series(np.ma.masked_array(next_size, ~has_next), dtype=pl.Int64),
    }


def level_adds(events: pl.DataFrame) -> pl.DataFrame:
    """Every size increase of a level, with the touch before it and what happened next.

    Columns: ``time_ns``, ``is_bid``, ``price``, ``added`` (units), ``before`` (size before),
    ``distance_bp`` (behind the touch; negative inside it), ``next_time_ns`` and ``next_size``
    (the next row at that level; null if none).
    """
    rows = (
        events.filter(pl.col("kind").cast(pl.String).is_in(_BOOK_KINDS))
        .sort("sequence")
        .select(
            pl.col("origin_time").dt.epoch("ns").fill_null(0).alias("time_ns"),
            pl.col("kind").cast(pl.String),
            "update_id",
            "side_is_bid",
            units("price").alias("price_units"),
            units("size").alias("size_units"),
        )
    )
    if rows.is_empty():
        return _empty_adds()
    adds = (
        _touch(rows)
        .with_columns(**_neighbours(rows))
        .filter((pl.col("kind") == "delta") & (pl.col("size_units") > pl.col("before")))
    )
    touch = pl.when(pl.col("side_is_bid")).then("bid_before").otherwise("ask_before")
    behind = (
        pl.when(pl.col("side_is_bid"))
        .then(touch - pl.col("price_units"))
        .otherwise(pl.col("price_units") - touch)
    )
    return adds.select(
        "time_ns",
        pl.col("side_is_bid").alias("is_bid"),
        pl.col("price_units").alias("price"),
        (pl.col("size_units") - pl.col("before")).alias("added"),
        "before",
        pl.when(touch > 0).then(behind / touch * 1e4).otherwise(None).alias("distance_bp"),
        "next_time_ns",
        "next_size",
    )


def mark_traded(adds: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """Flag adds whose level was hit by a trade between the add and the next row there."""
    trades = _trades(events).select(
        (~pl.col("is_buy")).alias("is_bid"), "price", pl.col("time_ns").alias("trade_ns")
    )
    indexed = adds.with_row_index("add")
    hit = (
        indexed.select("add", "is_bid", "price", "time_ns", "next_time_ns")
        .join(trades, on=["is_bid", "price"], how="inner")
        .filter(
            (pl.col("trade_ns") >= pl.col("time_ns"))
            & (pl.col("trade_ns") <= pl.col("next_time_ns").fill_null(np.iinfo(np.int64).max))
        )["add"]
        .unique()
    )
    return indexed.with_columns(pl.col("add").is_in(hit.implode()).alias("traded")).drop("add")


def _empty_adds() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "time_ns": pl.Int64,
            "is_bid": pl.Boolean,
            "price": pl.Int64,
            "added": pl.Int64,
            "before": pl.Int64,
            "distance_bp": pl.Float64,
            "next_time_ns": pl.Int64,
            "next_size": pl.Int64,
        }
    )


def _trades(events: pl.DataFrame) -> pl.DataFrame:
    """Fills in order, exchange time rounded to the millisecond (the vendor's float artefact)."""
    ns = pl.col("origin_time").dt.epoch("ns").fill_null(0)
    return (
        events.filter(pl.col("kind").cast(pl.String) == "trade")
        .sort("sequence")
        .select(
            ((ns + 500_000) // 1_000_000 * 1_000_000).alias("time_ns"),
            pl.col("side_is_bid").alias("is_buy"),
            units("price").alias("price"),
            units("size").alias("quantity"),
        )
    )


def taker_orders(events: pl.DataFrame) -> pl.DataFrame:
    """Fills grouped into taker orders (consecutive fills of one side at one exchange time).

    Columns: ``time_ns``, ``is_buy``, ``first_price``, ``last_price``, ``fills``.
    """
    trades = _trades(events)
    new = (pl.col("time_ns") != pl.col("time_ns").shift()) | (
        pl.col("is_buy") != pl.col("is_buy").shift()
    )
    return (
        trades.with_columns(new.fill_null(True).cum_sum().alias("order"))
        .group_by("order", maintain_order=True)
        .agg(
            pl.col("time_ns").first(),
            pl.col("is_buy").first(),
            pl.col("price").first().alias("first_price"),
            pl.col("price").last().alias("last_price"),
            pl.len().alias("fills"),
        )
        .drop("order")
    )
