"""One synthetic session: simulate each symbol, derive both views, write them under a data root.

``golden/`` receives the live view (one zstd file per symbol and capture hour) and
``golden/_injected.json`` its faults; ``lake/<table>/`` receives the vendor view (one
``part-0.parquet`` per symbol and day, made exact by
:func:`rlx_lib.venues.lake.normalize_loaded`, with a manifest entry) and ``lake/_injected.json``
its faults. Same config, same bytes. A rerun leaves identical files alone and refuses to
change a finished file unless ``force``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from rlx_lib import schemas
from rlx_lib.catalog import (
    atomic_path,
    file_sha256,
    partition_dir,
    validate_symbol,
    write_manifest,
    write_parquet,
)
from rlx_lib.decimals import format_units
from rlx_lib.errors import ConfigError, OverwriteError
from rlx_lib.golden import GOLDEN_DATASET, GoldenRecord, golden_path, write_golden_file
from rlx_lib.synth.faults import (
    LiveFaults,
    VendorFaults,
    duplicate_rows,
    empty_vendor_injected,
    nudge_off_grid,
)
from rlx_lib.synth.live import build_live, exchange_feed
from rlx_lib.synth.vendor import VENDOR_SNAPSHOT_DEPTH, LakeRecorder, plan_vendor, record_feed
from rlx_lib.venues.lake import normalize_loaded

__all__ = [
    "INJECTED_NAME",
    "LAKE_FILE",
    "VIEWS",
    "SynthConfig",
    "SynthSummary",
    "synthesize",
    "write_golden",
    "write_injected",
    "write_lake",
]

log = logging.getLogger(__name__)

VIEWS = ("golden", "lake")
LAKE_FILE = "part-0.parquet"
INJECTED_NAME = "_injected.json"
DEFAULT_START = dt.datetime(2024, 8, 8, tzinfo=dt.UTC)
_HOUR_NS = 3_600_000_000_000
_NUMERIC = {"book_delta_v2": ("price", "size"), "trades": ("quantity", "price")}


@dataclass(frozen=True, slots=True, kw_only=True)
class SynthConfig:
    """What to synthesize: symbols, regime, length, seed, start and faults."""

    symbols: tuple[str, ...] = ("BTC-USDT",)
    regime: str = "high"
    minutes: float = 1.0
    seed: int = 0
    start: dt.datetime = DEFAULT_START
    live_faults: LiveFaults = field(default_factory=LiveFaults)
    vendor_faults: VendorFaults = field(default_factory=VendorFaults)

    def __post_init__(self) -> None:
        from rlx_lib.synth.regimes import resolve_regime

        if not self.symbols:
            msg = "symbols must name at least one symbol, received none"
            raise ConfigError(msg)
        for symbol in self.symbols:
            validate_symbol(symbol)
        resolve_regime(self.regime)
        if not self.minutes > 0:
            msg = f"minutes must be positive, received {self.minutes}"
            raise ConfigError(msg)
        if self.start.tzinfo is None:
            msg = f"start must be a UTC datetime, received the naive {self.start.isoformat()}"
            raise ConfigError(msg)

    @property
    def start_ns(self) -> int:
        """Session start in ns since the epoch (UTC)."""
        delta = self.start.astimezone(dt.UTC) - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


@dataclass
class SynthSummary:
    """What a session wrote."""

    root: Path
    golden_files: list[Path] = field(default_factory=list)
    lake_files: list[Path] = field(default_factory=list)
    records: dict[str, int] = field(default_factory=dict)  # golden records per symbol
    rows: dict[str, int] = field(default_factory=dict)  # vendor rows per table
    changes: dict[str, int] = field(default_factory=dict)  # ground-truth level changes per symbol
    injected: dict[str, Any] = field(default_factory=dict)  # {"golden": {...}, "lake": {...}}

    def lines(self) -> list[str]:
        """A short human summary."""
        out = [f"data root: {self.root}"]
        for symbol, count in self.changes.items():
            out.append(
                f"{symbol}: {count} level changes, {self.records.get(symbol, 0)} golden records"
            )
        if self.rows:
            out.append("lake rows: " + ", ".join(f"{t} {n}" for t, n in sorted(self.rows.items())))
        out.append(f"files: {len(self.golden_files)} golden, {len(self.lake_files)} lake")
        return out


def _symbol_seed(seed: int, symbol: str) -> int:
    return (seed * 1_000_003 + zlib.crc32(symbol.encode())) % (2**63)


def synthesize(
    config: SynthConfig,
    root: Path,
    *,
    views: Sequence[str] = VIEWS,
    vendor_root: Path | None = None,
    force: bool = False,
) -> SynthSummary:
    """Simulate every symbol of ``config`` and write the requested views under ``root``.

    The vendor view goes under ``vendor_root`` instead when given (the demo serves it from a
    local S3 server). ``force`` replaces files whose content would change.

    Examples
    --------
    >>> summary = synthesize(SynthConfig(minutes=0.1), tmp_root)  # doctest: +SKIP
    """
    from rlx_lib.synth.market import simulate

    unknown = [view for view in views if view not in VIEWS]
    if unknown or not views:
        msg = f"views must be among {list(VIEWS)}, received {list(views)}"
        raise ConfigError(msg)
    root = Path(root)
    lake_root = Path(vendor_root) if vendor_root is not None else root
    summary = SynthSummary(root=root)
    live_injected: dict[str, list[Any]] = {"gaps": [], "disconnects": [], "out_of_order": []}
    lake_injected = empty_vendor_injected()
    for symbol in config.symbols:
        seed = _symbol_seed(config.seed, symbol)
        truth = simulate(
            symbol,
            config.regime,
            start_ns=config.start_ns,
            seconds=config.minutes * 60,
            seed=config.seed,
        )
        summary.changes[symbol] = len(truth.change_price)
        feed = exchange_feed(truth, seed=seed)
        plan = plan_vendor(truth, feed, seed=seed)
        live = build_live(
            truth,
            feed,
            seed=seed,
            faults=config.live_faults,
            extra_snapshots={plan.snapshot_id: VENDOR_SNAPSHOT_DEPTH},
        )
        if "golden" in views:
            summary.records[symbol] = len(live.records)
            summary.golden_files += write_golden(root, symbol, live.records, force=force)
            for key in live_injected:
                live_injected[key] += live.injected[key]
        if "lake" in views:
            recorder = record_feed(feed, plan, live.snapshots[plan.snapshot_id])
            files, injected, rows = write_lake(
                lake_root, symbol, recorder, faults=config.vendor_faults, seed=seed, force=force
            )
            summary.lake_files += files
            for key in lake_injected:
                lake_injected[key] += injected[key]
            for table, count in rows.items():
                summary.rows[table] = summary.rows.get(table, 0) + count
        log.info("synthesized %s: %d changes", symbol, len(truth.change_price))
    if "golden" in views:
        golden = {**live_injected, "clock_skew_ns": config.live_faults.clock_skew_ns}
        write_injected(root / GOLDEN_DATASET, golden)
        summary.injected["golden"] = golden
    if "lake" in views:
        write_injected(lake_root / "lake", lake_injected)
        summary.injected["lake"] = lake_injected
    return summary


def write_golden(
    root: Path, symbol: str, records: Iterable[GoldenRecord], *, force: bool = False
) -> list[Path]:
    """Write records (capture order) into one golden file per capture hour of ``symbol``."""
    hours: dict[int, list[GoldenRecord]] = defaultdict(list)
    for record in records:
        hours[record.capture_ns // _HOUR_NS].append(record)
    written = []
    for hour, chunk in hours.items():
        path = golden_path(root, symbol=symbol, capture_ns=hour * _HOUR_NS)
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = path.with_name(path.name + ".new")
        write_golden_file(fresh, chunk)
        if path.exists() and file_sha256(path) != file_sha256(fresh) and not force:
            fresh.unlink()
            msg = f"{path} exists with different content; rerun with --force to replace it"
            raise OverwriteError(msg)
        os.replace(fresh, path)
        written.append(path)
    return written


def write_lake(
    root: Path,
    symbol: str,
    recorder: LakeRecorder,
    *,
    faults: VendorFaults,
    seed: int,
    force: bool = False,
) -> tuple[list[Path], dict[str, list[Any]], dict[str, int]]:
    """Inject vendor faults into the recorder's frames, make them exact and write them per day.

    Returns the files written, what was injected, and the row count per table.
    """
    rng = np.random.default_rng([seed, 0xFA17])
    injected = empty_vendor_injected()
    files: list[Path] = []
    rows: dict[str, int] = {}
    for table, frame in recorder.frames().items():
        if table == "book_delta_v2" and faults.drop_rate > 0:
            frame, dropped = _drop_messages(frame, rate=faults.drop_rate, rng=rng)
            injected["dropped_messages"] += dropped
        days = frame["received_time"].dt.date()
        for day in days.unique(maintain_order=True).to_list():
            part = frame.filter(days == day)
            if table == "book_delta_v2" and faults.duplicate_rate > 0:
                part, picked = duplicate_rows(part, rate=faults.duplicate_rate, rng=rng)
                injected["duplicated_rows"] += _duplicate_notes(
                    part, picked, symbol=symbol, day=day
                )
            if table in _NUMERIC and faults.off_grid_rate > 0:
                part, moved = nudge_off_grid(
                    part, _NUMERIC[table], rate=faults.off_grid_rate, rng=rng
                )
                injected["off_grid_values"] += [
                    {"table": table, "symbol": symbol, "dt": day.isoformat(), **item}
                    for item in moved
                ]
            exact, _ = normalize_loaded(table, part)
            schemas.check_schema(exact, schemas.LAKE_TABLES[table], name=f"lake/{table}")
            folder = partition_dir(root, f"lake/{table}", symbol=symbol, day=day)
            path = write_parquet(exact, folder / LAKE_FILE, force=force)
            write_manifest(folder, _manifest_entry(path, exact, symbol=symbol, table=table))
            files.append(path)
            rows[table] = rows.get(table, 0) + exact.height
    return files, injected, rows


def _duplicate_notes(
    part: pl.DataFrame, picked: np.ndarray, *, symbol: str, day: dt.date
) -> list[dict[str, Any]]:
    """Where each copy sits in the written file (right after its original) and what it holds."""
    notes = []
    for number, original in enumerate(picked.tolist()):
        row = original + number + 1
        notes.append(
            {
                "table": "book_delta_v2",
                "symbol": symbol,
                "dt": day.isoformat(),
                "row": row,
                "sequence_number": int(part["sequence_number"][row]),
                "side_is_bid": bool(part["side_is_bid"][row]),
                "price": format_units(round(part["price"][row] * 1e8)),
            }
        )
    return notes


def _drop_messages(
    frame: pl.DataFrame, *, rate: float, rng: np.random.Generator
) -> tuple[pl.DataFrame, list[int]]:
    """Drop every row of a share ``rate`` of the depth messages (never snapshot rows)."""
    sequence = frame["sequence_number"].to_numpy()
    is_snapshot = (frame["origin_time"].dt.epoch("ns") == 0).to_numpy()
    messages = np.unique(sequence[~is_snapshot])
    dropped = messages[rng.random(len(messages)) < rate]
    keep = is_snapshot | ~np.isin(sequence, dropped)
    return frame.filter(pl.Series(keep)), [int(u) for u in dropped]


def _manifest_entry(path: Path, frame: pl.DataFrame, *, symbol: str, table: str) -> dict[str, Any]:
    times = frame["origin_time"].filter(frame["origin_time"].dt.epoch("ns") > 0)
    return {
        "file": path.name,
        "table": table,
        "symbol": symbol,
        "rows": frame.height,
        "sha256": file_sha256(path),
        "source": "synthetic",
        "first_origin_time": str(times.min()) if len(times) else None,
        "last_origin_time": str(times.max()) if len(times) else None,
    }


def write_injected(folder: Path, injected: dict[str, Any]) -> Path:
    """Write ``_injected.json`` (sorted keys, atomic) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / INJECTED_NAME
    with atomic_path(path) as temp:
        temp.write_text(json.dumps(injected, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path
