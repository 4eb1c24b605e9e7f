"""``rlx synth``: a synthetic market session written as both views, or the vendor view of
existing golden samples (``--from-golden``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rlx_lib.errors import ConfigError
from workbench.console import progress
from workbench.options import DataRootOption, at_least, refuse_given, resolve_root, split_list

if TYPE_CHECKING:
    from rlx_lib.synth import SynthSummary

__all__ = ["demo_step", "register", "synth_command"]


def _start(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        msg = f"--start must be an ISO date or time such as 2024-08-08T00:00Z, received {value!r}"
        raise ConfigError(msg) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _echo(summary: SynthSummary) -> None:
    for line in summary.lines():
        typer.echo(line)
    for view, injected in sorted(summary.injected.items()):
        counts = ", ".join(
            f"{key} {len(value)}"
            for key, value in sorted(injected.items())
            if isinstance(value, list)
        )
        typer.echo(
            f"{view} faults injected: {counts} ({summary.root / _folder(view)}/_injected.json)"
        )


def _folder(view: str) -> str:
    return "golden" if view == "golden" else "lake"


_LIVE = ["disconnects", "reorder_rate", "clock_skew_ms"]
_VENDOR = ["drop_rate", "duplicate_rate", "off_grid_rate"]
_SESSION = ["symbols", "market", "regime", "minutes", "start", "views", "plant", "plant_every"]


def market_symbols(symbols: list[str], market: str) -> list[str]:
    """Lake symbols of ``market``: ``BTC-USDT`` becomes ``BTC-USDT-PERP`` for ``usdm``."""
    from rlx_lib.catalog import lake_symbol
    from rlx_lib.venues import market as find_market

    name = find_market(market).name
    return [lake_symbol(symbol, market=name) for symbol in symbols]


def synth_command(
    ctx: typer.Context,
    symbols: Annotated[str, typer.Option(help="Lake symbols, comma-separated.")] = "BTC-USDT",
    market: Annotated[
        str, typer.Option(help="spot, or usdm: USD-M futures shapes under BINANCE_FUTURES (-PERP).")
    ] = "spot",
    regime: Annotated[str, typer.Option(help="high, low, weekend, stress or illiquid.")] = "high",
    minutes: Annotated[float, typer.Option(help="Minutes of market to simulate.")] = 1.0,
    seed: Annotated[int, at_least(0, "Seed: the same seed gives the same bytes.")] = 0,
    start: Annotated[str, typer.Option(help="Session start, UTC (ISO).")] = "2024-08-08T00:00Z",
    views: Annotated[str, typer.Option(help="Views to write: golden,lake.")] = "golden,lake",
    drop_rate: Annotated[
        float, typer.Option(help="Vendor: share of depth messages dropped.")
    ] = 0.0,
    duplicate_rate: Annotated[
        float, typer.Option(help="Vendor: share of book_delta_v2 rows duplicated.")
    ] = 0.0,
    off_grid_rate: Annotated[
        float, typer.Option(help="Vendor: share of prices/sizes moved off the 1e-8 grid.")
    ] = 0.0,
    disconnects: Annotated[int, typer.Option(help="Live: disconnects (gaps + resync).")] = 0,
    reorder_rate: Annotated[
        float, typer.Option(help="Live: share of neighbouring records arriving swapped.")
    ] = 0.0,
    clock_skew_ms: Annotated[float, typer.Option(help="Live: capture clock skew, ms.")] = 0.0,
    plant: Annotated[
        str,
        typer.Option(help="Plant labelled patterns: spoofing,layering,momentum_ignition."),
    ] = "",
    plant_every: Annotated[
        float, typer.Option(help="Seconds between instances of each planted kind.")
    ] = 240.0,
    from_golden: Annotated[
        Path | None,
        typer.Option(help="Derive only the vendor view (lake/) from these golden samples."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace files that differ.")] = False,
    data_root: DataRootOption = None,
) -> None:
    """Simulate a market and write its live view (golden/) and vendor view (lake/).

    With --from-golden DIR, write the vendor view Crypto Lake would have made from those
    golden samples instead (real captures included). Faults are listed in _injected.json.
    """
    from rlx_lib.synth import LiveFaults, SynthConfig, VendorFaults, synthesize, vendor_from_golden

    root = resolve_root(data_root)
    if from_golden is not None:
        refuse_given(ctx, _SESSION + _LIVE, because="with --from-golden (only lake/ is written)")
        summary = vendor_from_golden(
            [from_golden],
            root,
            drop_rate=drop_rate,
            duplicate_rate=duplicate_rate,
            off_grid_rate=off_grid_rate,
            seed=seed,
            force=force,
        )
        _echo(summary)
        return
    written = split_list(views)
    if "golden" not in written:
        refuse_given(ctx, _LIVE, because="without the golden view (--views)")
    if "lake" not in written:
        refuse_given(ctx, _VENDOR, because="without the lake view (--views)")
    if not plant:
        refuse_given(ctx, ["plant_every"], because="without --plant")
    config = SynthConfig(
        symbols=tuple(market_symbols(split_list(symbols), market)),
        regime=regime,
        minutes=minutes,
        seed=seed,
        start=_start(start),
        live_faults=LiveFaults(
            disconnects=disconnects,
            reorder_rate=reorder_rate,
            clock_skew_ns=round(clock_skew_ms * 1_000_000),
        ),
        vendor_faults=VendorFaults(
            drop_rate=drop_rate, duplicate_rate=duplicate_rate, off_grid_rate=off_grid_rate
        ),
        plant=tuple(split_list(plant)) if plant else (),
        plant_every_s=plant_every,
    )
    with progress("simulated minutes", total=config.minutes * len(config.symbols)) as done:
        summary = synthesize(
            config,
            root,
            views=written,
            force=force,
            progress=lambda symbol, minutes: done(
                f"{symbol}: {minutes:g} minutes simulated", minutes
            ),
        )
    _echo(summary)
    if config.plant:
        typer.echo(f"planted {len(summary.planted)} patterns ({root / '_planted.json'})")


def demo_step(context: Any) -> None:
    """Synthesize the demo's market: golden into the data root, the vendor view beside it."""
    from rlx_lib.synth import SynthConfig, synthesize

    config = SynthConfig(
        symbols=tuple(context.symbols),
        regime=context.regime,
        minutes=context.minutes,
        seed=context.seed,
        start=dt.datetime.combine(context.day, dt.time(), tzinfo=dt.UTC),
    )
    vendor = Path(context.out) / "vendor"
    summary = synthesize(config, context.root, vendor_root=vendor, force=True)
    context.notes["synth"] = {
        "golden": str(Path(context.root) / "golden"),
        "vendor": str(vendor),
        "golden_files": [str(p) for p in summary.golden_files],
        "lake_files": [str(p) for p in summary.lake_files],
    }
    records = sum(summary.records.values())
    changes = sum(summary.changes.values())
    context.summary.append(
        f"synth: {len(config.symbols)} symbols, {config.minutes} min of {config.regime}: "
        f"{changes} level changes, {records} golden records, "
        f"{sum(summary.rows.values())} vendor rows in {vendor}"
    )


def register(app: typer.Typer) -> None:
    """Add ``rlx synth`` to the app."""
    app.command("synth")(synth_command)
