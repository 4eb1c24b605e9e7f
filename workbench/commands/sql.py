"""``rlx sql``: one read-only DuckDB query over every dataset under the data root.

Results stream: a table on the terminal shows at most ``--limit`` rows (10,000 by default);
CSV and JSON on standard output and files written with ``--out`` hold every row (or the first
``--limit``), written batch by batch, so a result larger than memory still goes to a file.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, TextIO

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import typer
from rich.console import Console
from rich.table import Table

from rlx_lib.catalog import atomic_path
from rlx_lib.errors import ConfigError
from workbench import db
from workbench.options import DataRootOption, LimitOption, resolve_root

__all__ = ["TABLE_LIMIT", "register", "sql_command"]

TABLE_LIMIT = 10_000
"""Rows shown by ``--format table`` unless ``--limit`` says otherwise."""


class Format(enum.StrEnum):
    """Output formats of ``rlx sql``."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    PARQUET = "parquet"


def _table(frame: pl.DataFrame, *, title: str) -> Table:
    table = Table(title=title)
    for name in frame.columns:
        table.add_column(name, justify="right" if frame[name].dtype.is_numeric() else "left")
    for row in frame.iter_rows():
        table.add_row(*("" if value is None else str(value) for value in row))
    return table


def _capped(reader: pa.RecordBatchReader, limit: int | None) -> Iterator[pa.RecordBatch]:
    """The reader's batches, stopping after ``limit`` rows."""
    count = 0
    for batch in reader:
        if limit is not None:
            batch = batch.slice(0, limit - count)
        count += batch.num_rows
        yield batch
        if limit is not None and count >= limit:
            return


def _text(batches: Iterator[pa.RecordBatch], schema: pa.Schema, kind: Format, out: TextIO) -> int:
    """Write CSV (one header) or one JSON array of rows, batch by batch; the row count."""
    if kind is Format.CSV:
        nested = [field.name for field in schema if pa.types.is_nested(field.type)]
        if nested:
            msg = (
                f"CSV cannot hold the nested columns {', '.join(nested)}: "
                "use --format json or parquet, or to_json() them"
            )
            raise ConfigError(msg)
    rows = 0
    out.write("[" if kind is Format.JSON else "")
    for batch in batches:
        if not batch.num_rows:
            continue
        frame = pl.DataFrame(pl.from_arrow(batch))
        if kind is Format.CSV:
            out.write(frame.write_csv(include_header=rows == 0))
        else:
            out.write(("," if rows else "") + frame.write_json()[1:-1])
        rows += frame.height
    if kind is Format.CSV and rows == 0:
        out.write(",".join(schema.names) + "\n")
    out.write("]\n" if kind is Format.JSON else "")
    return rows


def _write_file(
    batches: Iterator[pa.RecordBatch], schema: pa.Schema, kind: Format, out: Path
) -> int:
    """Write the batches to ``out`` atomically; the row count."""
    with atomic_path(out) as temp:
        if kind is Format.PARQUET:
            rows = 0
            with pq.ParquetWriter(temp, schema, compression="zstd") as writer:
                for batch in batches:
                    writer.write_batch(batch)
                    rows += batch.num_rows
            return rows
        with temp.open("w", encoding="utf-8", newline="") as handle:
            return _text(batches, schema, kind, handle)


def _file_format(output_format: Format, out: Path, root: Path) -> Format:
    """The format of ``--out FILE`` (from its suffix when --format is table)."""
    if out.resolve().is_relative_to(root.resolve()):
        msg = f"--out {out} is inside the data root {root}; rlx sql never writes there"
        raise ConfigError(msg)
    if output_format is not Format.TABLE:
        return output_format
    suffix = out.suffix.lstrip(".").lower()
    if suffix not in ("csv", "json", "parquet"):
        msg = f"cannot tell the format of {out}: pass --format csv|json|parquet"
        raise ConfigError(msg)
    return Format(suffix)


def sql_command(
    statement: Annotated[str, typer.Argument(help="One read-only query, e.g. SELECT ...")],
    output_format: Annotated[
        Format, typer.Option("--format", help="table (default), csv, json or parquet.")
    ] = Format.TABLE,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the result to this file instead.")
    ] = None,
    limit: LimitOption = None,
    data_root: DataRootOption = None,
) -> None:
    """Query every dataset with DuckDB, read-only: one view per dataset name.

    Views: lake_trades, lake_book, lake_book_delta_v2, golden, events, book, issues, fidelity
    and book_states (each only when its data exists). Nothing under the data root can be
    written: DuckDB reaches it through a read-only file system.
    """
    root = resolve_root(data_root)
    if output_format is Format.PARQUET and out is None:
        msg = "--format parquet needs --out FILE"
        raise ConfigError(msg)
    kind = _file_format(output_format, out, root) if out is not None else output_format
    database = db.connect(root)
    try:
        reader = database.reader(statement)
        with db.query_errors():
            if out is not None:
                rows = _write_file(_capped(reader, limit), reader.schema, kind, out)
                typer.echo(f"{rows} rows -> {out}")
            elif kind is not Format.TABLE:
                _text(_capped(reader, limit), reader.schema, kind, sys.stdout)
            else:
                _print_table(reader, limit or TABLE_LIMIT)
    finally:
        database.close()


def _print_table(reader: pa.RecordBatchReader, limit: int) -> None:
    """At most ``limit`` rows as a table; the title says when more were left out."""
    frame = pl.DataFrame(pl.from_arrow(db.head(reader, limit + 1)))
    if frame.height > limit:
        Console(width=200).print(_table(frame.head(limit), title=f"first {limit:,} rows"))
        typer.echo(f"more rows left out after the first {limit:,}: --limit N, or --out FILE")
    else:
        Console(width=200).print(_table(frame, title=f"{frame.height} rows"))


def register(app: typer.Typer) -> None:
    """Add ``rlx sql`` to the app."""
    app.command("sql")(sql_command)
