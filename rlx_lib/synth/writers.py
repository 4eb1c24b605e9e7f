"""Writers of the two views under a data root, window after window, with atomic renames.

:class:`GoldenWriter` streams one symbol's live view into one zstd file per capture hour;
:class:`LakeWriter` injects vendor faults into one symbol's vendor frames and appends them,
made exact by :func:`rlx_lib.venues.lake.normalize_loaded`, to one Parquet file per table and
day, with a manifest entry. A rerun leaves identical files alone and refuses to change a
finished file unless ``force``. :func:`write_injected` and :func:`write_planted` list the
faults and planted patterns.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from rlx_lib import schemas
from rlx_lib.catalog import atomic_path, file_sha256, partition_dir, write_manifest
from rlx_lib.decimals import format_units
from rlx_lib.errors import OverwriteError
from rlx_lib.golden import GoldenRecord, format_record, golden_path
from rlx_lib.synth.faults import (
    VendorFaults,
    duplicate_rows,
    empty_vendor_injected,
    nudge_off_grid,
)
from rlx_lib.venues import market_of_symbol
from rlx_lib.venues.binance_futures import USDM, futures_payload
from rlx_lib.venues.lake import normalize_loaded

__all__ = [
    "INJECTED_NAME",
    "LAKE_FILE",
    "PLANTED_NAME",
    "GoldenWriter",
    "LakeWriter",
    "write_injected",
    "write_planted",
]

LAKE_FILE = "part-0.parquet"
INJECTED_NAME = "_injected.json"
PLANTED_NAME = "_planted.json"
_HOUR_NS = 3_600_000_000_000
_FRAME_BYTES = 1 << 20
_NUMERIC = {"book_delta_v2": ("price", "size"), "trades": ("quantity", "price")}


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
    update_ids = frame["sequence_number"].to_numpy()
    is_snapshot = (frame["origin_time"].dt.epoch("ns") == 0).to_numpy()
    messages = np.unique(update_ids[~is_snapshot])
    dropped = messages[rng.random(len(messages)) < rate]
    keep = is_snapshot | ~np.isin(update_ids, dropped)
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
