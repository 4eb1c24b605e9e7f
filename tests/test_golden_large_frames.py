"""A golden file compressed as one large zstd frame is read in bounded pieces."""

from __future__ import annotations

from pathlib import Path

import pytest
import zstandard

from rlx_lib import golden
from rlx_lib.golden import GoldenRecord, ReadReport


def _lines(count: int) -> list[bytes]:
    """Lines with pseudo-random payloads, so the frame compresses about as real captures do."""
    return [
        golden.format_record(
            1_723_161_254_000_000_000 + i,
            "btcusdt@trade",
            b'{"t":%d,"h":"%x"}' % (i, (i * 2_654_435_761) % 2**64),
        )
        for i in range(count)
    ]


def _one_frame(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(
        zstandard.ZstdCompressor(level=1, write_checksum=True).compress(b"".join(lines))
    )
    return path


def test_one_large_frame_is_read_in_pieces_with_every_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(golden, "_HELD_BYTES", 1 << 16)
    lines = _lines(60_000)
    path = _one_frame(tmp_path / "one.jsonl.zst", lines)
    report = ReadReport(str(path))
    blocks = list(golden.iter_line_blocks(path, report))
    assert len(blocks) > 4  # not the whole frame at once
    assert b"".join(blocks) == b"".join(lines)
    assert report.clean
    assert report.lines == 60_000
    records = list(golden.iter_records(path))
    assert records[-1] == GoldenRecord(
        1_723_161_254_000_059_999,
        "btcusdt@trade",
        b'{"t":59999,"h":"%x"}' % (59_999 * 2_654_435_761 % 2**64),
    )


def test_one_large_frame_cut_short_keeps_the_lines_before_the_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(golden, "_HELD_BYTES", 1 << 16)
    lines = _lines(60_000)
    path = _one_frame(tmp_path / "one.jsonl.zst", lines)
    cut = tmp_path / "cut.jsonl.zst"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    report = ReadReport(str(cut))
    read = list(golden.iter_lines(cut, report))
    assert 0 < len(read) < 60_000
    assert [line + b"\n" for line in read] == lines[: len(read)]
    assert report.truncated is not None
