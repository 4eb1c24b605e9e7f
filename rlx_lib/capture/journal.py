"""The capture journal: golden files per symbol and hour, written as ``.part`` while open.

Records are appended to a zstd stream per open file. :meth:`Journal.flush` ends the current
zstd frame and hands the bytes to the operating system, so a process killed with ``kill -9``
loses at most what came after the last flush, and every file (``.part`` included) reads back up
to its last complete record. A file is renamed to its final name when its hour is over or the
journal closes; a name that exists already is never overwritten (``23_1.jsonl.zst`` follows).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import zstandard

from rlx_lib.golden import PART_SUFFIX, format_record, golden_path

__all__ = ["Journal"]

log = logging.getLogger(__name__)

_HOUR_NS = 3_600_000_000_000


@dataclass
class _OpenFile:
    final: Path
    part: Path
    hour: int  # capture hour (ns // 1 h)
    handle: BinaryIO
    writer: zstandard.ZstdCompressionWriter
    pending: bool = False  # written since the last flush


class Journal:
    """Append golden records to one zstd file per symbol and capture hour.

    Parameters
    ----------
    root
        Data root; files go to ``golden/exchange=../symbol=../dt=../HH.jsonl.zst``.
    exchange
        Exchange partition name.
    level
        zstd level.
    """

    def __init__(self, root: Path, *, exchange: str = "BINANCE", level: int = 3) -> None:
        self.root = Path(root)
        self.exchange = exchange
        self.bytes_written = 0
        self.records_written = 0
        self.closed_files: list[Path] = []
        self.level = level
        self._files: dict[str, _OpenFile] = {}

    def write(self, symbol: str, capture_ns: int, stream: str, data: bytes) -> None:
        """Append one record to the file of ``symbol`` (Lake style) for its capture hour."""
        line = format_record(capture_ns, stream, data)
        handle = self._files.get(symbol)
        hour = capture_ns // _HOUR_NS
        if handle is None or handle.hour != hour:
            if handle is not None:
                self._close(symbol)
            handle = self._open(symbol, capture_ns)
        handle.writer.write(line)
        handle.pending = True
        self.bytes_written += len(line)
        self.records_written += 1

    def flush(self, *, now_ns: int | None = None) -> None:
        """End the zstd frame of every file written since the last flush; close files whose
        hour is over (``now_ns`` defaults to the clock)."""
        hour = (now_ns if now_ns is not None else time.time_ns()) // _HOUR_NS
        for symbol, handle in list(self._files.items()):
            if handle.pending:
                handle.writer.flush(zstandard.FLUSH_FRAME)
                handle.handle.flush()
                handle.pending = False
            if handle.hour < hour:
                self._close(symbol)

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
