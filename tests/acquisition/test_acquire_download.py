"""End to end against a loopback S3 server in Crypto Lake's layout, read through lakeapi."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from rlx_lib import schemas
from rlx_lib.acquisition import acquire
from rlx_lib.acquisition.download import acquire_unit, is_finished, plan_units
from rlx_lib.acquisition.vendor import LakeSource
from rlx_lib.catalog import file_sha256, partition_dir, read_manifest
from rlx_lib.errors import (
    AccessDeniedError,
    CorruptFileError,
    CredentialsError,
    EndpointUnreachableError,
    NoDataError,
    OverwriteError,
    SchemaError,
)
from rlx_lib.local.s3 import raw_parquet
from rlx_lib.venues.lake import normalize_loaded

DAY = dt.date(2024, 8, 8)
NEXT = dt.date(2024, 8, 9)


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every file under the root except lakeapi's caches."""
    return {
        str(p.relative_to(root)): file_sha256(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and "_cache" not in p.parts
    }


def at(source: LakeSource) -> dict[str, str | None]:
    """The front door's keywords reading where ``source`` reads."""
    return {"endpoint_url": source.endpoint_url, "bucket": source.bucket}


def lake_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in (root / "lake").rglob("*.parquet"))


def test_acquire_every_table_and_day_exactly(data_root, lake, source, make_vendor, monkeypatch):
    monkeypatch.chdir(data_root.parent)
    frames = {}
    for table in ("trades", "book", "book_delta_v2"):
        for seed, day in enumerate((DAY, NEXT)):
            frames[table, day] = make_vendor(table, day, rows=300, seed=seed)
            lake.put_frame(table, frames[table, day], symbol="BTC-USDT", day=day)
    seen = []
    results = acquire(
        data_root,
        tables=["trades", "book", "book_delta_v2"],
        symbols=["BTC-USDT"],
        start=DAY,
        end="2024-08-10",
        progress=seen.append,
        **at(source),
    ).rows

    assert [r.status for r in results] == ["written"] * 6
    assert [step.done for step in seen] == [1, 2, 3, 4, 5, 6]
    assert {step.total for step in seen} == {6}
    assert seen[0].unit == f"trades BINANCE BTC-USDT {DAY}"
    for (table, day), frame in frames.items():
        folder = partition_dir(data_root, f"lake/{table}", symbol="BTC-USDT", day=day)
        stored = pl.read_parquet(folder / "part-0.parquet", hive_partitioning=False)
        expected, off_grid = normalize_loaded(table, frame)
        assert off_grid.height == 0
        schemas.check_schema(stored, schemas.LAKE_TABLES[table], name=table)
        assert stored.equals(expected)
        entry = json.loads((folder / "_manifest.json").read_text())["entries"][0]
        assert entry["rows"] == frame.height
        assert entry["sha256"] == file_sha256(folder / "part-0.parquet")
        assert entry["source"]["key"].endswith(
            f"{table}/exchange=BINANCE/symbol=BTC-USDT/dt={day}/1.snappy.parquet"
        )
        assert entry["received_time_first"] == frame["received_time"].min().isoformat()
        assert entry["origin_time_last"] == frame["origin_time"].max().isoformat()
    assert len(read_manifest(data_root, "lake/book_delta_v2")) == 2
    assert not list((data_root / "_staging").rglob("*"))  # no files, no empty folders
    assert (data_root / "_cache" / "lakeapi").is_dir()
    assert not (data_root.parent / ".lake_cache").exists()


def test_rerun_skips_finished_units_and_changes_nothing(data_root, lake, source, make_vendor):
    lake.put_frame("trades", make_vendor("trades", DAY), symbol="BTC-USDT", day=DAY)
    units = {"tables": ["trades"], "symbols": ["BTC-USDT"], "start": DAY, "end": NEXT}
    first = acquire(data_root, **units, **at(source)).rows
    before = snapshot(data_root)
    # The vendor object changes: a re-run must not touch the finished unit ...
    lake.put_frame("trades", make_vendor("trades", DAY, seed=9), symbol="BTC-USDT", day=DAY)
    second = acquire(data_root, **units, **at(source)).rows
    assert [r.status for r in first] == ["written"]
    assert [r.status for r in second] == ["skipped"]
    assert snapshot(data_root) == before
    # ... while --force fetches the new content (no stale listing or data cache).
    forced = acquire(data_root, **units, **at(source), force=True).rows
    assert forced[0].status == "written"
    stored = pl.read_parquet(forced[0].path, hive_partitioning=False)
    expected, _ = normalize_loaded("trades", make_vendor("trades", DAY, seed=9))
    assert stored.equals(expected)


def test_a_damaged_lake_file_is_not_finished(data_root, lake, source, make_vendor):
    lake.put_frame("trades", make_vendor("trades", DAY), symbol="BTC-USDT", day=DAY)
    (unit,) = plan_units(tables=["trades"], symbols=["BTC-USDT"], start=DAY, end=NEXT)
    result = acquire_unit(data_root, unit, source=source)
    assert is_finished(data_root, unit)
    result.path.write_bytes(b"truncated")
    assert not is_finished(data_root, unit)
    refused = acquire_unit(data_root, unit, source=source)
    assert isinstance(refused.error, OverwriteError)
    assert result.path.read_bytes() == b"truncated"
    repaired = acquire_unit(data_root, unit, source=source, force=True)
    assert repaired.status == "written"
    assert is_finished(data_root, unit)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("corrupt", CorruptFileError),
        ("damaged", CorruptFileError),
        ("missing_day", NoDataError),
        ("column_missing", SchemaError),
        ("column_added", SchemaError),
        ("empty", NoDataError),
    ],
)
def test_faulty_unit_is_rejected_and_others_land(
    data_root, lake, source, make_vendor, fault, error
):
    good = make_vendor("book_delta_v2", DAY)
    lake.put_frame("book_delta_v2", good, symbol="BTC-USDT", day=DAY)
    bad = make_vendor("book_delta_v2", NEXT)
    if fault == "corrupt":
        lake.put_bytes("book_delta_v2", b"PAR1 not parquet", symbol="BTC-USDT", day=NEXT)
    elif fault == "damaged":
        body = bytearray(raw_parquet("book_delta_v2", bad))
        body[8 : len(body) // 2] = b"\xff" * (len(body) // 2 - 8)
        lake.put_bytes("book_delta_v2", bytes(body), symbol="BTC-USDT", day=NEXT)
    elif fault == "column_missing":
        lake.put_frame("book_delta_v2", bad.drop("side_is_bid"), symbol="BTC-USDT", day=NEXT)
    elif fault == "column_added":
        extra = bad.with_columns(pl.lit(1).alias("update_count"))
        lake.put_frame("book_delta_v2", extra, symbol="BTC-USDT", day=NEXT)
    elif fault == "empty":
        lake.put_frame("book_delta_v2", bad.head(0), symbol="BTC-USDT", day=NEXT)
    units = {
        "tables": ["book_delta_v2"],
        "symbols": ["BTC-USDT"],
        "start": DAY,
        "end": "2024-08-10",
    }

    result = acquire(data_root, **units, **at(source))
    results = result.rows

    assert [r.status for r in results] == ["written", "failed"]
    assert isinstance(results[1].error, error)
    assert str(NEXT) in str(results[1].error)
    assert lake_files(data_root) == [
        f"lake/book_delta_v2/exchange=BINANCE/symbol=BTC-USDT/dt={DAY}/part-0.parquet"
    ]
    with pytest.raises(error, match="1 unit"):
        result.raise_for_failures()
    assert not result.ok
    assert result.failed == [results[1]]
    # The re-run retries only the failed unit and still fails the same way.
    again = acquire(data_root, **units, **at(source)).rows
    assert [r.status for r in again] == ["skipped", "failed"]


def test_access_denied_to_a_table(data_root, lake, make_vendor):
    # Anonymous (sample) access: public objects are readable, private ones are refused by S3.
    lake.put_frame("trades", make_vendor("trades", DAY), symbol="BTC-USDT", day=DAY, public=True)
    lake.put_frame("book", make_vendor("book", DAY), symbol="BTC-USDT", day=DAY)
    results = acquire(
        data_root,
        tables=["trades", "book"],
        symbols=["BTC-USDT"],
        start=DAY,
        end=NEXT,
        endpoint_url=lake.endpoint_url,
        bucket=lake.bucket_path,
        sample=True,
    ).rows
    assert [r.status for r in results] == ["written", "failed"]
    assert isinstance(results[1].error, AccessDeniedError)
    assert "'book'" in str(results[1].error)
    assert lake_files(data_root) == [
        f"lake/trades/exchange=BINANCE/symbol=BTC-USDT/dt={DAY}/part-0.parquet"
    ]


def test_transient_500_succeeds_on_retry(data_root, lake, make_vendor, faulty_proxy):
    frame = make_vendor("trades", DAY)
    lake.put_frame("trades", frame, symbol="BTC-USDT", day=DAY)
    (unit,) = plan_units(tables=["trades"], symbols=["BTC-USDT"], start=DAY, end=NEXT)
    with faulty_proxy(lake.endpoint_url, match="dt=2024-08-08", failures=2) as proxy:
        source = LakeSource(endpoint_url=proxy.url, bucket=lake.bucket_path)
        result = acquire_unit(data_root, unit, source=source, retries=3, backoff=0.01)
    assert proxy.failed == 2
    assert result.status == "written"
    assert result.rows == frame.height


def test_persistent_500_gives_up_and_lake_stays_empty(data_root, lake, make_vendor, faulty_proxy):
    lake.put_frame("trades", make_vendor("trades", DAY), symbol="BTC-USDT", day=DAY)
    (unit,) = plan_units(tables=["trades"], symbols=["BTC-USDT"], start=DAY, end=NEXT)
    with faulty_proxy(lake.endpoint_url, match="dt=2024-08-08", failures=100) as proxy:
        source = LakeSource(endpoint_url=proxy.url, bucket=lake.bucket_path)
        result = acquire_unit(data_root, unit, source=source, retries=2, backoff=0.01)
    assert proxy.failed >= 3  # lakeapi repeats some requests itself
    assert result.status == "failed"
    assert "gave up after 3 attempts" in str(result.error)
    assert lake_files(data_root) == []


def test_unreachable_endpoint_stops_the_run(data_root, aws_env, lake):
    lake.stop()  # nothing listens on that port any more
    source = LakeSource(endpoint_url=lake.endpoint_url, bucket=lake.bucket_path)
    with pytest.raises(EndpointUnreachableError, match="cannot reach the storage endpoint"):
        acquire(data_root, symbols=["BTC-USDT"], start=DAY, end="2024-08-10", **at(source))
    assert lake_files(data_root) == []


def test_no_credentials_is_a_clear_error(data_root, aws_env, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    units = {"tables": ["trades"], "symbols": ["BTC-USDT"], "start": DAY, "end": NEXT}
    with pytest.raises(CredentialsError, match="AWS_ACCESS_KEY_ID"):
        acquire(data_root, **units)
    with pytest.raises(CredentialsError, match="profile 'nobody'"):
        acquire(data_root, **units, profile="nobody")


def test_iam_policy_denies_a_table_and_unknown_keys_are_refused(
    data_root, lake, make_vendor, monkeypatch
):
    # Signed access with moto's IAM enforcement: the analyst's keys cover trades, not book.
    import boto3
    import moto.settings

    for table in ("trades", "book"):
        lake.put_frame(table, make_vendor(table, DAY), symbol="BTC-USDT", day=DAY)
    iam = lake.session().client("iam", endpoint_url=lake.endpoint_url)
    iam.create_user(UserName="analyst")
    prefix = f"arn:aws:s3:::{lake.bucket}"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [prefix]},
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": [f"{prefix}/market-data/cryptofeed/trades/*"],
            },
        ],
    }
    iam.put_user_policy(UserName="analyst", PolicyName="trades", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="analyst")["AccessKey"]
    with monkeypatch.context() as enforced:
        enforced.setattr(moto.settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
        session = boto3.Session(
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
            region_name="eu-west-1",
        )
        where = {"endpoint_url": lake.endpoint_url, "bucket": lake.bucket_path}
        units = {"symbols": ["BTC-USDT"], "start": DAY, "end": NEXT}

        results = acquire(
            data_root, tables=["trades", "book"], **units, **where, session=session
        ).rows

        assert [r.status for r in results] == ["written", "failed"]
        assert isinstance(results[1].error, AccessDeniedError)
        assert key["SecretAccessKey"] not in str(results[1].error)
        assert lake_files(data_root) == [
            f"lake/trades/exchange=BINANCE/symbol=BTC-USDT/dt={DAY}/part-0.parquet"
        ]
        # The environment's dummy keys are unknown to this IAM: refused credentials stop the run.
        with pytest.raises(CredentialsError, match="refused"):
            acquire(data_root, tables=["book"], **units, **where)
