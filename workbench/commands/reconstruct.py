"""``rlx reconstruct``: rebuild the L2 book and the event stream from ``lake/`` or ``golden/``."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from rlx_lib.errors import StageError
from workbench.console import progress
from workbench.options import DataRootOption, at_least, day_span, lake_symbols, resolve_root

__all__ = ["reconstruct_command", "register", "summary_line"]

BOOK_EVERY = ("message", "100ms", "1s")
"""The library's ``BOOK_EVERY`` keys, repeated so ``--help`` needs no heavy import."""


def summary_line(row: dict[str, Any]) -> str:
    """One line per symbol-day: status, counts, seeding, drift, or the reason it failed."""
    head = f"{row['symbol']} {row['day']}: {row['status']}"
    if row["status"] == "failed":
        return f"{head}: {row['error']}"
    if row["status"] == "skipped":
        return f"{head} (already reconstructed from the same inputs; --force to redo)"
    rows = row["rows"]
    text = (
        f"{head}, {row['messages']:,} messages, {rows['events']:,} events, {rows['book']:,} book "
        f"rows, {rows['issues']} issue rows, seeded from {row['seeding']['seed']}"
    )
    if row.get("carried_in"):
        text += f" (the book carried over from {row['carried_in'][0]})"
    drift = row.get("drift")
    if drift and drift.get("compared"):
        text += f", drift vs vendor book: {drift['exact']}/{drift['compared']} exact"
    return f"{text} ({row['seconds']:.1f} s)"


def reconstruct_command(
    source: Annotated[str, typer.Option(help="Input: lake (vendor deltas) or golden (live).")],
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
    """Rebuild the exact L2 book after every message and one chronological event stream."""
    from rlx_lib import catalog
    from rlx_lib.parallel import check_address
    from rlx_lib.reconstruction.pipeline import ReconstructConfig
    from rlx_lib.reconstruction.runner import days_to_carry_in, reconstruct

    if cluster is not None:
        check_address(cluster)  # a bad address fails first, in one line
    config = ReconstructConfig(
        root=resolve_root(data_root),
        source=source,  # type: ignore[arg-type]
        depth=depth,
        book_every=book_every,
        checkpoint_messages=checkpoint_messages,
        resume=resume,
        force=force,
    )
    names = lake_symbols(symbols)
    days = catalog.day_range(*day_span(start, end))
    if not json_out:
        for name in names:
            if earlier := days_to_carry_in(config, name, days[0]):
                typer.echo(
                    f"{name}: first carrying the book over {len(earlier)} earlier day(s) with "
                    f"input, from {earlier[0]} (replay only, no output)"
                )
    if json_out:
        rows = reconstruct(config, names, days, workers=workers, cluster=cluster)
    else:
        with progress("reconstructing symbol-days", total=len(names) * len(days)) as done:
            rows = reconstruct(
                config, names, days, workers=workers, cluster=cluster,
                on_result=lambda row: done(summary_line(row)),
            )  # fmt: skip
    if json_out:
        typer.echo(json.dumps(rows, indent=2, default=str))
    failed = [row for row in rows if row["status"] == "failed"]
    if failed:
        msg = f"{len(failed)} of {len(rows)} symbol-days failed: " + "; ".join(
            f"{row['symbol']} {row['day']}" for row in failed
        )
        raise StageError(msg)


def register(app: typer.Typer) -> None:
    """Add ``rlx reconstruct`` to the app."""
    app.command("reconstruct")(reconstruct_command)
