"""Injected faults: the live view's sync finds exactly the listed gaps; vendor faults are listed
exactly (dropped messages, duplicated rows, off-grid floats)."""

from __future__ import annotations

import datetime as dt
import json
from itertools import pairwise
from pathlib import Path

import numpy as np
import orjson
import polars as pl
import pytest

from rlx_lib.decimals import decimal_to_units, float_to_units
from rlx_lib.errors import ConfigError
from rlx_lib.golden import golden_files, iter_records
from rlx_lib.synth import LiveFaults, VendorFaults, synthesize
from rlx_lib.synth.faults import OFF_GRID_NUDGE
from rlx_lib.venues.binance import DepthSync, SyncVerdict
from rlx_lib.venues.lake import normalize_loaded

START = dt.datetime(2024, 8, 8, 6, tzinfo=dt.UTC)
SKEW_NS = -1_270_000_000


def _session(root: Path, **faults: dict) -> None:
    synthesize(
        root,
        symbols=["ETH-USDT"],
        regime="high",
        minutes=1.0,
        seed=11,
        start=START,
        live_faults=LiveFaults(**faults.get("live", {})),
        vendor_faults=VendorFaults(**faults.get("vendor", {})),
    )


@pytest.fixture(name="clean", scope="module")
def fixture_clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("clean")
    _session(root)
    return root


@pytest.fixture(name="faulty", scope="module")
def fixture_faulty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("faulty")
    faults = {
        "live": {"disconnects": 2, "reorder_rate": 0.02, "clock_skew_ns": SKEW_NS},
        "vendor": {"drop_rate": 0.02, "duplicate_rate": 0.002, "off_grid_rate": 0.002},
    }
    _session(root, **faults)
    return root


def _records(root: Path) -> list:
    return [r for path in golden_files([root / "golden"]) for r in iter_records(path)]


def _sync_gaps(records) -> tuple[list[dict], int]:
    sync: DepthSync = DepthSync()
    gaps = []
    snapshots = 0
    for record in records:
        if record.stream.endswith("@depthSnapshot"):
            snapshots += 1
            steps = sync.snapshot(orjson.loads(record.data)["lastUpdateId"])
        elif record.stream.endswith("@depth@100ms"):
            message = orjson.loads(record.data)
            steps = sync.diff(message["U"], message["u"], None)
        else:
            continue
        gaps.extend(
            {"symbol": "ETH-USDT", "after_u": s.expected_first - 1, "resume_u": s.first_update_id}
            for s in steps
            if s.verdict is SyncVerdict.GAP
        )
    assert sync.synced, "the book is synced again at the end"
    return gaps, snapshots


def _injected(root: Path, view: str) -> dict:
    return json.loads((root / view / "_injected.json").read_text())


def test_no_fault_means_no_gap_and_empty_lists(clean: Path) -> None:
    gaps, snapshots = _sync_gaps(_records(clean))
    assert gaps == []
    assert snapshots == 1
    assert _injected(clean, "golden") == {
        "gaps": [],
        "disconnects": [],
        "out_of_order": [],
        "clock_skew_ns": 0,
    }
    assert _injected(clean, "lake") == {
        "dropped_messages": [],
        "duplicated_rows": [],
        "off_grid_values": [],
    }


def test_disconnects_give_exactly_the_listed_gaps(faulty: Path) -> None:
    records = _records(faulty)
    gaps, snapshots = _sync_gaps(records)
    injected = _injected(faulty, "golden")
    assert len(injected["disconnects"]) == 2
    assert gaps == injected["gaps"]
    assert len(gaps) == 2
    assert snapshots == 3  # the first sync and one resync per reconnect
    events = [orjson.loads(r.data)["event"] for r in records if r.stream == "_session"]
    assert events == ["connected", "disconnected", "connected", "disconnected", "connected"]
    for outage in injected["disconnects"]:
        inside = [
            r
            for r in records
            if outage["down_ns"] < r.capture_ns < outage["up_ns"] and r.stream != "_session"
        ]
        assert inside == []


def test_reordered_neighbours_are_listed_and_streams_keep_their_order(faulty: Path) -> None:
    records = _records(faulty)
    swaps = _injected(faulty, "golden")["out_of_order"]
    assert swaps
    pairs = [(r.capture_ns, r.stream) for r in records]
    neighbours = set(pairwise(pairs))
    for swap in swaps:
        (first, second), (stream_a, stream_b) = swap["capture_ns"], swap["streams"]
        assert ((first, stream_a), (second, stream_b)) in neighbours
    captures = [r.capture_ns for r in records]
    assert captures == sorted(captures)
    for kind, key in (("@depth@100ms", "u"), ("@trade", "t"), ("@aggTrade", "a")):
        ids = [orjson.loads(r.data)[key] for r in records if r.stream.endswith(kind)]
        assert ids == sorted(ids), f"{kind} order broken"


def test_clock_skew_moves_capture_times_only(clean: Path, faulty: Path) -> None:
    assert _injected(faulty, "golden")["clock_skew_ns"] == SKEW_NS
    plain = {r.data: r.capture_ns for r in _records(clean) if r.stream.endswith("@depth@100ms")}
    swapped = {
        c for swap in _injected(faulty, "golden")["out_of_order"] for c in swap["capture_ns"]
    }
    skewed = [
        r
        for r in _records(faulty)
        if r.stream.endswith("@depth@100ms") and r.data in plain and r.capture_ns not in swapped
    ]
    assert len(skewed) > 400
    assert {r.capture_ns - plain[r.data] for r in skewed} == {SKEW_NS}


def _lake(root: Path, table: str) -> pl.DataFrame:
    return pl.read_parquet(
        next((root / "lake" / table).rglob("part-0.parquet")), hive_partitioning=False
    )


def test_dropped_messages_are_listed_exactly(clean: Path, faulty: Path) -> None:
    dropped = _injected(faulty, "lake")["dropped_messages"]
    assert dropped
    full = set(_lake(clean, "book_delta_v2")["sequence_number"].to_list())
    kept = set(_lake(faulty, "book_delta_v2")["sequence_number"].to_list())
    assert sorted(full - kept) == sorted(dropped)


def test_duplicated_rows_are_listed_exactly(faulty: Path) -> None:
    listed = _injected(faulty, "lake")["duplicated_rows"]
    assert listed
    delta = _lake(faulty, "book_delta_v2")
    rows = delta.rows()
    repeats = [i for i in range(1, len(rows)) if rows[i] == rows[i - 1]]
    assert repeats == [item["row"] for item in listed]
    for item in listed:
        row = delta.row(item["row"], named=True)
        assert row["sequence_number"] == item["sequence_number"]
        assert row["side_is_bid"] == item["side_is_bid"]
        assert f"{row['price']:.8f}" == item["price"]


def test_off_grid_values_are_listed_as_normalize_flags_them(faulty: Path) -> None:
    listed = _injected(faulty, "lake")["off_grid_values"]
    assert {item["table"] for item in listed} == {"book_delta_v2", "trades"}
    values = np.array([item["value"] for item in listed])
    units, off = float_to_units(values)
    assert off.all()  # the listed floats are off the grid ...
    tables = {t: _lake(faulty, t) for t in ("book_delta_v2", "trades")}
    for item, unit in zip(listed, units, strict=True):
        column = tables[item["table"]][item["column"]]
        stored = int(decimal_to_units(column.slice(item["row"], 1).to_arrow())[0])
        assert stored == unit  # ... and the exact table holds them rounded back to the grid
        assert abs(item["value"] - stored / 1e8 - OFF_GRID_NUDGE) < 1e-9
    # put the listed floats back into a float copy: normalize_loaded flags exactly those
    for table, frame in tables.items():
        mine = [
            {k: item[k] for k in ("row", "column", "value")}
            for item in listed
            if item["table"] == table
        ]
        columns = {
            c: frame[c].cast(pl.Float64).to_numpy().copy()
            for c in ("price", "size", "quantity")
            if c in frame.columns
        }
        for item in mine:
            columns[item["column"]][item["row"]] = item["value"]
        floats = frame.with_columns(pl.Series(name, values) for name, values in columns.items())
        _, flagged = normalize_loaded(table, floats)
        assert flagged.to_dicts() == mine


def test_bad_fault_options_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="drop_rate"):
        VendorFaults(drop_rate=1.5)
    with pytest.raises(ConfigError, match="disconnects"):
        LiveFaults(disconnects=-1)
    with pytest.raises(ConfigError, match="minutes"):
        synthesize(tmp_path, minutes=0)
