"""Edge cases: a crossed book is reported and kept, golden gaps resync, worker processes."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import orjson
import polars as pl
import pytest

from rlx_lib import catalog
from rlx_lib.decimals import decimal_to_units, format_units
from rlx_lib.golden import GoldenRecord, golden_path, write_golden_file
from rlx_lib.reconstruction.checkpoint import final_state_path, load_checkpoint
from rlx_lib.reconstruction.pipeline import ReconstructConfig, carry_state
from rlx_lib.results import Progress
from tests.reconstruction.conftest import rebuild

DAY = dt.date(2024, 8, 8)
BASE_NS = int(dt.datetime(2024, 8, 8, 1, tzinfo=dt.UTC).timestamp() * 1e9)
TICK = 1_000_000
PRICE = 60_000 * 100_000_000


def part(root: Path, dataset: str, name: str) -> pl.DataFrame:
    return pl.read_parquet(catalog.partition_dir(root, dataset, symbol="BTC-USDT", day=DAY) / name)


def test_crossed_book_is_an_issue_and_not_repaired(data_root: Path, lake_table_writer) -> None:
    # message 1: snapshot; message 2: a bid above the best ask (crossed); message 3: uncrossed
    rows = [
        (0, 10, True, PRICE - TICK, 5),
        (0, 10, False, PRICE + TICK, 6),
        (1, 11, True, PRICE + 2 * TICK, 7),
        (2, 12, True, PRICE + 2 * TICK, 0),
    ]
    columns: dict[str, list] = {
        "origin_time": [0 if m == 0 else BASE_NS + m for m, *_ in rows],
        "received_time": [BASE_NS + 1000 * m for m, *_ in rows],
        "sequence_number": [u for _, u, *_ in rows],
        "side_is_bid": [b for *_, b, _, _ in rows],
        "price": [p for *_, p, _ in rows],
        "size": [s for *_, s in rows],
    }
    lake_table_writer(data_root, "book_delta_v2", DAY, columns)
    (summary,) = rebuild(data_root, [DAY])
    assert summary.status == "done"
    issues = part(data_root, "issues", "part-reconstruction-lake.parquet")
    assert issues["check"].to_list() == ["crossed_book"]
    assert issues["update_id"].to_list() == [11]
    book = part(data_root, "book", "part-lake.parquet")
    assert book["update_id"].to_list() == [10, 11, 12]
    crossed = book.filter(pl.col("update_id") == 11)
    assert decimal_to_units(crossed["bid_0_price"].to_arrow()).tolist() == [PRICE + 2 * TICK]
    assert decimal_to_units(crossed["ask_0_price"].to_arrow()).tolist() == [PRICE + TICK]


def _depth(first: int, final: int, bids: list, asks: list) -> bytes:
    def levels(items: list) -> list:
        return [[format_units(p), format_units(s)] for p, s in items]

    return orjson.dumps(
        {
            "e": "depthUpdate",
            "E": 1723078800000 + final,
            "s": "BTCUSDT",
            "U": first,
            "u": final,
            "b": levels(bids),
            "a": levels(asks),
        }
    )


def _snapshot(last: int, bids: list, asks: list) -> bytes:
    return orjson.dumps(
        {
            "lastUpdateId": last,
            "bids": [[format_units(p), format_units(s)] for p, s in bids],
            "asks": [[format_units(p), format_units(s)] for p, s in asks],
        }
    )


def test_golden_gap_waits_for_the_next_snapshot(data_root: Path) -> None:
    bid, ask = (PRICE - TICK, 100), (PRICE + TICK, 200)
    messages = [
        ("btcusdt@depth@100ms", _depth(95, 99, [bid], [])),  # buffered, then stale
        ("btcusdt@depthSnapshot", _snapshot(100, [bid], [ask])),
        ("btcusdt@depth@100ms", _depth(101, 105, [(PRICE - TICK, 150)], [])),
        ("btcusdt@depth@100ms", _depth(106, 110, [], [(PRICE + TICK, 0), (PRICE + 2 * TICK, 9)])),
        ("btcusdt@depth@100ms", _depth(115, 120, [(PRICE, 1)], [])),  # gap: 111..114 missing
        ("btcusdt@depth@100ms", _depth(121, 123, [(PRICE, 2)], [])),  # waits for a snapshot
        ("btcusdt@depthSnapshot", _snapshot(124, [(PRICE - 3 * TICK, 5)], [(PRICE + 3 * TICK, 6)])),
        ("btcusdt@depth@100ms", _depth(124, 130, [(PRICE - 2 * TICK, 4)], [])),
        (
            "btcusdt@trade",
            orjson.dumps(
                {
                    "e": "trade",
                    "E": 1,
                    "s": "BTCUSDT",
                    "t": 7,
                    "p": "60000.01",
                    "q": "0.5",
                    "T": 1,
                    "m": False,
                    "M": True,
                }
            ),
        ),
    ]
    records = [GoldenRecord(BASE_NS + i * 1000, s, d) for i, (s, d) in enumerate(messages)]
    write_golden_file(golden_path(data_root, symbol="BTC-USDT", capture_ns=BASE_NS), records)
    (summary,) = rebuild(data_root, [DAY], source="golden")
    assert summary.notes["gaps"] == 1
    assert summary.notes["stale"] >= 1
    book = part(data_root, "book", "part-golden.parquet")
    assert book["update_id"].to_list() == [100, 105, 110, 124, 130]
    last = book.row(-1, named=True)
    assert last["bid_0_price"] is not None
    assert decimal_to_units(book["bid_0_price"].to_arrow()).tolist()[-1] == PRICE - 2 * TICK
    assert decimal_to_units(book["ask_0_price"].to_arrow()).tolist()[-1] == PRICE + 3 * TICK
    issues = part(data_root, "issues", "part-reconstruction-golden.parquet")
    assert issues["check"].to_list() == ["depth_gap"]
    assert issues["update_id"].to_list() == [120]
    events = part(data_root, "events", "part-golden.parquet")
    assert events.filter(pl.col("kind") == "trade")["trade_id"].to_list() == [7]


@pytest.mark.slow
def test_worker_processes_write_what_one_process_writes(tmp_path: Path, market_factory) -> None:
    one, many = tmp_path / "one", tmp_path / "many"
    market = market_factory(one, days=2, messages=150)
    for day in market.days:
        btc = catalog.partition_dir(one, "lake/book_delta_v2", symbol="BTC-USDT", day=day)
        shutil.copytree(
            btc, catalog.partition_dir(one, "lake/book_delta_v2", symbol="ETH-USDT", day=day)
        )
    shutil.copytree(one, many)
    symbols = ["BTC-USDT", "ETH-USDT"]
    serial = rebuild(one, market.days, symbols)
    finished: list[Progress] = []
    parallel = rebuild(many, market.days, symbols, workers=2, progress=finished.append)
    assert [r.status for r in parallel] == ["done"] * 4
    assert sorted(step.unit for step in finished) == [f"{r.symbol} {r.day}" for r in parallel]
    assert [step.done for step in finished] == [1, 2, 3, 4]  # as they finish
    assert {step.total for step in finished} == {4}
    assert sorted(step.text for step in finished) == sorted(r.summary() for r in parallel)
    assert [r.seeding for r in parallel] == [r.seeding for r in serial]
    assert parallel[1].seeded_from == "previous_day"  # day 2 starts mid-stream
    for symbol in symbols:
        for day in market.days:
            for dataset in ("events", "book"):
                a = catalog.partition_dir(one, dataset, symbol=symbol, day=day)
                b = catalog.partition_dir(many, dataset, symbol=symbol, day=day)
                name = "part-lake.parquet"
                assert (a / name).read_bytes() == (b / name).read_bytes()


def test_carried_state_equals_the_full_run_state(tmp_path: Path, market_factory) -> None:
    market = market_factory(tmp_path, days=1, messages=120)
    config = ReconstructConfig(root=tmp_path)
    path = final_state_path(tmp_path, source="lake", symbol="BTC-USDT", day=DAY)
    assert carry_state(config, "BTC-USDT", DAY).status == "carried"
    carried_book, carried_header, _ = load_checkpoint(path)
    assert carry_state(config, "BTC-USDT", DAY).status == "kept"
    path.unlink()
    rebuild(tmp_path, market.days)
    full_book, full_header, _ = load_checkpoint(path)
    assert carried_header == full_header
    assert carried_book.snapshot_arrays().keys() == full_book.snapshot_arrays().keys()
    for name, values in full_book.snapshot_arrays().items():
        assert values.tolist() == carried_book.snapshot_arrays()[name].tolist()
    assert sum(full_book.depth()) > 0
