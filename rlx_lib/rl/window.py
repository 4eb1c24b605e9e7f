"""One source's reconstructed window (``book/`` and ``events/``) as a :class:`MarketEnv`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from rlx_lib.catalog import day_range, parse_day, partition_dir, validate_symbol
from rlx_lib.errors import DataRangeError
from rlx_lib.rl.convert import UNIT
from rlx_lib.rl.env import MarketEnv
from rlx_lib.rl.feed import Side, event_trades
from rlx_lib.rl.sizing import order_size, window_grid
from rlx_lib.rl.transfer import side_env

__all__ = ["load_side", "market_env"]

_MS = 1_000_000


def load_side(
    root: Path, symbol: str, start: str | dt.date, end: str | dt.date, source: str
) -> Side:
    """Book states and aggregate trades of one source over ``[start, end)``."""
    validate_symbol(symbol)
    frames = {}
    for dataset in ("book", "events"):
        paths = [
            partition_dir(Path(root), dataset, symbol=symbol, day=day) / f"part-{source}.parquet"
            for day in day_range(parse_day(start), parse_day(end))
        ]
        paths = [path for path in paths if path.is_file()]
        if not paths:
            msg = (
                f"no {dataset}/ from source {source!r} for {symbol} in [{start}, {end}); run "
                f"`rlx reconstruct --source {source}` over those days first"
            )
            raise DataRangeError(msg)
        frames[dataset] = pl.read_parquet(paths)
    book = frames["book"].sort("update_id")
    depth = sum(1 for c in book.columns if c.startswith("bid_") and c.endswith("_price"))
    columns = [
        (pl.col(f"{side}_{level}_{field}") * UNIT).cast(pl.Int64).fill_null(-1)
        for side in ("bid", "ask")
        for level in range(depth)
        for field in ("price", "size")
    ]
    levels = book.select(columns).to_numpy().reshape(book.height, 2, depth, 2)
    exch = book["origin_time"].dt.epoch("ns").fill_null(0).to_numpy()
    known = np.where(exch > 0, exch, np.iinfo(np.int64).max)
    exch = np.minimum.accumulate(known[::-1])[::-1]
    received = book["received_time"].dt.epoch("ns").to_numpy()
    trades = event_trades(frames["events"])
    aggregated = trades.group_by(["origin_ms", "price", "is_buy"], maintain_order=True).agg(
        pl.col("quantity").sum(), pl.col("received_ns").min()
    )
    return Side(np.ascontiguousarray(levels), exch, received, aggregated)


def market_env(
    root: Path,
    *,
    symbol: str,
    start: str | dt.date,
    end: str | dt.date,
    source: str = "golden",
    latency_ns: int = 0,
) -> MarketEnv:
    """A :class:`MarketEnv` over one source's window (order size: the median trade)."""
    side = load_side(root, symbol, start, end, source)
    grid = window_grid(side)
    qty = order_size(side, grid)
    return side_env(side, grid, qty=qty, limit=5 * qty, latency_ns=latency_ns)
