"""Units of work (table, symbol, day): download, stage, verify, move into ``lake/``, record.

A unit is loaded with ``lakeapi.load_data`` (retried with backoff on transient failures),
checked (:mod:`rlx_lib.acquisition.checks`), written to ``<root>/_staging/acquisition/...``,
read back, then moved with one atomic rename into
``lake/<table>/exchange=../symbol=../dt=../part-0.parquet`` and recorded in that partition's
``_manifest.json``. Its issue rows go to ``issues/.../part-acquisition-<table>.parquet``.
A unit whose file matches its manifest entry is finished and skipped on a re-run; a crash
leaves at most a staged file, never a half-written ``lake/`` file.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections.abc import Iterable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from rlx_lib import schemas
from rlx_lib.acquisition.checks import STAGE, check_unit
from rlx_lib.acquisition.result import AcquireResult, AcquireRow, Unit
from rlx_lib.acquisition.vendor import LakeSource, TransientError, load_day
from rlx_lib.catalog import (
    MANIFEST_NAME,
    day_range,
    exchange_of,
    file_sha256,
    partition_dir,
    remove_folder,
    validate_exchange,
    validate_symbol,
    write_manifest,
    write_parquet,
)
from rlx_lib.errors import (
    ConfigError,
    CredentialsError,
    EndpointUnreachableError,
    OverwriteError,
    RlxError,
    SchemaError,
)
from rlx_lib.results import Progress, ProgressCallback
from rlx_lib.venues.lake import TABLES, object_key

__all__ = ["LAKE_FILE", "acquire", "acquire_unit", "is_finished", "plan_units"]

log = logging.getLogger(__name__)

LAKE_FILE = "part-0.parquet"
FATAL = (CredentialsError, EndpointUnreachableError)
"""Failures that would repeat for every unit: they stop the whole run at once."""


def plan_units(
    *,
    tables: Iterable[str],
    symbols: Iterable[str],
    start: str | dt.date,
    end: str | dt.date,
    exchange: str | None = None,
) -> list[Unit]:
    """Every unit of a request, validated (``end`` exclusive, as in lakeapi).

    The exchange follows the symbols (``BTC-USDT-PERP`` is ``BINANCE_FUTURES``, others
    ``BINANCE``); an ``exchange`` that contradicts a symbol is refused.

    Examples
    --------
    >>> [str(u) for u in plan_units(tables=["trades"], symbols=["BTC-USDT"],
    ...                             start="2024-08-08", end="2024-08-09")]
    ['trades BINANCE BTC-USDT 2024-08-08']
    """
    tables, symbols = list(tables), [validate_symbol(s) for s in symbols]
    unknown = [t for t in tables if t not in TABLES]
    if unknown or not tables or not symbols:
        msg = f"tables must be among {list(TABLES)} and symbols non-empty, received {tables}"
        raise ConfigError(msg)
    for symbol in symbols:
        if exchange is not None and validate_exchange(exchange) != exchange_of(symbol):
            msg = (
                f"symbol {symbol} is filed under exchange {exchange_of(symbol)}, not {exchange} "
                "(USD-M futures symbols end in -PERP, e.g. BTC-USDT-PERP)"
            )
            raise ConfigError(msg)
    return [
        Unit(table=table, symbol=symbol, day=day, exchange=exchange_of(symbol))
        for day in day_range(start, end)
        for symbol in symbols
        for table in tables
    ]


def is_finished(root: Path, unit: Unit) -> bool:
    """True when the unit's file exists and matches the sha256 its manifest recorded."""
    folder = unit.lake_dir(root)
    entry = _manifest_entry(folder)
    path = folder / LAKE_FILE
    return bool(entry) and path.exists() and file_sha256(path) == entry.get("sha256")


def acquire(
    root: Path,
    *,
    symbols: Sequence[str],
    start: str | dt.date,
    end: str | dt.date,
    tables: Sequence[str] = TABLES,
    exchange: str | None = None,
    endpoint_url: str | None = None,
    bucket: str | None = None,
    sample: bool = False,
    profile: str | None = None,
    session: Any = None,
    retries: int = 3,
    backoff: float = 1.0,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> AcquireResult:
    """Download Crypto Lake's ``tables`` of ``symbols`` for the UTC days ``start`` to ``end``
    (exclusive) into ``lake/`` under ``root``, verified, one unit per table, symbol and day.

    The exchange follows the symbols (``-PERP``: ``BINANCE_FUTURES``); ``exchange`` only
    confirms it. Data is read from Crypto Lake's bucket with the AWS credentials of the
    environment or ``profile``, from its free sample bucket when ``sample``, or from any
    S3-compatible ``endpoint_url`` and ``bucket`` (``session``: an explicit ``boto3.Session``).
    Finished units are skipped unless ``force``; transient failures are retried ``retries``
    times, waiting ``backoff`` seconds, doubling. A unit that fails is a ``failed`` row
    (:meth:`AcquireResult.raise_for_failures`); credential and endpoint errors raise at once.
    """
    units = plan_units(tables=tables, symbols=symbols, start=start, end=end, exchange=exchange)
    source = LakeSource(
        bucket=bucket, endpoint_url=endpoint_url, sample=sample, profile=profile, session=session
    )
    rows = []
    for number, unit in enumerate(units, start=1):
        row = acquire_unit(root, unit, source=source, retries=retries, backoff=backoff, force=force)
        rows.append(row)
        if progress is not None:
            progress(Progress("acquire", str(unit), number, len(units), f"{row.status} {unit}"))
    return AcquireResult(rows=tuple(rows))


def acquire_unit(
    root: Path,
    unit: Unit,
    *,
    source: LakeSource,
    retries: int = 3,
    backoff: float = 1.0,
    force: bool = False,
) -> AcquireRow:
    """Download, verify and publish one unit, or skip it when it is already finished.

    Raises :class:`CredentialsError` and :class:`EndpointUnreachableError` (every unit would
    fail alike); any other :class:`RlxError` ends in a ``failed`` result, ``lake/`` untouched.
    """
    root = Path(root)
    final = unit.lake_dir(root) / LAKE_FILE
    if not force and is_finished(root, unit):
        return AcquireRow(unit=unit, status="skipped", path=final)
    try:
        return _publish(root, unit, source=source, retries=retries, backoff=backoff, force=force)
    except FATAL:
        raise
    except RlxError as error:
        log.warning("acquisition of %s failed: %s", unit, error)
        return AcquireRow(unit=unit, status="failed", error=error)


def _publish(
    root: Path, unit: Unit, *, source: LakeSource, retries: int, backoff: float, force: bool
) -> AcquireRow:
    loaded = _load_with_retries(root, unit, source=source, retries=retries, backoff=backoff)
    folder = unit.lake_dir(root)
    name = folder.relative_to(root).as_posix()
    exact, issues = check_unit(unit.table, loaded, symbol=unit.symbol, source=name)
    staging = root / "_staging" / STAGE / folder.relative_to(root)
    staged = write_parquet(exact, staging / LAKE_FILE, force=True, **_encodings(exact.columns))
    readback = pl.DataFrame(schema=pl.read_parquet_schema(staged))
    schemas.check_schema(readback, schemas.LAKE_TABLES[unit.table], name=str(staged))
    stored_rows = pq.read_metadata(staged).num_rows
    if stored_rows != exact.height:
        msg = f"{staged}: wrote {exact.height} rows, the file holds {stored_rows}"
        raise SchemaError(msg)
    sha256 = file_sha256(staged)
    final = folder / LAKE_FILE
    if final.exists() and _manifest_entry(folder) and file_sha256(final) != sha256 and not force:
        msg = (
            f"{final} does not match its manifest (damaged or changed since it was acquired) "
            "and differs from the vendor's data; rerun with --force to replace it"
        )
        raise OverwriteError(msg)
    issues_dir = partition_dir(
        root, "issues", exchange=unit.exchange, symbol=unit.symbol, day=unit.day
    )
    write_parquet(issues, issues_dir / f"part-{STAGE}-{unit.table}.parquet", force=True)
    folder.mkdir(parents=True, exist_ok=True)
    os.replace(staged, final)
    remove_folder(staging, up_to=root / "_staging")
    write_manifest(folder, _entry(unit, exact, issues, sha256=sha256, source=source))
    log.info("acquired %s: %d rows, %d issues", unit, exact.height, issues.height)
    return AcquireRow(
        unit=unit, status="written", rows=exact.height, issue_rows=issues.height, path=final
    )


def _encodings(columns: list[str]) -> dict[str, Any]:
    """Writer options for a Lake table: zstd level 1; prices dictionary-encoded (few distinct
    values: smaller and faster than plain), sizes byte-stream-split, everything else plain;
    min/max statistics only on clocks and ids. About twice as fast to write as plain columns
    with statistics everywhere, and smaller."""
    sizes = [name for name in columns if name.endswith(("size", "quantity"))]
    return {
        "compression_level": 1,
        "use_dictionary": [name for name in columns if name.endswith("price")],
        "column_encoding": dict.fromkeys(sizes, "BYTE_STREAM_SPLIT"),
        "write_statistics": [
            name for name in columns if name.endswith(("_time", "sequence_number", "_id"))
        ],
    }


def _load_with_retries(
    root: Path, unit: Unit, *, source: LakeSource, retries: int, backoff: float
) -> pl.DataFrame:
    attempt = 0
    while True:
        try:
            return load_day(
                unit.table,
                symbol=unit.symbol,
                exchange=unit.exchange,
                day=unit.day,
                source=source,
                cache_dir=root / "_cache" / "lakeapi",
            )
        except TransientError as error:
            if attempt >= retries:
                msg = f"{error} (gave up after {attempt + 1} attempts)"
                raise TransientError(msg) from None
            delay = backoff * 2**attempt
            log.warning("%s; retrying in %.1f s", error, delay)
            time.sleep(delay)
            attempt += 1


def _entry(
    unit: Unit, exact: pl.DataFrame, issues: pl.DataFrame, *, sha256: str, source: LakeSource
) -> dict[str, Any]:
    """The manifest entry: rows, time span, sha256, source and issue counts; no secrets."""
    exchange_times = exact.filter(pl.col("origin_time").dt.epoch("ns") != 0)["origin_time"]
    counts = issues.group_by("check").len().sort("check").rows()
    prefix = source.bucket_path.split("/", 1)[1] if "/" in source.bucket_path else ""
    key = object_key(
        unit.table, exchange=unit.exchange, symbol=unit.symbol, day=unit.day, prefix=prefix
    )
    return {
        "file": LAKE_FILE,
        "stage": STAGE,
        "table": unit.table,
        "rows": exact.height,
        "sha256": sha256,
        "origin_time_first": _iso(exchange_times.min()),
        "origin_time_last": _iso(exchange_times.max()),
        "received_time_first": _iso(exact["received_time"].min()),
        "received_time_last": _iso(exact["received_time"].max()),
        "source": {**source.describe(), "key": key, "lakeapi": version("lakeapi")},
        "issues": dict(counts),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _manifest_entry(folder: Path) -> dict[str, Any]:
    manifest = folder / MANIFEST_NAME
    if not manifest.exists():
        return {}
    entries = json.loads(manifest.read_text(encoding="utf-8")).get("entries", [])
    return next((e for e in entries if e.get("file") == LAKE_FILE), {})
