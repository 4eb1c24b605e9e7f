"""``rlx acquire`` as a user runs it, the demo step, and credentials never leaking."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import polars as pl
import pytest

from rlx_lib.catalog import read_manifest
from workbench.cli import main

DAY = dt.date(2024, 8, 8)


@pytest.fixture(name="rlx")
def fixture_rlx(monkeypatch, capsys, tmp_path):
    """Run the ``rlx`` entry point in a scratch CWD; return (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["rlx", *args])
        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def written_text(root: Path) -> bytes:
    return b"".join(p.name.encode() + p.read_bytes() for p in root.rglob("*") if p.is_file())


def test_cli_acquires_then_skips_and_never_leaks_keys(
    data_root, aws_env, lake, make_vendor, rlx, tmp_path, caplog
):
    for table in ("trades", "book", "book_delta_v2"):
        lake.put_frame(table, make_vendor(table, DAY), symbol="BTC-USDT", day=DAY)
    args = [
        "acquire",
        "--symbols",
        "BTC-USDT",
        "--start",
        "2024-08-08",
        "--end",
        "2024-08-09",
        "--endpoint-url",
        lake.endpoint_url,
        "--bucket",
        lake.bucket_path,
        "--data-root",
        str(data_root),
    ]
    first = rlx(*args)
    second = rlx(*args)

    assert first[0] == 0, first[2]
    assert first[1].count("written ") == 3
    assert second[0] == 0, second[2]
    assert second[1].count("skipped ") == 3
    assert len(read_manifest(data_root, "lake/trades")) == 1
    assert not (tmp_path / ".lake_cache").exists()
    for secret in aws_env:
        for output in (*first, *second, caplog.text):
            assert secret not in str(output)
        assert secret.encode() not in written_text(data_root)


def test_cli_missing_day_is_one_clear_line(data_root, lake, make_vendor, rlx):
    lake.put_frame("trades", make_vendor("trades", DAY), symbol="BTC-USDT", day=DAY)
    code, out, err = rlx(
        "acquire",
        "--symbols",
        "BTC-USDT",
        "--tables",
        "trades",
        "--start",
        "2024-08-08",
        "--end",
        "2024-08-10",
        "--endpoint-url",
        lake.endpoint_url,
        "--bucket",
        lake.bucket_path,
        "--data-root",
        str(data_root),
    )
    assert code == 1
    assert "written  trades BINANCE BTC-USDT 2024-08-08" in out
    assert "failed   trades BINANCE BTC-USDT 2024-08-09" in out
    assert "rlx: error: 1 unit(s) not acquired" in err
    assert "no data for trades BINANCE BTC-USDT 2024-08-09" in err
    assert "Traceback" not in err


def test_cli_without_credentials_says_what_to_set(data_root, aws_env, monkeypatch, rlx):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    code, _, err = rlx(
        "acquire", "--symbols", "BTC-USDT", "--start", "2024-08-08", "--end", "2024-08-09",
        "--data-root", str(data_root),
    )  # fmt: skip
    assert code == 1
    assert "no AWS credentials found" in err
    assert "AWS_ACCESS_KEY_ID" in err
    assert not list(data_root.rglob("*.parquet"))


@pytest.mark.slow
def test_the_demo_acquires_the_synthetic_vendor_view_from_a_local_lake(aws_env, tmp_path):
    from rlx_lib.synth import DEFAULT_START, synthesize
    from workbench.sessions import acquire_from_local_lake

    root, vendor, day = tmp_path / "data", tmp_path / "out" / "vendor", DEFAULT_START.date()
    synthesize(vendor, symbols=["BTC-USDT"], minutes=0.1, seed=3, views=("lake",))

    result = acquire_from_local_lake(root, vendor=vendor, symbols=["BTC-USDT"], day=day)

    assert result.ok
    assert len(result.rows) == 3
    for table in ("trades", "book", "book_delta_v2"):
        folder = f"lake/{table}/exchange=BINANCE/symbol=BTC-USDT/dt={day}/part-0.parquet"
        expected = pl.read_parquet(vendor / folder, hive_partitioning=False)
        stored = pl.read_parquet(root / folder, hive_partitioning=False)
        assert stored.equals(expected)
        assert read_manifest(root, f"lake/{table}")[0]["rows"] == expected.height


def test_secret_in_the_endpoint_url_is_never_printed_or_logged(
    data_root, aws_env, rlx, caplog
) -> None:
    """Issue 14: lakeapi's own log line (botocache's retry) printed ``user:secret@host``."""
    secret = "s3cr3tINendpointURL"
    caplog.set_level("DEBUG")
    code, out, err = rlx(
        "acquire", "--symbols", "BTC-USDT", "--tables", "trades", "--start", "2024-08-08",
        "--end", "2024-08-09", "--retries", "0", "--endpoint-url",
        f"http://keyid:{secret}@127.0.0.1:1", "--data-root", str(data_root),
    )  # fmt: skip
    assert code == 1
    assert "cannot reach the storage endpoint" in err
    assert "127.0.0.1:1" in caplog.text  # the failing line is still logged, redacted
    for text in (out, err, caplog.text):
        assert secret not in text
    assert secret.encode() not in written_text(data_root)


def test_cli_acquires_futures_under_binance_futures(data_root, lake, make_vendor, rlx):
    lake.put_frame(
        "trades",
        make_vendor("trades", DAY),
        exchange="BINANCE_FUTURES",
        symbol="BTC-USDT-PERP",
        day=DAY,
    )
    common = ["--tables", "trades", "--start", "2024-08-08", "--end", "2024-08-09"]
    where = ["--endpoint-url", lake.endpoint_url, "--bucket", lake.bucket_path]
    code, out, err = rlx(
        "acquire",
        "--symbols",
        "BTC-USDT-PERP",
        "--exchange",
        "BINANCE_FUTURES",
        *common,
        *where,
        "--data-root",
        str(data_root),
    )
    assert code == 0, err
    assert "written  trades BINANCE_FUTURES BTC-USDT-PERP 2024-08-08" in out
    folder = data_root / "lake/trades/exchange=BINANCE_FUTURES/symbol=BTC-USDT-PERP/dt=2024-08-08"
    assert pl.read_parquet(folder / "part-0.parquet").height > 0
    assert not (data_root / "lake/trades/exchange=BINANCE").exists()
    code, out, err = rlx(
        "acquire",
        "--symbols",
        "BTC-USDT",
        "--exchange",
        "BINANCE_FUTURES",
        *common,
        *where,
        "--data-root",
        str(data_root),
    )
    assert code == 1
    assert err.count("\n") == 1
    assert "BTC-USDT is filed under exchange BINANCE, not BINANCE_FUTURES" in err
