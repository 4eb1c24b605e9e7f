"""The data root: hive paths, validated names, atomic Parquet writes and manifests.

Layout: ``<root>/<dataset>/exchange=BINANCE/symbol=BTC-USDT/dt=2024-08-08/part-0.parquet``.
Each partition folder holds a ``_manifest.json`` describing what was written there (rows,
sha256, inputs); manifests sit beside the data so parallel workers never share a file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from rlx_lib.errors import ConfigError, OverwriteError
from rlx_lib.venues import market_of_symbol

__all__ = [
    "DEFAULT_DATA_ROOT",
    "MANIFEST_NAME",
    "atomic_path",
    "binance_symbol",
    "data_root",
    "day_range",
    "days",
    "exchange_of",
    "file_sha256",
    "lake_symbol",
    "parse_day",
    "partition_dir",
    "partitions",
    "read_manifest",
    "remove_folder",
    "remove_published",
    "validate_exchange",
    "validate_symbol",
    "write_manifest",
    "write_parquet",
]

DEFAULT_DATA_ROOT = Path("data")
MANIFEST_NAME = "_manifest.json"
_SYMBOL = re.compile(r"[A-Z0-9]+(-[A-Z0-9]+)*")
_EXCHANGE = re.compile(r"[A-Z0-9]+(_[A-Z0-9]+)*")
_UMASK = os.umask(0o022)
os.umask(_UMASK)
_KNOWN_QUOTES = ("USDT", "USDC", "FDUSD", "BUSD", "TUSD", "BTC", "ETH", "BNB", "EUR", "TRY")


def data_root(path: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the data root: ``path``, else ``RLX_DATA_ROOT``, else ``./data``."""
    chosen = path if path is not None else os.environ.get("RLX_DATA_ROOT") or DEFAULT_DATA_ROOT
    return Path(chosen)


def validate_symbol(symbol: str) -> str:
    """Return a Lake-style symbol (``BTC-USDT``) unchanged, or raise :class:`ConfigError`.

    A symbol becomes part of a path, so anything but ``[A-Z0-9]+(-[A-Z0-9]+)*`` is refused.
    """
    if not isinstance(symbol, str) or not _SYMBOL.fullmatch(symbol):
        msg = f"symbol must look like 'BTC-USDT' ([A-Z0-9]+ joined by '-'), received {symbol!r}"
        raise ConfigError(msg)
    return symbol


def validate_exchange(exchange: str) -> str:
    """Return an exchange name (``BINANCE``) unchanged, or raise :class:`ConfigError`."""
    if not isinstance(exchange, str) or not _EXCHANGE.fullmatch(exchange):
        msg = f"exchange must look like 'BINANCE' ([A-Z0-9_]+), received {exchange!r}"
        raise ConfigError(msg)
    return exchange


def exchange_of(symbol: str) -> str:
    """The Lake exchange a Lake symbol is filed under: ``BTC-USDT-PERP`` is
    ``BINANCE_FUTURES``, any other ``BINANCE``."""
    return market_of_symbol(validate_symbol(symbol)).exchange


def binance_symbol(symbol: str) -> str:
    """Map a Lake symbol to a Binance stream symbol: ``BTC-USDT -> btcusdt`` (a futures
    ``BTC-USDT-PERP`` is ``btcusdt`` on the futures streams).

    Examples
    --------
    >>> binance_symbol("BTC-USDT-PERP")
    'btcusdt'
    """
    symbol = validate_symbol(symbol)
    symbol = symbol.removesuffix("-PERP") if market_of_symbol(symbol).chained else symbol
    return symbol.replace("-", "").lower()


def lake_symbol(symbol: str, *, market: str = "spot") -> str:
    """Map a Binance symbol (``btcusdt`` or ``BTCUSDT``) to Lake style: ``BTC-USDT``, or
    ``BTC-USDT-PERP`` for the ``usdm`` market.

    The quote asset is split off by a list of known quotes; an already hyphenated symbol is
    validated and returned.

    Examples
    --------
    >>> lake_symbol("ethusdt")
    'ETH-USDT'
    >>> lake_symbol("btcusdt", market="usdm")
    'BTC-USDT-PERP'
    """
    spot = _spot_lake_symbol(symbol)
    if market == "spot" or spot.endswith("-PERP"):
        return spot
    return validate_symbol(f"{spot}-PERP")


def _spot_lake_symbol(symbol: str) -> str:
    if not isinstance(symbol, str):
        msg = f"symbol must be a string, received {symbol!r}"
        raise ConfigError(msg)
    upper = symbol.upper()
    if "-" in upper:
        return validate_symbol(upper)
    if not re.fullmatch(r"[A-Z0-9]+", upper):
        msg = f"Binance symbol must be letters and digits like 'btcusdt', received {symbol!r}"
        raise ConfigError(msg)
    for quote in _KNOWN_QUOTES:
        if upper.endswith(quote) and len(upper) > len(quote):
            return f"{upper[: -len(quote)]}-{quote}"
    return upper


def parse_day(value: str | dt.date) -> dt.date:
    """Parse ``YYYY-MM-DD`` (a UTC day) or pass a date through."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        msg = f"date must be YYYY-MM-DD, received {value!r}"
        raise ConfigError(msg) from None


def day_range(start: str | dt.date, end: str | dt.date) -> list[dt.date]:
    """UTC days from ``start`` to ``end``, end exclusive (as in lakeapi)."""
    first, stop = parse_day(start), parse_day(end)
    if stop <= first:
        msg = f"end ({stop}) must be after start ({first}); end is exclusive"
        raise ConfigError(msg)
    return [first + dt.timedelta(days=i) for i in range((stop - first).days)]


def partition_dir(
    root: Path, dataset: str, *, exchange: str | None = None, symbol: str, day: str | dt.date
) -> Path:
    """``<root>/<dataset>/exchange=../symbol=../dt=..``, with every part validated (the
    exchange defaults to the symbol's: :func:`exchange_of`)."""
    if ".." in Path(dataset).parts or Path(dataset).is_absolute():
        msg = f"dataset must be a relative name, received {dataset!r}"
        raise ConfigError(msg)
    return (
        Path(root)
        / dataset
        / f"exchange={validate_exchange(exchange or exchange_of(symbol))}"
        / f"symbol={validate_symbol(symbol)}"
        / f"dt={parse_day(day).isoformat()}"
    )


def partitions(root: Path, dataset: str) -> list[dict[str, str]]:
    """List the partitions present under a dataset as ``{exchange, symbol, dt, path}``."""
    base = Path(root) / dataset
    found = []
    for folder in sorted(base.glob("exchange=*/symbol=*/dt=*")):
        if folder.is_dir():
            keys = dict(part.split("=", 1) for part in folder.relative_to(base).parts)
            found.append({**keys, "path": str(folder)})
    return found


def days(root: Path, dataset: str, *, symbol: str, exchange: str | None = None) -> list[dt.date]:
    """The days a dataset holds for one symbol (under its exchange by default), in order."""
    exchange = exchange or exchange_of(symbol)
    return sorted(
        parse_day(part["dt"])
        for part in partitions(root, dataset)
        if part["symbol"] == validate_symbol(symbol) and part["exchange"] == exchange
    )


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def remove_folder(folder: Path, *, up_to: Path) -> None:
    """Delete ``folder``, then its parents below ``up_to`` while they are empty (work and
    staging folders leave no empty trees behind; another unit's folder stops the climb)."""
    folder, up_to = Path(folder), Path(up_to)
    shutil.rmtree(folder, ignore_errors=True)
    for parent in folder.parents:
        if parent == up_to or up_to not in parent.parents:
            break
        try:
            parent.rmdir()
        except OSError:  # not empty (or gone): another unit is in progress
            break


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place only on success.

    The result gets ordinary file permissions (0666 less the umask), not mkstemp's 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    temp_path = Path(temp)
    try:
        yield temp_path
        os.chmod(temp_path, 0o666 & ~_UMASK)
        os.replace(temp_path, path)
    finally:
        temp_path.unlink(missing_ok=True)


def write_parquet(
    data: pa.Table | pl.DataFrame,
    path: Path,
    *,
    force: bool = False,
    row_group_size: int = 1_000_000,
    compression_level: int | None = None,
    use_dictionary: bool | list[str] = True,
    column_encoding: dict[str, str] | None = None,
    write_statistics: bool | list[str] = True,
) -> Path:
    """Write Parquet (zstd, decimals as int64) atomically.

    If ``path`` exists with the same bytes, nothing changes; with different bytes it raises
    :class:`OverwriteError` unless ``force``. ``compression_level``, ``use_dictionary`` (all
    columns or the ones named), ``column_encoding`` and ``write_statistics`` trade size for
    speed (zstd level 1 without dictionaries writes faster than the defaults at a similar size
    for high-cardinality market data: see ``rlx bench reconstruct``).
    """
    table = data.to_arrow() if isinstance(data, pl.DataFrame) else data
    table = _narrow_decimals(table)
    path = Path(path)
    with atomic_path(path) as temp:
        pq.write_table(
            table,
            temp,
            compression="zstd",
            row_group_size=row_group_size,
            compression_level=compression_level,
            use_dictionary=use_dictionary,
            column_encoding=column_encoding,
            write_statistics=write_statistics,
            store_decimal_as_integer=True,
        )
        if path.exists():
            if file_sha256(path) == file_sha256(temp):
                return path
            if not force:
                msg = f"{path} exists with different content; rerun with --force to replace it"
                raise OverwriteError(msg)
    return path


def _narrow_decimals(table: pa.Table) -> pa.Table:
    """Store Decimal(<=18, s) as decimal64 so Parquet keeps them int64-backed."""
    fields = []
    changed = False
    for field in table.schema:
        kind = field.type
        if pa.types.is_decimal(kind) and kind.precision <= 18 and kind.bit_width != 64:
            fields.append(field.with_type(pa.decimal64(kind.precision, kind.scale)))
            changed = True
        else:
            fields.append(field)
    return table.cast(pa.schema(fields, metadata=table.schema.metadata)) if changed else table


def write_manifest(folder: Path, entry: dict[str, Any]) -> Path:
    """Record what was written in ``folder`` (replacing the file entry of the same name)."""
    folder = Path(folder)
    manifest = folder / MANIFEST_NAME
    entries = _load_entries(manifest)
    _save_entries(manifest, [e for e in entries if e.get("file") != entry.get("file")] + [entry])
    return manifest


def remove_published(path: Path) -> None:
    """Delete a published file and its manifest entry (nothing happens when neither exists)."""
    path = Path(path)
    path.unlink(missing_ok=True)
    manifest = path.parent / MANIFEST_NAME
    entries = _load_entries(manifest)
    kept = [e for e in entries if e.get("file") != path.name]
    if kept != entries:
        _save_entries(manifest, kept)


def read_manifest(root: Path, dataset: str) -> list[dict[str, Any]]:
    """Every manifest entry under a dataset, with its partition keys added."""
    rows = []
    for part in partitions(root, dataset):
        for entry in _load_entries(Path(part["path"]) / MANIFEST_NAME):
            rows.append({**{k: v for k, v in part.items() if k != "path"}, **entry})
    return rows


def _save_entries(manifest: Path, entries: list[dict[str, Any]]) -> None:
    text = json.dumps({"entries": entries}, indent=2, sort_keys=True, default=str)
    with atomic_path(manifest) as temp:
        temp.write_text(text + "\n", encoding="utf-8")


def _load_entries(manifest: Path) -> list[dict[str, Any]]:
    if not manifest.exists():
        return []
    return list(json.loads(manifest.read_text(encoding="utf-8")).get("entries", []))
