"""``trades/``: a golden capture's single ``@trade`` fills, beside the aggregates in ``events/``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
import polars as pl
import pytest

from rlx_lib import catalog, schemas
from rlx_lib.decimals import decimal_to_units, format_units
from rlx_lib.golden import GoldenRecord, golden_path, write_golden_file
from rlx_lib.reconstruction import pipeline
from tests.reconstruction.conftest import rebuild

DAY = dt.date(2024, 8, 8)
BASE_NS = int(dt.datetime(2024, 8, 8, 1, tzinfo=dt.UTC).timestamp() * 1e9)
T_MS = BASE_NS // 1_000_000
TICK = 1_000_000
PRICE = 60_000 * 100_000_000
# one taker order filled three times at one price (t 7..9), then a single fill (t 10)
FILLS = [(7, PRICE, 5_000_000, False), (8, PRICE, 2_000_000, False), (9, PRICE, 1_000_000, False)]
FILLS.append((10, PRICE - TICK, 4_000_000, True))
AGGREGATES = [(70, PRICE, 8_000_000, False, 7, 9), (71, PRICE - TICK, 4_000_000, True, 10, 10)]


def _trade(trade_id: int, price: int, size: int, maker_bought: bool) -> bytes:
    return orjson.dumps(
        {"e": "trade", "E": T_MS + 1, "s": "BTCUSDT", "t": trade_id, "p": format_units(price),
         "q": format_units(size), "T": T_MS, "m": maker_bought, "M": True}
    )  # fmt: skip


def _agg(agg_id: int, price: int, size: int, maker_bought: bool, first: int, last: int) -> bytes:
    return orjson.dumps(
        {"e": "aggTrade", "E": T_MS + 1, "s": "BTCUSDT", "a": agg_id, "p": format_units(price),
         "q": format_units(size), "f": first, "l": last, "T": T_MS, "m": maker_bought, "M": True}
    )  # fmt: skip


def _book() -> list[tuple[str, bytes]]:
    """A snapshot and one diff: enough book for a day to reconstruct."""
    level = [[format_units(PRICE - TICK), "1"]], [[format_units(PRICE), "2"]]
    snapshot = {"lastUpdateId": 100, "bids": level[0], "asks": level[1]}
    diff = {"e": "depthUpdate", "E": T_MS, "s": "BTCUSDT", "U": 101, "u": 102, "b": level[0],
            "a": []}  # fmt: skip
    return [
        ("btcusdt@depthSnapshot", orjson.dumps(snapshot)),
        ("btcusdt@depth@100ms", orjson.dumps(diff)),
    ]


def _capture(root: Path, *, trades: bool, aggregates: bool) -> None:
    """A golden file: the book, then the fills and/or their aggregates as they were received."""
    messages = _book()
    if trades:
        messages += [("btcusdt@trade", _trade(*fill)) for fill in FILLS]
    if aggregates:
        messages += [("btcusdt@aggTrade", _agg(*agg)) for agg in AGGREGATES]
    records = [GoldenRecord(BASE_NS + i * 1000, s, d) for i, (s, d) in enumerate(messages)]
    write_golden_file(golden_path(root, symbol="BTC-USDT", capture_ns=BASE_NS), records)


def _part(root: Path, dataset: str) -> Path:
    return catalog.partition_dir(root, dataset, symbol="BTC-USDT", day=DAY) / "part-golden.parquet"


def _rows(frame: pl.DataFrame) -> list[tuple]:
    """``(trade_id, price, size, taker bought)`` per row, prices and sizes in 1e-8 units."""
    prices = decimal_to_units(frame["price"].to_arrow()).tolist()
    sizes = decimal_to_units(frame["size"].to_arrow()).tolist()
    return list(zip(frame["trade_id"], prices, sizes, frame["side_is_bid"], strict=True))


def test_both_streams_trades_holds_each_fill_and_events_the_aggregates(data_root: Path) -> None:
    _capture(data_root, trades=True, aggregates=True)
    (row,) = rebuild(data_root, [DAY], source="golden")
    assert row.status == "done", row
    assert row.trade_rows == len(FILLS)
    assert f", {len(FILLS)} single fills" in row.summary()
    trades = pl.read_parquet(_part(data_root, "trades"))
    schemas.check_schema(trades, schemas.TRADES, name="trades")
    assert _rows(trades) == [(t, p, s, not m) for t, p, s, m in FILLS]
    assert trades["source"].cast(pl.String).to_list() == ["golden"] * len(FILLS)
    received = trades["received_time"].dt.epoch("ns").to_list()
    assert received == [BASE_NS + i * 1000 for i in range(2, 2 + len(FILLS))]
    assert set(trades["origin_time"].dt.epoch("ns").to_list()) == {T_MS * 1_000_000}
    events = pl.read_parquet(_part(data_root, "events")).filter(pl.col("kind") == "trade")
    assert _rows(events) == [(a, p, s, not m) for a, p, s, m, _, _ in AGGREGATES]
    (entry,) = catalog.read_manifest(data_root, "trades")
    assert entry["rows"] == len(FILLS)
    assert entry["sha256"] == catalog.file_sha256(_part(data_root, "trades"))
    before = _part(data_root, "trades").read_bytes()
    (again,) = rebuild(data_root, [DAY], source="golden")
    assert again.status == "skipped"
    assert _part(data_root, "trades").read_bytes() == before


@pytest.mark.parametrize("aggregates", [False, True])
def test_trades_only_when_the_capture_holds_trade(data_root: Path, aggregates: bool) -> None:
    """A capture of ``@trade`` alone: trades/ and events/ hold the same fills; of ``@aggTrade``
    alone: no trades/ file."""
    _capture(data_root, trades=not aggregates, aggregates=aggregates)
    (row,) = rebuild(data_root, [DAY], source="golden")
    assert row.status == "done", row
    events = pl.read_parquet(_part(data_root, "events")).filter(pl.col("kind") == "trade")
    if aggregates:
        assert row.trade_rows is None
        assert not _part(data_root, "trades").parent.exists()
        assert len(events) == len(AGGREGATES)
    else:
        assert _rows(pl.read_parquet(_part(data_root, "trades"))) == _rows(events)


def test_a_resumed_day_writes_the_same_trades(tmp_path: Path, monkeypatch) -> None:
    whole, crashed = tmp_path / "whole", tmp_path / "crashed"
    for root in (whole, crashed):
        _capture(root, trades=True, aggregates=True)
    rebuild(whole, [DAY], source="golden", checkpoint_messages=1)

    def crash(*_: object) -> int:
        raise RuntimeError("killed while publishing")

    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "_publish_trades", crash)
        (failed,) = rebuild(crashed, [DAY], source="golden", checkpoint_messages=1)
    assert failed.status == "failed"
    assert not _part(crashed, "trades").exists()
    (row,) = rebuild(crashed, [DAY], source="golden", checkpoint_messages=1, resume=True)
    assert row.status == "done", row
    assert row.resumed_at_segment > 0  # continued after its last checkpoint
    for dataset in ("trades", "events", "book"):
        assert _part(crashed, dataset).read_bytes() == _part(whole, dataset).read_bytes()


def test_a_day_redone_without_trade_keeps_no_older_single_fills(data_root: Path) -> None:
    _capture(data_root, trades=True, aggregates=True)
    rebuild(data_root, [DAY], source="golden")
    assert _part(data_root, "trades").exists()
    _capture(data_root, trades=False, aggregates=True)  # the capture re-imported without @trade
    (row,) = rebuild(data_root, [DAY], source="golden", force=True)
    assert row.status == "done", row
    assert row.trade_rows is None
    assert not _part(data_root, "trades").exists()
    assert catalog.read_manifest(data_root, "trades") == []


def test_a_root_rebuilt_before_trades_existed_gets_them_on_the_next_run(data_root: Path) -> None:
    """A golden day finished by a version without ``trades/`` (its manifests do not count the
    single fills) is not taken as finished: the next run writes ``trades/``, the same
    ``events/`` and ``book/``, and the run after that skips the day."""
    _capture(data_root, trades=True, aggregates=True)
    rebuild(data_root, [DAY], source="golden")
    before = {name: _part(data_root, name).read_bytes() for name in ("events", "book")}
    catalog.remove_published(_part(data_root, "trades"))
    for name in ("events", "book", "issues"):
        folder = _part(data_root, name).parent
        manifest = folder / catalog.MANIFEST_NAME
        entries = orjson.loads(manifest.read_bytes())["entries"]
        old = [{k: v for k, v in e.items() if k != "trade_rows"} for e in entries]
        manifest.write_bytes(orjson.dumps({"entries": old}))
    (row,) = rebuild(data_root, [DAY], source="golden")
    assert row.status == "done", row
    assert row.trade_rows == len(FILLS)
    assert {name: _part(data_root, name).read_bytes() for name in before} == before
    (again,) = rebuild(data_root, [DAY], source="golden")
    assert again.status == "skipped"
