"""``rlx sql``: one read-only DuckDB query over every dataset under the data root.

Results stream: a table on the terminal shows at most ``--limit`` rows (10,000 by default);
CSV and JSON on standard output and files written with ``--out`` hold every row (or the first
``--limit``).
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated

import typer

from rlx_lib.errors import ConfigError
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

    Views: lake_trades, lake_book, lake_book_delta_v2, golden, events, trades, book, issues,
    fidelity, patterns and book_states (each only when its data exists). Nothing under the data
    root can be written: DuckDB reaches it through a read-only file system.
    """
    from workbench import db, sql_output

    root = resolve_root(data_root)
    if output_format is Format.PARQUET and out is None:
        msg = "--format parquet needs --out FILE"
        raise ConfigError(msg)
    kind = _file_format(output_format, out, root) if out is not None else output_format
    database = db.connect(root)
    try:
        reader = database.reader(statement)
        with db.query_errors():
            batches = sql_output.capped(reader, limit)
            if out is not None:
                rows = sql_output.write_file(batches, reader.schema, kind=kind.value, out=out)
                typer.echo(f"{rows} rows -> {out}")
            elif kind is Format.TABLE:
                sql_output.print_table(reader, limit or TABLE_LIMIT)
            else:
                sql_output.write_text(
                    batches, reader.schema, csv=kind is Format.CSV, out=sys.stdout
                )
    finally:
        database.close()


def register(app: typer.Typer) -> None:
    """Add ``rlx sql`` to the app."""
    app.command("sql")(sql_command)
