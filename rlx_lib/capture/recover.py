"""Finalise ``.part`` files that a capture left open (a killed or crashed process).

A live journal holds an exclusive ``flock`` on each ``.part`` file it writes; the lock dies
with its process, so a ``.part`` whose lock can be taken is orphaned. Its readable lines are
written to a closed file under a name that does not exist yet (``23.jsonl.zst``, else
``23_1.jsonl.zst``, ...), followed by a ``_session`` ``recovered`` record saying what was cut;
then the ``.part`` file is removed. Nothing is renamed over an existing file.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import orjson
import zstandard

from rlx_lib.golden import GOLDEN_DATASET, PART_SUFFIX, ReadReport, iter_lines, parse_line
from rlx_lib.venues.binance import SESSION_STREAM

__all__ = ["free_name", "recover_parts"]

log = logging.getLogger(__name__)
_SYMBOL = re.compile(r"symbol=([A-Z0-9-]+)")


def free_name(base: Path, *, taken: set[Path] | frozenset[Path] = frozenset()) -> Path:
    """``base`` or the first ``HH_N.jsonl.zst`` beside it that exists neither closed nor open
    (nor is in ``taken``)."""
    final, index = base, 0
    while final in taken or final.exists() or final.with_name(final.name + PART_SUFFIX).exists():
        index += 1
        final = base.with_name(f"{base.name.split('.', 1)[0]}_{index}.jsonl.zst")
    return final


@contextlib.contextmanager
def _orphan(path: Path) -> Iterator[bool]:
    """Whether no live journal holds ``path`` (its lock is held while the block runs)."""
    with open(path, "rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True


def _recovered_record(path: Path, report: ReadReport, last: bytes | None) -> bytes:
    """The ``_session`` line that closes a recovered file, stamped after its last record."""
    record = parse_line(last) if last else None
    capture_ns = record.capture_ns if record else os.stat(path).st_mtime_ns
    match = _SYMBOL.search(str(path))
    data = {
        "event": "recovered",
        "symbol": match.group(1).replace("-", "") if match else "",
        "reason": "the capture ended without closing this file (killed or crashed)",
        "lines": report.lines,
        "damage": [d for check, _, _, d in report.findings() if check != "capture_cut_short"]
        + [why for _, why in report.bad_lines],
    }
    return b'{"capture_ns": %d, "stream": "%s", "data": %s}\n' % (
        capture_ns,
        SESSION_STREAM.encode(),
        orjson.dumps(data),
    )


def _finalise(part: Path) -> Path:
    """Write the readable lines of ``part`` and the ``recovered`` record to a closed file."""
    report = ReadReport(str(part))
    base = part.with_name(part.name.removesuffix(PART_SUFFIX))
    final = base if not base.exists() else free_name(base)  # its own .part does not count
    temp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    last, written = None, 0
    compressor = zstandard.ZstdCompressor(level=3, write_checksum=True)
    with open(temp, "wb") as raw, compressor.stream_writer(raw, closefd=False) as writer:
        for line in iter_lines(part, report):
            written += writer.write(line + b"\n")
            last = line if line.strip() else last
            if written >= 1 << 20:  # frames of about 1 MiB of text, like every golden writer
                writer.flush(zstandard.FLUSH_FRAME)
                written = 0
        writer.write(_recovered_record(part, report, last))
        writer.flush(zstandard.FLUSH_FRAME)
        raw.flush()
        os.fsync(raw.fileno())
    while True:
        try:
            os.link(temp, final)  # fails rather than replace a file that appeared meanwhile
            break
        except FileExistsError:
            final = free_name(base)
    temp.unlink()
    part.unlink()
    return final


def recover_parts(root: Path) -> list[tuple[Path, Path]]:
    """Finalise every orphaned ``.part`` golden file under ``root``; ``[(part, closed)]``."""
    done = []
    for part in sorted((Path(root) / GOLDEN_DATASET).rglob(f"*.jsonl.zst{PART_SUFFIX}")):
        with _orphan(part) as orphaned:
            if not orphaned:
                log.info("%s is being written by a live capture; left alone", part)
                continue
            final = _finalise(part)
        done.append((part, final))
        log.warning("recovered %s into %s", part, final)
    return done
