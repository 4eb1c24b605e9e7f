"""Reconstruct one symbol-day: seed the book, replay in segments, checkpoint, join, record.

The day's messages are cut into segments of about ``checkpoint_messages`` messages (a cut
only where the effective time strictly increases, so the trade merge never splits a tie).
After each segment its ``book``/``drift``/``issues`` rows are spooled and the book is
checkpointed; ``resume`` continues after the last checkpoint. ``events`` depend on the input
alone, so they go straight into the day's Parquet file (a resumed run re-derives the finished
segments' events, without the book). Seeding (recorded in the
manifest): the previous day's final state when present; else, for Lake, a snapshot block at
the start of the day or Lake's first ``book`` snapshot (20 levels; earlier messages are
skipped); for golden, the first REST snapshot through the sync rules.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import time
from dataclasses import dataclass, replace
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
from rlx_lib.reconstruction.result import DayResult

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
        detail = (
            f"best bid >= best ask for {end - begin} message(s), update ids "
            f"{day.update_id[first]}..{day.update_id[last]}; kept as is (not repaired)"
        )
        issues.append(
            schemas.issue_row(
                "reconstruction",
                "crossed_book",
                "warning",
                symbol,
                detail,
                source=source,
                position=int(first),
                origin_time=int(day.origin_ns[first]),
                update_id=int(day.update_id[first]),
            )
        )
    return issues


def _drift(
    root: Path, symbol: str, date: dt.date, day: replay.DayInput, lo: int, top: TopLevels
) -> dict[str, np.ndarray] | None:
    """Compare the rebuilt top levels with Lake's own ``book`` snapshots at the same id."""
    folder = catalog.partition_dir(root, "lake/book", symbol=symbol, day=date)
    files = sorted(folder.glob("*.parquet"))
    hi = lo + len(top.crossed)
    if not files or hi == lo:
        return None
    ids = day.update_id[lo:hi]
    snapshots = (
        pl.scan_parquet(files)
        .filter(pl.col("sequence_number").is_between(int(ids.min()), int(ids.max())))
        .collect()
    )
    if snapshots.is_empty():
        return None
    update_ids = snapshots["sequence_number"].to_numpy().astype(np.int64)
    order = np.argsort(ids, kind="stable")
    position = np.searchsorted(ids[order], update_ids, side="right") - 1
    found = (position >= 0) & (ids[order][np.maximum(position, 0)] == update_ids)
    message = order[np.maximum(position, 0)][found]
    snapshots = snapshots.filter(pl.Series(found))
    depth = min(top.bid_price.shape[1], schemas.LAKE_BOOK_DEPTH)
    differ = np.zeros(len(message), dtype=np.int32)
    error = np.zeros(len(message), dtype=np.int64)
    for side, prices, sizes in (
        ("bid", top.bid_price, top.bid_size),
        ("ask", top.ask_price, top.ask_size),
    ):
        for level in range(depth):
            their_price = decimal_to_units(snapshots[f"{side}_{level}_price"].to_arrow())
            their_size = decimal_to_units(snapshots[f"{side}_{level}_size"].to_arrow())
            ours_price, ours_size = prices[message, level], sizes[message, level]
            same_price = their_price == ours_price
            differ += (~same_price | (their_size != ours_size)).astype(np.int32)
            error += np.where(same_price, np.abs(their_size - ours_size), 0)
    times = snapshots["origin_time"].dt.epoch("ns").fill_null(replay.NULL_TIME).to_numpy()
    return {
        "origin_ns": times.astype(np.int64),
        "received_ns": snapshots["received_time"].dt.epoch("ns").to_numpy().astype(np.int64),
        "update_id": update_ids[found],
        "levels_differ": differ,
        "size_error": error,
    }


def _seed(
    config: ReconstructConfig, symbol: str, day: dt.date
) -> tuple[L2Book, int | None, dict[str, Any]]:
    """The previous day's final book, the id it ends at and the seeding record; or an empty
    book (seed ``none``)."""
    previous = final_state_path(
        config.root, source=config.source, symbol=symbol, day=day - dt.timedelta(days=1)
    )
    if previous.exists():
        book, header, _ = load_checkpoint(previous)
        seed_id = header.get("synced_update_id" if config.source == "golden" else "update_id")
        return book, seed_id, {"seed": "previous_day", "update_id": seed_id}
    return L2Book(), None, {"seed": "none"}


@dataclass(frozen=True)
class _Seeded:
    """A symbol-day read and its book seeded: what the segments replay."""

    day_input: replay.DayInput
    book: L2Book
    first: int  # the first message applied (those the seed already holds are skipped)
    seeding: dict[str, Any]  # how the book was seeded, as the manifest records it
    cuts: list[int]  # segment starts, then the end
    segment: int = 0  # the first segment rebuilt (after a resume: past the last checkpoint)


def _input_day(config: ReconstructConfig, symbol: str, day: dt.date) -> _Seeded:
    """Read the day and seed the book; messages the seed already holds are skipped."""
    book, seed_id, seeding = _seed(config, symbol, day)
    if config.source == "golden":
        day_input = replay.golden_input(
            config.root, symbol=symbol, day=day, synced_update_id=seed_id
        )
        if seeding["seed"] == "none":
            seeding = {"seed": "snapshot", "update_id": None}
        cuts = _segments(day_input.event_ns, 0, config.checkpoint_messages)
        return _Seeded(day_input, book, 0, seeding, cuts)
    day_input = replay.lake_input(config.root, symbol=symbol, day=day)
    if seeding["seed"] == "none":
        if day_input.messages and day_input.reset[0]:
            seeding = {"seed": "snapshot", "update_id": int(day_input.update_id[0])}
        elif (lake_seed := replay.lake_book_seed(config.root, symbol=symbol, day=day)) is not None:
            seed_id, levels = lake_seed
            book.reset(levels["bids"], levels["asks"])
            seeding = {"seed": "vendor_book", "update_id": seed_id, "levels": 20}
    first = 0
    if seed_id is not None:
        skip = (day_input.update_id <= seed_id) & ~day_input.reset
        first = int(np.argmin(skip)) if not skip.all() else day_input.messages
    seeding["skipped_messages"] = first
    cuts = _segments(day_input.event_ns, first, config.checkpoint_messages)
    return _Seeded(day_input, book, first, seeding, cuts)


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


def carry_state(config: ReconstructConfig, symbol: str, day: dt.date) -> DayResult:
    """Save the book at the end of a symbol-day without writing any output.

    The same replay as :func:`reconstruct_day` (same seeding, same final state), minus the
    top-level reads and the writes. It lets the next day start in parallel, seeded exactly as
    in a serial run. A state already saved from the same inputs is kept (status ``kept``,
    else ``carried``).
    """
    checksums = _input_checksums(config, symbol, day)
    path = final_state_path(config.root, source=config.source, symbol=symbol, day=day)
    if path.exists() and read_header(path).get("inputs") == checksums:
        return DayResult(symbol=symbol, day=day, status="kept", source=config.source)
    seeded = _input_day(config, symbol, day)
    day_input = seeded.day_input
    for lo, hi in itertools.pairwise(seeded.cuts):
        first_row = int(day_input.start[lo])
        rows = day_input.reader.rows(first_row, int(day_input.start[hi]))
        offsets = day_input.start[lo : hi + 1] - first_row
        seeded.book.replay(*rows, offsets, day_input.reset[lo:hi], depth=0)
    save_checkpoint(path, seeded.book, _final_header(day_input, checksums))
    return DayResult(symbol=symbol, day=day, status="carried", source=config.source)


@dataclass(frozen=True)
class _DayPlan:
    """One symbol-day to reconstruct: the run's settings and the day's input checksums."""

    config: ReconstructConfig
    symbol: str
    day: dt.date
    checksums: dict[str, str]

    @property
    def root(self) -> Path:
        return Path(self.config.root)

    @property
    def source(self) -> str:
        return self.config.source

    @property
    def unit(self) -> str:
        return f"{self.symbol} {self.day}"

    @property
    def work(self) -> Path:
        """The folder of the day's spooled segments and progress checkpoint."""
        return work_folder(self.root, source=self.source, symbol=self.symbol, day=self.day)

    @property
    def settings(self) -> dict[str, Any]:
        """The settings the output depends on (recorded in the manifests)."""
        return {"depth": self.config.depth, "book_every": self.config.book_every}

    @property
    def resume_settings(self) -> dict[str, Any]:
        """The settings a resumed run must share with the interrupted one."""
        return {**self.settings, "checkpoint_messages": self.config.checkpoint_messages}

    def output(self, dataset: str) -> Path:
        """The day's published file of ``dataset``."""
        return sinks.output_path(
            self.root, dataset, source=self.source, symbol=self.symbol, day=self.day
        )


def reconstruct_day(config: ReconstructConfig, symbol: str, day: dt.date) -> DayResult:
    """Reconstruct one symbol-day into ``events/``, ``book/``, ``drift/`` and ``issues/`` (and,
    from a golden capture holding ``@trade``, its single fills into ``trades/``).

    Steps: plan (skip a day finished from the same inputs and settings), seed, replay the
    segments, publish. Returns the day's :class:`DayResult` (``done`` or ``skipped``).
    """
    began = time.perf_counter()
    plan = _DayPlan(config, symbol, day, _input_checksums(config, symbol, day))
    if _finished(plan):
        return DayResult(symbol=symbol, day=day, status="skipped", source=config.source)
    try:
        with day_lock(plan.work.with_name(f"{day.isoformat()}.lock"), plan.unit):
            return _run_day(plan, began)
    finally:
        if not plan.work.exists():  # finished: no empty folders are left behind
            catalog.remove_folder(plan.work, up_to=plan.root / "_work")


def _finished(plan: _DayPlan) -> bool:
    """Whether the day's ``book/`` file is published from the same inputs and settings (for a
    golden day, by a version that writes ``trades/``: its manifest counts the single fills)."""
    book_file = plan.output("book")
    if plan.config.force or not book_file.exists():
        return False
    return any(
        entry.get("file") == book_file.name
        and entry.get("symbol") == plan.symbol
        and entry.get("dt") == plan.day.isoformat()
        and entry.get("inputs") == plan.checksums
        and entry.get("settings") == plan.settings
        and (plan.source != "golden" or "trade_rows" in entry)
        for entry in catalog.read_manifest(plan.root, "book")
    )


def _run_day(plan: _DayPlan, began: float) -> DayResult:
    """The steps of :func:`reconstruct_day` under the symbol-day's lock."""
    seeded = _resume(plan, _input_day(plan.config, plan.symbol, plan.day))
    written = _replay_segments(plan, seeded)
    counts = _publish(plan, seeded.day_input, written, len(seeded.cuts) - 1)
    drift = _drift_summary(plan.output("drift")) if plan.source == "lake" else None
    result = _day_result(plan, seeded, counts, drift, began)
    final_state = final_state_path(plan.root, source=plan.source, symbol=plan.symbol, day=plan.day)
    save_checkpoint(final_state, seeded.book, _final_header(seeded.day_input, plan.checksums))
    meta = {"inputs": plan.checksums, "settings": plan.settings, "seeding": seeded.seeding}
    if plan.source == "golden":  # None: the capture holds no @trade
        meta["trade_rows"] = counts.get("trades")
    _write_manifests(plan, counts, {**meta, "drift": drift})
    catalog.remove_folder(plan.work, up_to=plan.root / "_work")
    return result


def _day_result(
    plan: _DayPlan,
    seeded: _Seeded,
    counts: dict[str, int],
    drift: dict[str, Any] | None,
    began: float,
) -> DayResult:
    """The row of a finished day."""
    return DayResult(
        symbol=plan.symbol,
        day=plan.day,
        status="done",
        source=plan.source,
        messages=int(seeded.day_input.messages - seeded.first),
        events=counts["events"],
        book_rows=counts["book"],
        issue_rows=counts["issues"],
        drift_rows=counts.get("drift"),
        trade_rows=counts.get("trades"),
        seeded_from=seeded.seeding["seed"],
        seeding=seeded.seeding,
        notes=seeded.day_input.notes,
        drift=drift,
        segments=len(seeded.cuts) - 1,
        resumed_at_segment=seeded.segment,
        seconds=round(time.perf_counter() - began, 3),
    )


def _resume(plan: _DayPlan, seeded: _Seeded) -> _Seeded:
    """With ``resume`` and a progress checkpoint, continue after it (its book, segment and
    seeding); else start over (a stale work folder is cleared)."""
    progress = plan.work / "progress.npz"
    if plan.config.resume and progress.exists():
        book, header, _ = load_checkpoint(progress)
        _check_resumable(header, plan.checksums, plan.resume_settings, plan.unit)
        log.info("resuming %s at segment %d", plan.unit, header["segment"])
        return replace(seeded, book=book, segment=header["segment"], seeding=header["seeding"])
    catalog.remove_folder(plan.work, up_to=plan.root / "_work")
    return seeded


@dataclass(frozen=True)
class _Segment:
    """One rebuilt segment, handed to the ``book`` lane."""

    index: int
    lo: int  # its first message
    hi: int  # the message after its last
    top: TopLevels  # the top levels after each of its messages
    levels: dict[str, np.ndarray]  # the book at its end (for the progress checkpoint)


def _replay_segments(plan: _DayPlan, seeded: _Seeded) -> dict[str, sinks.ParquetSink]:
    """Rebuild the book segment by segment; return the day's open ``events``/``book`` files.

    With ``overlap`` the lanes encode and write a segment on other threads while the next one
    is rebuilt. Segments finished before a crash (resumed) have their events re-derived only.
    """
    day_input, cuts = seeded.day_input, seeded.cuts
    event_ns = day_input.event_ns
    written = {
        name: sinks.ParquetSink(plan.work / f"{name}.parquet.partial", sinks.arrow_schema(schema))
        for name, schema in (
            ("events", schemas.EVENTS),
            ("book", schemas.book_state_schema(plan.config.depth)),
        )
    }
    keep = _sample(event_ns, BOOK_EVERY[plan.config.book_every])
    trade_slices = _trade_slices(day_input, cuts)
    with overlap.Lanes(("events", "book"), threaded=plan.config.overlap) as lanes:
        if seeded.segment:  # resumed: the finished segments' book rows come from their spools
            lanes.submit(
                "book", sinks.copy_segments, plan.work, "book", seeded.segment, written["book"]
            )
        sequence = 0
        for index, (lo, hi) in enumerate(itertools.pairwise(cuts)):
            first_row = int(day_input.start[lo])
            rows = day_input.reader.rows(first_row, int(day_input.start[hi]))
            events = _events(day_input, event_ns, lo, hi, rows, trade_slices[index], sequence)
            sequence += len(events["sequence"])
            lanes.submit("events", _write_events, written["events"], events, plan.source)
            if index < seeded.segment:
                continue
            offsets = day_input.start[lo : hi + 1] - first_row
            top = seeded.book.replay(
                *rows, offsets, day_input.reset[lo:hi], depth=plan.config.depth
            )
            segment = _Segment(index, lo, hi, top, seeded.book.snapshot_arrays())
            lanes.submit("book", _segment_outputs, plan, seeded, keep, segment, written["book"])
    return written


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
    plan: _DayPlan,
    seeded: _Seeded,
    keep: np.ndarray,
    segment: _Segment,
    book_sink: sinks.ParquetSink,
) -> None:
    """Write one segment's ``book`` rows (spooled for a resume and to the day's file), spool
    its ``issues`` and ``drift`` rows, then save the checkpoint after it (the ``book`` lane).

    ``keep`` says which messages get a book row.
    """
    day_input, lo, hi, top = seeded.day_input, segment.lo, segment.hi, segment.top
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
        table = sinks.book_table(columns, source=plan.source, depth=plan.config.depth)
        sinks.write_segment(table, sinks.segment_path(plan.work, "book", segment.index))
        book_sink.write(table)
        _spool_checks(plan, day_input, segment)
    header = {
        "inputs": plan.checksums,
        "seeding": seeded.seeding,
        "settings": plan.resume_settings,
        "segment": segment.index + 1,
    }
    save_checkpoint(plan.work / "progress.npz", segment.levels, header)


def _spool_checks(plan: _DayPlan, day_input: replay.DayInput, segment: _Segment) -> None:
    """Spool a segment's ``issues`` (crossed books) and, for Lake, its ``drift`` rows."""
    issues = _crossed_issues(day_input, segment.lo, segment.top, plan.symbol, plan.source)
    if issues:
        table = sinks.issues_table(issues)
        sinks.write_segment(table, sinks.segment_path(plan.work, "issues", segment.index))
    if plan.source == "lake":
        drift = _drift(plan.root, plan.symbol, plan.day, day_input, segment.lo, segment.top)
        if drift is not None:
            table = sinks.drift_table(drift, source=plan.source)
            sinks.write_segment(table, sinks.segment_path(plan.work, "drift", segment.index))


def _publish(
    plan: _DayPlan,
    day_input: replay.DayInput,
    written: dict[str, sinks.ParquetSink],
    segments: int,
) -> dict[str, int]:
    """Publish the files written as the day went (``written``: events, book) and join the
    spooled segments of the others; return the rows of each dataset."""
    if day_input.issues:
        table = sinks.issues_table(day_input.issues)
        sinks.write_segment(table, sinks.segment_path(plan.work, "issues", segments))
    counts = {
        name: sink.publish(plan.output(name), force=plan.config.force)
        for name, sink in written.items()
    }
    if day_input.single_trades:
        counts["trades"] = _publish_trades(plan, day_input)
    else:  # a day redone from input without @trade keeps no single fills of an older run
        catalog.remove_published(plan.output("trades"))
    for dataset, schema in (("drift", schemas.DRIFT), ("issues", schemas.ISSUE)):
        if dataset == "drift" and plan.source != "lake":
            continue
        counts[dataset] = sinks.join_segments(
            plan.work,
            dataset,
            segments + 1,
            plan.output(dataset),
            sinks.arrow_schema(schema),
            force=plan.config.force,
        )
    return counts


def _publish_trades(plan: _DayPlan, day_input: replay.DayInput) -> int:
    """Write the capture's ``@trade`` fills to ``trades/`` atomically; return the row count."""
    path = plan.work / "trades.parquet.partial"
    sink = sinks.ParquetSink(path, sinks.arrow_schema(schemas.TRADES))
    sink.write(sinks.trades_table(day_input.single_trades, source=plan.source))
    return sink.publish(plan.output("trades"), force=plan.config.force)


def _write_manifests(plan: _DayPlan, counts: dict[str, int], meta: dict[str, Any]) -> None:
    """One manifest entry per published file: rows, checksum, inputs, settings, seeding."""
    for dataset in counts:
        target = plan.output(dataset)
        entry = {
            "file": target.name,
            "rows": counts[dataset],
            "sha256": catalog.file_sha256(target),
        }
        catalog.write_manifest(target.parent, {**entry, **meta})


def _drift_summary(path: Path) -> dict[str, Any]:
    """The published ``drift/`` file of a day in a few figures."""
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
