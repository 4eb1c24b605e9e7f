"""``rlx sql`` output: a query's Arrow batches streamed to a table, CSV, JSON or Parquet.

Nothing is read whole: a table reads one row past its cap (to say more were left out), text
and Parquet are written batch by batch, so a result larger than memory still goes to a file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import typer
from rich.console import Console
from rich.table import Table

from rlx_lib.catalog import atomic_path
from rlx_lib.errors import ConfigError
from workbench.db import head

__all__ = ["capped", "print_table", "write_file", "write_text"]


def capped(reader: pa.RecordBatchReader, limit: int | None) -> Iterator[pa.RecordBatch]:
    """The reader's batches, stopping after ``limit`` rows."""
    count = 0
    for batch in reader:
        if limit is not None:
            batch = batch.slice(0, limit - count)
        count += batch.num_rows
        yield batch
        if limit is not None and count >= limit:
            return


def _table(frame: pl.DataFrame, *, title: str) -> Table:
    table = Table(title=title)
    for name in frame.columns:
        table.add_column(name, justify="right" if frame[name].dtype.is_numeric() else "left")
    for row in frame.iter_rows():
        table.add_row(*("" if value is None else str(value) for value in row))
    return table


def print_table(reader: pa.RecordBatchReader, limit: int) -> None:
    """At most ``limit`` rows as a table, then a line when more were left out."""
    frame = pl.DataFrame(pl.from_arrow(head(reader, limit + 1)))
    if frame.height > limit:
        Console(width=200).print(_table(frame.head(limit), title=f"first {limit:,} rows"))
        typer.echo(f"more rows left out after the first {limit:,}: --limit N, or --out FILE")
    else:
        Console(width=200).print(_table(frame, title=f"{frame.height} rows"))


def write_text(
    batches: Iterator[pa.RecordBatch], schema: pa.Schema, *, csv: bool, out: TextIO
) -> int:
    """Write CSV (one header) or one JSON array of rows, batch by batch; the row count."""
    nested = [field.name for field in schema if pa.types.is_nested(field.type)]
    if csv and nested:
        msg = (
            f"CSV cannot hold the nested columns {', '.join(nested)}: "
            "use --format json or parquet, or to_json() them"
        )
        raise ConfigError(msg)
    rows = 0
    out.write("" if csv else "[")
    for batch in batches:
        if not batch.num_rows:
            continue
        frame = pl.DataFrame(pl.from_arrow(batch))
        if csv:
            out.write(frame.write_csv(include_header=rows == 0))
        else:
            out.write(("," if rows else "") + frame.write_json()[1:-1])
        rows += frame.height
    if csv and rows == 0:
        out.write(",".join(schema.names) + "\n")
    out.write("" if csv else "]\n")
    return rows


def write_file(
    batches: Iterator[pa.RecordBatch], schema: pa.Schema, *, kind: str, out: Path
) -> int:
    """Write the batches to ``out`` (``csv``, ``json`` or ``parquet``) atomically; the rows."""
    with atomic_path(out) as temp:
        if kind != "parquet":
            with temp.open("w", encoding="utf-8", newline="") as handle:
                return write_text(batches, schema, csv=kind == "csv", out=handle)
        rows = 0
        with pq.ParquetWriter(temp, schema, compression="zstd") as writer:
            for batch in batches:
                writer.write_batch(batch)
                rows += batch.num_rows
        return rows
