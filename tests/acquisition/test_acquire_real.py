"""A vendor view made from a real Binance capture, served in Crypto Lake's layout, acquired."""

from __future__ import annotations

import polars as pl
import pytest

from rlx_lib.acquisition import acquire
from rlx_lib.capture import import_capture
from rlx_lib.catalog import read_manifest
from rlx_lib.local.s3 import LocalLake
from rlx_lib.synth import vendor_from_golden

TABLES = ("trades", "book", "book_delta_v2")


@pytest.mark.slow
def test_real_capture_vendor_view_round_trips_through_lakeapi(
    real_data, data_root, aws_env, tmp_path
):
    files = sorted((real_data / "hftbacktest-binance-2024-08-08" / "spot").glob("btcusdt_*.gz"))
    capture_root, vendor = tmp_path / "capture", tmp_path / "vendor"
    import_capture(capture_root, paths=files, format="hftbacktest", symbol="BTC-USDT")
    vendor_from_golden(vendor, golden=[capture_root / "golden"], seed=1)

    with LocalLake(bucket="real-capture-lake") as lake:
        keys = lake.upload_view(vendor)
        results = acquire(
            data_root,
            tables=TABLES,
            symbols=["BTC-USDT"],
            start="2024-08-08",
            end="2024-08-10",
            endpoint_url=lake.endpoint_url,
            bucket=lake.bucket_path,
        ).rows

    assert len(keys) == 6
    assert [r.status for r in results] == ["written"] * 6
    for result in results:
        relative = result.path.relative_to(data_root)
        expected = pl.read_parquet(vendor / relative, hive_partitioning=False)
        assert pl.read_parquet(result.path, hive_partitioning=False).equals(expected)
    delta_rows = sum(e["rows"] for e in read_manifest(data_root, "lake/book_delta_v2"))
    assert delta_rows > 100_000
    issues = pl.read_parquet(data_root / "issues" / "**" / "part-acquisition-*.parquet")
    # The capture's REST snapshots become epoch-0 rows, flagged as information only.
    assert "snapshot_rows" in issues["check"].to_list()
    assert issues.filter(pl.col("severity") == "error").height == 0
