"""``rlx reconstruct``: rebuild the L2 book and the event stream from ``lake/`` or ``golden/``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from rlx_lib.errors import StageError
from workbench.console import reporting
from workbench.options import DataRootOption, at_least, day_span, lake_symbols, resolve_root

__all__ = ["reconstruct_command", "register"]

BOOK_EVERY = ("message", "100ms", "1s")
"""The library's ``BOOK_EVERY`` keys, repeated so ``--help`` needs no heavy import."""


def reconstruct_command(
    source: Annotated[str, typer.Option(help="Input: lake (Lake's deltas) or golden (live).")],
    symbols: Annotated[str, typer.Option(help="Lake-style symbols, comma separated: BTC-USDT,..")],
    start: Annotated[str, typer.Option(help="First UTC day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option(help="Day after the last one (exclusive), YYYY-MM-DD.")],
    depth: Annotated[int, at_least(1, "Levels per side in book/.")] = 20,
    book_every: Annotated[
        str, typer.Option(help=f"Book row per: {', '.join(BOOK_EVERY)} (last state per bucket).")
    ] = "message",
    workers: Annotated[int, at_least(1, "Symbol-days in parallel, one process each.")] = 1,
    cluster: Annotated[
        str | None, typer.Option(help="Dask scheduler address (tcp://host:8786).")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Continue from the last checkpoint.")] = False,
    force: Annotated[bool, typer.Option(help="Replace finished partitions.")] = False,
    checkpoint_messages: Annotated[
        int, at_least(1, "Checkpoint every this many messages.")
    ] = 20_000,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    data_root: DataRootOption = None,
) -> None:
    """Rebuild the exact L2 book after every message and one chronological event stream.

    Writes events/, book/ and issues/; from Lake also drift/ (against Lake's own book), from a
    live capture holding @trade also trades/ (its single fills).
    """
    from rlx_lib.parallel import check_address
    from rlx_lib.reconstruction import reconstruct
    from rlx_lib.results import row_dict

    if cluster is not None:
        check_address(cluster)  # a bad address fails first, in one line
    root, names = resolve_root(data_root), lake_symbols(symbols)
    first, stop = day_span(start, end)
    options = {
        "source": source, "symbols": names, "start": first, "end": stop, "depth": depth,
        "book_every": book_every, "workers": workers, "cluster": cluster, "resume": resume,
        "force": force, "checkpoint_messages": checkpoint_messages,
    }  # fmt: skip
    if json_out:
        result = reconstruct(root, **options)
        typer.echo(json.dumps([row_dict(row) for row in result.rows], indent=2, default=str))
    else:
        _announce_carry_in(root, source, names, first)
        with reporting("reconstructing symbol-days") as progress:
            result = reconstruct(root, **options, progress=progress)
    if result.failed:
        msg = f"{len(result.failed)} of {len(result.rows)} symbol-days failed: " + "; ".join(
            f"{row.symbol} {row.day}" for row in result.failed
        )
        raise StageError(msg)


def _announce_carry_in(root: Path, source: str, names: list[str], first: dt.date) -> None:
    """Say which symbols first carry the book over earlier days (replay only, no output)."""
    from rlx_lib.reconstruction import days_to_carry_in

    for name in names:
        if earlier := days_to_carry_in(root, source=source, symbol=name, first=first):  # type: ignore[arg-type]
            typer.echo(
                f"{name}: first carrying the book over {len(earlier)} earlier day(s) with "
                f"input, from {earlier[0]} (replay only, no output)"
            )


def register(app: typer.Typer) -> None:
    """Add ``rlx reconstruct`` to the app."""
    app.command("reconstruct")(reconstruct_command)
