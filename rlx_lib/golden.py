"""Golden sample files: one JSON object per line, zstd, one file per symbol and capture hour.

``{"capture_ns": 1723161254087896568, "stream": "btcusdt@depth@100ms", "data": {<raw>}}``

``data`` is the exchange's text spliced in unchanged, so a golden file is also a regression
fixture. Files are written as ``.part`` and renamed when closed. Readers tolerate a truncated
last line or a truncated compressed stream: everything before the damage is kept and the
damage is reported.
"""

from __future__ import annotations

import datetime as dt
import gzip
import heapq
import io
import os
import zlib
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import zstandard

from rlx_lib.catalog import atomic_path, partition_dir
from rlx_lib.errors import ConfigError

__all__ = [
    "GOLDEN_DATASET",
    "PART_SUFFIX",
    "GoldenRecord",
    "ReadReport",
    "format_record",
    "golden_files",
    "golden_path",
    "iter_line_blocks",
    "iter_lines",
    "iter_records",
    "json_object",
    "merged_records",
    "parse_line",
    "write_golden_file",
]

GOLDEN_DATASET = "golden"
PART_SUFFIX = ".part"
_PREFIX = b'{"capture_ns": '
_DATA_KEY = b', "data": '
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


@dataclass(frozen=True, slots=True)
class GoldenRecord:
    """One golden line: receipt time, stream name and the raw message text."""

    capture_ns: int
    stream: str
    data: bytes


@dataclass
class ReadReport:
    """What a reader met besides good records: where it stopped and why."""

    path: str
    lines: int = 0
    bad_lines: list[tuple[int, str]] = field(default_factory=list)
    truncated: str | None = None  # why the stream ended early, if it did
    damaged: list[tuple[int, str]] = field(default_factory=list)  # (line, skipped region)

    @property
    def clean(self) -> bool:
        """True when every line was read and parsed."""
        return not self.bad_lines and self.truncated is None and not self.damaged

    def findings(self) -> list[tuple[str, str, int, str]]:
        """What the file itself says is wrong, as ``(check, severity, line, detail)``:
        ``capture_cut_short`` (a ``.part`` file), ``truncated_file``, ``damaged_frame``,
        ``empty_file`` (no line at all)."""
        found = []
        if self.path.endswith(PART_SUFFIX):
            detail = (
                "capture cut short: the file was never closed (rlx capture --recover closes it)"
            )
            found.append(("capture_cut_short", "warning", self.lines, detail))
        if self.truncated:
            found.append(("truncated_file", "error", self.lines, self.truncated))
        found.extend(("damaged_frame", "error", line, text) for line, text in self.damaged)
        if self.lines == 0 and not (self.damaged or self.truncated or self.bad_lines):
            found.append(("empty_file", "error", 0, "the file holds no line"))
        return found


def format_record(capture_ns: int, stream: str, data: bytes | str) -> bytes:
    """One golden line, ``data`` spliced in byte for byte."""
    raw = data.encode() if isinstance(data, str) else data
    return b'%s%d, "stream": %s%s%s}\n' % (
        _PREFIX,
        capture_ns,
        orjson.dumps(stream),
        _DATA_KEY,
        raw,
    )


def golden_path(root: Path, *, symbol: str, capture_ns: int, exchange: str | None = None) -> Path:
    """``golden/exchange=../symbol=../dt=YYYY-MM-DD/HH.jsonl.zst`` for a capture time (UTC)."""
    moment = dt.datetime.fromtimestamp(capture_ns / 1e9, tz=dt.UTC)
    day = moment.date()
    folder = partition_dir(root, GOLDEN_DATASET, exchange=exchange, symbol=symbol, day=day)
    return folder / f"{moment.hour:02d}.jsonl.zst"


def golden_files(paths: Iterable[Path]) -> list[Path]:
    """Expand files and folders into golden files (``*.jsonl.zst``, ``*.jsonl.gz``, ``*.jsonl``,
    and ``.part`` files: captures cut short), sorted by path so hours follow each other."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            for pattern in ("*.jsonl.zst", "*.jsonl.gz", "*.jsonl"):
                found.extend(path.rglob(pattern))
                found.extend(path.rglob(pattern + PART_SUFFIX))
        elif path.exists():
            found.append(path)
        else:
            msg = f"no such golden file or folder: {path}"
            raise ConfigError(msg)
    return sorted(set(found))


def write_golden_file(
    path: Path, records: Iterable[GoldenRecord], *, level: int = 3, frame_bytes: int = 1 << 20
) -> Path:
    """Write records to one zstd golden file atomically (temp file then rename).

    A new zstd frame starts every ``frame_bytes`` of text, so damage stays inside one frame.
    """
    path = Path(path)
    compressor = zstandard.ZstdCompressor(level=level, write_checksum=True)
    with atomic_path(path) as temp, open(temp, "wb") as raw:
        with compressor.stream_writer(raw, closefd=False) as writer:
            written = 0
            for record in records:
                written += writer.write(
                    format_record(record.capture_ns, record.stream, record.data)
                )
                if written >= frame_bytes:
                    writer.flush(zstandard.FLUSH_FRAME)
                    written = 0
        raw.flush()
        os.fsync(raw.fileno())
    return path


def _next_magic(handle: io.BufferedIOBase, start: int) -> int | None:
    """Offset of the next zstd frame header at or after ``start``, or None."""
    handle.seek(start)
    tail = b""
    while chunk := handle.read(1 << 20):
        found = (tail + chunk).find(_ZSTD_MAGIC)
        if found >= 0:
            return start - len(tail) + found
        tail = chunk[-(len(_ZSTD_MAGIC) - 1) :]
        start += len(chunk)
    return None


_HELD_BYTES = 1 << 23
"""Decompressed text of one zstd frame held back until the frame has decoded whole (8 MiB)."""


def _zstd_frame(
    handle: io.BufferedIOBase, start: int
) -> Generator[bytes, None, tuple[bytes, int | None]]:
    """Decode the frame at ``start``; return ``(text, offset after it)``, None when the file ends
    inside it (text is then what was decoded). A damaged frame raises ``zstandard.ZstdError``.

    A frame larger than ``_HELD_BYTES`` (a file compressed as one frame, as the ``zstd`` tool
    writes it) yields its text in pieces of about that size before its end, so memory stays
    bounded for any file size; damage in such a frame is found after the pieces before it.
    """
    handle.seek(start)
    frame = zstandard.ZstdDecompressor().decompressobj()
    pending: list[bytes] = []
    held = 0
    offset = start
    while chunk := handle.read(1 << 16):
        pending.append(frame.decompress(chunk))
        held += len(pending[-1])
        offset += len(chunk)
        if frame.eof:
            return b"".join(pending), offset - len(frame.unused_data)
        if held >= _HELD_BYTES:
            yield b"".join(pending)
            pending, held = [], 0
    return b"".join(pending), None


def _zstd_blocks(handle: io.BufferedIOBase, report: ReadReport) -> Iterator[bytes | None]:
    """Decompress concatenated zstd frames, one verified frame at a time.

    A frame's text is released only once the frame decoded whole (checksum verified when it
    has one), or in pieces when it is large (:func:`_zstd_frame`). A damaged frame is skipped
    to the next frame header and noted in
    ``report.damaged``; ``None`` marks the break. A last frame cut short (a killed writer)
    releases what it decoded, then raises EOFError.
    """
    start, size = 0, os.fstat(handle.fileno()).st_size
    while start < size:
        try:
            text, end = yield from _zstd_frame(handle, start)
            resume = _next_magic(handle, start + 1) if end is None else end
            if end is None and resume is None:
                yield text
                msg = "zstd frame is incomplete (file truncated)"
                raise EOFError(msg)
            if end is None:
                msg = "frame runs into the next frame header"
                raise zstandard.ZstdError(msg)
        except zstandard.ZstdError as error:
            resume = _next_magic(handle, start + 1)
            stop = size if resume is None else resume
            report.damaged.append((report.lines, _damage(handle, start, stop, error)))
            yield None
            start = stop
            continue
        yield text
        start = resume


def _damage(handle: io.BufferedIOBase, start: int, stop: int, error: Exception) -> str:
    """How a skipped region is reported: where, how long, and why."""
    handle.seek(start)
    head = handle.read(4)
    if start == 0 and head.startswith(b"\x1f\x8b"):
        why = "gzip data in a file named .zst"
    elif start == 0 and not head.startswith(_ZSTD_MAGIC):
        why = "not zstd data"
    else:
        why = f"damaged zstd frame ({error})"
    return f"bytes {start}..{stop} skipped: {why}"


def _blocks(path: Path, report: ReadReport) -> Iterator[bytes | None]:
    name = path.name.removesuffix(PART_SUFFIX)
    with open(path, "rb") as handle:
        if name.endswith(".zst"):
            yield from _zstd_blocks(handle, report)
        elif name.endswith(".gz"):
            with gzip.GzipFile(fileobj=handle) as stream:
                yield from iter(lambda: stream.read(1 << 20), b"")
        else:
            yield from iter(lambda: handle.read(1 << 20), b"")


def _cut_line(report: ReadReport, pending: bytes) -> bytes:
    """A line left open by a skipped frame is lost with it: note it, start afresh."""
    if pending:
        report.bad_lines.append((report.lines + 1, "line cut by a damaged frame"))
    return b""


def iter_lines(path: Path, report: ReadReport | None = None) -> Iterator[bytes]:
    """Yield complete lines (without newline) of a plain, gzip or zstd file.

    A damaged zstd frame is skipped (reading resumes at the next frame); a truncated compressed
    stream ends the iteration; a final line without a newline is dropped. All are noted in
    ``report``.
    """
    path = Path(path)
    report = report if report is not None else ReadReport(str(path))
    pending = b""
    try:
        for block in _blocks(path, report):
            if block is None:
                pending = _cut_line(report, pending)
                continue
            lines = (pending + block).split(b"\n")
            pending = lines.pop()
            for line in lines:
                report.lines += 1
                yield line
    except (zstandard.ZstdError, EOFError, OSError, zlib.error) as error:
        report.truncated = f"compressed stream ended early after line {report.lines}: {error}"
    if pending:
        report.bad_lines.append((report.lines + 1, "truncated last line (no newline)"))


def iter_line_blocks(path: Path, report: ReadReport | None = None) -> Iterator[bytes]:
    """Yield runs of complete lines, each run ending with a newline (for batch readers).

    The same damage rules as :func:`iter_lines`.
    """
    path = Path(path)
    report = report if report is not None else ReadReport(str(path))
    pending = b""
    try:
        for block in _blocks(path, report):
            if block is None:
                pending = _cut_line(report, pending)
                continue
            data = pending + block if pending else block
            cut = data.rfind(b"\n") + 1
            pending = data[cut:]
            if cut:
                report.lines += data.count(b"\n", 0, cut)
                yield data[:cut] if cut < len(data) else data
    except (zstandard.ZstdError, EOFError, OSError, zlib.error) as error:
        report.truncated = f"compressed stream ended early after line {report.lines}: {error}"
    if pending:
        report.bad_lines.append((report.lines + 1, "truncated last line (no newline)"))


def iter_records(path: Path, report: ReadReport | None = None) -> Iterator[GoldenRecord]:
    """Yield golden records; lines that are not valid records are noted in ``report``."""
    report = report if report is not None else ReadReport(str(path))
    for line in iter_lines(path, report):
        if not line.strip():
            continue
        record = parse_line(line)
        if record is None:
            report.bad_lines.append((report.lines, "not a golden record"))
            continue
        yield record


def merged_records(paths: Iterable[Path]) -> Iterator[GoldenRecord]:
    """Records of golden files (or folders of them) merged in capture order."""
    readers = [iter_records(path) for path in golden_files(paths)]
    return heapq.merge(*readers, key=lambda record: record.capture_ns)


def json_object(text: bytes | str) -> dict[str, Any] | None:
    """``text`` decoded when it is one JSON object; None for bad JSON or another value.

    The one guard every reader of JSON lines (golden files, frames, recorders' files) uses.

    Examples
    --------
    >>> json_object(b'{"u": 1}'), json_object(b"[1]"), json_object(b'{"u": ')
    ({'u': 1}, None, None)
    """
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def parse_line(line: bytes) -> GoldenRecord | None:
    """One golden line as a record (``data`` byte for byte), or None when it is not one."""
    value = json_object(line)
    if value is None:
        return None
    capture_ns, stream, data = value.get("capture_ns"), value.get("stream"), value.get("data")
    if not isinstance(capture_ns, int) or not isinstance(stream, str) or data is None:
        return None
    start = line.find(_DATA_KEY)
    if line.startswith(_PREFIX) and start > 0 and line.rstrip().endswith(b"}"):
        raw = line[start + len(_DATA_KEY) : len(line.rstrip()) - 1]
    else:
        raw = orjson.dumps(data)
    return GoldenRecord(capture_ns, stream, raw)
