"""Data root, validated hive paths, atomic writes and manifests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from rlx_lib import catalog
from rlx_lib.errors import ConfigError, OverwriteError


@pytest.mark.parametrize(
    "symbol", ["../etc", "btc-usdt", "BTC/USDT", "BTC--USDT", "", "BTC-USDT ", "A-", "BTC-USDT\n"]
)
def test_validate_symbol_rejects_anything_but_lake_symbols(symbol: str) -> None:
    with pytest.raises(ConfigError):
        catalog.validate_symbol(symbol)


def test_symbol_mapping_round_trips() -> None:
    for lake in ("BTC-USDT", "ETH-USDT", "BNB-BTC", "SOL-FDUSD"):
        assert catalog.lake_symbol(catalog.binance_symbol(lake)) == lake
    with pytest.raises(ConfigError):
        catalog.lake_symbol("btc/usdt")


def test_partition_dir_is_hive_layout(tmp_path: Path) -> None:
    path = catalog.partition_dir(tmp_path, "lake/book", symbol="BTC-USDT", day="2024-08-08")
    assert path == tmp_path / "lake/book/exchange=BINANCE/symbol=BTC-USDT/dt=2024-08-08"
    with pytest.raises(ConfigError):
        catalog.partition_dir(tmp_path, "../x", symbol="BTC-USDT", day="2024-08-08")
    with pytest.raises(ConfigError):
        catalog.partition_dir(
            tmp_path, "book", exchange="bin/ance", symbol="BTC-USDT", day="2024-08-08"
        )


def test_day_range_is_end_exclusive() -> None:
    assert catalog.day_range("2024-08-08", "2024-08-10") == [
        dt.date(2024, 8, 8),
        dt.date(2024, 8, 9),
    ]
    with pytest.raises(ConfigError):
        catalog.day_range("2024-08-08", "2024-08-08")
    with pytest.raises(ConfigError):
        catalog.parse_day("08/08/2024")


def test_data_root_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RLX_DATA_ROOT", raising=False)
    assert catalog.data_root() == Path("data")
    monkeypatch.setenv("RLX_DATA_ROOT", str(tmp_path))
    assert catalog.data_root() == tmp_path
    assert catalog.data_root(tmp_path / "x") == tmp_path / "x"


def test_write_parquet_is_atomic_idempotent_and_refuses_silent_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "p" / "part-0.parquet"
    frame = pl.DataFrame({"price": ["1.5", "2.25"]}).with_columns(
        pl.col("price").cast(pl.Decimal(18, 8))
    )
    catalog.write_parquet(frame, path)
    first = catalog.file_sha256(path)
    catalog.write_parquet(frame, path)  # same content: nothing changes
    assert catalog.file_sha256(path) == first
    changed = frame.with_columns((pl.col("price") * 2).cast(pl.Decimal(18, 8)))
    with pytest.raises(OverwriteError, match="--force"):
        catalog.write_parquet(changed, path)
    assert catalog.file_sha256(path) == first
    catalog.write_parquet(changed, path, force=True)
    assert catalog.file_sha256(path) != first
    assert [p.name for p in path.parent.iterdir()] == ["part-0.parquet"]  # no temp files left
    assert pl.read_parquet(path)["price"].dtype == pl.Decimal(18, 8)


def test_atomic_path_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"

    def write_then_fail() -> None:
        with catalog.atomic_path(target) as temp:
            temp.write_text("half")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert list(tmp_path.iterdir()) == []


def test_manifest_entries_are_replaced_by_file_and_read_with_keys(tmp_path: Path) -> None:
    folder = catalog.partition_dir(tmp_path, "events", symbol="ETH-USDT", day="2024-08-08")
    folder.mkdir(parents=True)
    catalog.write_manifest(folder, {"file": "part-lake.parquet", "rows": 1})
    catalog.write_manifest(folder, {"file": "part-lake.parquet", "rows": 2})
    catalog.write_manifest(folder, {"file": "part-golden.parquet", "rows": 3})
    entries = catalog.read_manifest(tmp_path, "events")
    assert sorted((e["file"], e["rows"], e["symbol"]) for e in entries) == [
        ("part-golden.parquet", 3, "ETH-USDT"),
        ("part-lake.parquet", 2, "ETH-USDT"),
    ]


def test_atomic_path_gives_ordinary_permissions(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    with catalog.atomic_path(target) as temp:
        temp.write_text("{}")
    assert target.stat().st_mode & 0o777 == 0o666 & ~catalog._UMASK


def test_days_lists_a_symbols_partitions_in_order(tmp_path: Path) -> None:
    for day in ("2024-08-09", "2024-08-08"):
        catalog.partition_dir(tmp_path, "golden", symbol="BTC-USDT", day=day).mkdir(parents=True)
    catalog.partition_dir(tmp_path, "golden", symbol="ETH-USDT", day="2024-08-07").mkdir(
        parents=True
    )
    assert catalog.days(tmp_path, "golden", symbol="BTC-USDT") == [
        dt.date(2024, 8, 8),
        dt.date(2024, 8, 9),
    ]
    assert catalog.days(tmp_path, "events", symbol="BTC-USDT") == []


def test_remove_folder_climbs_only_through_empty_parents(tmp_path: Path) -> None:
    top = tmp_path / "_work"
    done = top / "lake" / "BTC-USDT" / "2024-08-08"
    busy = top / "lake" / "ETH-USDT" / "2024-08-08"
    for folder in (done, busy):
        folder.mkdir(parents=True)
        (folder / "segment.arrow").write_bytes(b"x")
    catalog.remove_folder(done, up_to=top)
    assert not (top / "lake" / "BTC-USDT").exists()
    assert (busy / "segment.arrow").exists()
    catalog.remove_folder(busy, up_to=top)
    assert top.is_dir()
    assert list(top.iterdir()) == []
