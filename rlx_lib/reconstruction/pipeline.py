"""Reconstruct one symbol-day: seed the book, replay in segments, checkpoint, join, record.

The day's messages are cut into segments of about ``checkpoint_messages`` messages (a cut
only where the effective time strictly increases, so the trade merge never splits a tie).
After each segment its ``book``/``drift``/``issues`` rows are spooled and the book is
checkpointed; ``resume`` continues after the last checkpoint. ``events`` depend on the input
alone, so they go straight into the day's Parquet file (a resumed run re-derives the finished
segments' events, without the book). Seeding (recorded in the
manifest): the previous day's final state when present; else, for Lake, a snapshot block at
the start of the day or the first vendor ``book`` row (20 levels; earlier messages are
skipped); for golden, the first REST snapshot through the sync rules.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from rlx_lib import catalog, schemas
from rlx_lib.decimals import decimal_to_units
from rlx_lib.errors import ConfigError, StageError
from rlx_lib.reconstruction import overlap, replay, sinks
from rlx_lib.reconstruction.book import L2Book, TopLevels
from rlx_lib.reconstruction.checkpoint import (
    final_state_path,
    load_checkpoint,
    read_header,
    save_checkpoint,
    work_folder,
)
from rlx_lib.reconstruction.lock import day_lock

__all__ = ["BOOK_EVERY", "ReconstructConfig", "carry_state", "reconstruct_day"]

log = logging.getLogger(__name__)
BOOK_EVERY = {"message": 0, "100ms": 100_000_000, "1s": 1_000_000_000}
Source = Literal["lake", "golden"]


@dataclass(frozen=True, kw_only=True)
class ReconstructConfig:
    """What to reconstruct and how; hashable, passed explicitly to every worker."""

    root: Path
    source: Source = "lake"
    depth: int = 20
    book_every: str = "message"
    checkpoint_messages: int = 20_000
    resume: bool = False
    force: bool = False
    overlap: bool = True  # encode and write a segment on other threads while the next is rebuilt

    def __post_init__(self) -> None:
        if self.source not in schemas.SOURCES:
            msg = f"source must be one of {list(schemas.SOURCES)}, received {self.source!r}"
            raise ConfigError(msg)
        if self.book_every not in BOOK_EVERY:
            msg = f"--book-every must be one of {list(BOOK_EVERY)}, received {self.book_every!r}"
            raise ConfigError(msg)
        if not 1 <= self.depth <= 1000:
            msg = f"--depth must be between 1 and 1000, received {self.depth}"
            raise ConfigError(msg)


def _segments(event_ns: np.ndarray, first: int, size: int) -> list[int]:
    """Segment starts from ``first``: every ``size`` messages, moved to a strict time increase."""
    cuts = [first]
    target = first + size
    total = len(event_ns)
    while target < total:
        cut = target
        while cut < total and event_ns[cut] == event_ns[cut - 1]:
            cut += 1
        if cut >= total:
            break
        cuts.append(cut)
        target = cut + size
    return [*cuts, total]


def _sample(event_ns: np.ndarray, every_ns: int) -> np.ndarray:
    """Which messages get a book row: all, or the last one of each time bucket."""
    if every_ns == 0 or len(event_ns) == 0:
        return np.ones(len(event_ns), dtype=bool)
    bucket = event_ns // every_ns
    keep = np.ones(len(event_ns), dtype=bool)
    keep[:-1] = bucket[:-1] != bucket[1:]
    return keep


def _events(
    day: replay.DayInput,
    event_ns: np.ndarray,
    lo: int,
    hi: int,
    rows: tuple,
    trades: slice,
    sequence: int,
) -> dict:
    """Merge the rows of messages ``lo..hi`` with a slice of trades (see replay's tie-break).

    A trade goes after every message whose ``event_ns`` is at or before its receipt: each
    depth row moves down by the trades before its message, each trade by the rows before it.
    """
    is_bid, price, size = rows
    offsets = day.start[lo : hi + 1] - day.start[lo]
    counts = np.diff(offsets)
    count = int(offsets[-1])
    trade_rt = day.trade_received_ns[trades]
    trade_count = len(trade_rt)
    before = np.searchsorted(event_ns[lo:hi], trade_rt, side="right")  # messages per trade
    depth_at = np.arange(count) + np.repeat(
        np.searchsorted(before, np.arange(hi - lo), side="right"), counts
    )
    trade_at = np.arange(trade_count) + offsets[before]

    def merge(depth_values: np.ndarray, trade_values: np.ndarray) -> np.ndarray:
        if trade_count == 0:
            return depth_values
        merged = np.empty(count + trade_count, dtype=depth_values.dtype)
        merged[depth_at] = depth_values
        merged[trade_at] = trade_values
        return merged

    def spread(values: np.ndarray) -> np.ndarray:
        return np.repeat(values[lo:hi], counts)

    kind = np.where(day.reset[lo:hi], 0, 1).astype(np.int64)
    return {
        "origin_ns": merge(spread(day.origin_ns), day.trade_origin_ns[trades]),
        "received_ns": merge(spread(day.received_ns), trade_rt),
        "sequence": np.arange(sequence, sequence + count + trade_count, dtype=np.int64),
        "kind": merge(np.repeat(kind, counts), np.full(trade_count, 2, dtype=np.int64)),
        "update_id": merge(spread(day.update_id), np.zeros(trade_count, dtype=np.int64)),
        "first_update_id": merge(
            spread(day.first_update_id), np.full(trade_count, -1, dtype=np.int64)
        ),
        "trade_id": merge(np.zeros(count, dtype=np.int64), day.trade_id[trades]),
        "is_bid": merge(is_bid, day.trade_buy[trades]),
        "price": merge(price, day.trade_price[trades]),
        "size": merge(size, day.trade_size[trades]),
    }


def _crossed_issues(
    day: replay.DayInput, lo: int, top: TopLevels, symbol: str, source: str
) -> list[dict]:
    """One issue row per run of consecutive crossed messages."""
    crossed = top.crossed.astype(np.int8)
    edges = np.diff(np.concatenate([[0], crossed, [0]]))
    issues = []
    for begin, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        first, last = lo + begin, lo + end - 1
        issues.append(
            {
                "stage": "reconstruction",
                "check": "crossed_book",
                "severity": "warning",
                "symbol": symbol,
                "source": source,
                "position": int(first),
                "origin_time": int(day.origin_ns[first]),
                "update_id": int(day.update_id[first]),
                "detail": f"best bid >= best ask for {end - begin} message(s), update ids "
                f"{day.update_id[first]}..{day.update_id[last]}; kept as is (not repaired)",
            }
        )
    return issues


def _drift(
    root: Path, symbol: str, date: dt.date, day: replay.DayInput, lo: int, top: TopLevels
) -> dict[str, np.ndarray] | None:
    """Compare the rebuilt top levels with the vendor's ``book`` rows at the same id."""
    folder = catalog.partition_dir(root, "lake/book", symbol=symbol, day=date)
    files = sorted(folder.glob("*.parquet"))
    hi = lo + len(top.crossed)
    if not files or hi == lo:
        return None
    ids = day.update_id[lo:hi]
    vendor = (
        pl.scan_parquet(files)
        .filter(pl.col("sequence_number").is_between(int(ids.min()), int(ids.max())))
        .collect()
    )
    if vendor.is_empty():
        return None
    sequence = vendor["sequence_number"].to_numpy().astype(np.int64)
    order = np.argsort(ids, kind="stable")
    position = np.searchsorted(ids[order], sequence, side="right") - 1
    found = (position >= 0) & (ids[order][np.maximum(position, 0)] == sequence)
    message = order[np.maximum(position, 0)][found]
    vendor = vendor.filter(pl.Series(found))
    depth = min(top.bid_price.shape[1], schemas.LAKE_BOOK_DEPTH)
    differ = np.zeros(len(message), dtype=np.int32)
    error = np.zeros(len(message), dtype=np.int64)
    for side, prices, sizes in (
        ("bid", top.bid_price, top.bid_size),
        ("ask", top.ask_price, top.ask_size),
    ):
        for level in range(depth):
            vendor_price = decimal_to_units(vendor[f"{side}_{level}_price"].to_arrow())
            vendor_size = decimal_to_units(vendor[f"{side}_{level}_size"].to_arrow())
            ours_price, ours_size = prices[message, level], sizes[message, level]
            same_price = vendor_price == ours_price
            differ += (~same_price | (vendor_size != ours_size)).astype(np.int32)
            error += np.where(same_price, np.abs(vendor_size - ours_size), 0)
    times = vendor["origin_time"].dt.epoch("ns").fill_null(replay.NULL_TIME).to_numpy()
    return {
        "origin_ns": times.astype(np.int64),
        "received_ns": vendor["received_time"].dt.epoch("ns").to_numpy().astype(np.int64),
        "update_id": sequence[found],
        "levels_differ": differ,
        "size_error": error,
    }


def _seed(
    config: ReconstructConfig, symbol: str, day: dt.date
) -> tuple[L2Book, int | None, dict[str, Any]]:
    previous = final_state_path(
        config.root, source=config.source, symbol=symbol, day=day - dt.timedelta(days=1)
    )
    if previous.exists():
        book, header, _ = load_checkpoint(previous)
        seed_id = header.get("synced_update_id" if config.source == "golden" else "update_id")
        return book, seed_id, {"seed": "previous_day", "update_id": seed_id}
    return L2Book(), None, {"seed": "none"}


def _input_day(
    config: ReconstructConfig, symbol: str, day: dt.date
) -> tuple[replay.DayInput, L2Book, int, dict[str, Any]]:
    """Read the day, seed the book; return the input, the book and the first message to apply."""
    book, seed_id, seeding = _seed(config, symbol, day)
    if config.source == "golden":
        day_input = replay.golden_input(
            config.root, symbol=symbol, day=day, synced_update_id=seed_id
        )
        if seeding["seed"] == "none":
            seeding = {"seed": "snapshot", "update_id": None}
        return day_input, book, 0, seeding
    day_input = replay.lake_input(config.root, symbol=symbol, day=day)
    if seeding["seed"] == "none":
        if day_input.messages and day_input.reset[0]:
            seeding = {"seed": "snapshot", "update_id": int(day_input.update_id[0])}
        else:
            vendor = replay.lake_book_seed(config.root, symbol=symbol, day=day)
            if vendor is not None:
                seed_id, levels = vendor
                book.reset(levels["bids"], levels["asks"])
                seeding = {"seed": "vendor_book", "update_id": seed_id, "levels": 20}
    first = 0
    if seed_id is not None:
        skip = (day_input.update_id <= seed_id) & ~day_input.reset
        first = int(np.argmin(skip)) if not skip.all() else day_input.messages
    seeding["skipped_messages"] = first
    return day_input, book, first, seeding


def _input_checksums(config: ReconstructConfig, symbol: str, day: dt.date) -> dict[str, str]:
    """sha256 of each input file of a symbol-day, keyed by its path under the root."""
    root = Path(config.root)
    inputs = replay.input_files(root, source=config.source, symbol=symbol, day=day)
    if not inputs:
        msg = f"no {config.source} input for {symbol} on {day} under {root}"
        raise StageError(msg)
    return {str(path.relative_to(root)): catalog.file_sha256(path) for path in inputs}


def _final_header(day_input: replay.DayInput, checksums: dict[str, str]) -> dict[str, Any]:
    """Header of a day's final state: the ids the next day is seeded after, and the inputs."""
    last_id = int(day_input.update_id[-1]) if day_input.messages else None
    return {
        "update_id": last_id,
        "synced_update_id": day_input.notes.get("synced_update_id_at_end", last_id),
        "inputs": checksums,
    }


def _check_resumable(
    header: dict[str, Any], checksums: dict[str, str], settings: dict[str, Any], unit: str
) -> None:
    """Refuse to resume from a checkpoint made from other inputs or with other settings."""
    if header.get("inputs") != checksums:
        msg = (
            f"cannot resume {unit}: its input files changed since the crash; rerun without --resume"
        )
        raise StageError(msg)
    saved = header.get("settings") or {}
    differ = [
        f"--{name.replace('_', '-')} {saved.get(name)} then, {value} now"
        for name, value in settings.items()
        if saved.get(name) != value
    ]
    if differ:
        msg = (
            f"cannot resume {unit}: the interrupted run used other settings ({'; '.join(differ)}); "
            "resume with the same settings or rerun without --resume"
        )
        raise StageError(msg)


def carry_state(config: ReconstructConfig, symbol: str, day: dt.date) -> dict[str, Any]:
    """Save the book at the end of a symbol-day without writing any output.

    The same replay as :func:`reconstruct_day` (same seeding, same final state), minus the
    top-level reads and the writes: under a third of its cost. It lets the next day start
    in parallel, seeded exactly as in a serial run. A state already saved from the same
    inputs is kept. Returns ``{"symbol", "day", "status": "carried" | "kept"}``.
    """
    checksums = _input_checksums(config, symbol, day)
    path = final_state_path(config.root, source=config.source, symbol=symbol, day=day)
    status = {"symbol": symbol, "day": day.isoformat()}
    if path.exists() and read_header(path).get("inputs") == checksums:
        return {**status, "status": "kept"}
    day_input, book, first, _ = _input_day(config, symbol, day)
    cuts = _segments(day_input.event_ns, first, config.checkpoint_messages)
    for lo, hi in itertools.pairwise(cuts):
        first_row = int(day_input.start[lo])
        rows = day_input.reader.rows(first_row, int(day_input.start[hi]))
        book.replay(
            *rows, day_input.start[lo : hi + 1] - first_row, day_input.reset[lo:hi], depth=0
        )
    save_checkpoint(path, book, _final_header(day_input, checksums))
    return {**status, "status": "carried"}


def reconstruct_day(config: ReconstructConfig, symbol: str, day: dt.date) -> dict[str, Any]:
    """Reconstruct one symbol-day into ``events/``, ``book/``, ``drift/`` and ``issues/``.

    Returns a summary dict (``status``: ``done`` or ``skipped``, row counts, seeding, drift).
    """
    began = time.perf_counter()
    root, source = Path(config.root), config.source
    checksums = _input_checksums(config, symbol, day)
    settings = {"depth": config.depth, "book_every": config.book_every}
    book_file = sinks.output_path(root, "book", source=source, symbol=symbol, day=day)
    if not config.force and book_file.exists():
        for entry in catalog.read_manifest(root, "book"):
            if (
                entry.get("file") == book_file.name
                and entry.get("symbol") == symbol
                and entry.get("dt") == day.isoformat()
                and entry.get("inputs") == checksums
                and entry.get("settings") == settings
            ):
                return {"symbol": symbol, "day": day.isoformat(), "status": "skipped"}
    work = work_folder(root, source=source, symbol=symbol, day=day)
    try:
        with day_lock(work.with_name(f"{day.isoformat()}.lock"), f"{symbol} {day}"):
            return _run_day(config, symbol, day, checksums, settings, began)
    finally:
        if not work.exists():  # finished: no empty folders are left behind
            catalog.remove_folder(work, up_to=root / "_work")


def _run_day(
    config: ReconstructConfig,
    symbol: str,
    day: dt.date,
    checksums: dict[str, str],
    settings: dict[str, Any],
    began: float,
) -> dict[str, Any]:
    """The body of :func:`reconstruct_day`, run under the symbol-day's lock."""
    root, source = Path(config.root), config.source
    work = work_folder(root, source=source, symbol=symbol, day=day)
    progress = work / "progress.npz"
    day_input, book, first, seeding = _input_day(config, symbol, day)
    event_ns = day_input.event_ns
    cuts = _segments(event_ns, first, config.checkpoint_messages)
    keep = _sample(event_ns, BOOK_EVERY[config.book_every])
    progress_settings = {**settings, "checkpoint_messages": config.checkpoint_messages}
    book, segment, seeding = _resume(
        config, progress, checksums, progress_settings, f"{symbol} {day}", book, seeding
    )
    trade_slices = _trade_slices(day_input, cuts)
    sinks_ = {
        name: sinks.ParquetSink(work / f"{name}.parquet.partial", sinks.arrow_schema(schema))
        for name, schema in (
            ("events", schemas.EVENTS),
            ("book", schemas.book_state_schema(config.depth)),
        )
    }
    header = {"inputs": checksums, "seeding": seeding, "settings": progress_settings}
    # the book is rebuilt here while the lanes encode and write the previous segment
    with overlap.Lanes(("events", "book"), threaded=config.overlap) as lanes:
        if segment:  # resumed: the finished segments' book rows come from their spools
            lanes.submit("book", sinks.copy_segments, work, "book", segment, sinks_["book"])
        sequence = 0
        for index in range(len(cuts) - 1):
            lo, hi = cuts[index], cuts[index + 1]
            first_row = int(day_input.start[lo])
            rows = day_input.reader.rows(first_row, int(day_input.start[hi]))
            events = _events(day_input, event_ns, lo, hi, rows, trade_slices[index], sequence)
            sequence += len(events["sequence"])
            lanes.submit("events", _write_events, sinks_["events"], events, source)
            if index < segment:  # finished before a crash: its events are re-derived only
                continue
            offsets = day_input.start[lo : hi + 1] - first_row
            top = book.replay(*rows, offsets, day_input.reset[lo:hi], depth=config.depth)
            lanes.submit(
                "book",
                _segment_outputs,
                config,
                (symbol, day, day_input, work, keep),
                top,
                (lo, hi, index),
                sinks_["book"],
                (progress, book.snapshot_arrays(), {**header, "segment": index + 1}),
            )
    segments = len(cuts) - 1
    counts = _publish(config, symbol, day, day_input, work, sinks_, segments)
    drift_summary = _drift_summary(root, source, symbol, day) if source == "lake" else None
    summary = {
        "symbol": symbol,
        "day": day.isoformat(),
        "status": "done",
        "source": source,
        "messages": int(day_input.messages - first),
        "rows": counts,
        "seeding": seeding,
        "resumed_at_segment": segment,
        "segments": len(cuts) - 1,
        "notes": day_input.notes,
        "drift": drift_summary,
        "seconds": round(time.perf_counter() - began, 3),
    }
    final_state = final_state_path(root, source=source, symbol=symbol, day=day)
    save_checkpoint(final_state, book, _final_header(day_input, checksums))
    meta = {"inputs": checksums, "settings": settings, "seeding": seeding, "drift": drift_summary}
    _write_manifests(root, source, symbol, day, counts, meta)
    catalog.remove_folder(work, up_to=root / "_work")
    return summary


def _resume(
    config: ReconstructConfig,
    progress: Path,
    checksums: dict[str, str],
    settings: dict[str, Any],
    unit: str,
    book: L2Book,
    seeding: dict[str, Any],
) -> tuple[L2Book, int, dict[str, Any]]:
    """``(book, first segment, seeding)``: from the progress checkpoint with ``--resume``, else
    from the start (a stale work folder is cleared)."""
    if config.resume and progress.exists():
        book, header, _ = load_checkpoint(progress)
        _check_resumable(header, checksums, settings, unit)
        log.info("resuming %s at segment %d", unit, header["segment"])
        return book, header["segment"], header["seeding"]
    catalog.remove_folder(progress.parent, up_to=Path(config.root) / "_work")
    return book, 0, seeding


def _trade_slices(day_input: replay.DayInput, cuts: list[int]) -> list[slice]:
    """Each segment's trades: those after the last message of the segment before."""
    ends = day_input.event_ns[np.array(cuts[1:-1], int) - 1]
    inner = np.searchsorted(day_input.trade_received_ns, ends, side="right") if len(ends) else []
    bounds = [0, *np.asarray(inner, dtype=int).tolist(), len(day_input.trade_received_ns)]
    return [slice(a, b) for a, b in itertools.pairwise(bounds)]


def _write_events(sink: sinks.ParquetSink, events: dict, source: str) -> None:
    """Encode and write one segment's events (the ``events`` lane)."""
    sink.write(sinks.events_table(events, source=source))


def _segment_outputs(
    config: ReconstructConfig,
    unit: tuple[str, dt.date, replay.DayInput, Path, np.ndarray],
    top: TopLevels,
    bounds: tuple[int, int, int],
    book_sink: sinks.ParquetSink,
    checkpoint: tuple[Path, dict[str, np.ndarray], dict[str, Any]],
) -> None:
    """Write one segment's ``book`` rows (spooled for a resume and to the day's file), spool
    its ``issues`` and ``drift`` rows, then save the checkpoint after it (the ``book`` lane).

    ``unit``: symbol, day, input, work folder, which messages get a book row; ``bounds``: the
    segment's first and end message and its index; ``checkpoint``: path, the book's levels at
    the segment's end, header.
    """
    (symbol, day, day_input, work, keep), (lo, hi, index) = unit, bounds
    root, source = Path(config.root), config.source
    if hi > lo:
        kept = np.flatnonzero(keep[lo:hi])
        columns = {
            "origin_ns": day_input.origin_ns[lo:hi][kept],
            "received_ns": day_input.received_ns[lo:hi][kept],
            "update_id": day_input.update_id[lo:hi][kept],
            "bid_price": top.bid_price[kept],
            "bid_size": top.bid_size[kept],
            "ask_price": top.ask_price[kept],
            "ask_size": top.ask_size[kept],
        }
        table = sinks.book_table(columns, source=source, depth=config.depth)
        sinks.write_segment(table, sinks.segment_path(work, "book", index))
        book_sink.write(table)
        issues = _crossed_issues(day_input, lo, top, symbol, source)
        if issues:
            table = sinks.issues_table(issues)
            sinks.write_segment(table, sinks.segment_path(work, "issues", index))
        if source == "lake":
            drift = _drift(root, symbol, day, day_input, lo, top)
            if drift is not None:
                table = sinks.drift_table(drift, source=source)
                sinks.write_segment(table, sinks.segment_path(work, "drift", index))
    save_checkpoint(*checkpoint)


def _publish(
    config: ReconstructConfig,
    symbol: str,
    day: dt.date,
    day_input: replay.DayInput,
    work: Path,
    written: dict[str, sinks.ParquetSink],
    segments: int,
) -> dict[str, int]:
    """Publish the files written as the day went (``written``: events, book) and join the
    spooled segments of the others; return the rows of each dataset."""
    root, source = Path(config.root), config.source
    if day_input.issues:
        table = sinks.issues_table(day_input.issues)
        sinks.write_segment(table, sinks.segment_path(work, "issues", segments))
    counts = {
        name: sink.publish(
            sinks.output_path(root, name, source=source, symbol=symbol, day=day),
            force=config.force,
        )
        for name, sink in written.items()
    }
    for dataset, schema in (("drift", schemas.DRIFT), ("issues", schemas.ISSUE)):
        if dataset == "drift" and source != "lake":
            continue
        target = sinks.output_path(root, dataset, source=source, symbol=symbol, day=day)
        counts[dataset] = sinks.join_segments(
            work, dataset, segments + 1, target, sinks.arrow_schema(schema), force=config.force
        )
    return counts


def _write_manifests(
    root: Path, source: str, symbol: str, day: dt.date, counts: dict[str, int], meta: dict
) -> None:
    """One manifest entry per published file: rows, checksum, inputs, settings, seeding."""
    for dataset in counts:
        target = sinks.output_path(root, dataset, source=source, symbol=symbol, day=day)
        entry = {
            "file": target.name,
            "rows": counts[dataset],
            "sha256": catalog.file_sha256(target),
        }
        catalog.write_manifest(target.parent, {**entry, **meta})


def _drift_summary(root: Path, source: str, symbol: str, day: dt.date) -> dict[str, Any] | None:
    path = sinks.output_path(root, "drift", source=source, symbol=symbol, day=day)
    frame = pl.read_parquet(path)
    if frame.is_empty():
        return {"compared": 0}
    return {
        "compared": frame.height,
        "exact": int((frame["levels_differ"] == 0).sum()),
        "exact_share": float((frame["levels_differ"] == 0).mean()),
        "mean_levels_differ": float(frame["levels_differ"].mean()),
        "max_levels_differ": int(frame["levels_differ"].max()),
        "total_size_error": str(frame["size_error"].sum()),
    }
