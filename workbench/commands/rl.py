"""``rlx export`` and ``rlx rl``: hftbacktest feed files and the RL readiness tools."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rlx_lib.errors import ConfigError
from workbench.options import (
    DataRootOption,
    above,
    day_span,
    lake_symbols,
    resolve_root,
    split_list,
)

__all__ = ["export_command", "register"]


def export_command(
    symbols: Annotated[str, typer.Option(help="Lake-style symbols, comma separated: BTC-USDT,..")],
    start: Annotated[str, typer.Option(help="First UTC day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option(help="Day after the last one (exclusive), YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option(help="Folder for <SYMBOL>_<source>_<day>.npz files.")],
    fmt: Annotated[
        str, typer.Option("--format", help="Output format: hftbacktest.")
    ] = "hftbacktest",
    source: Annotated[str, typer.Option(help="Which reconstruction: lake or golden.")] = "golden",
    tick_size: Annotated[
        float | None, above(0, "Tick size to check the prices against (default: inferred).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace finished files.")] = False,
    data_root: DataRootOption = None,
) -> None:
    """Write one hftbacktest feed file per symbol-day from events/ (loads with BacktestAsset)."""
    from rlx_lib.rl import export

    if fmt != "hftbacktest":
        msg = f"unknown export format {fmt!r}; rlx exports hftbacktest"
        raise ConfigError(msg)
    first, stop = day_span(start, end)
    export(
        resolve_root(data_root),
        symbols=lake_symbols(symbols),
        start=first,
        end=stop,
        source=source,
        out=out,
        tick_size=tick_size,
        force=force,
        progress=lambda step: typer.echo(step.text),
    )


def sweep_command(
    symbols: Annotated[str, typer.Option(help="Lake-style symbols, comma separated: BTC-USDT,..")],
    start: Annotated[str, typer.Option(help="First UTC day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option(help="Day after the last one (exclusive), YYYY-MM-DD.")],
    drop_rates: Annotated[
        str, typer.Option(help="Vendor drop rates to try, comma separated.")
    ] = "0,0.001,0.01,0.05",
    seeds: Annotated[str, typer.Option(help="Seeds per drop rate, comma separated.")] = "0,1,2",
    data_root: DataRootOption = None,
) -> None:
    """Sim-to-real gap and state coverage against the vendor's drop rate (from golden/)."""
    from workbench.rl_sweep import sweep

    try:
        rates = [float(x) for x in split_list(drop_rates)]
        seed_list = [int(x) for x in split_list(seeds)]
    except ValueError as error:
        msg = f"--drop-rates takes numbers and --seeds integers: {error}"
        raise ConfigError(msg) from None
    first, stop = day_span(start, end)
    result = sweep(
        resolve_root(data_root),
        symbols=lake_symbols(symbols),
        start=first,
        end=stop,
        drop_rates=rates,
        seeds=seed_list,
        progress=lambda row: typer.echo(
            f"{row['symbol']} drop rate {row['drop_rate']:g} seed {row['seed']}: "
            f"sim_to_real_gap {row['gap']:.4f}, state_coverage {row['coverage']:.4f}"
        ),
    )
    typer.echo("mean over seeds:")
    for row in result.curve().iter_rows(named=True):
        typer.echo(
            f"  drop rate {row['drop_rate']:g}: gap {row['gap']:.4f}, "
            f"coverage {row['coverage']:.4f} ({row['seeds']} seeds)"
        )


def policies_command() -> None:
    """List the reference policies and installed policy plugins."""
    from rlx_lib.rl import available_policies

    for name in available_policies():
        typer.echo(name)


def register(app: typer.Typer) -> None:
    """Add ``rlx export`` and the ``rlx rl`` group to the app."""
    app.command("export")(export_command)
    group = typer.Typer(
        help="RL readiness: drop-rate sweep, policies.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    group.command("sweep")(sweep_command)
    group.command("policies")(policies_command)
    app.add_typer(group, name="rl")
