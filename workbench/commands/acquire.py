"""``rlx acquire``: Crypto Lake tables into a verified local ``lake/``, one unit per table-day.

Credentials come the way ``lakeapi`` takes them: ``AWS_ACCESS_KEY_ID`` and
``AWS_SECRET_ACCESS_KEY`` in the environment, or a profile (``AWS_PROFILE`` or ``--profile``).
``--sample`` reads Crypto Lake's free sample bucket anonymously; ``--endpoint-url`` reads any
S3-compatible endpoint holding the same key layout.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated

import typer

from workbench.console import reporting
from workbench.options import (
    DataRootOption,
    at_least,
    day_span,
    items,
    lake_symbols,
    resolve_root,
    url,
)

if TYPE_CHECKING:
    pass

__all__ = ["acquire_command", "register"]

log = logging.getLogger(__name__)


def acquire_command(
    symbols: Annotated[str, typer.Option(help="Lake symbols, comma-separated: BTC-USDT,ETH-USDT.")],
    start: Annotated[str, typer.Option(help="First UTC day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option(help="Day after the last, YYYY-MM-DD (exclusive).")],
    tables: Annotated[
        str, typer.Option(help="Tables, comma-separated.")
    ] = "trades,book,book_delta_v2",
    exchange: Annotated[
        str | None,
        typer.Option(
            help="Crypto Lake exchange: BINANCE, or BINANCE_FUTURES for -PERP symbols "
            "(default: the symbols')."
        ),
    ] = None,
    endpoint_url: Annotated[
        str | None, typer.Option(help="An S3-compatible endpoint instead of AWS.")
    ] = None,
    sample: Annotated[
        bool, typer.Option("--sample", help="Crypto Lake's free sample bucket, anonymously.")
    ] = False,
    bucket: Annotated[
        str | None, typer.Option(help="bucket/prefix to read (default: Crypto Lake's).")
    ] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile with your keys.")] = None,
    retries: Annotated[int, at_least(0, "Retries of a transient failure.")] = 3,
    force: Annotated[
        bool, typer.Option("--force", help="Download finished units again and replace them.")
    ] = False,
    data_root: DataRootOption = None,
) -> None:
    """Download Crypto Lake tables per symbol and day into lake/, verified and resumable."""
    from rlx_lib.acquisition import acquire

    root = resolve_root(data_root)
    first, stop = day_span(start, end)
    wanted, names = items(tables, option="--tables"), lake_symbols(symbols)
    if endpoint_url is not None:
        url(endpoint_url, option="--endpoint-url", schemes=("http", "https"))
    with reporting("acquiring", lines=False) as progress:
        result = acquire(
            root,
            symbols=names,
            tables=wanted,
            start=first,
            end=stop,
            exchange=exchange,
            endpoint_url=endpoint_url,
            bucket=bucket,
            sample=sample,
            profile=profile,
            retries=retries,
            force=force,
            progress=progress,
        )
    for row in result.rows:
        detail = f"{row.rows} rows, {row.issue_rows} issue rows" if row.rows else ""
        if row.error is not None:
            detail = type(row.error).__name__
        typer.echo(f"{row.status:8} {row.unit}  {detail}".rstrip())
    result.raise_for_failures()


def register(app: typer.Typer) -> None:
    """Add ``rlx acquire`` to the app."""
    app.command("acquire")(acquire_command)
