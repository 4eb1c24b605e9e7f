"""``rlx validate``: data-quality checks over golden samples or vendor tables, with a report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rlx_lib.errors import ConfigError
from workbench import options
from workbench.console import reporting
from workbench.options import DataRootOption, at_least, day_span, resolve_root

if TYPE_CHECKING:
    pass

__all__ = ["register"]


def validate_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Golden files or folders (default: all golden data)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Report folder (default: <data-root>/validation).")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 on any sequence gap or error finding.")
    ] = False,
    lake: Annotated[
        bool, typer.Option("--lake", help="Validate vendor tables under lake/.")
    ] = False,
    symbols: Annotated[str, typer.Option(help="Vendor symbols, e.g. BTC-USDT,ETH-USDT.")] = "",
    start: Annotated[str | None, typer.Option(help="First UTC day (vendor checks).")] = None,
    end: Annotated[str | None, typer.Option(help="Day after the last (exclusive).")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace issue partitions that would change.")
    ] = False,
    workers: Annotated[int, at_least(1, "Symbols in parallel, one process each.")] = 1,
    cluster: Annotated[
        str | None, typer.Option(help="Dask scheduler address (tcp://host:8786).")
    ] = None,
    data_root: DataRootOption = None,
) -> None:
    """Check golden samples (or, with --lake, vendor tables) and write validation.json/.md."""
    from rlx_lib.parallel import check_address
    from rlx_lib.validation import validate

    if cluster is not None:
        check_address(cluster)  # a bad address fails first, in one line
    root = resolve_root(data_root)
    with reporting("validated", err=True) as progress:
        result = validate(
            root,
            paths=paths or None,
            symbols=_lake_symbols(symbols, start, end) if lake else None,
            lake=lake,
            start=start,
            end=end,
            out=out,
            force=force,
            workers=workers,
            cluster=cluster,
            progress=progress,
        )
    for row in result.rows:
        typer.echo(row.detail)
    typer.echo(str(result.path))
    if strict and (result.gaps or result.errors):
        found = f"{result.gaps} sequence gaps and {result.errors} error findings"
        typer.echo(f"rlx: {found} (--strict)", err=True)
        raise typer.Exit(1)


def _lake_symbols(symbols: str, start: str | None, end: str | None) -> list[str]:
    """The symbols of ``--lake``, with ``--start``/``--end`` checked in the options' words."""
    if not symbols.strip():
        msg = "--lake needs --symbols"
        raise ConfigError(msg)
    if start is None or end is None:
        msg = "--lake needs --start and --end (UTC days, end exclusive)"
        raise ConfigError(msg)
    day_span(start, end)
    return options.lake_symbols(symbols)


def register(app: typer.Typer) -> None:
    """Add ``rlx validate`` to the app."""
    app.command("validate")(validate_command)
