"""``rlx sql``: one read-only DuckDB query over every dataset under the data root."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rlx_lib.errors import ConfigError
from workbench.options import DataRootOption, resolve_root

if TYPE_CHECKING:
    import polars as pl
    from rich.table import Table

__all__ = ["register", "sql_command"]


class Format(enum.StrEnum):
    """Output formats of ``rlx sql``."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    PARQUET = "parquet"


def _table(frame: pl.DataFrame, *, title: str) -> Table:
    from rich.table import Table

    table = Table(title=title)
    for name in frame.columns:
        table.add_column(name, justify="right" if frame[name].dtype.is_numeric() else "left")
    for row in frame.iter_rows():
        table.add_row(*("" if value is None else str(value) for value in row))
    return table


def _write(frame: pl.DataFrame, *, kind: Format, out: Path) -> None:
    from rlx_lib.catalog import atomic_path

    with atomic_path(out) as temp:
        if kind is Format.CSV:
            frame.write_csv(temp)
        elif kind is Format.JSON:
            frame.write_json(temp)
        else:
            frame.write_parquet(temp, compression="zstd")


def sql_command(
    statement: Annotated[str, typer.Argument(help="One read-only query, e.g. SELECT ...")],
    output_format: Annotated[
        Format, typer.Option("--format", help="table (default), csv, json or parquet.")
    ] = Format.TABLE,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the result to this file instead.")
    ] = None,
    data_root: DataRootOption = None,
) -> None:
    """Query every dataset with DuckDB, read-only: one view per dataset name.

    Views: lake_trades, lake_book, lake_book_delta_v2, golden, events, book, issues, fidelity
    and book_states (each only when its data exists). Statements that write are refused.
    """
    from rich.console import Console

    from workbench import db

    database = db.connect(resolve_root(data_root))
    frame = database.sql(statement)
    database.close()
    if output_format is Format.PARQUET and out is None:
        msg = "--format parquet needs --out FILE"
        raise ConfigError(msg)
    if out is not None:
        kind = output_format
        if kind is Format.TABLE:
            suffix = out.suffix.lstrip(".").lower()
            if suffix not in ("csv", "json", "parquet"):
                msg = f"cannot tell the format of {out}: pass --format csv|json|parquet"
                raise ConfigError(msg)
            kind = Format(suffix)
        _write(frame, kind=kind, out=out)
        typer.echo(f"{frame.height} rows -> {out}")
    elif output_format is Format.CSV:
        typer.echo(frame.write_csv(), nl=False)
    elif output_format is Format.JSON:
        typer.echo(frame.write_json())
    else:
        Console(width=200).print(_table(frame, title=f"{frame.height} rows"))


def register(app: typer.Typer) -> None:
    """Add ``rlx sql`` to the app."""
    app.command("sql")(sql_command)
