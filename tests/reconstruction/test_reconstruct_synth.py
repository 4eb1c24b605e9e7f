"""The synthetic market: both reconstructions equal the ground-truth book at every shared id."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from rlx_lib import catalog
from rlx_lib.decimals import decimal_to_units
from rlx_lib.synth import DEFAULT_START, synthesize
from rlx_lib.synth.market import simulate
from tests.reconstruction.conftest import rebuild

SYMBOL = "BTC-USDT"


def book_levels(frame: pl.DataFrame) -> np.ndarray:
    columns = [f"{s}_{i}_{k}" for s in ("bid", "ask") for i in range(20) for k in ("price", "size")]
    return np.stack([decimal_to_units(frame[c].to_arrow()) for c in columns], axis=1)


def truth_levels(truth, update_ids: np.ndarray) -> np.ndarray:
    """Top 20 of the true book after each id, from a plain dict replay of every change."""
    bids = dict(zip(truth.initial_bid_price.tolist(), truth.initial_bid_size.tolist(), strict=True))
    asks = dict(zip(truth.initial_ask_price.tolist(), truth.initial_ask_size.tolist(), strict=True))
    changes = zip(
        truth.change_is_bid.tolist(),
        truth.change_price.tolist(),
        truth.change_size.tolist(),
        strict=True,
    )
    out = np.zeros((len(update_ids), 80), dtype=np.int64)
    applied = truth.first_update_id - 1
    for row, update_id in enumerate(update_ids.tolist()):
        while applied < update_id:
            is_bid, price, size = next(changes)
            side = bids if is_bid else asks
            if size == 0:
                side.pop(price, None)
            else:
                side[price] = size
            applied += 1
        flat = []
        for levels in (sorted(bids.items(), reverse=True)[:20], sorted(asks.items())[:20]):
            padded = [v for level in levels for v in level] + [0] * (40 - 2 * len(levels))
            flat += padded
        out[row] = flat
    return out


def test_vendor_and_live_reconstructions_equal_the_truth(data_root: Path) -> None:
    synthesize(data_root, symbols=[SYMBOL], regime="high", minutes=0.5, seed=3)
    start_ns = int(DEFAULT_START.timestamp()) * 1_000_000_000
    truth = simulate(SYMBOL, "high", start_ns=start_ns, seconds=30.0, seed=3)
    day = DEFAULT_START.date()
    for source in ("lake", "golden"):
        (row,) = rebuild(data_root, [day], source=source)
        assert row.status == "done", row
    books = {
        source: pl.read_parquet(
            catalog.partition_dir(data_root, "book", symbol=SYMBOL, day=day)
            / f"part-{source}.parquet"
        )
        for source in ("lake", "golden")
    }
    last_truth_id = truth.first_update_id + len(truth.change_price) - 1
    for source, book in books.items():
        book = book.filter(pl.col("update_id") <= last_truth_id)
        ids = book["update_id"].to_numpy()
        assert len(ids) > 100
        expected = truth_levels(truth, ids)
        mismatched = np.flatnonzero((book_levels(book) != expected).any(axis=1))
        assert mismatched.size == 0, f"{source}: first mismatch at update id {ids[mismatched[:3]]}"
    shared = books["lake"].join(books["golden"], on="update_id", suffix="_golden")
    assert shared.height > 100  # the two views meet at the same update ids
