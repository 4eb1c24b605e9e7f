"""Crypto Lake formats: raw file columns, the columns ``lakeapi.load_data`` returns, and the
exact ingest of its float64 prices and sizes onto the 1e-8 grid.

Raw files (``{table}/exchange=../symbol=../dt=../1.snappy.parquet``) use cryptofeed names
(``timestamp``, ``receipt_timestamp``, ``amount``, ``id``); ``lakeapi`` renames them after
loading.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from rlx_lib import schemas
from rlx_lib.catalog import parse_day, validate_exchange, validate_symbol
from rlx_lib.decimals import MAX_UNITS, float_to_units, units_to_decimal
from rlx_lib.errors import ConfigError, SchemaError

__all__ = [
    "LOADED_TO_RAW",
    "OBJECT_PREFIX",
    "RAW_TO_LOADED",
    "TABLES",
    "epoch_ns_from_ms_via_float",
    "level_fault",
    "normalize_loaded",
    "object_key",
    "raw_columns",
    "to_raw",
]

TABLES = ("trades", "book", "book_delta_v2")
OBJECT_PREFIX = "market-data/cryptofeed"
"""The key prefix of Crypto Lake's tables inside its bucket."""


def object_key(
    table: str, *, exchange: str, symbol: str, day: str | dt.date, prefix: str = OBJECT_PREFIX
) -> str:
    """Crypto Lake's object key of one table, exchange, symbol and day.

    Examples
    --------
    >>> object_key("trades", exchange="BINANCE", symbol="BTC-USDT", day="2024-08-08")
    'market-data/cryptofeed/trades/exchange=BINANCE/symbol=BTC-USDT/dt=2024-08-08/1.snappy.parquet'
    """
    parts = [
        prefix.strip("/"),
        table,
        f"exchange={validate_exchange(exchange)}",
        f"symbol={validate_symbol(symbol)}",
        f"dt={parse_day(day).isoformat()}",
        "1.snappy.parquet",
    ]
    return "/".join(part for part in parts if part)


RAW_TO_LOADED = {
    "timestamp": "origin_time",
    "receipt_timestamp": "received_time",
    "amount": "quantity",
}
"""Renames lakeapi applies to every table; ``trades`` also renames ``id`` to ``trade_id``."""

LOADED_TO_RAW = {loaded: raw for raw, loaded in RAW_TO_LOADED.items()}


def _renames(table: str) -> dict[str, str]:
    if table not in TABLES:
        msg = f"table must be one of {list(TABLES)}, received {table!r}"
        raise ConfigError(msg)
    renames = dict(RAW_TO_LOADED)
    if table == "trades":
        renames["id"] = "trade_id"
    return renames


def raw_columns(table: str) -> list[str]:
    """Column names of a raw Crypto Lake file of ``table``."""
    back = {loaded: raw for raw, loaded in _renames(table).items()}
    return [back.get(name, name) for name in schemas.LAKE_TABLES[table]]


def epoch_ns_from_ms_via_float(ms: np.ndarray) -> np.ndarray:
    """Exchange ms to ns the way Crypto Lake stores them: ``int(float_seconds * 1e9)``.

    This reproduces the float artefacts (``...033 ms`` becomes ``...032999936 ns``); recover the
    exchange ms with ``round(ns / 1e6)``.
    """
    seconds = np.asarray(ms, dtype=np.int64) / 1000.0
    return (seconds * 1e9).astype(np.int64)


def to_raw(table: str, loaded: pl.DataFrame) -> pl.DataFrame:
    """Turn a loaded-style float frame (lakeapi names, float64 numbers, ns times) into the raw
    file layout: cryptofeed names, int64 ns times, float64 numbers."""
    back = {loaded_name: raw for raw, loaded_name in _renames(table).items()}
    frame = loaded.with_columns(
        pl.col(c).dt.epoch("ns")
        if loaded.schema[c] == schemas.TIME or isinstance(loaded.schema[c], pl.Datetime)
        else pl.col(c)
        for c in loaded.columns
    )
    return frame.rename({c: back[c] for c in frame.columns if c in back})


def normalize_loaded(table: str, loaded: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Convert a frame as ``lakeapi.load_data`` returns it (or its raw file) to the exact contract.

    Returns ``(exact, off_grid)``: ``exact`` follows ``schemas.LAKE_TABLES[table]`` with prices
    and sizes as ``Decimal(18, 8)`` rounded to the grid; ``off_grid`` lists the rows whose
    float value did not sit on the grid (``row``, ``column``, ``value``) for issue rows.
    Raises :class:`SchemaError` when columns are missing or unexpected.
    """
    renames = _renames(table)
    expected = schemas.LAKE_TABLES[table]
    frame = loaded.rename({c: renames[c] for c in loaded.columns if c in renames})
    frame = frame.drop([c for c in ("exchange", "symbol", "dt") if c in frame.columns])
    missing = [c for c in expected if c not in frame.columns]
    extra = [c for c in frame.columns if c not in expected]
    if missing or extra:
        msg = f"{table}: schema drifted: missing columns {missing}, unexpected columns {extra}"
        raise SchemaError(msg)
    columns = {}
    problems = []
    for name, kind in expected.items():
        series = frame[name]
        if kind == schemas.DECIMAL:
            if isinstance(series.dtype, pl.Decimal):
                columns[name] = series.cast(schemas.DECIMAL)
                continue
            if not series.dtype.is_numeric():
                msg = f"{table}.{name}: expected float64, received {series.dtype}"
                raise SchemaError(msg)
            values = series.cast(pl.Float64).to_numpy()
            valid = ~np.isnan(values)
            units, off = float_to_units(np.where(valid, values, 0.0))
            columns[name] = pl.from_arrow(units_to_decimal(units, valid)).alias(name)
            for row in np.flatnonzero(off & valid):
                problems.append({"row": int(row), "column": name, "value": float(values[row])})
        elif kind == schemas.TIME:
            if isinstance(series.dtype, pl.Datetime):
                columns[name] = (
                    series.dt.cast_time_unit("ns")
                    .dt.replace_time_zone(None)
                    .dt.replace_time_zone("UTC")
                    if series.dtype.time_zone is None
                    else series.dt.cast_time_unit("ns").dt.convert_time_zone("UTC")
                )
            elif series.dtype.is_integer():
                columns[name] = series.cast(pl.Int64).cast(schemas.TIME)
            else:
                msg = f"{table}.{name}: expected ns timestamps, received {series.dtype}"
                raise SchemaError(msg)
        else:
            try:
                columns[name] = series.cast(kind, strict=True)
            except pl.exceptions.InvalidOperationError:
                msg = f"{table}.{name}: expected {kind}, received {series.dtype}"
                raise SchemaError(msg) from None
    exact = pl.DataFrame(columns).select(list(expected))
    off_grid = pl.DataFrame(
        problems, schema={"row": pl.Int64, "column": pl.String, "value": pl.Float64}
    )
    return exact, off_grid


def level_fault(
    price: str = "price", size: str = "size", *, listed: pl.Expr | bool = False
) -> pl.Expr:
    """Why a level row cannot be book state, or null when it can.

    A price must be present, positive and within ``Decimal(18, 8)``; a size present, not
    negative and within range, and positive where the row lists a level that is there
    (``listed``: a snapshot row, a ``book`` level). The columns are ``Decimal(18, 8)``.
    """
    units = {name: pl.col(name).to_physical() for name in (price, size)}
    listed = pl.lit(listed) if isinstance(listed, bool) else listed
    checks = [
        (units[price].is_null(), f"null {price}"),
        (units[price] <= 0, f"{price} not positive"),
        (units[price] > MAX_UNITS, f"{price} out of range"),
        (units[size].is_null(), f"null {size}"),
        (units[size] < 0, f"negative {size}"),
        (units[size] > MAX_UNITS, f"{size} out of range"),
        (listed & (units[size] == 0), f"zero {size} where a level is listed"),
    ]
    fault = pl.when(checks[0][0]).then(pl.lit(checks[0][1]))
    for condition, reason in checks[1:]:
        fault = fault.when(condition).then(pl.lit(reason))
    return fault.otherwise(pl.lit(None, dtype=pl.String))
