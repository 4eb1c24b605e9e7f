"""``vendor_from_golden`` on the real hftbacktest BTCUSDT capture: the vendor view's deltas,
rebuilt naively, equal the golden sync'd book at every ``u``; drops are listed exactly."""

from __future__ import annotations

import json
from itertools import chain, pairwise
from pathlib import Path

import numpy as np
import orjson
import polars as pl
import pytest

from rlx_lib.capture.importers import read_hftbacktest
from rlx_lib.decimals import decimal_to_units
from rlx_lib.golden import golden_files, golden_path, iter_records, write_golden_file
from rlx_lib.synth import VendorFaults, vendor_from_golden
from rlx_lib.venues.binance import (
    DepthSync,
    SyncVerdict,
    iter_levels,
    parse_depth_snapshot,
    parse_depth_update,
)

CAPTURE = "hftbacktest-binance-2024-08-08/spot"


@pytest.fixture(name="golden", scope="module")
def fixture_golden(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real capture imported as golden files (one per capture hour)."""
    root = tmp_path_factory.mktemp("real")
    folder = real_data / CAPTURE
    records = list(
        chain.from_iterable(
            read_hftbacktest(folder / name)
            for name in ("btcusdt_20240808.gz", "btcusdt_20240809.gz")
        )
    )
    hours: dict[Path, list] = {}
    for record in records:
        hours.setdefault(
            golden_path(root, symbol="BTC-USDT", capture_ns=record.capture_ns), []
        ).append(record)
    for path, chunk in hours.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_golden_file(path, chunk)
    return root / "golden"


@pytest.fixture(name="vendor", scope="module")
def fixture_vendor(golden: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("vendor")
    vendor_from_golden(root, golden=[golden], seed=1)
    return root


def _golden_steps(golden: Path):
    """Yield ``(u, bids, asks)`` of the golden sync'd book after every applied diff."""
    sync: DepthSync = DepthSync()
    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    for path in golden_files([golden]):
        for record in iter_records(path):
            if record.stream.endswith("@depthSnapshot"):
                snapshot = parse_depth_snapshot(record.data)
                bids, asks = dict(snapshot.bids), dict(snapshot.asks)
                steps = sync.snapshot(snapshot.last_update_id)
            elif record.stream.endswith("@depth@100ms"):
                update = parse_depth_update(record.data)
                steps = sync.diff(update.first_update_id, update.final_update_id, update)
            else:
                continue
            for step in steps:
                assert step.verdict is not SyncVerdict.GAP
                if step.verdict is SyncVerdict.APPLY:
                    for is_bid, price, size in iter_levels(step.item):
                        side = bids if is_bid else asks
                        if size:
                            side[price] = size
                        else:
                            side.pop(price, None)
                    yield step.final_update_id, bids, asks


def _table(root: Path, table: str) -> pl.DataFrame:
    files = sorted((root / "lake" / table).rglob("part-0.parquet"))
    return pl.concat([pl.read_parquet(f, hive_partitioning=False) for f in files])


def _naive_steps(delta: pl.DataFrame):
    """Yield ``(u, bids, asks)`` of a naive dict book over ``book_delta_v2`` rows (a snapshot's
    rows, ``origin_time`` 0, reset the book)."""
    sequence = delta["sequence_number"].to_numpy()
    is_bid = delta["side_is_bid"].to_numpy().tolist()
    price = decimal_to_units(delta["price"].to_arrow()).tolist()
    size = decimal_to_units(delta["size"].to_arrow()).tolist()
    snapshot = (delta["origin_time"].dt.epoch("ns") == 0).to_numpy()
    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    starts = np.flatnonzero(np.r_[True, sequence[1:] != sequence[:-1]])
    ends = np.r_[starts[1:], len(sequence)]
    for low, high in zip(starts.tolist(), ends.tolist(), strict=True):
        if snapshot[low]:
            bids, asks = {}, {}
        for row in range(low, high):
            side = bids if is_bid[row] else asks
            if size[row]:
                side[price[row]] = size[row]
            else:
                side.pop(price[row], None)
        if not snapshot[low]:
            yield int(sequence[low]), bids, asks


def test_vendor_deltas_rebuild_the_golden_book_at_every_u(golden: Path, vendor: Path) -> None:
    naive = _naive_steps(_table(vendor, "book_delta_v2"))
    compared = 0
    for update_id, bids, asks in _golden_steps(golden):
        vendor_id, vendor_bids, vendor_asks = next(naive)
        assert vendor_id == update_id
        assert (vendor_bids, vendor_asks) == (bids, asks), f"books differ at u={update_id}"
        compared += 1
    assert next(naive, None) is None
    assert compared == 6493  # 6495 diffs, 2 of them already in the snapshot


def test_vendor_book_and_trades_follow_the_capture(golden: Path, vendor: Path) -> None:
    best = {u: (max(bids), min(asks)) for u, bids, asks in _golden_steps(golden)}
    book = _table(vendor, "book")
    assert book.height > 6000
    for row in book.iter_rows(named=True):
        best_bid, best_ask = best[row["sequence_number"]]
        assert int(row["bid_0_price"] * 10**8) == best_bid
        assert int(row["ask_0_price"] * 10**8) == best_ask
    trades = _table(vendor, "trades")
    raw = [
        orjson.loads(r.data)
        for path in golden_files([golden])
        for r in iter_records(path)
        if r.stream.endswith("@trade")
    ]
    keys = [(t["T"], t["p"], t["m"]) for t in raw]
    runs = 1 + sum(a != b for a, b in pairwise(keys))  # runs of one taker order at one price
    assert trades.height == runs < len(raw)  # no aggTrade in the capture: grouped trades
    total = sum(int(t["q"].replace(".", "")) for t in raw)
    assert int(sum(trades["quantity"].to_list()) * 10**8) == total
    assert set(trades["side"].unique().to_list()) == {"buy", "sell"}


def test_drops_are_listed_exactly(golden: Path, vendor: Path, tmp_path: Path) -> None:
    faults = VendorFaults(drop_rate=0.03)
    summary = vendor_from_golden(tmp_path, golden=[golden], vendor_faults=faults, seed=4)
    dropped = json.loads((tmp_path / "lake" / "_injected.json").read_text())["dropped_messages"]
    assert dropped == summary.injected["lake"]["dropped_messages"]
    assert dropped
    full = set(_table(vendor, "book_delta_v2")["sequence_number"].to_list())
    kept = set(_table(tmp_path, "book_delta_v2")["sequence_number"].to_list())
    assert sorted(full - kept) == sorted(dropped)


def test_futures_golden_gives_a_futures_vendor_view(tmp_path: Path) -> None:
    from rlx_lib.synth import synthesize

    live = tmp_path / "live"
    synthesize(live, symbols=["BTC-USDT-PERP"], minutes=0.2, seed=2, views=("golden",))
    out = tmp_path / "vendor"
    vendor_from_golden(out, golden=[live / "golden"])
    folder = "lake/book_delta_v2/exchange=BINANCE_FUTURES/symbol=BTC-USDT-PERP/dt=2024-08-08"
    deltas = pl.read_parquet(out / folder / "part-0.parquet")
    assert not (out / "lake/book_delta_v2/exchange=BINANCE").exists()
    diffs = set()
    for path in golden_files([live / "golden"]):
        for record in iter_records(path):
            if record.stream.endswith("@depth@100ms"):
                data = orjson.loads(record.data)
                assert data["pu"] == data["U"] - 1
                diffs.add(data["u"])
    sequences = set(deltas["sequence_number"].to_list())
    assert len(sequences & diffs) > 100
    assert sequences - diffs <= {min(sequences)}  # the snapshot rows carry lastUpdateId
