"""``rlx validate`` end to end, resume after a crash, and vendor (Lake) checks."""

from __future__ import annotations

import gzip
import json
import shutil
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
import zstandard
from typer.testing import CliRunner

from rlx_lib.capture.recover import recover_parts
from rlx_lib.errors import ConfigError
from rlx_lib.golden import iter_records, write_golden_file
from rlx_lib.schemas import ISSUE
from rlx_lib.synth import VendorFaults, synthesize
from rlx_lib.validation import resume
from rlx_lib.validation.resume import validate_golden
from rlx_lib.validation.vendor import validate_lake
from workbench.cli import app

DESIGN_FIELDS = [
    "depth_messages",
    "depth_gaps",
    "trade_messages",
    "trade_id_gaps",
    "out_of_order",
    "duplicates",
    "snapshots",
    "book_ticker_checks",
    "book_ticker_agreement",
    "first_origin_time",
    "last_origin_time",
]


def test_cli_writes_json_markdown_and_issue_rows(real_golden: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(
        app, ["validate", "--data-root", str(real_golden), "--out", str(out), "--strict"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == str(out / "validation.json")
    progress = [line for line in result.stderr.splitlines() if line.startswith("validated ")]
    assert len(progress) == 2  # one line per golden file (not a terminal), bytes so far
    assert progress[-1].endswith(" bytes)")
    saved = json.loads((out / "validation.json").read_text())
    btc = saved["symbols"]["BTCUSDT"]
    assert list(btc)[: len(DESIGN_FIELDS) - 2] == DESIGN_FIELDS[:-2]
    assert set(DESIGN_FIELDS) <= set(btc)
    assert "BTCUSDT" in (out / "validation.md").read_text()
    parts = sorted((real_golden / "issues").rglob("part-validation.parquet"))
    assert parts, "no issue partitions written"
    issues = pl.concat([pl.read_parquet(p) for p in parts])
    assert issues.schema == ISSUE
    assert sorted(issues.filter(pl.col("check") == "book_ticker_mismatch")["update_id"]) == [
        50093478174,
        50093480542,
    ]


def test_strict_exits_1_on_a_gap(real_golden: Path, tmp_path: Path) -> None:
    source = sorted((real_golden / "golden").rglob("*.jsonl.zst"))
    # The second hour alone starts without its snapshot; the first alone misses nothing.
    later = source[-1]
    from rlx_lib.golden import iter_lines

    lines = list(iter_lines(later))
    damaged = tmp_path / "damaged.jsonl"
    depth = [i for i, line in enumerate(lines) if b"@depth@100ms" in line[:80]]
    drop = depth[10]
    damaged.write_bytes(b"".join(line + b"\n" for i, line in enumerate(lines) if i != drop))
    result = CliRunner().invoke(
        app,
        [
            "validate",
            str(damaged),
            "--out",
            str(tmp_path / "out"),
            "--strict",
            "--data-root",
            str(tmp_path / "root"),
        ],
    )
    assert result.exit_code == 1
    assert "1 sequence gaps" in result.output


def test_resume_after_a_crash_gives_the_same_report(
    real_golden: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    golden = [real_golden / "golden"]
    whole = validate_golden(golden)
    checkpoint = tmp_path / "validation.checkpoint"
    calls = {"n": 0}
    original = resume.save_checkpoint

    def crash_after_third(*args: object) -> None:
        original(*args)
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the process dies after a checkpoint

    monkeypatch.setattr(resume, "save_checkpoint", crash_after_third)
    with pytest.raises(KeyboardInterrupt):
        validate_golden(golden, checkpoint=checkpoint, every=10_000)
    assert checkpoint.exists()
    saved = resume.load_checkpoint(
        checkpoint, [str(p) for p in sorted((real_golden / "golden").rglob("*.jsonl.zst"))]
    )
    assert saved is not None
    assert saved.position is not None  # stopped inside a file
    monkeypatch.setattr(resume, "save_checkpoint", original)
    again = validate_golden(golden, checkpoint=checkpoint, every=10_000)
    assert again.symbols == whole.symbols
    assert again.issues.drop("source").equals(whole.issues.drop("source"))
    assert not checkpoint.exists()


def test_lake_checks_find_injected_vendor_faults(tmp_path: Path) -> None:
    root = tmp_path / "data"
    faults = VendorFaults(drop_rate=0.02, duplicate_rate=0.01, off_grid_rate=0.002)
    synthesize(
        root, symbols=["BTC-USDT"], minutes=0.1, seed=4, vendor_faults=faults, views=("lake",)
    )
    injected = json.loads((root / "lake" / "_injected.json").read_text())
    assert injected["off_grid_values"]
    summaries, rows = validate_lake(root, ["BTC-USDT"], "2024-08-08", "2024-08-10")
    btc = summaries["BTCUSDT"]
    assert btc["days_without_data"] == [
        "2024-08-09 book_delta_v2",
        "2024-08-09 book",
        "2024-08-09 trades",
    ]
    assert btc["sequence_regressions"] == 0
    assert btc["snapshot_rows"] > 0
    assert btc["origin_time_float_artefacts"] > 0
    assert btc["crossed_books"] == 0
    if injected["duplicated_rows"]:
        assert btc["duplicate_rows"] >= 1
    # Nudges below half a unit round back onto the grid on ingest: stored values are exact.
    assert btc["off_grid_values"] == 0
    assert all(row["stage"] == "validation" for row in rows)


def test_lake_off_grid_and_regressions_found_at_their_rows(tmp_path: Path) -> None:
    root = tmp_path / "data"
    synthesize(root, symbols=["BTC-USDT"], minutes=0.1, seed=5, views=("lake",))
    (path,) = sorted((root / "lake" / "book_delta_v2").rglob("*.parquet"))
    frame = pl.read_parquet(path)
    row = frame.height - 5
    one_unit = pl.lit(Decimal("0.00000001")).cast(frame.schema["price"])
    frame = frame.with_columns(
        price=pl.when(pl.int_range(frame.height) == row)
        .then(pl.col("price") + one_unit)
        .otherwise(pl.col("price"))
        .cast(frame.schema["price"]),
        sequence_number=pl.when(pl.int_range(frame.height) == frame.height - 1)
        .then(pl.col("sequence_number") - 1000)
        .otherwise(pl.col("sequence_number")),
    )
    path.unlink()
    frame.write_parquet(path)
    summaries, rows = validate_lake(root, ["BTC-USDT"], "2024-08-08", "2024-08-09")
    btc = summaries["BTCUSDT"]
    assert btc["off_grid_values"] == 1
    assert btc["sequence_regressions"] == 1
    positions = {r["check"]: r["position"] for r in rows}
    assert positions["off_grid"] == row
    assert positions["sequence_regression"] == frame.height - 1


def test_cli_lake_writes_a_lake_section(tmp_path: Path) -> None:
    root = tmp_path / "data"
    synthesize(root, symbols=["ETH-USDT"], minutes=0.1, seed=6, views=("lake",))
    out = tmp_path / "report"
    result = CliRunner().invoke(
        app,
        [
            "validate",
            "--lake",
            "--symbols",
            "ETH-USDT",
            "--start",
            "2024-08-08",
            "--end",
            "2024-08-09",
            "--out",
            str(out),
            "--data-root",
            str(root),
            "--strict",
        ],
    )
    assert result.exit_code == 0, result.output
    saved = json.loads((out / "validation.json").read_text())
    assert saved["symbols"] == {}
    eth = saved["lake"]["ETHUSDT"]
    assert eth["rows"]["book_delta_v2"] > 0
    assert eth["sequence_regressions"] == eth["trade_id_gaps"] == 0
    assert eth["days_without_data"] == []
    assert "ETHUSDT (lake)" in result.output
    assert "Vendor (Crypto Lake) data" in (out / "validation.md").read_text()


def test_cli_lake_needs_its_window(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["validate", "--lake", "--symbols", "ETH-USDT", "--data-root", str(tmp_path)]
    )
    assert isinstance(result.exception, ConfigError)
    assert "--start and --end" in str(result.exception)


@pytest.fixture(name="small_lake", scope="module")
def fixture_small_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lake") / "data"
    synthesize(root, symbols=["BTC-USDT"], minutes=0.1, seed=4, views=("lake",))
    return root


def _damage(path: Path, kind: str) -> None:
    data = path.read_bytes()
    if kind == "zero bytes":
        path.write_bytes(b"")
    elif kind == "garbage":
        path.write_bytes(b"\x00garbage, not Parquet" * 50)
    elif kind == "half truncated":
        path.write_bytes(data[: len(data) // 2])
    else:  # a column missing
        pl.read_parquet(path, hive_partitioning=False).drop("trade_id").write_parquet(path)


@pytest.mark.parametrize("kind", ["zero bytes", "garbage", "half truncated", "missing column"])
def test_lake_file_that_cannot_be_read_is_an_issue_row_not_a_traceback(
    kind: str, small_lake: Path, tmp_path: Path
) -> None:
    """Issue 14: each of these gave a polars traceback from ``rlx validate --lake``."""
    import shutil

    root = tmp_path / "data"
    shutil.copytree(small_lake, root)
    target = next((root / "lake" / "trades").rglob("part-0.parquet"))
    _damage(target, kind)
    out = tmp_path / "report"
    result = CliRunner().invoke(
        app,
        ["validate", "--lake", "--symbols", "BTC-USDT", "--start", "2024-08-08", "--end",
         "2024-08-09", "--data-root", str(root), "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert "1 unreadable files" in result.output
    report = json.loads((out / "validation.json").read_text())
    assert report["lake"]["BTCUSDT"]["unreadable_files"] == 1
    found = pl.read_parquet(root / "issues", hive_partitioning=False)
    unreadable = found.filter(check="unreadable_file")
    assert unreadable.height == 1
    assert str(target) in unreadable["detail"].item()
    assert unreadable["severity"].item() == "error"


@pytest.fixture(name="small_golden", scope="module")
def fixture_small_golden(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data root with one clean golden file of several zstd frames."""
    root = tmp_path_factory.mktemp("small_golden")
    synthesize(root, symbols=["ETH-USDT"], minutes=0.2, seed=6, views=("golden",))
    (path,) = sorted((root / "golden").rglob("*.jsonl.zst"))
    write_golden_file(path, list(iter_records(path)), frame_bytes=20_000)
    return root


def _damaged(kind: str, clean: bytes) -> bytes:
    """A golden file's bytes hurt in one way (the file holds several zstd frames)."""
    if kind == "flipped byte":
        data = bytearray(clean)
        data[len(data) // 2] ^= 0xFF
        return bytes(data)
    return {
        "truncated": clean[: len(clean) * 2 // 3],
        "empty file": b"",
        "empty zstd frame": zstandard.ZstdCompressor().compress(b""),
        "gzip named .zst": gzip.compress(b'{"capture_ns": 1}\n'),
        "random bytes": bytes(range(256)) * 64,
    }[kind]


@pytest.mark.parametrize(
    ("kind", "check"),
    [
        ("flipped byte", "damaged_frame"),
        ("truncated", "truncated_file"),
        ("empty file", "empty_file"),
        ("empty zstd frame", "empty_file"),
        ("gzip named .zst", "damaged_frame"),
        ("random bytes", "damaged_frame"),
    ],
)
def test_strict_exits_1_on_a_damaged_file(
    small_golden: Path, tmp_path: Path, kind: str, check: str
) -> None:
    root = tmp_path / "data"
    shutil.copytree(small_golden, root)
    (path,) = sorted((root / "golden").rglob("*.jsonl.zst"))
    path.with_name("01.jsonl.zst").write_bytes(_damaged(kind, path.read_bytes()))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["validate", "--out", str(out), "--strict", "--data-root", str(root)]
    )
    assert result.exit_code == 1, result.output
    assert "error findings (--strict)" in result.output
    saved = json.loads((out / "validation.json").read_text())
    assert saved["issues"][check] == 1
    assert "No issues found" not in (out / "validation.md").read_text()


def test_vendor_negative_sizes_and_null_prices_are_issue_rows(tmp_path: Path) -> None:
    root = tmp_path / "data"
    synthesize(root, symbols=["ETH-USDT"], minutes=0.1, seed=6, views=("lake",))
    (path,) = sorted((root / "lake" / "book_delta_v2").rglob("*.parquet"))
    frame = pl.read_parquet(path).with_row_index("row")
    snapshot = pl.col("origin_time").dt.epoch("ns") == 0
    live = frame.filter((pl.col("size") > 0) & ~snapshot)["row"]
    negative, null_price = live.gather_every(25), live[3]
    emptied = frame.filter(snapshot)["row"][0]  # a snapshot row lists a level of size 0
    frame = frame.with_columns(
        size=pl.when(pl.col("row").is_in(negative.implode()))
        .then(-pl.col("size"))
        .when(pl.col("row") == emptied)
        .then(0)
        .otherwise(pl.col("size")),
        price=pl.when(pl.col("row") == null_price).then(None).otherwise(pl.col("price")),
    ).drop("row")
    frame.write_parquet(path)
    summaries, rows = validate_lake(root, ["ETH-USDT"], "2024-08-08", "2024-08-09")
    assert summaries["ETHUSDT"]["bad_values"] == len(negative) + 2
    details = [row["detail"] for row in rows if row["check"] == "bad_value"]
    assert sum("negative size" in text for text in details) == len(negative)
    assert sum("null price" in text for text in details) == 1
    assert sum("zero size where a level is listed" in text for text in details) == 1
    assert {row["severity"] for row in rows if row["check"] == "bad_value"} == {"error"}


def test_a_capture_cut_short_is_validated_and_said_so(small_golden: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(small_golden, root)
    (path,) = sorted((root / "golden").rglob("*.jsonl.zst"))
    path.rename(path.with_name(path.name + ".part"))  # a capture killed with kill -9
    report = validate_golden([root / "golden"])
    assert report.symbols["ETHUSDT"]["depth_messages"] > 0  # read, not skipped
    (cut,) = report.issues.filter(pl.col("check") == "capture_cut_short").to_dicts()
    assert cut["severity"] == "warning"
    assert cut["source"].endswith(".jsonl.zst.part")


def test_a_recovered_capture_still_says_it_was_cut_short(small_golden: Path, tmp_path: Path):
    root = tmp_path / "data"
    shutil.copytree(small_golden, root)
    whole = validate_golden([root / "golden"])
    (path,) = sorted((root / "golden").rglob("*.jsonl.zst"))
    path.rename(path.with_name(path.name + ".part"))
    ((part, closed),) = recover_parts(root)
    assert closed == path  # closed under its own name, the .part gone
    assert not part.exists()
    report = validate_golden([root / "golden"])
    assert report.symbols["ETHUSDT"]["depth_messages"] == whole.symbols["ETHUSDT"]["depth_messages"]
    (cut,) = report.issues.filter(pl.col("check") == "capture_cut_short").to_dicts()
    assert "rlx capture --recover" in cut["detail"]
