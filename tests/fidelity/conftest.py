"""A small two-sided market for fidelity tests: one truth, a live view and a vendor view.

``build_market`` returns the four frames fidelity reads (book states and events of both
sources, following ``BOOK_STATE`` and ``EVENTS``); faults are explicit arguments so a test
knows exactly what was injected. ``write_market`` puts them where ``rlx reconstruct`` would.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from rlx_lib.catalog import partition_dir, write_parquet
from rlx_lib.decimals import units_to_decimal
from rlx_lib.fidelity import Aligned, align_frames
from rlx_lib.schemas import EVENTS, book_state_schema

DAY = dt.date(2024, 8, 8)
START_MS = 1_723_075_200_000  # 2024-08-08 00:00 UTC
TICK = 1_000_000  # 0.01 in units of 1e-8
MID = 6_000_000_500_000  # 60000.005


@dataclass
class Market:
    """The frames of both sides plus what was injected."""

    reference_book: pl.DataFrame
    candidate_book: pl.DataFrame
    reference_events: pl.DataFrame
    candidate_events: pl.DataFrame
    dropped: list[int] = field(default_factory=list)  # u the vendor lacks
    live_lost: list[int] = field(default_factory=list)  # u the live side lacks (disconnect)
    duplicated: list[int] = field(default_factory=list)  # u with a duplicated vendor row
    trades: int = 0

    def aligned(self, symbol: str = "BTC-USDT") -> Aligned:
        """Both sides aligned as fidelity aligns what it reads from a data root."""
        return align_frames(
            symbol,
            reference_book=self.reference_book,
            candidate_book=self.candidate_book,
            reference_events=self.reference_events,
            candidate_events=self.candidate_events,
        )


class _Side:
    """Rows of one side, accumulated while the truth is replayed."""

    def __init__(self, source: str, depth: int) -> None:
        self.source, self.depth = source, depth
        self.book: dict[bool, dict[int, int]] = {True: {}, False: {}}
        self.states: list[dict] = []
        self.events: list[dict] = []

    def snapshot(
        self, truth: dict[bool, dict[int, int]], update_id: int, origin_ns: int, received_ns: int
    ) -> None:
        self.book = {side: dict(levels) for side, levels in truth.items()}
        for is_bid, levels in self.book.items():
            for price, size in sorted(levels.items()):
                self._event(
                    "snapshot", origin_ns, received_ns, update_id, None, None, is_bid, price, size
                )
        self._state(update_id, origin_ns, received_ns)

    def apply(
        self, message: dict, origin_ns: int, received_ns: int, *, duplicate: bool = False
    ) -> None:
        for is_bid, price, size in message["changes"]:
            if size == 0:
                self.book[is_bid].pop(price, None)
            else:
                self.book[is_bid][price] = size
            for _ in range(2 if duplicate else 1):
                self._event(
                    "delta",
                    origin_ns,
                    received_ns,
                    message["u"],
                    message["U"],
                    None,
                    is_bid,
                    price,
                    size,
                )
        self._state(message["u"], origin_ns, received_ns)

    def trade(
        self, trade_id: int, origin_ns: int, received_ns: int, is_buy: bool, price: int, size: int
    ) -> None:
        self._event("trade", origin_ns, received_ns, None, None, trade_id, is_buy, price, size)

    def _event(
        self, kind, origin_ns, received_ns, update_id, first, trade_id, is_bid, price, size
    ) -> None:
        self.events.append(
            {
                "origin_ns": origin_ns,
                "received_ns": received_ns,
                "kind": kind,
                "update_id": update_id,
                "first_update_id": first,
                "trade_id": trade_id,
                "side_is_bid": is_bid,
                "price": price,
                "size": size,
            }
        )

    def _state(self, update_id: int, origin_ns: int, received_ns: int) -> None:
        row = {"origin_ns": origin_ns, "received_ns": received_ns, "update_id": update_id}
        bids = sorted(self.book[True].items(), reverse=True)[: self.depth]
        asks = sorted(self.book[False].items())[: self.depth]
        for name, levels in (("bid", bids), ("ask", asks)):
            for level in range(self.depth):
                price, size = levels[level] if level < len(levels) else (None, None)
                row[f"{name}_{level}_price"], row[f"{name}_{level}_size"] = price, size
        self.states.append(row)

    def frames(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        return _book_frame(self.states, self.source, self.depth), _events_frame(
            self.events, self.source
        )


def _decimal(values: list) -> pl.Series:
    valid = np.array([v is not None for v in values])
    units = np.array([0 if v is None else v for v in values], dtype=np.int64)
    return pl.from_arrow(units_to_decimal(units, valid))


def _times(values: list[int]) -> pl.Series:
    return pl.Series(values, dtype=pl.Int64).cast(pl.Datetime("ns", "UTC"))


def _book_frame(states: list[dict], source: str, depth: int) -> pl.DataFrame:
    schema = book_state_schema(depth)
    columns = {
        "source": pl.Series([source] * len(states), dtype=schema["source"]),
        "origin_time": _times([s["origin_ns"] for s in states]),
        "received_time": _times([s["received_ns"] for s in states]),
        "update_id": pl.Series([s["update_id"] for s in states], dtype=pl.Int64),
    }
    for name in list(schema)[4:]:
        columns[name] = _decimal([s[name] for s in states])
    return pl.DataFrame(columns).cast(dict(schema))


def _events_frame(events: list[dict], source: str) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "source": pl.Series([source] * len(events), dtype=EVENTS["source"]),
            "origin_time": _times([e["origin_ns"] for e in events]),
            "received_time": _times([e["received_ns"] for e in events]),
            "sequence": pl.Series(range(len(events)), dtype=pl.Int64),
            "kind": pl.Series([e["kind"] for e in events], dtype=EVENTS["kind"]),
            "update_id": pl.Series([e["update_id"] for e in events], dtype=pl.Int64),
            "first_update_id": pl.Series([e["first_update_id"] for e in events], dtype=pl.Int64),
            "trade_id": pl.Series([e["trade_id"] for e in events], dtype=pl.Int64),
            "side_is_bid": pl.Series([e["side_is_bid"] for e in events], dtype=pl.Boolean),
            "price": _decimal([e["price"] for e in events]),
            "size": _decimal([e["size"] for e in events]),
        }
    )
    return frame.cast(dict(EVENTS))


def build_market(
    *,
    messages: int = 300,
    seed: int = 0,
    depth: int = 20,
    drop: tuple[int, ...] = (),
    duplicate: tuple[int, ...] = (),
    live_disconnect: tuple[int, int] | None = None,
    drop_trades: tuple[int, ...] = (),
) -> Market:
    """Replay one random truth into a live (golden) and a vendor (lake) reconstruction.

    ``drop``/``duplicate`` name message indexes the vendor loses or repeats a row of;
    ``live_disconnect=(i, k)`` makes the live side miss messages i..i+k-1 and resync with a
    snapshot; ``drop_trades`` names aggregate trades the vendor lacks.
    """
    rng = np.random.default_rng(seed)
    truth = _opening_book(rng)
    live, vendor = _Side("golden", depth), _Side("lake", depth)
    first_id = 50_000_000_000
    snapshot_ns = (START_MS - 50) * 1_000_000
    live.snapshot(truth, first_id, snapshot_ns, snapshot_ns + 5_000_000)
    vendor.snapshot(truth, first_id, 0, snapshot_ns + 20_000_000)
    market = Market(*(pl.DataFrame(),) * 4)
    lost = set(range(live_disconnect[0], sum(live_disconnect))) if live_disconnect else set()
    update_id, trade_id = first_id, 3_000_000_000
    for index in range(messages):
        message = _next_message(rng, truth, update_id)
        update_id = message["u"]
        exchange_ms = START_MS + 100 * (index + 1)
        origin_ns = exchange_ms * 1_000_000
        if index in lost:
            market.live_lost.append(message["u"])
            if index == max(lost):
                live.snapshot(truth, message["u"], origin_ns, origin_ns + 6_000_000)
        else:
            live.apply(message, origin_ns, origin_ns + 5_000_000 + int(rng.integers(0, 2_000_000)))
        if index in drop:
            market.dropped.append(message["u"])
        else:
            vendor_ns = origin_ns + int(
                rng.integers(-200, 200)
            )  # the vendor's float-seconds artefact
            vendor.apply(message, vendor_ns, origin_ns + 20_000_000, duplicate=index in duplicate)
            if index in duplicate:
                market.duplicated.append(message["u"])
        _trade(rng, truth, live, vendor, exchange_ms - 1, trade_id, dropped=index in drop_trades)
        trade_id += 3
        market.trades += 1
    market.reference_book, market.reference_events = live.frames()
    market.candidate_book, market.candidate_events = vendor.frames()
    return market


def _opening_book(rng: np.random.Generator) -> dict[bool, dict[int, int]]:
    """The true book before the first message: 40 random levels a side around ``MID``."""
    truth: dict[bool, dict[int, int]] = {True: {}, False: {}}
    for level in range(40):
        truth[True][MID - TICK // 2 - level * TICK] = int(rng.integers(1, 500)) * 100_000
        truth[False][MID + TICK // 2 + level * TICK] = int(rng.integers(1, 500)) * 100_000
    return truth


def _next_message(rng: np.random.Generator, truth: dict[bool, dict[int, int]], update_id: int):
    """One depth message of 1-5 random level changes after ``update_id``, applied to ``truth``."""
    changes = []
    for _ in range(int(rng.integers(1, 6))):
        is_bid = bool(rng.integers(0, 2))
        offset = int(rng.integers(0, 45)) * TICK + TICK // 2
        price = MID - offset if is_bid else MID + offset
        size = 0 if rng.random() < 0.3 else int(rng.integers(1, 500)) * 100_000
        changes.append((is_bid, price, size))
        truth[is_bid].pop(price, None) if size == 0 else truth[is_bid].__setitem__(price, size)
    return {
        "U": update_id + 1,
        "u": update_id + len(changes) + int(rng.integers(0, 3)),
        "changes": changes,
    }


def _trade(rng, truth, live, vendor, exchange_ms, trade_id, *, dropped) -> None:
    """One taker order: 1-3 fills live (``@trade``), one aggregate row at the vendor."""
    is_buy = bool(rng.integers(0, 2))
    price = min(truth[False]) if is_buy else max(truth[True])
    fills = [int(rng.integers(1, 50)) * 10_000 for _ in range(int(rng.integers(1, 4)))]
    origin_ns = exchange_ms * 1_000_000
    for number, size in enumerate(fills):
        live.trade(trade_id + number, origin_ns, origin_ns + 4_000_000, is_buy, price, size)
    if not dropped:
        vendor.trade(
            trade_id,
            origin_ns + int(rng.integers(-200, 200)),
            origin_ns + 25_000_000,
            is_buy,
            price,
            sum(fills),
        )


def write_market(root: Path, market: Market, *, symbol: str = "BTC-USDT") -> None:
    """Write the frames as ``rlx reconstruct`` lays them out."""
    for dataset, frames in (
        ("book", (market.reference_book, market.candidate_book)),
        ("events", (market.reference_events, market.candidate_events)),
    ):
        folder = partition_dir(root, dataset, symbol=symbol, day=DAY)
        for source, frame in zip(("golden", "lake"), frames, strict=True):
            write_parquet(frame, folder / f"part-{source}.parquet")


@pytest.fixture(name="market_factory", scope="session")
def fixture_market_factory():
    """``build_market`` as a fixture."""
    return build_market


@pytest.fixture(name="write_market", scope="session")
def fixture_write_market():
    """``write_market`` as a fixture."""
    return write_market
