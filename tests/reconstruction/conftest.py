"""A small synthetic market for reconstruction tests: Lake tables plus the ground-truth book."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from rlx_lib import catalog, schemas
from rlx_lib.decimals import units_to_decimal

TICK = 1_000_000
DAY = dt.date(2024, 8, 8)
EPOCH_NS = int(dt.datetime(2024, 8, 8, tzinfo=dt.UTC).timestamp() * 1e9)


@dataclass
class Market:
    """Ground truth: the top 20 after every message, keyed by update id."""

    truth: dict[int, tuple[list, list]] = field(default_factory=dict)
    days: list[dt.date] = field(default_factory=list)
    rows: int = 0


def _top(book: dict[int, int], *, bids: bool) -> list[tuple[int, int]]:
    return sorted(book.items(), reverse=bids)[:20]


def write_lake_table(root: Path, table: str, day: dt.date, columns: dict[str, list]) -> None:
    """Write one Lake table partition from plain lists (int units and int ns; None is null)."""
    schema = schemas.LAKE_TABLES[table]
    series = []
    for name, kind in schema.items():
        values = columns[name]
        if kind == schemas.DECIMAL:
            valid = np.array([v is not None for v in values], dtype=bool)
            units = np.array([v or 0 for v in values], dtype=np.int64)
            series.append(pl.Series(name, units_to_decimal(units, valid)))
        elif kind == schemas.TIME:
            series.append(pl.Series(name, values, dtype=pl.Int64).cast(kind))
        else:
            series.append(pl.Series(name, values, dtype=kind))
    folder = catalog.partition_dir(root, f"lake/{table}", symbol="BTC-USDT", day=day)
    catalog.write_parquet(pl.DataFrame(series), folder / "part-0.parquet")


def write_market(root: Path, *, days: int = 2, messages: int = 600, seed: int = 5) -> Market:
    """Write lake/book_delta_v2, lake/trades and lake/book for ``days`` days of BTC-USDT."""
    rng = np.random.default_rng(seed)
    market = Market()
    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    mid = 60_000 * 100
    update_id = 1_000
    trade_id = 5_000
    for day_index in range(days):
        day = DAY + dt.timedelta(days=day_index)
        market.days.append(day)
        start_ns = EPOCH_NS + day_index * 86_400_000_000_000
        delta: dict[str, list] = {c: [] for c in schemas.LAKE_BOOK_DELTA_V2}
        trades: dict[str, list] = {c: [] for c in schemas.LAKE_TRADES}
        book: dict[str, list] = {c: [] for c in schemas.LAKE_BOOK}
        for message in range(messages):
            received = start_ns + message * 100_000_000 + int(rng.integers(0, 1000))
            update_id += int(rng.integers(1, 30))
            changes: list[tuple[bool, int, int]] = []
            snapshot = (day_index == 0 and message == 0) or (day_index, message) == (
                1,
                messages // 2,
            )
            if snapshot and day_index == 1:  # a REST snapshot mid-day: the whole book again
                changes = [(True, p, s) for p, s in bids.items()]
                changes += [(False, p, s) for p, s in asks.items()]
            elif snapshot:
                for offset in range(1, 300):
                    changes.append((True, (mid - offset) * TICK, int(rng.integers(1, 10**9))))
                    changes.append((False, (mid + offset) * TICK, int(rng.integers(1, 10**9))))
                far = int(rng.integers(2_000_000, 5_000_000))
                changes.append((False, (mid + far) * TICK, 7))
            else:
                mid += int(rng.integers(-3, 4))
                for _ in range(int(rng.integers(1, 25))):
                    is_bid = bool(rng.integers(0, 2))
                    offset = int(rng.geometric(0.2)) + (0 if rng.random() < 0.9 else 40_000)
                    price = (mid - offset if is_bid else mid + offset) * TICK
                    size = 0 if rng.random() < 0.3 else int(rng.integers(1, 10**9))
                    changes.append((is_bid, price, size))
                # keep the truth uncrossed: remove levels the mid moved through
                changes += [(True, p, 0) for p in bids if p >= mid * TICK]
                changes += [(False, p, 0) for p in asks if p < mid * TICK]
            seen = set()
            ordered = []
            for change in sorted(changes, key=lambda c: not c[0]):  # bids first, like Lake
                if (change[0], change[1]) in seen:
                    continue
                seen.add((change[0], change[1]))
                ordered.append(change)
            for is_bid, price, size in ordered:
                side = bids if is_bid else asks
                if size == 0:
                    side.pop(price, None)
                else:
                    side[price] = size
                delta["origin_time"].append(0 if snapshot else received - 1_270_000_000)
                delta["received_time"].append(received)
                delta["sequence_number"].append(update_id)
                delta["side_is_bid"].append(is_bid)
                delta["price"].append(price)
                delta["size"].append(size)
            market.truth[update_id] = (_top(bids, bids=True), _top(asks, bids=False))
            market.rows += len(ordered)
            if message % 7 == 3:
                trade_id += 1
                trades["origin_time"].append(received - 1_270_050_000)
                trades["received_time"].append(received)
                trades["side"].append("buy" if rng.random() < 0.5 else "sell")
                trades["quantity"].append(int(rng.integers(1, 10**8)))
                trades["price"].append(mid * TICK)
                trades["trade_id"].append(trade_id)
            if message % 10 == 5:
                book["origin_time"].append(received - 1_270_000_000)
                book["received_time"].append(received + 10)
                book["sequence_number"].append(update_id)
                top_bids, top_asks = market.truth[update_id]
                for name, levels in (("bid", top_bids), ("ask", top_asks)):
                    for level in range(20):
                        present = level < len(levels)
                        book[f"{name}_{level}_price"].append(levels[level][0] if present else None)
                        book[f"{name}_{level}_size"].append(levels[level][1] if present else None)
        for table, columns in (("book_delta_v2", delta), ("trades", trades), ("book", book)):
            write_lake_table(root, table, day, columns)
    return market


@pytest.fixture(name="lake_market")
def fixture_lake_market(data_root: Path) -> Market:
    """Two days of a small synthetic BTC-USDT market under the data root."""
    return write_market(data_root)


@pytest.fixture(name="market_factory")
def fixture_market_factory():
    """``write_market(root, days=, messages=, seed=)`` for tests that need their own roots."""
    return write_market


@pytest.fixture(name="lake_table_writer")
def fixture_lake_table_writer():
    """``write_lake_table(root, table, day, columns)`` for hand-made inputs."""
    return write_lake_table
