"""Fault injection on copies of real and synthetic captures: each fault is found with the
right count and place, and nothing before the damage is lost."""

from __future__ import annotations

from pathlib import Path

import orjson
import polars as pl
import pytest
import zstandard

from rlx_lib.golden import golden_files, iter_lines
from rlx_lib.synth import synthesize
from rlx_lib.validation.report import ValidationReport
from rlx_lib.validation.resume import validate_golden


def _lines(root: Path) -> list[bytes]:
    return [line for path in golden_files([root / "golden"]) for line in iter_lines(path)]


def _write(path: Path, lines: list[bytes], *, frames: int = 1) -> Path:
    """Write lines as zstd, split into ``frames`` concatenated frames."""
    compressor = zstandard.ZstdCompressor(level=3, write_checksum=True)
    size = -(-len(lines) // frames)
    blob = b"".join(
        compressor.compress(b"".join(line + b"\n" for line in lines[start : start + size]))
        for start in range(0, len(lines), size)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(blob)
    return path


def _kind(line: bytes) -> str:
    return orjson.loads(line)["stream"].partition("@")[2]


def _data(line: bytes) -> dict:
    return orjson.loads(line)["data"]


def _indices(lines: list[bytes], kind: str) -> list[int]:
    return [i for i, line in enumerate(lines) if _kind(line) == kind]


def _issues(report: ValidationReport, check: str) -> pl.DataFrame:
    return report.issues.filter(pl.col("check") == check)


@pytest.fixture(name="real_lines", scope="module")
def fixture_real_lines(real_golden: Path) -> list[bytes]:
    """The first 20,000 lines of the real capture (snapshot included)."""
    return _lines(real_golden)[:20_000]


@pytest.fixture(name="synthetic_lines", scope="module")
def fixture_synthetic_lines(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    root = tmp_path_factory.mktemp("synthetic")
    synthesize(root, symbols=["ETH-USDT"], minutes=0.5, seed=3, views=("golden",))
    return _lines(root)


@pytest.fixture(name="capture", params=["real", "synthetic"])
def fixture_capture(request: pytest.FixtureRequest) -> tuple[str, list[bytes]]:
    lines = request.getfixturevalue(f"{request.param}_lines")
    symbol = _data(lines[_indices(lines, "depth@100ms")[0]])["s"]
    return symbol, lines


def _validate(tmp_path: Path, lines: list[bytes], **options: int) -> ValidationReport:
    return validate_golden([_write(tmp_path / "capture.jsonl.zst", lines, **options)])


def test_clean_copy_has_no_findings(tmp_path: Path, capture: tuple[str, list[bytes]]) -> None:
    symbol, lines = capture
    summary = _validate(tmp_path, lines).symbols[symbol]
    assert summary["depth_gaps"] == summary["trade_id_gaps"] == 0
    assert summary["out_of_order"] == summary["duplicates"] == 0
    assert summary["depth_messages"] == len(_indices(lines, "depth@100ms"))


def test_dropped_lines_are_gaps_at_the_next_message(
    tmp_path: Path, capture: tuple[str, list[bytes]]
) -> None:
    symbol, lines = capture
    depth, trades = _indices(lines, "depth@100ms"), _indices(lines, "trade")
    dropped_depth, dropped_trade = depth[len(depth) // 2], trades[len(trades) // 2]
    damaged = [line for i, line in enumerate(lines) if i not in (dropped_depth, dropped_trade)]
    report = _validate(tmp_path, damaged)
    summary = report.symbols[symbol]
    lost = _data(lines[dropped_depth])
    assert summary["depth_gaps"] == 1
    assert summary["missing_update_ids"] == lost["u"] - lost["U"] + 1
    assert summary["trade_id_gaps"] == 1
    assert summary["missing_trade_ids"] == 1
    assert summary["out_of_order"] == summary["duplicates"] == 0
    gap = _issues(report, "depth_gap").row(0, named=True)
    assert gap["update_id"] == lost["U"]
    next_depth = next(i for i in depth if i > dropped_depth)
    removed_before = sum(1 for i in (dropped_depth, dropped_trade) if i < next_depth)
    assert gap["position"] == next_depth + 1 - removed_before  # 1-based line in the copy
    trade_gap = _issues(report, "trade_id_gap").row(0, named=True)
    assert trade_gap["update_id"] == _data(lines[dropped_trade])["t"]
    # Everything before the damage was validated; the book waits for a new snapshot.
    assert summary["depth_messages"] == len(depth) - 1
    assert _issues(report, "book_desynced").height == 1


def test_swapped_lines_are_out_of_order_not_gaps(
    tmp_path: Path, capture: tuple[str, list[bytes]]
) -> None:
    symbol, lines = capture
    depth, trades = _indices(lines, "depth@100ms"), _indices(lines, "trade")
    first, second = depth[len(depth) // 3], depth[len(depth) // 3 + 1]
    trade_set = set(trades)
    trade = next(i for i in trades[len(trades) // 3 :] if i + 1 in trade_set)  # two trades
    damaged = list(lines)
    damaged[first], damaged[second] = damaged[second], damaged[first]
    damaged[trade], damaged[trade + 1] = damaged[trade + 1], damaged[trade]
    report = _validate(tmp_path, damaged)
    summary = report.symbols[symbol]
    assert summary["depth_gaps"] == summary["trade_id_gaps"] == 0
    assert summary["duplicates"] == 0
    late = _issues(report, "out_of_order").sort("position")
    assert summary["out_of_order"] == 2  # one diff and one trade arrived after a later one
    assert trade + 2 in late["position"].to_list()
    positions = late["position"].to_list()
    assert second + 1 in positions  # the earlier diff, now on the later line
    assert _data(lines[first])["u"] in late["update_id"].to_list()


def test_duplicated_lines_are_counted_where_they_repeat(
    tmp_path: Path, capture: tuple[str, list[bytes]]
) -> None:
    symbol, lines = capture
    depth, trades = _indices(lines, "depth@100ms"), _indices(lines, "trade")
    copy_depth, copy_trade = depth[len(depth) // 4], trades[len(trades) // 4]
    damaged = []
    for index, line in enumerate(lines):
        damaged.append(line)
        if index in (copy_depth, copy_trade):
            damaged.append(line)
    report = _validate(tmp_path, damaged)
    summary = report.symbols[symbol]
    assert summary["duplicates"] == 2
    assert summary["depth_gaps"] == summary["trade_id_gaps"] == summary["out_of_order"] == 0
    positions = sorted(_issues(report, "duplicate")["position"].to_list())
    first, last = sorted((copy_depth, copy_trade))
    assert positions == [first + 2, last + 3]
    # A duplicate is not applied twice: the book stays in sync.
    assert _issues(report, "book_desynced").height == 0


def test_truncated_file_keeps_everything_before_the_cut(
    tmp_path: Path, capture: tuple[str, list[bytes]]
) -> None:
    symbol, lines = capture
    path = _write(tmp_path / "capture.jsonl.zst", lines, frames=4)
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) * 5 // 8])
    report = validate_golden([path])
    read = report.files[0]["lines"]
    assert report.files[0]["truncated"] is not None
    assert len(lines) // 2 <= read < len(lines)
    truncated = _issues(report, "truncated_file").row(0, named=True)
    assert truncated["position"] == read
    summary = report.symbols[symbol]
    assert summary["depth_messages"] == len(_indices(lines[:read], "depth@100ms"))
    assert summary["trade_messages"] == len(_indices(lines[:read], "trade"))
    assert summary["depth_gaps"] == summary["trade_id_gaps"] == 0


def test_broken_last_line_is_reported_and_the_rest_kept(
    tmp_path: Path, capture: tuple[str, list[bytes]]
) -> None:
    symbol, lines = capture
    path = tmp_path / "capture.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in lines[:-1]) + lines[-1][:25])
    report = validate_golden([path])
    broken = _issues(report, "broken_last_line").row(0, named=True)
    assert broken["position"] == len(lines)
    summary = report.symbols[symbol]
    assert summary["depth_messages"] == len(_indices(lines[:-1], "depth@100ms"))


def test_corrupted_byte_in_a_middle_frame(tmp_path: Path, capture: tuple[str, list[bytes]]) -> None:
    symbol, lines = capture
    frames = 4
    path = _write(tmp_path / "capture.jsonl.zst", lines, frames=frames)
    compressor = zstandard.ZstdCompressor(level=3, write_checksum=True)
    size = -(-len(lines) // frames)
    first_frame = len(compressor.compress(b"".join(line + b"\n" for line in lines[:size])))
    second_frame = len(
        compressor.compress(b"".join(line + b"\n" for line in lines[size : 2 * size]))
    )
    blob = bytearray(path.read_bytes())
    blob[first_frame + second_frame // 2] ^= 0xFF
    path.write_bytes(bytes(blob))
    report = validate_golden([path])
    read = report.files[0]["lines"]
    assert read == len(lines) - size  # every frame but the damaged one is read
    assert _issues(report, "damaged_frame").height == 1
    assert _issues(report, "truncated_file").height == 0
    summary = report.symbols[symbol]
    kept = lines[:size] + lines[2 * size :]
    assert summary["depth_messages"] == len(_indices(kept, "depth@100ms"))
    assert summary["depth_gaps"] > 0  # the lost frame is a gap, not silence
