"""``rlx acquire``: Crypto Lake tables into a verified local ``lake/``, one unit per table-day.

Credentials come the way ``lakeapi`` takes them: ``AWS_ACCESS_KEY_ID`` and
``AWS_SECRET_ACCESS_KEY`` in the environment, or a profile (``AWS_PROFILE`` or ``--profile``).
``--sample`` reads Crypto Lake's free sample bucket anonymously; ``--endpoint-url`` reads any
S3-compatible endpoint holding the same key layout.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from workbench.console import track
from workbench.options import (
    DataRootOption,
    at_least,
    day_span,
    items,
    lake_symbols,
    resolve_root,
    url,
)

__all__ = ["acquire_command", "demo_step", "register"]

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
    from rlx_lib.acquisition import LakeSource, acquire_unit, plan_units, raise_for_failures

    root = resolve_root(data_root)
    first, stop = day_span(start, end)
    units = plan_units(
        tables=items(tables, option="--tables"),
        symbols=lake_symbols(symbols),
        start=first,
        end=stop,
        exchange=exchange,
    )
    if endpoint_url is not None:
        url(endpoint_url, option="--endpoint-url", schemes=("http", "https"))
    source = LakeSource(bucket=bucket, endpoint_url=endpoint_url, sample=sample, profile=profile)
    results = [
        acquire_unit(root, unit, source=source, retries=retries, force=force)
        for unit in track(units, description="acquiring", total=len(units))
    ]
    for result in results:
        detail = f"{result.rows} rows, {result.issues} issue rows" if result.rows else ""
        if result.error is not None:
            detail = type(result.error).__name__
        typer.echo(f"{result.status:8} {result.unit}  {detail}".rstrip())
    raise_for_failures(results)


def demo_step(context: Any) -> None:
    """Serve the synthetic vendor view from a local S3 server and acquire all of it."""
    from rlx_lib.acquisition import (
        LakeSource,
        LocalLake,
        acquire_unit,
        plan_units,
        raise_for_failures,
    )

    vendor = _vendor_root(context)
    with LocalLake() as lake:
        keys = lake.upload_view(vendor)
        source = LakeSource(
            endpoint_url=lake.endpoint_url, bucket=lake.bucket_path, session=lake.session()
        )
        units = plan_units(
            tables=("trades", "book", "book_delta_v2"),
            symbols=context.symbols,
            start=context.day,
            end=context.day.fromordinal(context.day.toordinal() + 1),
        )
        results = [acquire_unit(context.root, unit, source=source) for unit in units]
    raise_for_failures(results)
    rows = sum(r.rows for r in results)
    issues = sum(r.issues for r in results)
    context.notes["acquire"] = {"units": len(results), "rows": rows, "objects": len(keys)}
    context.summary.append(
        f"acquire: {len(results)} units ({rows:,} rows, {issues} issue rows) from a local "
        f"S3 server via lakeapi into lake/"
    )


def _vendor_root(context: Any) -> Path:
    """Where the synth step left its vendor view (``context.out / 'vendor'`` by default)."""
    note = context.notes.get("synth")
    if isinstance(note, dict) and note.get("vendor"):
        return Path(note["vendor"])
    if isinstance(note, str | Path):
        return Path(note)
    return Path(context.out) / "vendor"


def register(app: typer.Typer) -> None:
    """Add ``rlx acquire`` to the app."""
    app.command("acquire")(acquire_command)
