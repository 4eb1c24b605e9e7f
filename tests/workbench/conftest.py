"""A small, fully known catalog written through the contract schemas (no synth needed)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from rlx_lib import schemas
from rlx_lib.catalog import partition_dir, write_parquet
from rlx_lib.golden import GoldenRecord, golden_path, write_golden_file

DAY = dt.date(2024, 8, 8)
START = dt.datetime(2024, 8, 8, 12, tzinfo=dt.UTC)
TRADES = {"BTC-USDT": 600, "ETH-USDT": 240}
BOOK_STATES = 300
ISSUES = [("depth_gap", "error"), ("depth_gap", "error"), ("off_grid", "warning")]


def _times(count: int, *, step_ms: int) -> pl.Series:
    return pl.Series([START + dt.timedelta(milliseconds=step_ms * i) for i in range(count)]).cast(
        schemas.TIME
    )


def _trades(count: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    ticks = 6_400_000 + np.cumsum(rng.integers(-2, 3, count))
    return pl.DataFrame(
        {
            "origin_time": _times(count, step_ms=250),
            "received_time": _times(count, step_ms=250),
            "side": np.where(rng.random(count) < 0.5, "buy", "sell"),
            "quantity": (rng.integers(1, 5000, count) / 1000).astype(str),
            "price": (ticks / 100).astype(str),
            "trade_id": np.arange(count) + 1000,
        }
    ).with_columns(pl.col("quantity", "price").str.to_decimal(scale=8).cast(schemas.DECIMAL))


def _book(count: int, schema: pl.Schema, *, source: str | None) -> pl.DataFrame:
    columns: dict[str, object] = {
        "origin_time": _times(count, step_ms=100),
        "received_time": _times(count, step_ms=100),
    }
    if source is not None:
        columns = {"source": [source] * count, **columns, "update_id": np.arange(count) + 1}
    else:
        columns["sequence_number"] = np.arange(count) + 1
    mid = 64_000 + np.arange(count) % 7
    for side, sign in (("bid", -1), ("ask", 1)):
        for level in range(20):
            columns[f"{side}_{level}_price"] = (mid + sign * (level + 1) * 0.01).round(2)
            columns[f"{side}_{level}_size"] = np.full(count, 0.5 + level)
    frame = pl.DataFrame(columns)
    return frame.with_columns(
        pl.col(r"^(bid|ask)_\d+_(price|size)$").round(8).cast(pl.String).str.to_decimal(scale=8)
    ).cast(schema)  # type: ignore[arg-type]


@dataclass(frozen=True)
class KnownCatalog:
    """Where the catalog is and what it holds."""

    root: Path
    start: dt.datetime = START
    trades: dict[str, int] = field(default_factory=lambda: dict(TRADES))
    book_states: int = BOOK_STATES
    issues: int = len(ISSUES)


@pytest.fixture(name="catalog")
def fixture_catalog(data_root: Path) -> KnownCatalog:
    """Lake trades/book, a reconstructed book, issues, fidelity and golden files, known counts."""
    for seed, (symbol, count) in enumerate(TRADES.items()):
        folder = partition_dir(data_root, "lake/trades", symbol=symbol, day=DAY)
        write_parquet(_trades(count, seed), folder / "part-0.parquet")
    folder = partition_dir(data_root, "lake/book", symbol="BTC-USDT", day=DAY)
    write_parquet(_book(BOOK_STATES, schemas.LAKE_BOOK, source=None), folder / "part-0.parquet")
    folder = partition_dir(data_root, "book", symbol="BTC-USDT", day=DAY)
    for source in ("lake", "golden"):
        frame = _book(BOOK_STATES, schemas.BOOK_STATE, source=source)
        write_parquet(frame, folder / f"part-{source}.parquet")
    issues = pl.DataFrame(
        {
            "stage": ["validation"] * len(ISSUES),
            "check": [check for check, _ in ISSUES],
            "severity": [severity for _, severity in ISSUES],
            "symbol": ["BTC-USDT"] * len(ISSUES),
            "source": ["golden"] * len(ISSUES),
            "position": list(range(len(ISSUES))),
            "origin_time": _times(len(ISSUES), step_ms=1000),
            "update_id": list(range(len(ISSUES))),
            "detail": ["<script>alert(1)</script> expected U=5"] * len(ISSUES),
        },
        schema=schemas.ISSUE,
    )
    folder = partition_dir(data_root, "issues", symbol="BTC-USDT", day=DAY)
    write_parquet(issues, folder / "part-0.parquet")
    fidelity = pl.DataFrame(
        {
            "run_id": ["run-1", "run-1"],
            "symbol": ["BTC-USDT", "BTC-USDT"],
            "period": [None, None],
            "metric": ["top_of_book_agreement", "message_coverage"],
            "value": [1.0, 0.99],
            "unit": ["share", "share"],
            "n": [300, 300],
            "passed": [True, True],
            "detail": ["{}", "{}"],
        },
        schema=schemas.FIDELITY_RESULT,
    )
    write_parquet(fidelity, data_root / "fidelity" / "run=run-1" / "part-0.parquet")
    base = int(START.timestamp() * 1e9)
    records = [
        GoldenRecord(
            base + i * 10_000_000,
            "btcusdt@trade",
            b'{"e":"trade","E":%d}' % (base // 10**6 + i * 10),
        )
        for i in range(100)
    ]
    records.append(GoldenRecord(base, "_session", b'{"event":"connected"}'))
    write_golden_file(
        golden_path(data_root, symbol="BTC-USDT", capture_ns=base),
        sorted(records, key=lambda r: r.capture_ns),
    )
    return KnownCatalog(root=data_root)


def _tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root``, by relative path (what "no byte changed" means)."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(name="tree_digest")
def fixture_tree_digest() -> Callable[[Path], dict[str, str]]:
    """A function: sha256 of every file under a folder, by relative path."""
    return _tree_digest
