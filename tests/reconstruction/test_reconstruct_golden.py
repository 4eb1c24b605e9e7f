"""Reconstruction from real golden samples (hftbacktest BTCUSDT capture across midnight)."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import numpy as np
import polars as pl

from rlx_lib import catalog, schemas
from rlx_lib.capture import import_capture
from rlx_lib.decimals import decimal_to_units
from rlx_lib.golden import (
    GoldenRecord,
    golden_files,
    golden_path,
    iter_records,
    write_golden_file,
)
from rlx_lib.venues import binance
from tests.reconstruction.conftest import rebuild

SYMBOL = "BTC-USDT"
DAYS = [dt.date(2024, 8, 8), dt.date(2024, 8, 9)]


def test_real_capture_top_of_book_agrees_with_book_ticker(real_data: Path, data_root: Path) -> None:
    folder = real_data / "hftbacktest-binance-2024-08-08" / "spot"
    import_capture(data_root, paths=sorted(folder.glob("btcusdt_*.gz")), format="hftbacktest")
    rows = rebuild(data_root, DAYS, source="golden")
    assert [r.status for r in rows] == ["done", "done"], rows
    assert rows[0].notes["stale"] == 2  # the two diffs before the snapshot are dropped
    assert rows[0].notes["gaps"] == 0
    assert rows[1].notes["gaps"] == 0
    assert rows[1].seeding["seed"] == "previous_day"  # the book crossed midnight
    books = []
    for day in DAYS:
        path = (
            catalog.partition_dir(data_root, "book", symbol=SYMBOL, day=day) / "part-golden.parquet"
        )
        frame = pl.read_parquet(path)
        schemas.check_schema(frame, schemas.BOOK_STATE, name="book")
        books.append(frame)
    book = pl.concat(books).filter(pl.col("origin_time").is_not_null())  # diff events only
    tickers = []
    for path in golden_files([data_root / "golden"]):
        for record in iter_records(path):
            if record.stream.endswith("@bookTicker"):
                tickers.append(binance.parse_book_ticker(record.data))
    tickers.sort(key=lambda t: t.update_id)
    ticker_ids = np.array([t.update_id for t in tickers])
    book_ids = book["update_id"].to_numpy()
    position = np.searchsorted(ticker_ids, book_ids, side="right") - 1
    ours = np.stack(
        [
            decimal_to_units(book[c].to_arrow())
            for c in ("bid_0_price", "bid_0_size", "ask_0_price", "ask_0_size")
        ],
        axis=1,
    )
    checked = agree = 0
    for row, index in enumerate(position):
        if index < 0:
            continue
        ticker = tickers[index]
        expected = [ticker.bid_price, ticker.bid_size, ticker.ask_price, ticker.ask_size]
        checked += 1
        agree += ours[row].tolist() == expected
    assert checked > 6000
    print(f"top of book vs bookTicker: {agree}/{checked}")
    assert agree / checked >= 0.999, f"{agree}/{checked}"
    assert checked - agree <= 3


def test_real_capture_overlapped_in_parallel_or_from_day_two_equals_a_one_thread_run(
    real_data: Path, tmp_path: Path
) -> None:
    folder = real_data / "hftbacktest-binance-2024-08-08" / "spot"
    roots = [tmp_path / "serial", tmp_path / "parallel", tmp_path / "day_two"]
    for root in roots:
        import_capture(root, paths=sorted(folder.glob("btcusdt_*.gz")), format="hftbacktest")
    segment = 1_000  # messages: several segments a day, so writes overlap the next segment
    options = {"source": "golden", "checkpoint_messages": segment}
    serial = rebuild(roots[0], DAYS, overlap=False, **options)
    parallel = rebuild(roots[1], DAYS, workers=2, **options)
    (day_two,) = rebuild(roots[2], DAYS[1:], **options)
    assert [r.status for r in parallel] == ["done", "done"], parallel
    assert min(r.segments for r in serial) > 3
    assert [r.seeding for r in parallel] == [r.seeding for r in serial]
    assert parallel[1].seeding["seed"] == "previous_day"
    assert day_two.carried_in == (DAYS[0].isoformat(),)
    assert day_two.seeding == serial[1].seeding
    for day, dataset in itertools.product(DAYS, ("events", "book")):
        files = [
            catalog.partition_dir(root, dataset, symbol=SYMBOL, day=day) / "part-golden.parquet"
            for root in roots
        ]
        digests = [catalog.file_sha256(path) for path in files[:2]]
        print(f"{day} {dataset}: sha256 {digests[0]} (one thread) {digests[1]} (overlapped)")
        assert digests[0] == digests[1]
        if day == DAYS[1]:
            assert files[0].read_bytes() == files[2].read_bytes()


def _diff(first: int, last: int, price: str, size: str) -> bytes:
    return (
        b'{"e":"depthUpdate","E":1723075200%03d,"s":"BTCUSDT","U":%d,"u":%d,'
        b'"b":[["%s","%s"]],"a":[]}' % (first % 1000, first, last, price.encode(), size.encode())
    )


def _snapshot(last: int) -> bytes:
    return b'{"lastUpdateId":%d,"bids":[["100.0","1.0"]],"asks":[["101.0","1.0"]]}' % last


def test_a_malformed_message_is_an_issue_and_a_resync(data_root: Path) -> None:
    """One bad diff costs the messages up to the next snapshot, not the day."""
    start = 1_723_075_200_000_000_000
    bodies = [
        ("btcusdt@depthSnapshot", _snapshot(10)),
        ("btcusdt@depth@100ms", _diff(11, 12, "99.0", "2.0")),
        ("btcusdt@depth@100ms", b'{"e":"depthUpdate","E":1723075200100,"u":14,"b":[]}'),
        ("btcusdt@depth@100ms", _diff(15, 16, "98.0", "3.0")),  # waits for a snapshot
        ("btcusdt@depthSnapshot", _snapshot(20)),
        ("btcusdt@depth@100ms", _diff(21, 22, "97.0", "4.0")),
    ]
    records = [GoldenRecord(start + i * 1000, s, b) for i, (s, b) in enumerate(bodies)]
    write_golden_file(golden_path(data_root, symbol=SYMBOL, capture_ns=start), records)
    (row,) = rebuild(data_root, DAYS[:1], source="golden")
    assert row.status == "done", row
    assert row.notes["malformed"] == 1
    folder = catalog.partition_dir(data_root, "book", symbol=SYMBOL, day=DAYS[0])
    book = pl.read_parquet(folder / "part-golden.parquet")
    assert book["update_id"].to_list() == [10, 12, 20, 22]  # 16 is not applied on a gap
    issues = pl.read_parquet(
        catalog.partition_dir(data_root, "issues", symbol=SYMBOL, day=DAYS[0])
        / "part-reconstruction-golden.parquet"
    )
    (bad,) = issues.filter(pl.col("check") == "bad_message").to_dicts()
    assert bad["severity"] == "error"
    assert bad["position"] == 3
    assert "missing field 'U'" in bad["detail"]
    assert "waits for a new snapshot" in bad["detail"]


def test_a_capture_cut_short_is_read_and_said_so(data_root: Path) -> None:
    """A ``.part`` file (a killed capture) is input like any other, with a finding."""
    start = 1_723_075_200_000_000_000
    bodies = [_snapshot(10), _diff(11, 12, "99.0", "2.0"), _diff(13, 14, "98.0", "3.0")]
    streams = ["btcusdt@depthSnapshot", "btcusdt@depth@100ms", "btcusdt@depth@100ms"]
    records = [
        GoldenRecord(start + i, s, b) for i, (s, b) in enumerate(zip(streams, bodies, strict=True))
    ]
    path = golden_path(data_root, symbol=SYMBOL, capture_ns=start)
    write_golden_file(path, records).rename(path.with_name(path.name + ".part"))
    (row,) = rebuild(data_root, DAYS[:1], source="golden")
    assert row.status == "done", row
    book = pl.read_parquet(
        catalog.partition_dir(data_root, "book", symbol=SYMBOL, day=DAYS[0]) / "part-golden.parquet"
    )
    assert book["update_id"].to_list() == [10, 12, 14]
    issues = pl.read_parquet(
        catalog.partition_dir(data_root, "issues", symbol=SYMBOL, day=DAYS[0])
        / "part-reconstruction-golden.parquet"
    )
    (cut,) = issues.filter(pl.col("check") == "capture_cut_short").to_dicts()
    assert cut["source"].endswith(".jsonl.zst.part")
    assert "--recover" in cut["detail"]
