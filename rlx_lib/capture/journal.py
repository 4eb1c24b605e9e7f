"""The capture journal: golden files per symbol and hour, written as ``.part`` while open.

Records are buffered per open file; :meth:`Journal.flush` compresses them into one complete
zstd frame and appends it, so a process killed with ``kill -9`` loses at most what came after
the last flush, and every file (``.part`` included) reads back up to its last complete record.
A file is renamed to its final name when its hour is over or the journal closes; a name that
exists already is never overwritten (``23_1.jsonl.zst`` follows).

A write that fails (a full disk) is loud and safe: it is logged at once, the file is cut back
to its last whole frame, and the records stay in memory, up to ``max_buffer_bytes``, to be
retried at the next flush. When writing resumes, a ``_session`` ``write_failed`` record says
from when to when nothing reached the disk. :attr:`Journal.overflowing` tells the capture to
stop before the buffer would have to drop anything.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import orjson
import zstandard

from rlx_lib.capture.recover import free_name
from rlx_lib.golden import PART_SUFFIX, golden_path
from rlx_lib.venues.binance import SESSION_STREAM

__all__ = ["Journal"]

log = logging.getLogger(__name__)

_HOUR_NS = 3_600_000_000_000
_WRITE_BYTES = 1 << 22  # compress at least every 4 MiB of text between flushes


@dataclass
class _OpenFile:
    base: Path  # the hour's first name (``23.jsonl.zst``)
    final: Path
    part: Path
    hour: int  # capture hour (ns // 1 h)
    handle: BinaryIO | None = None  # opened at the first write
    size: int = 0  # bytes of whole frames on disk
    lines: list[bytes] = field(default_factory=list)  # buffered since the last frame
    buffered: int = 0  # bytes in ``lines``
    frames: list[tuple[bytes, int]] = field(default_factory=list)  # compressed, not yet written

    @property
    def pending_records(self) -> int:
        return len(self.lines) + sum(count for _, count in self.frames)

    @property
    def pending_bytes(self) -> int:
        return self.buffered + sum(len(frame) for frame, _ in self.frames)


@dataclass
class _Failure:
    error: str
    since_ns: int
    attempts: int = 1
    held_bytes: int = 0  # the most held in memory meanwhile


class Journal:
    """Append golden records to one zstd file per symbol and capture hour.

    Parameters
    ----------
    root
        Data root; files go to ``golden/exchange=../symbol=../dt=../HH.jsonl.zst``.
    exchange
        Exchange partition name (default: the symbol's, ``BINANCE_FUTURES`` for ``-PERP``).
    level
        zstd level.
    max_buffer_bytes
        Records held in memory while writes fail, at most.
    """

    def __init__(
        self,
        root: Path,
        *,
        exchange: str | None = None,
        level: int = 3,
        max_buffer_bytes: int = 256 << 20,
    ) -> None:
        self.root = Path(root)
        self.exchange = exchange
        self.bytes_written = 0
        self.records_written = 0
        self.closed_files: list[Path] = []
        self.max_buffer_bytes = max_buffer_bytes
        self.failure: _Failure | None = None  # the write failure in progress, if any
        self.write_failures = 0  # failed attempts over the journal's life
        self._compressor = zstandard.ZstdCompressor(level=level, write_checksum=True)
        self._files: dict[str, _OpenFile] = {}
        self._closing: list[_OpenFile] = []  # hours over, not yet written out
        self._abandoned: list[_OpenFile] = []  # closed with records that could not be written
        self._middles: dict[str, bytes] = {}

    def write(self, symbol: str, capture_ns: int, stream: str, data: bytes) -> None:
        """Append one record to the file of ``symbol`` (Lake style) for its capture hour.

        The line is :func:`rlx_lib.golden.format_record`'s, built from a cached stream part.
        """
        middle = self._middles.get(stream)
        if middle is None:
            middle = self._middles[stream] = b', "stream": %s, "data": ' % orjson.dumps(stream)
        line = b'{"capture_ns": %d%s%s}\n' % (capture_ns, middle, data)
        handle = self._files.get(symbol)
        if handle is None or handle.hour != capture_ns // _HOUR_NS:
            if handle is not None:
                self._closing.append(self._files.pop(symbol))
            handle = self._open(symbol, capture_ns)
        handle.lines.append(line)
        handle.buffered += len(line)
        if handle.buffered >= _WRITE_BYTES:
            self._frame(handle)
            if self.failure is None:
                self._write_out(handle)
        self.bytes_written += len(line)
        self.records_written += 1

    def flush(self, *, now_ns: int | None = None) -> None:
        """Write every buffered record as one frame per file; close files whose hour is over
        (``now_ns`` defaults to the clock). A failure is logged and retried at the next flush."""
        hour = (now_ns if now_ns is not None else time.time_ns()) // _HOUR_NS
        for symbol, handle in list(self._files.items()):
            if handle.hour < hour:
                self._closing.append(self._files.pop(symbol))
        for handle in [*self._closing, *self._files.values()]:
            self._frame(handle)
            if not self._write_out(handle):
                return
        for handle in list(self._closing):
            self._close(handle)
            self._closing.remove(handle)
        if self.failure is not None:
            self._resumed()

    def close(self) -> list[Path]:
        """Write, fsync and rename every open file; return every file this journal closed.

        A file whose records cannot be written stays a ``.part`` with what reached the disk.
        """
        self.flush()
        for symbol in list(self._files):
            self._closing.append(self._files.pop(symbol))
        for handle in list(self._closing):
            if handle.pending_records == 0:
                self._close(handle)
            else:  # left as a .part; its records in memory are counted, not forgotten
                if handle.handle is not None:
                    handle.handle.close()
                self._abandoned.append(handle)
            self._closing.remove(handle)
        return list(self.closed_files)

    @property
    def open_files(self) -> list[Path]:
        """The ``.part`` files being written."""
        return [handle.part for handle in self._files.values()]

    @property
    def unwritten_records(self) -> int:
        """Records held in memory that have not reached the disk."""
        handles = [*self._closing, *self._files.values(), *self._abandoned]
        return sum(h.pending_records for h in handles)

    @property
    def unwritten_bytes(self) -> int:
        """Bytes held in memory that have not reached the disk."""
        return sum(h.pending_bytes for h in [*self._closing, *self._files.values()])

    @property
    def overflowing(self) -> bool:
        """True when writes fail and the memory buffer is full: the capture must stop."""
        return self.failure is not None and self.unwritten_bytes >= self.max_buffer_bytes

    def _frame(self, handle: _OpenFile) -> None:
        """Compress the buffered lines into one complete frame, kept until it is written."""
        if handle.lines:
            frame = self._compressor.compress(b"".join(handle.lines))
            handle.frames.append((frame, len(handle.lines)))
            handle.lines.clear()
            handle.buffered = 0

    def _write_out(self, handle: _OpenFile) -> bool:
        """Append the file's pending frames; on failure cut it back to its last whole frame."""
        try:
            if handle.handle is None and handle.frames:
                self._create(handle)
            while handle.frames:
                frame, _ = handle.frames[0]
                view = memoryview(frame)
                while view:
                    view = view[os.write(handle.handle.fileno(), view) :]
                handle.size += len(frame)
                handle.frames.pop(0)
        except OSError as error:
            if handle.handle is not None:
                os.ftruncate(handle.handle.fileno(), handle.size)
                os.lseek(handle.handle.fileno(), handle.size, os.SEEK_SET)
            self._failed(handle, error)
            return False
        return True

    def _create(self, handle: _OpenFile) -> None:
        """Create the ``.part`` file under a name no other file (or capture) holds."""
        handle.part.parent.mkdir(parents=True, exist_ok=True)
        while True:
            try:
                handle.handle = open(handle.part, "xb", buffering=0)  # noqa: SIM115
                break
            except FileExistsError:  # another capture took the name meanwhile
                handle.final = free_name(handle.base, taken=self._taken())
                handle.part = handle.final.with_name(handle.final.name + PART_SUFFIX)
        fcntl.flock(handle.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # marks it live (see recover)
        log.info("capture file opened: %s", handle.part)

    def _taken(self) -> set[Path]:
        return {h.final for h in [*self._closing, *self._files.values()]}

    def _failed(self, handle: _OpenFile, error: OSError) -> None:
        self.write_failures += 1
        held = self.unwritten_bytes
        if self.failure is None:
            self.failure = _Failure(f"{handle.part.name}: {error}", time.time_ns(), 1, held)
            log.error(
                "capture: writing %s failed (%s); holding %d records in memory (at most %d MB) "
                "and retrying at every flush",
                handle.part,
                error,
                self.unwritten_records,
                self.max_buffer_bytes >> 20,
            )
            return
        self.failure.attempts += 1
        self.failure.held_bytes = max(self.failure.held_bytes, held)

    def _resumed(self) -> None:
        """Writing works again: say so in the log and in each open file."""
        failure, self.failure = self.failure, None
        assert failure is not None
        now = time.time_ns()
        log.warning(
            "capture: writing resumed after %.1f s and %d failed attempts",
            (now - failure.since_ns) / 1e9,
            failure.attempts,
        )
        for symbol in list(self._files):
            data = orjson.dumps(
                {
                    "event": "write_failed",
                    "symbol": symbol.replace("-", ""),
                    "since_ns": failure.since_ns,
                    "resumed_ns": now,
                    "attempts": failure.attempts,
                    "held_bytes": failure.held_bytes,
                    "error": failure.error,
                }
            )
            self.write(symbol, now, SESSION_STREAM, data)

    def _open(self, symbol: str, capture_ns: int) -> _OpenFile:
        base = golden_path(self.root, symbol=symbol, capture_ns=capture_ns, exchange=self.exchange)
        final = free_name(base, taken=self._taken())
        part = final.with_name(final.name + PART_SUFFIX)
        opened = _OpenFile(base, final, part, capture_ns // _HOUR_NS)
        self._files[symbol] = opened
        try:
            self._create(opened)  # the name is taken now; on a full disk, at the next write
        except OSError as error:
            self._failed(opened, error)
        return opened

    def _close(self, handle: _OpenFile) -> None:
        """fsync and rename a fully written file (one that cannot be stays a ``.part``)."""
        if handle.handle is None:
            return  # nothing was ever written
        try:
            os.fsync(handle.handle.fileno())
            handle.handle.close()
            while True:
                try:
                    os.link(handle.part, handle.final)  # never over a file that exists
                    break
                except FileExistsError:
                    handle.final = free_name(handle.base, taken=self._taken())
            os.unlink(handle.part)
        except OSError as error:
            handle.handle.close()
            log.error("capture: closing %s failed (%s); it stays a .part file", handle.part, error)
            return
        self.closed_files.append(handle.final)
        log.info("capture file closed: %s", handle.final)
