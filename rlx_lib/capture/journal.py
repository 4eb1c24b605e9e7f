"""The capture journal: golden files per symbol and hour, written as ``.part`` while open.

Records are buffered per open file; :meth:`Journal.flush` compresses them, ends the current
zstd frame and hands the bytes to the operating system, so a process killed with ``kill -9``
loses at most what came after the last flush, and every file (``.part`` included) reads back up
to its last complete record. A file is renamed to its final name when its hour is over or the
journal closes; a name that exists already is never overwritten (``23_1.jsonl.zst`` follows).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import orjson
import zstandard

from rlx_lib.golden import PART_SUFFIX, golden_path

__all__ = ["Journal"]

log = logging.getLogger(__name__)

_HOUR_NS = 3_600_000_000_000
_WRITE_BYTES = 1 << 22  # compress at least every 4 MiB of text between flushes


@dataclass
class _OpenFile:
    final: Path
    part: Path
    hour: int  # capture hour (ns // 1 h)
    handle: BinaryIO
    writer: zstandard.ZstdCompressionWriter
    lines: list[bytes] = field(default_factory=list)  # buffered since the last flush
    buffered: int = 0  # bytes in ``lines``
    dirty: bool = False  # compressed since the last frame ended


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
    """

    def __init__(self, root: Path, *, exchange: str | None = None, level: int = 3) -> None:
        self.root = Path(root)
        self.exchange = exchange
        self.bytes_written = 0
        self.records_written = 0
        self.closed_files: list[Path] = []
        self.level = level
        self._files: dict[str, _OpenFile] = {}
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
                self._close(symbol)
            handle = self._open(symbol, capture_ns)
        handle.lines.append(line)
        handle.buffered += len(line)
        if handle.buffered >= _WRITE_BYTES:
            self._compress(handle)
        self.bytes_written += len(line)
        self.records_written += 1

    def flush(self, *, now_ns: int | None = None) -> None:
        """Compress what was buffered and end the zstd frame of every file written since the
        last flush; close files whose hour is over (``now_ns`` defaults to the clock)."""
        hour = (now_ns if now_ns is not None else time.time_ns()) // _HOUR_NS
        for symbol, handle in list(self._files.items()):
            self._compress(handle)
            if handle.dirty:
                handle.writer.flush(zstandard.FLUSH_FRAME)
                handle.handle.flush()
                handle.dirty = False
            if handle.hour < hour:
                self._close(symbol)

    @staticmethod
    def _compress(handle: _OpenFile) -> None:
        if handle.lines:
            handle.writer.write(b"".join(handle.lines))
            handle.lines.clear()
            handle.buffered = 0
            handle.dirty = True

    def close(self) -> list[Path]:
        """Flush, fsync and rename every open file; return every file this journal closed."""
        for symbol in list(self._files):
            self._close(symbol)
        return list(self.closed_files)

    @property
    def open_files(self) -> list[Path]:
        """The ``.part`` files being written."""
        return [handle.part for handle in self._files.values()]

    def _open(self, symbol: str, capture_ns: int) -> _OpenFile:
        base = golden_path(self.root, symbol=symbol, capture_ns=capture_ns, exchange=self.exchange)
        base.parent.mkdir(parents=True, exist_ok=True)
        final, index = base, 0
        while final.exists() or _part(final).exists():
            index += 1
            final = base.with_name(f"{base.name.split('.', 1)[0]}_{index}.jsonl.zst")
        handle = open(_part(final), "xb")  # noqa: SIM115 - closed in _close
        compressor = zstandard.ZstdCompressor(level=self.level)  # one context per stream
        writer = compressor.stream_writer(handle, closefd=False)
        opened = _OpenFile(final, _part(final), capture_ns // _HOUR_NS, handle, writer)
        self._files[symbol] = opened
        log.info("capture file opened: %s", opened.part)
        return opened

    def _close(self, symbol: str) -> None:
        handle = self._files.pop(symbol)
        self._compress(handle)
        handle.writer.flush(zstandard.FLUSH_FRAME)
        handle.writer.close()
        handle.handle.flush()
        os.fsync(handle.handle.fileno())
        handle.handle.close()
        os.replace(handle.part, handle.final)
        self.closed_files.append(handle.final)
        log.info("capture file closed: %s", handle.final)


def _part(path: Path) -> Path:
    return path.with_name(path.name + PART_SUFFIX)
