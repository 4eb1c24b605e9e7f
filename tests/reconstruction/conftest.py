"""A small synthetic market for reconstruction tests: Lake tables plus the ground-truth book."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from rlx_lib import catalog, schemas
from rlx_lib.decimals import units_to_decimal
from rlx_lib.reconstruction import DayResult, reconstruct

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


@dataclass
class _Walk:
    """The synthetic book as it is written: both sides, the mid and the running ids."""

    rng: np.random.Generator
    bids: dict[int, int] = field(default_factory=dict)
    asks: dict[int, int] = field(default_factory=dict)
    mid: int = 60_000 * 100
    update_id: int = 1_000
    trade_id: int = 5_000

    def changes(self, *, snapshot: bool, mid_day: bool) -> list[tuple[bool, int, int]]:
        """One message's level changes ``(is_bid, price, size)``, bids first, each level once."""
        rng, changes = self.rng, []
        if snapshot and mid_day:  # a REST snapshot mid-day: the whole book again
            changes = [(True, p, s) for p, s in self.bids.items()]
            changes += [(False, p, s) for p, s in self.asks.items()]
        elif snapshot:
            for offset in range(1, 300):
                changes.append((True, (self.mid - offset) * TICK, int(rng.integers(1, 10**9))))
                changes.append((False, (self.mid + offset) * TICK, int(rng.integers(1, 10**9))))
            far = int(rng.integers(2_000_000, 5_000_000))
            changes.append((False, (self.mid + far) * TICK, 7))
        else:
            self.mid += int(rng.integers(-3, 4))
            for _ in range(int(rng.integers(1, 25))):
                is_bid = bool(rng.integers(0, 2))
                offset = int(rng.geometric(0.2)) + (0 if rng.random() < 0.9 else 40_000)
                price = (self.mid - offset if is_bid else self.mid + offset) * TICK
                size = 0 if rng.random() < 0.3 else int(rng.integers(1, 10**9))
                changes.append((is_bid, price, size))
            # keep the truth uncrossed: remove levels the mid moved through
            changes += [(True, p, 0) for p in self.bids if p >= self.mid * TICK]
            changes += [(False, p, 0) for p in self.asks if p < self.mid * TICK]
        seen, ordered = set(), []
        for change in sorted(changes, key=lambda c: not c[0]):  # bids first, like Lake
            if (change[0], change[1]) not in seen:
                seen.add((change[0], change[1]))
                ordered.append(change)
        return ordered

    def apply(
        self, changes: list[tuple[bool, int, int]], delta: dict[str, list], **when: int
    ) -> None:
        """Apply a message to the book and add its ``book_delta_v2`` rows (``when``: origin,
        received)."""
        for is_bid, price, size in changes:
            side = self.bids if is_bid else self.asks
            if size == 0:
                side.pop(price, None)
            else:
                side[price] = size
            delta["origin_time"].append(when["origin"])
            delta["received_time"].append(when["received"])
            delta["sequence_number"].append(self.update_id)
            delta["side_is_bid"].append(is_bid)
            delta["price"].append(price)
            delta["size"].append(size)

    def trade(self, trades: dict[str, list], received: int) -> None:
        """Add a Lake trade at the mid."""
        self.trade_id += 1
        trades["origin_time"].append(received - 1_270_050_000)
        trades["received_time"].append(received)
        trades["side"].append("buy" if self.rng.random() < 0.5 else "sell")
        trades["quantity"].append(int(self.rng.integers(1, 10**8)))
        trades["price"].append(self.mid * TICK)
        trades["trade_id"].append(self.trade_id)


def _book_row(book: dict[str, list], received: int, update_id: int, top: tuple[list, list]) -> None:
    """Add a Lake ``book`` row (the top 20 a side) at ``update_id``."""
    book["origin_time"].append(received - 1_270_000_000)
    book["received_time"].append(received + 10)
    book["sequence_number"].append(update_id)
    for name, levels in zip(("bid", "ask"), top, strict=True):
        for level in range(20):
            present = level < len(levels)
            book[f"{name}_{level}_price"].append(levels[level][0] if present else None)
            book[f"{name}_{level}_size"].append(levels[level][1] if present else None)


def write_market(root: Path, *, days: int = 2, messages: int = 600, seed: int = 5) -> Market:
    """Write lake/book_delta_v2, lake/trades and lake/book for ``days`` days of BTC-USDT."""
    walk = _Walk(np.random.default_rng(seed))
    market = Market()
    for day_index in range(days):
        day = DAY + dt.timedelta(days=day_index)
        market.days.append(day)
        start_ns = EPOCH_NS + day_index * 86_400_000_000_000
        tables: dict[str, dict[str, list]] = {
            table: {c: [] for c in schemas.LAKE_TABLES[table]}
            for table in ("book_delta_v2", "trades", "book")
        }
        for message in range(messages):
            received = start_ns + message * 100_000_000 + int(walk.rng.integers(0, 1000))
            walk.update_id += int(walk.rng.integers(1, 30))
            snapshot = (day_index, message) in ((0, 0), (1, messages // 2))
            changes = walk.changes(snapshot=snapshot, mid_day=day_index == 1)
            origin = 0 if snapshot else received - 1_270_000_000
            walk.apply(changes, tables["book_delta_v2"], origin=origin, received=received)
            market.truth[walk.update_id] = (
                _top(walk.bids, bids=True),
                _top(walk.asks, bids=False),
            )
            market.rows += len(changes)
            if message % 7 == 3:
                walk.trade(tables["trades"], received)
            if message % 10 == 5:
                _book_row(tables["book"], received, walk.update_id, market.truth[walk.update_id])
        for table, columns in tables.items():
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


def rebuild(
    root: Path,
    days: Sequence[dt.date],
    symbols: Sequence[str] = ("BTC-USDT",),
    **options: Any,
) -> tuple[DayResult, ...]:
    """The rows of the front door's run over the consecutive ``days`` (source lake unless
    given)."""
    options.setdefault("source", "lake")
    end = days[-1] + dt.timedelta(days=1)
    result = reconstruct(root, symbols=list(symbols), start=days[0], end=end, **options)
    return result.rows
