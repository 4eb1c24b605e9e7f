"""Reconstruction from the vendor view of a synthetic market, against its ground truth."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from rlx_lib import catalog, schemas
from rlx_lib.decimals import decimal_to_units
from rlx_lib.reconstruction import pipeline
from rlx_lib.reconstruction.pipeline import ReconstructConfig
from tests.reconstruction.conftest import rebuild

REPO = Path(__file__).resolve().parents[2]
SYMBOL = "BTC-USDT"
DAY = dt.date(2024, 8, 8)


def read(root: Path, dataset: str, day: dt.date, name: str = "part-lake.parquet") -> pl.DataFrame:
    return pl.read_parquet(catalog.partition_dir(root, dataset, symbol=SYMBOL, day=day) / name)


def levels(frame: pl.DataFrame, side: str, depth: int = 20) -> np.ndarray:
    return np.stack(
        [
            decimal_to_units(frame[f"{side}_{i}_{k}"].to_arrow())
            for i in range(depth)
            for k in ("price", "size")
        ],
        axis=1,
    )


def assert_matches_truth(root: Path, market, days: list[dt.date]) -> int:
    checked = 0
    for day in days:
        book = read(root, "book", day)
        schemas.check_schema(book, schemas.BOOK_STATE, name="book")
        bids, asks = levels(book, "bid"), levels(book, "ask")
        for row, update_id in enumerate(book["update_id"].to_list()):
            true_bids, true_asks = market.truth[update_id]
            for got, expected in ((bids[row], true_bids), (asks[row], true_asks)):
                flat = [value for level in expected for value in level]
                flat += [0] * (40 - len(flat))
                assert got.tolist() == flat, f"update id {update_id}"
            checked += 1
    return checked


def test_lake_reconstruction_equals_ground_truth(lake_market, data_root: Path) -> None:
    rows = rebuild(data_root, lake_market.days, checkpoint_messages=128)
    assert [r.status for r in rows] == ["done", "done"]
    assert rows[0].seeding["seed"] == "snapshot"
    assert rows[1].seeding["seed"] == "previous_day"  # the book carried across midnight
    checked = assert_matches_truth(data_root, lake_market, lake_market.days)
    assert checked == len(lake_market.truth)  # every message of both days
    for row in rows:
        assert row.drift["compared"] > 0
        assert row.drift["exact"] == row.drift["compared"]
    events = read(data_root, "events", DAY)
    schemas.check_schema(events, schemas.EVENTS, name="events")
    assert events["sequence"].to_list() == list(range(events.height))
    assert events["received_time"].is_sorted()
    kinds = events["kind"].value_counts().to_dicts()
    assert {k["kind"] for k in kinds} == {"snapshot", "delta", "trade"}
    trades = events.filter(pl.col("kind") == "trade")
    assert trades["update_id"].null_count() == trades.height
    second = read(data_root, "events", lake_market.days[1])
    assert second.filter(pl.col("kind") == "snapshot").height > 0  # a mid-day REST snapshot
    assert rows[1].notes["snapshots"] == 1
    manifest = catalog.read_manifest(data_root, "book")
    entry = next(e for e in manifest if e["dt"] == DAY.isoformat())
    assert entry["rows"] == read(data_root, "book", DAY).height
    assert any("book_delta_v2" in name for name in entry["inputs"])
    assert not list((data_root / "_work").rglob("*"))  # finished days leave no work folders
    again = rebuild(data_root, lake_market.days, checkpoint_messages=128)
    assert [r.status for r in again] == ["skipped", "skipped"]


def test_day_without_history_is_seeded_from_vendor_book(tmp_path: Path, market_factory) -> None:
    market = market_factory(tmp_path, days=2, messages=200)
    shutil.rmtree(catalog.partition_dir(tmp_path, "lake/book_delta_v2", symbol=SYMBOL, day=DAY))
    day = market.days[1]
    (row,) = rebuild(tmp_path, [day])
    assert row.seeding["seed"] == "vendor_book"
    assert row.seeding["skipped_messages"] > 0
    book = read(tmp_path, "book", day)
    assert book["update_id"].min() > row.seeding["update_id"]
    # top of book right after seeding equals the truth (the seed holds the top 20)
    first = book.head(1)
    true_bids, true_asks = market.truth[first["update_id"][0]]
    assert levels(first, "bid")[0, :2].tolist() == list(true_bids[0])
    assert levels(first, "ask")[0, :2].tolist() == list(true_asks[0])


def test_book_every_second_samples_last_state(lake_market, data_root: Path) -> None:
    (row,) = rebuild(data_root, [DAY], book_every="1s", depth=5)
    book = read(data_root, "book", DAY)
    assert book.width == 4 + 4 * 5
    seconds = book["received_time"].dt.epoch("s")
    assert seconds.n_unique() == book.height  # one row per second
    assert book.height < row.messages


def test_local_cluster_output_equals_local_run(tmp_path: Path, market_factory) -> None:
    distributed = pytest.importorskip("distributed")
    local, remote = tmp_path / "local", tmp_path / "remote"
    market = market_factory(local, days=2, messages=300)
    shutil.copytree(local, remote)
    rebuild(local, market.days)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        rows = rebuild(remote, market.days, cluster=client)
    assert [row.status for row in rows] == ["done", "done"]
    assert rows[1].seeding["seed"] == "previous_day"
    for day in market.days:
        for dataset in ("events", "book", "drift"):
            folder = catalog.partition_dir(local, dataset, symbol=SYMBOL, day=day)
            other = catalog.partition_dir(remote, dataset, symbol=SYMBOL, day=day)
            assert (folder / "part-lake.parquet").read_bytes() == (
                other / "part-lake.parquet"
            ).read_bytes()


def test_failing_symbol_does_not_stop_others(lake_market, data_root: Path) -> None:
    rows = rebuild(data_root, [DAY], [SYMBOL, "ETH-USDT"])
    by_symbol = {row.symbol: row for row in rows}
    assert by_symbol[SYMBOL].status == "done"
    assert by_symbol["ETH-USDT"].status == "failed"
    assert "no lake input" in by_symbol["ETH-USDT"].error


def test_sigkill_then_resume_equals_uninterrupted_run(tmp_path: Path, market_factory) -> None:
    crashed, clean = tmp_path / "crashed", tmp_path / "clean"
    market_factory(crashed, days=1, messages=4000)
    shutil.copytree(crashed, clean)
    command = [
        str(REPO / ".venv" / "bin" / "rlx"),
        "reconstruct",
        "--source",
        "lake",
        "--symbols",
        SYMBOL,
        "--start",
        DAY.isoformat(),
        "--end",
        "2024-08-09",
        "--checkpoint-messages",
        "100",
    ]
    progress = (
        crashed / "_work" / "reconstruct" / "lake" / SYMBOL / DAY.isoformat() / "progress.npz"
    )
    process = subprocess.Popen([*command, "--data-root", str(crashed)], stdout=subprocess.PIPE)
    while not progress.exists() and process.poll() is None:
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    book_file = catalog.partition_dir(crashed, "book", symbol=SYMBOL, day=DAY) / "part-lake.parquet"
    assert not book_file.exists()  # killed mid-day: nothing final was written
    resumed = subprocess.run(
        [*command, "--data-root", str(crashed), "--resume", "--json"],
        check=True,
        capture_output=True,
    )
    (row,) = json.loads(resumed.stdout)
    assert row["resumed_at_segment"] > 0  # it continued from a checkpoint, not the start
    subprocess.run([*command, "--data-root", str(clean)], check=True, capture_output=True)
    for dataset in ("events", "book", "drift"):
        name = "part-lake.parquet"
        a = catalog.partition_dir(crashed, dataset, symbol=SYMBOL, day=DAY) / name
        b = catalog.partition_dir(clean, dataset, symbol=SYMBOL, day=DAY) / name
        assert a.read_bytes() == b.read_bytes(), dataset
    assert not progress.parent.exists()


def test_range_starting_mid_stream_carries_the_book_in(tmp_path: Path, market_factory) -> None:
    whole, later = tmp_path / "whole", tmp_path / "later"
    market = market_factory(whole, days=2, messages=200)
    shutil.copytree(whole, later)
    rebuild(whole, market.days)
    (row,) = rebuild(later, market.days[1:])
    assert row.carried_in == (market.days[0].isoformat(),)
    assert row.seeding["seed"] == "previous_day"
    assert not catalog.partition_dir(later, "book", symbol=SYMBOL, day=market.days[0]).exists()
    for dataset in ("events", "book", "drift"):
        files = [
            catalog.partition_dir(root, dataset, symbol=SYMBOL, day=market.days[1])
            / "part-lake.parquet"
            for root in (whole, later)
        ]
        assert files[0].read_bytes() == files[1].read_bytes()
    (again,) = rebuild(later, market.days[1:])
    assert again.status == "skipped"
    assert again.carried_in == ()  # the carried state is kept


def test_resume_with_other_settings_refuses(tmp_path: Path, market_factory, monkeypatch) -> None:
    """A crashed run's checkpoint is only resumed with the settings that made it."""
    market_factory(tmp_path, days=1, messages=400)
    real_save = pipeline.save_checkpoint
    saved = []

    def crash_after_three(path: Path, *args, **kwargs) -> None:
        if len(saved) == 3:
            raise KeyboardInterrupt  # the process dies mid-day
        saved.append(path)
        real_save(path, *args, **kwargs)

    monkeypatch.setattr(pipeline, "save_checkpoint", crash_after_three)
    with pytest.raises(KeyboardInterrupt):
        pipeline.reconstruct_day(
            ReconstructConfig(root=tmp_path, checkpoint_messages=50), SYMBOL, DAY
        )
    monkeypatch.setattr(pipeline, "save_checkpoint", real_save)
    for changed, named in (
        ({"checkpoint_messages": 20}, "--checkpoint-messages 50 then, 20 now"),
        ({"depth": 10}, "--depth 20 then, 10 now"),
        ({"book_every": "1s"}, "--book-every message then, 1s now"),
    ):
        options = {"checkpoint_messages": 50, **changed}
        (row,) = rebuild(tmp_path, [DAY], resume=True, **options)
        assert row.status == "failed", changed
        assert named in row.error
        assert "\n" not in row.error
        assert not catalog.partition_dir(tmp_path, "book", symbol=SYMBOL, day=DAY).exists()
    (row,) = rebuild(tmp_path, [DAY], resume=True, checkpoint_messages=50)
    assert row.status == "done"
    assert row.resumed_at_segment == 3
    book = read(tmp_path, "book", DAY)
    assert book.height == book["update_id"].n_unique() == row.messages  # each row once


def test_a_second_run_on_a_locked_day_says_who_holds_it(tmp_path: Path, market_factory) -> None:
    market_factory(tmp_path, days=1, messages=200)
    lock = tmp_path / "_work" / "reconstruct" / "lake" / SYMBOL / f"{DAY.isoformat()}.lock"
    lock.parent.mkdir(parents=True)
    holder = os.getppid()  # a live process on this host
    lock.write_text(f"{socket.gethostname()} {holder}")
    (row,) = rebuild(tmp_path, [DAY])
    assert row.status == "failed"
    assert f"{SYMBOL} {DAY} is being reconstructed by process {holder}" in row.error
    assert lock.read_text() == f"{socket.gethostname()} {holder}"  # the holder keeps it
    gone = subprocess.Popen(["true"])
    gone.wait()
    lock.write_text(f"{socket.gethostname()} {gone.pid}")  # a crashed run's stale lock
    (row,) = rebuild(tmp_path, [DAY])
    assert row.status == "done"
    assert not list((tmp_path / "_work").rglob("*"))  # taken over, then released


def _corrupt_lake_rows(root: Path) -> pl.DataFrame:
    """Negate the sizes of some non-zero delta rows and null one price (bad rows in Lake's data)."""
    path = catalog.partition_dir(root, "lake/book_delta_v2", symbol=SYMBOL, day=DAY)
    path = path / "part-0.parquet"
    frame = pl.read_parquet(path).with_row_index("row")
    live = frame.filter((pl.col("size") > 0) & (pl.col("origin_time").dt.epoch("ns") != 0))
    negative = live["row"].gather_every(40)
    null_price = live["row"][7]
    frame = frame.with_columns(
        size=pl.when(pl.col("row").is_in(negative.implode()))
        .then(-pl.col("size"))
        .otherwise(pl.col("size")),
        price=pl.when(pl.col("row") == null_price).then(None).otherwise(pl.col("price")),
    ).drop("row")
    catalog.write_parquet(frame, path, force=True)
    return frame


def test_negative_sizes_and_null_prices_never_become_book_state(
    tmp_path: Path, market_factory
) -> None:
    market_factory(tmp_path, days=1, messages=300)
    frame = _corrupt_lake_rows(tmp_path)
    bad = frame.filter((pl.col("size") < 0) | pl.col("price").is_null()).height
    assert bad > 5
    (row,) = rebuild(tmp_path, [DAY])
    assert row.status == "done"
    assert row.notes["bad_rows"] == bad
    book = read(tmp_path, "book", DAY)
    for side in ("bid", "ask"):
        values = levels(book, side)
        prices, sizes = values[:, 0::2], values[:, 1::2]
        assert (sizes >= 0).all()
        assert ((prices > 0) == (sizes > 0)).all()  # no level at price 0, none of size 0
    issues = read(tmp_path, "issues", DAY, "part-reconstruction-lake.parquet")
    found = issues.filter(pl.col("check") == "bad_value")
    assert sorted(found["detail"].str.extract(r"(\d+) book_delta_v2").cast(int)) == sorted(
        [frame.filter(pl.col("size") < 0).height, 1]
    )
    assert set(found["severity"]) == {"error"}
