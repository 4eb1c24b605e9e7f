"""Golden sample files: raw bytes preserved, atomic writes, damage reported, the rest kept."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st

from rlx_lib import golden
from rlx_lib.golden import GoldenRecord, ReadReport


def _records(count: int) -> list[GoldenRecord]:
    return [
        GoldenRecord(
            1_723_161_254_000_000_000 + i, "btcusdt@trade", b'{"e":"trade","t":%d, "p":"1.0"}' % i
        )
        for i in range(count)
    ]


@given(st.lists(st.binary(min_size=1, max_size=40).filter(lambda b: b"\n" not in b), max_size=20))
def test_format_record_splices_data_byte_for_byte(payloads: list[bytes]) -> None:
    for payload in payloads:
        data = b'{"x":' + __import__("orjson").dumps(payload.decode("latin-1")) + b"}"
        line = golden.format_record(5, "s@trade", data)
        record = golden.parse_line(line.rstrip(b"\n"))
        assert record == GoldenRecord(5, "s@trade", data)


def test_write_then_read_keeps_every_record(tmp_path: Path) -> None:
    path = golden.golden_path(tmp_path, symbol="BTC-USDT", capture_ns=_records(1)[0].capture_ns)
    assert path.parts[-4:] == (
        "exchange=BINANCE",
        "symbol=BTC-USDT",
        "dt=2024-08-08",
        "23.jsonl.zst",
    )
    golden.write_golden_file(path, _records(5000), frame_bytes=10_000)
    report = ReadReport(str(path))
    assert list(golden.iter_records(path, report)) == _records(5000)
    assert report.clean
    assert report.lines == 5000


def test_truncated_zstd_keeps_everything_before_the_cut(tmp_path: Path) -> None:
    path = golden.write_golden_file(tmp_path / "a.jsonl.zst", _records(20000), frame_bytes=50_000)
    cut = tmp_path / "cut.jsonl.zst"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 3])
    report = ReadReport(str(cut))
    read = list(golden.iter_records(cut, report))
    assert read == _records(20000)[: len(read)]
    assert 0 < len(read) < 20000
    assert report.truncated is not None
    assert "truncated" in report.truncated


def test_flipped_byte_loses_one_frame_only(tmp_path: Path) -> None:
    records = _records(20000)
    path = golden.write_golden_file(tmp_path / "a.jsonl.zst", records, frame_bytes=50_000)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad = tmp_path / "bad.jsonl.zst"
    bad.write_bytes(bytes(data))
    report = ReadReport(str(bad))
    read = list(golden.iter_records(bad, report))
    frame_lines = 50_000 // len(golden.format_record(1, "btcusdt@trade", records[-1].data)) + 1
    kept = set(read)
    lost = [r for r in records if r not in kept]
    assert 0 < len(lost) <= frame_lines  # the later frames are read again
    assert lost == records[records.index(lost[0]) : records.index(lost[0]) + len(lost)]
    assert read == records[: records.index(lost[0])] + records[records.index(lost[-1]) + 1 :]
    ((check, severity, line, detail),) = report.findings()
    assert (check, severity, line) == ("damaged_frame", "error", records.index(lost[0]))
    assert "skipped: damaged zstd frame" in detail
    assert report.truncated is None


@pytest.mark.parametrize(
    ("content", "check", "words"),
    [
        (b"", "empty_file", "no line"),
        (zstandard.ZstdCompressor().compress(b""), "empty_file", "no line"),
        (gzip.compress(b'{"capture_ns": 1}\n'), "damaged_frame", "gzip data"),
        (bytes(range(256)) * 20, "damaged_frame", "not zstd data"),
    ],
    ids=["empty file", "empty zstd frame", "gzip named zst", "random bytes"],
)
def test_unreadable_files_are_findings(tmp_path: Path, content: bytes, check: str, words: str):
    path = tmp_path / "00.jsonl.zst"
    path.write_bytes(content)
    report = ReadReport(str(path))
    assert list(golden.iter_records(path, report)) == []
    ((found, severity, _, detail),) = report.findings()
    assert (found, severity) == (check, "error")
    assert words in detail


def test_part_files_are_read_as_captures_cut_short(tmp_path: Path) -> None:
    path = golden.write_golden_file(tmp_path / "d" / "00.jsonl.zst", _records(10))
    part = path.rename(path.with_name("01.jsonl.zst.part"))
    assert golden.golden_files([tmp_path]) == [part]
    report = ReadReport(str(part))
    assert list(golden.iter_records(part, report)) == _records(10)
    ((check, severity, line, detail),) = report.findings()
    assert (check, severity, line) == ("capture_cut_short", "warning", 10)
    assert "--recover" in detail


def test_gzip_with_broken_last_line_and_garbage_line(tmp_path: Path) -> None:
    lines = [golden.format_record(r.capture_ns, r.stream, r.data) for r in _records(3)]
    body = lines[0] + b"garbage\n" + lines[1] + lines[2][:-10]
    path = tmp_path / "x.jsonl.gz"
    path.write_bytes(gzip.compress(body))
    report = ReadReport(str(path))
    assert list(golden.iter_records(path, report)) == _records(2)
    assert report.bad_lines == [(2, "not a golden record"), (4, "truncated last line (no newline)")]


def test_golden_files_expands_folders_sorted(tmp_path: Path) -> None:
    for hour in ("01", "00"):
        golden.write_golden_file(tmp_path / "d" / f"{hour}.jsonl.zst", _records(1))
    assert [p.name for p in golden.golden_files([tmp_path])] == ["00.jsonl.zst", "01.jsonl.zst"]
