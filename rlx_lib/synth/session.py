"""One synthetic session: simulate each symbol, derive both views, write them under a data root.

``golden/`` receives the live view (one zstd file per symbol and capture hour) and
``golden/_injected.json`` its faults; ``lake/<table>/`` receives the vendor view (one
``part-0.parquet`` per symbol and day, made exact by
:func:`rlx_lib.venues.lake.normalize_loaded`, with a manifest entry) and ``lake/_injected.json``
its faults. Same config, same bytes. A rerun leaves identical files alone and refuses to
change a finished file unless ``force``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from rlx_lib import schemas
from rlx_lib.catalog import (
    atomic_path,
    file_sha256,
    partition_dir,
    validate_symbol,
    write_manifest,
)
from rlx_lib.decimals import format_units
from rlx_lib.errors import ConfigError, OverwriteError
from rlx_lib.golden import GOLDEN_DATASET, GoldenRecord, format_record, golden_path
from rlx_lib.synth.faults import (
    LiveFaults,
    VendorFaults,
    duplicate_rows,
    empty_vendor_injected,
    nudge_off_grid,
)
from rlx_lib.synth.live import Exchange, LiveConnection
from rlx_lib.synth.vendor import LakeRecorder, VendorConnection
from rlx_lib.venues import market_of_symbol
from rlx_lib.venues.binance_futures import USDM, futures_payload
from rlx_lib.venues.lake import normalize_loaded

__all__ = [
    "CHUNK_SECONDS",
    "INJECTED_NAME",
    "LAKE_FILE",
    "VIEWS",
    "GoldenWriter",
    "LakeWriter",
    "SynthConfig",
    "SynthSummary",
    "synthesize",
    "write_injected",
    "write_planted",
]

log = logging.getLogger(__name__)

VIEWS = ("golden", "lake")
LAKE_FILE = "part-0.parquet"
INJECTED_NAME = "_injected.json"
PLANTED_NAME = "_planted.json"
DEFAULT_START = dt.datetime(2024, 8, 8, tzinfo=dt.UTC)
_HOUR_NS = 3_600_000_000_000
CHUNK_SECONDS = 600.0
_FRAME_BYTES = 1 << 20
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
    plant: tuple[str, ...] = ()  # pattern kinds planted into the ground truth
    plant_every_s: float = 240.0  # one instance of each kind per this many seconds

    def __post_init__(self) -> None:
        from rlx_lib.synth.regimes import resolve_regime

        if not self.symbols:
            msg = "symbols must name at least one symbol, received none"
            raise ConfigError(msg)
        for symbol in self.symbols:
            validate_symbol(symbol)
        resolve_regime(self.regime)
        from rlx_lib.synth.plant import PLANT_KINDS

        unknown = [kind for kind in self.plant if kind not in PLANT_KINDS]
        if unknown:
            msg = f"cannot plant {unknown}; kinds: {', '.join(PLANT_KINDS)}"
            raise ConfigError(msg)
        if not self.plant_every_s > 0:
            msg = f"plant_every_s must be positive, received {self.plant_every_s}"
            raise ConfigError(msg)
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
    planted: list[dict[str, Any]] = field(default_factory=list)  # what _planted.json lists

    def lines(self) -> list[str]:
        """A short human summary."""
        out = [f"data root: {self.root}"]
        for symbol, count in self.changes.items():
            out.append(
                f"{symbol}: {count} level changes, {self.records.get(symbol, 0)} golden records"
            )
        if self.rows:
            out.append("lake rows: " + ", ".join(f"{t} {n}" for t, n in sorted(self.rows.items())))
        written = {"golden": len(self.golden_files), "lake": len(self.lake_files)}
        out.append("files: " + ", ".join(f"{n} {view}" for view, n in written.items() if n))
        return out


def _symbol_seed(seed: int, symbol: str) -> int:
    return (seed * 1_000_003 + zlib.crc32(symbol.encode())) % (2**63)


def _windows(config: SynthConfig, phase_ns: int, chunk_ns: int) -> list[tuple[int, int]]:
    """Simulation windows: ends on the 100 ms depth grid, so no depth window is cut."""
    start, end = config.start_ns, config.start_ns + round(config.minutes * 60e9)
    edges = [start]
    edge = phase_ns + chunk_ns
    while edge < end:
        edges.append(edge)
        edge += chunk_ns
    edges.append(end)
    return list(pairwise(edges))


def synthesize(
    config: SynthConfig,
    root: Path,
    *,
    views: Sequence[str] = VIEWS,
    vendor_root: Path | None = None,
    chunk_seconds: float = CHUNK_SECONDS,
    force: bool = False,
    progress: Callable[[str, float], None] | None = None,
) -> SynthSummary:
    """Simulate every symbol of ``config`` and write the requested views under ``root``.

    The market is simulated and written window by window (``chunk_seconds``, ten minutes by
    default), so memory stays bounded however long the session. The vendor view goes under
    ``vendor_root`` instead when given (the demo serves it from a local S3 server).
    ``force`` replaces files whose content would change. ``progress(symbol, minutes)`` hears
    of every window written, with its simulated minutes.
    """
    from rlx_lib.synth.market import simulate
    from rlx_lib.synth.plant import plan_instances, plant

    unknown = [view for view in views if view not in VIEWS]
    if unknown or not views:
        msg = f"views must be among {list(VIEWS)}, received {list(views)}"
        raise ConfigError(msg)
    root = Path(root)
    lake_root = Path(vendor_root) if vendor_root is not None else root
    summary = SynthSummary(root=root)
    live_injected: dict[str, list[Any]] = {"gaps": [], "disconnects": [], "out_of_order": []}
    lake_injected = empty_vendor_injected()
    end_ns = config.start_ns + round(config.minutes * 60e9)
    planned = plan_instances(
        config.plant, start_ns=config.start_ns, end_ns=end_ns, every_s=config.plant_every_s
    )
    for symbol in config.symbols:
        seed = _symbol_seed(config.seed, symbol)
        end_ns = config.start_ns + round(config.minutes * 60e9)
        exchange = Exchange(symbol, seed=seed, start_ns=config.start_ns)
        live = LiveConnection(
            symbol, seed=seed, start_ns=config.start_ns, end_ns=end_ns, faults=config.live_faults
        )
        vendor = VendorConnection(seed=seed)
        recorder = LakeRecorder()
        golden = GoldenWriter(root, symbol, force=force)
        lake = LakeWriter(lake_root, symbol, faults=config.vendor_faults, seed=seed, force=force)
        try:
            windows = _windows(config, exchange.phase_ns, round(chunk_seconds * 1e9))
            truth = None
            changes = 0
            for number, (start, stop) in enumerate(windows):
                truth = simulate(
                    symbol,
                    config.regime,
                    start_ns=truth.end_ns if truth is not None else start,
                    seconds=(stop - start) / 1e9,
                    seed=config.seed,
                    initial=truth.final if truth is not None else None,
                )
                if planned:
                    truth, planted = plant(truth, planned, seed=seed)
                    summary.planted += [instance.to_dict() for instance in planted]
                changes += len(truth.change_price)
                feed = exchange.messages(truth)
                wanted = live.snapshot_requests(truth, feed) | vendor.snapshot_requests(truth, feed)
                replayed = exchange.replay(truth, snapshots=wanted)
                last = number == len(windows) - 1
                records = live.deliver(feed, replayed, horizon_ns=None if last else stop)
                if "golden" in views:
                    golden.add(records)
                if "lake" in views:
                    vendor.record(recorder, feed, replayed[2])
                    lake.add(recorder.take_frames())
                if progress is not None:
                    progress(symbol, (stop - start) / 60e9)
            summary.changes[symbol] = changes
            if "golden" in views:
                summary.golden_files += golden.close()
                summary.records[symbol] = golden.records
                for key in live_injected:
                    live_injected[key] += live.injected[key]
            if "lake" in views:
                summary.lake_files += lake.close()
                for key in lake_injected:
                    lake_injected[key] += lake.injected[key]
                for table, count in lake.rows.items():
                    summary.rows[table] = summary.rows.get(table, 0) + count
        except BaseException:
            golden.abort()
            lake.abort()
            raise
        log.info("synthesized %s: %d changes", symbol, changes)
    if "golden" in views:
        golden_faults = {**live_injected, "clock_skew_ns": config.live_faults.clock_skew_ns}
        write_injected(root / GOLDEN_DATASET, golden_faults)
        summary.injected["golden"] = golden_faults
    if "lake" in views:
        write_injected(lake_root / "lake", lake_injected)
        summary.injected["lake"] = lake_injected
    if config.plant:
        write_planted(root, summary.planted)
    return summary


def _futures_record(record: GoldenRecord) -> GoldenRecord:
    """A spot-shaped synthetic record in USD-M futures' shape (market records only)."""
    kind = USDM.classify(record.stream)
    if kind in ("session", "control", "other"):
        return record
    data = futures_payload(kind, orjson.loads(record.data), record.capture_ns // 1_000_000)
    return GoldenRecord(record.capture_ns, record.stream, orjson.dumps(data))


def write_planted(root: Path, planted: list[dict[str, Any]]) -> Path:
    """Write ``<root>/_planted.json`` (``{"patterns": [...]}``, atomic)."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / PLANTED_NAME
    with atomic_path(path) as temp:
        temp.write_text(json.dumps({"patterns": planted}, indent=1) + "\n", encoding="utf-8")
    return path


def _settle(fresh: Path, path: Path, *, force: bool) -> Path:
    """Move a finished temp file into place: same bytes keep the file, others need ``force``."""
    if path.exists() and file_sha256(path) != file_sha256(fresh) and not force:
        fresh.unlink()
        msg = f"{path} exists with different content; rerun with --force to replace it"
        raise OverwriteError(msg)
    os.replace(fresh, path)
    return path


class GoldenWriter:
    """Golden records of one symbol, in capture order, streamed into one zstd file per capture
    hour (a new frame every MiB, as :func:`rlx_lib.golden.write_golden_file` does); a file is
    renamed into place once its hour is complete."""

    def __init__(self, root: Path, symbol: str, *, force: bool = False) -> None:
        self._root, self._symbol, self._force = Path(root), symbol, force
        self._market = market_of_symbol(symbol)
        self._hour: int | None = None
        self._open: tuple[Any, Any, Path, Path] | None = None  # raw file, zstd writer, temp, path
        self._frame_bytes = 0
        self.files: list[Path] = []
        self.records = 0

    def add(self, records: Iterable[GoldenRecord]) -> None:
        """Write more records (capture order)."""
        for record in records:
            if self._market.chained:
                record = _futures_record(record)
            hour = record.capture_ns // _HOUR_NS
            if hour != self._hour or self._open is None:
                self._finish()
                self._start(hour)
            writer = self._open[1]
            self._frame_bytes += writer.write(
                format_record(record.capture_ns, record.stream, record.data)
            )
            if self._frame_bytes >= _FRAME_BYTES:
                writer.flush(zstandard.FLUSH_FRAME)
                self._frame_bytes = 0
            self.records += 1

    def _start(self, hour: int) -> None:
        path = golden_path(self._root, symbol=self._symbol, capture_ns=hour * _HOUR_NS)
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = path.with_name(path.name + ".new")
        raw = open(fresh, "wb")  # noqa: SIM115 (closed in _finish)
        writer = zstandard.ZstdCompressor(level=3).stream_writer(raw, closefd=False)
        self._hour, self._open, self._frame_bytes = hour, (raw, writer, fresh, path), 0

    def _finish(self) -> None:
        if self._open is None:
            return
        raw, writer, fresh, path = self._open
        writer.close()
        raw.flush()
        os.fsync(raw.fileno())
        raw.close()
        self._open = None
        self.files.append(_settle(fresh, path, force=self._force))

    def close(self) -> list[Path]:
        """Finish the last hour; return every file written."""
        self._finish()
        return self.files

    def abort(self) -> None:
        """After a failure: close and delete the unfinished file (no ``.new`` left behind)."""
        if self._open is not None:
            raw, writer, fresh, _ = self._open
            with contextlib.suppress(Exception):
                writer.close()
            raw.close()
            fresh.unlink(missing_ok=True)
            self._open = None


class LakeWriter:
    """Vendor frames of one symbol, window after window, into one Parquet file per table and day.

    Faults are injected per window (row numbers count from the start of the day's file);
    frames are made exact by :func:`rlx_lib.venues.lake.normalize_loaded`.
    """

    def __init__(
        self, root: Path, symbol: str, *, faults: VendorFaults, seed: int, force: bool = False
    ) -> None:
        self._root, self._symbol, self._faults, self._force = Path(root), symbol, faults, force
        self._rng = np.random.default_rng([seed, 0xFA17])
        self._open: dict[tuple[str, dt.date], tuple[pq.ParquetWriter, Path, Path]] = {}
        self._written: dict[tuple[str, dt.date], int] = {}
        self.injected = empty_vendor_injected()
        self.rows: dict[str, int] = {}
        self.files: list[Path] = []

    def add(self, frames: dict[str, pl.DataFrame]) -> None:
        """Inject faults into one window's loaded-style frames and append them, exact."""
        faults, rng = self._faults, self._rng
        for table, frame in frames.items():
            if table == "book_delta_v2" and faults.drop_rate > 0:
                frame, dropped = _drop_messages(frame, rate=faults.drop_rate, rng=rng)
                self.injected["dropped_messages"] += dropped
            days = frame["received_time"].dt.date()
            for day in days.unique(maintain_order=True).to_list():
                part = frame.filter(days == day)
                offset = self._written.get((table, day), 0)
                if table == "book_delta_v2" and faults.duplicate_rate > 0:
                    part, picked = duplicate_rows(part, rate=faults.duplicate_rate, rng=rng)
                    self.injected["duplicated_rows"] += _duplicate_notes(
                        part, picked, symbol=self._symbol, day=day, offset=offset
                    )
                if table in _NUMERIC and faults.off_grid_rate > 0:
                    part, moved = nudge_off_grid(
                        part, _NUMERIC[table], rate=faults.off_grid_rate, rng=rng
                    )
                    self.injected["off_grid_values"] += [
                        {
                            "table": table,
                            "symbol": self._symbol,
                            "dt": day.isoformat(),
                            **item,
                            "row": item["row"] + offset,
                        }
                        for item in moved
                    ]
                exact, _ = normalize_loaded(table, part)
                schemas.check_schema(exact, schemas.LAKE_TABLES[table], name=f"lake/{table}")
                self._writer(table, day).write_table(_arrow(exact))
                self._written[(table, day)] = offset + exact.height
                self.rows[table] = self.rows.get(table, 0) + exact.height

    def _writer(self, table: str, day: dt.date) -> pq.ParquetWriter:
        key = (table, day)
        if key not in self._open:
            folder = partition_dir(self._root, f"lake/{table}", symbol=self._symbol, day=day)
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / LAKE_FILE
            fresh = path.with_name(path.name + ".new")
            writer = pq.ParquetWriter(
                fresh, _arrow_schema(table), compression="zstd", store_decimal_as_integer=True
            )
            self._open[key] = (writer, fresh, path)
        return self._open[key][0]

    def close(self) -> list[Path]:
        """Finish every file (atomic rename, manifest entry); return them."""
        while self._open:
            (table, _), (writer, fresh, path) = self._open.popitem()
            writer.close()
            try:
                _settle(fresh, path, force=self._force)
            except BaseException:
                fresh.unlink(missing_ok=True)
                self.abort()
                raise
            frame = pl.read_parquet(path, columns=["origin_time"], hive_partitioning=False)
            write_manifest(
                path.parent, _manifest_entry(path, frame, symbol=self._symbol, table=table)
            )
            self.files.append(path)
        return self.files

    def abort(self) -> None:
        """After a failure: close and delete every unfinished file (no ``.new`` left behind)."""
        for writer, fresh, _ in self._open.values():
            with contextlib.suppress(Exception):
                writer.close()
            fresh.unlink(missing_ok=True)
        self._open = {}


def _arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of a lake table, decimals as int64-backed decimal64."""
    empty = pl.DataFrame(schema=schemas.LAKE_TABLES[table]).to_arrow()
    return pa.schema(
        [
            field.with_type(pa.decimal64(18, 8)) if pa.types.is_decimal(field.type) else field
            for field in empty.schema
        ]
    )


def _arrow(frame: pl.DataFrame) -> pa.Table:
    table = frame.to_arrow()
    schema = pa.schema(
        [
            field.with_type(pa.decimal64(18, 8)) if pa.types.is_decimal(field.type) else field
            for field in table.schema
        ]
    )
    return table.cast(schema)


def _duplicate_notes(
    part: pl.DataFrame, picked: np.ndarray, *, symbol: str, day: dt.date, offset: int
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
                "row": row + offset,
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
