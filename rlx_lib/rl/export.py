"""``export``: rlx's ``events/`` as hftbacktest feed files, one ``.npz`` per symbol-day.

``DIR/<SYMBOL>_<source>_<day>.npz`` holds one array ``data`` of ``hftbacktest.event_dtype``;
``BacktestAsset().data([...])`` loads the days of a range in order as they are. When the first
day's book was carried over from an earlier day (not seeded from a snapshot that day), the file
opens with a depth clear and a snapshot of that carried book, rebuilt by replaying the earlier
days' exports through hftbacktest. A finished file is skipped unless ``force``.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from hftbacktest import BUY_EVENT, DEPTH_CLEAR_EVENT, EXCH_EVENT, LOCAL_EVENT, SELL_EVENT

from rlx_lib.catalog import atomic_path, day_range, parse_day, partition_dir, validate_symbol
from rlx_lib.errors import ConfigError, DataRangeError
from rlx_lib.results import Progress, ProgressCallback, StageResult
from rlx_lib.rl.convert import UNIT, events_to_feed
from rlx_lib.rl.models import Grid, carried_snapshot, check_grid, infer_grid

__all__ = ["SOURCES", "ExportResult", "ExportRow", "export", "export_path", "read_events"]

SOURCES = ("lake", "golden")
CARRY_DAYS = 7
"""How many earlier days an export looks back for the snapshot its first day's book came from."""


@dataclass(frozen=True)
class ExportRow:
    """One symbol-day's file; ``status`` is written, skipped (exists) or missing (no events/)."""

    symbol: str
    day: str
    source: str
    status: str
    path: str
    rows: int = 0  # feed rows written
    events: int = 0  # events/ rows read
    carried_in: bool = False  # opens with the book carried over from earlier days
    tick_size: float | None = None
    seconds: float = 0.0

    def describe(self) -> str:
        """One line for a person."""
        head = f"{self.symbol} {self.day} ({self.source}): {self.status}"
        if self.status == "written":
            carried = ", opens with the carried-in book" if self.carried_in else ""
            return f"{head}, {self.rows:,} feed rows{carried} -> {self.path} ({self.seconds:.1f} s)"
        if self.status == "skipped":
            return f"{head} ({self.path} exists; --force to redo)"
        return f"{head}: no events/ for that day"


@dataclass(frozen=True)
class ExportResult(StageResult):
    """One :class:`ExportRow` per symbol-day."""


def export_path(out: Path, symbol: str, source: str, day: dt.date) -> Path:
    """``out/<SYMBOL>_<source>_<day>.npz`` (symbol without the dash, as Binance spells it)."""
    return Path(out) / f"{symbol.replace('-', '')}_{source}_{day.isoformat()}.npz"


def read_events(root: Path, symbol: str, day: dt.date, source: str) -> pl.DataFrame | None:
    """The ``events/`` partition of one source and symbol-day, or None when absent."""
    path = partition_dir(root, "events", symbol=symbol, day=day) / f"part-{source}.parquet"
    return pl.read_parquet(path) if path.is_file() else None


def export(
    root: Path,
    *,
    source: str = "golden",
    symbols: list[str] | tuple[str, ...],
    start: str | dt.date,
    end: str | dt.date,
    out: Path,
    tick_size: float | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> ExportResult:
    """Write hftbacktest feed files for each symbol-day of ``[start, end)`` from ``events/``.

    ``tick_size`` (a price) is checked against every price; by default the data's own grid.
    """
    if source not in SOURCES:
        msg = f"unknown source {source!r}; choose lake or golden"
        raise ConfigError(msg)
    days = day_range(parse_day(start), parse_day(end))
    rows: list[ExportRow] = []
    for symbol in symbols:
        validate_symbol(symbol)
        frames = {day: read_events(Path(root), symbol, day, source) for day in days}
        if all(frame is None for frame in frames.values()):
            msg = (
                f"no events/ from source {source!r} for {symbol} in [{start}, {end}); run "
                f"`rlx reconstruct --source {source} --symbols {symbol} --start {start} "
                f"--end {end}` first"
            )
            raise DataRangeError(msg)
        for index, (day, frame) in enumerate(frames.items()):
            row = _export_day(
                Path(root), symbol, day, source, frame, out, tick_size, force, first=index == 0
            )
            rows.append(row)
            if progress is not None:
                unit = f"{symbol} {day}"
                total = len(symbols) * len(days)
                progress(Progress("export", unit, len(rows), total, row.describe()))
    return ExportResult(rows=tuple(rows))


def _export_day(
    root: Path,
    symbol: str,
    day: dt.date,
    source: str,
    frame: pl.DataFrame | None,
    out: Path,
    tick_size: float | None,
    force: bool,
    *,
    first: bool,
) -> ExportRow:
    path = export_path(out, symbol, source, day)
    row = {"symbol": symbol, "day": day.isoformat(), "source": source, "path": str(path)}
    if frame is None:
        return ExportRow(**row, status="missing")
    if path.exists() and not force:
        return ExportRow(**row, status="skipped")
    began = time.perf_counter()
    grid = _grid(frame, tick_size)
    feed = events_to_feed(frame)
    carried = None
    if first and not _opens_with_snapshot(frame):
        carried = _carried_from(root, symbol, day, source, grid)
        if carried is not None:
            feed = np.concatenate([_as_opening(carried, feed), feed])
    with atomic_path(path) as temp, temp.open("wb") as handle:
        np.savez_compressed(handle, data=feed)
    return ExportRow(
        **row,
        status="written",
        rows=int(feed.size),
        events=frame.height,
        carried_in=carried is not None,
        tick_size=grid.tick_size,
        seconds=time.perf_counter() - began,
    )


def _grid(frame: pl.DataFrame, tick_size: float | None) -> Grid:
    prices = (frame["price"].drop_nulls() * UNIT).cast(pl.Int64).to_numpy()
    sizes = (frame["size"].drop_nulls() * UNIT).cast(pl.Int64).to_numpy()
    grid = infer_grid(prices, sizes)
    if tick_size is None:
        return grid
    tick = round(tick_size * UNIT)
    check_grid(tick, prices[prices != 0])
    return Grid(tick=tick, lot=grid.lot)


def _opens_with_snapshot(frame: pl.DataFrame) -> bool:
    kinds = frame.sort("sequence")["kind"].cast(pl.String)
    depth = kinds.filter(kinds != "trade")
    return depth.len() > 0 and depth[0] == "snapshot"


def _carried_from(
    root: Path, symbol: str, day: dt.date, source: str, grid: Grid
) -> np.ndarray | None:
    """The book carried into ``day``: earlier days replayed from the last snapshot-seeded one."""
    earlier: list[pl.DataFrame] = []
    for back in range(1, CARRY_DAYS + 1):
        frame = read_events(root, symbol, day - dt.timedelta(days=back), source)
        if frame is None:
            return None
        earlier.insert(0, frame)
        if _opens_with_snapshot(frame):
            return carried_snapshot([events_to_feed(f) for f in earlier], grid)
    return None


def _as_opening(snapshot: np.ndarray, feed: np.ndarray) -> np.ndarray:
    """Clear rows and the snapshot rows, stamped with the feed's first times, both clocks."""
    exch, local = int(feed["exch_ts"].min()), int(feed["local_ts"].min())
    rows = np.zeros(snapshot.size + 2, dtype=feed.dtype)
    rows["ev"][:2] = [DEPTH_CLEAR_EVENT | BUY_EVENT, DEPTH_CLEAR_EVENT | SELL_EVENT]
    rows["px"][:2] = np.nan
    rows[2:] = snapshot
    rows["ev"] |= EXCH_EVENT | LOCAL_EVENT
    rows["exch_ts"] = exch
    rows["local_ts"] = local
    return rows
