"""``rlx synth``: a synthetic market session written as both views, or the vendor view of
existing golden samples (``--from-golden``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rlx_lib.errors import ConfigError
from workbench.console import reporting
from workbench.options import DataRootOption, at_least, refuse_given, resolve_root, split_list

if TYPE_CHECKING:
    from rlx_lib.synth import SynthResult

__all__ = ["register", "synth_command"]

Symbols = Annotated[str, typer.Option(help="Lake symbols, comma-separated.")]
Market = Annotated[
    str, typer.Option(help="spot, or usdm: USD-M futures shapes under BINANCE_FUTURES (-PERP).")
]
Regime = Annotated[str, typer.Option(help="high, low, weekend, stress or illiquid.")]
Minutes = Annotated[float, typer.Option(help="Minutes of market to simulate.")]
Seed = Annotated[int, at_least(0, "Seed: the same seed gives the same bytes.")]
Start = Annotated[str, typer.Option(help="Session start, UTC (ISO).")]
Views = Annotated[str, typer.Option(help="Views to write: golden,lake.")]
DropRate = Annotated[float, typer.Option(help="Vendor: share of depth messages dropped.")]
DuplicateRate = Annotated[
    float, typer.Option(help="Vendor: share of book_delta_v2 rows duplicated.")
]
OffGridRate = Annotated[
    float, typer.Option(help="Vendor: share of prices/sizes moved off the 1e-8 grid.")
]
Disconnects = Annotated[int, typer.Option(help="Live: disconnects (gaps + resync).")]
ReorderRate = Annotated[
    float, typer.Option(help="Live: share of neighbouring records arriving swapped.")
]
ClockSkew = Annotated[float, typer.Option(help="Live: capture clock skew, ms.")]
Plant = Annotated[
    str, typer.Option(help="Plant labelled patterns: spoofing,layering,momentum_ignition.")
]
PlantEvery = Annotated[float, typer.Option(help="Seconds between instances of each planted kind.")]
FromGolden = Annotated[
    Path | None, typer.Option(help="Derive only the vendor view (lake/) from these golden samples.")
]
Force = Annotated[bool, typer.Option("--force", help="Replace files that differ.")]

_LIVE = ["disconnects", "reorder_rate", "clock_skew_ms"]
_VENDOR = ["drop_rate", "duplicate_rate", "off_grid_rate"]
_SESSION = ["symbols", "market", "regime", "minutes", "start", "views", "plant", "plant_every"]


def synth_command(
    ctx: typer.Context,
    symbols: Symbols = "BTC-USDT",
    market: Market = "spot",
    regime: Regime = "high",
    minutes: Minutes = 1.0,
    seed: Seed = 0,
    start: Start = "2024-08-08T00:00Z",
    views: Views = "golden,lake",
    drop_rate: DropRate = 0.0,
    duplicate_rate: DuplicateRate = 0.0,
    off_grid_rate: OffGridRate = 0.0,
    disconnects: Disconnects = 0,
    reorder_rate: ReorderRate = 0.0,
    clock_skew_ms: ClockSkew = 0.0,
    plant: Plant = "",
    plant_every: PlantEvery = 240.0,
    from_golden: FromGolden = None,
    force: Force = False,
    data_root: DataRootOption = None,
) -> None:
    """Simulate a market and write its live view (golden/) and vendor view (lake/).

    With --from-golden DIR, write the vendor view Crypto Lake would have made from those
    golden samples instead (real captures included). Faults are listed in _injected.json.
    """
    from rlx_lib.synth import LiveFaults, VendorFaults

    root = resolve_root(data_root)
    vendor_faults = VendorFaults(
        drop_rate=drop_rate, duplicate_rate=duplicate_rate, off_grid_rate=off_grid_rate
    )
    if from_golden is not None:
        refuse_given(ctx, _SESSION + _LIVE, because="with --from-golden (only lake/ is written)")
        _from_golden(root, from_golden, vendor_faults=vendor_faults, seed=seed, force=force)
        return
    written = _check_modes(ctx, views=views, plant=plant)
    skew = round(clock_skew_ms * 1_000_000)
    live = LiveFaults(disconnects=disconnects, reorder_rate=reorder_rate, clock_skew_ns=skew)
    result = _simulate(
        root,
        symbols=split_list(symbols),
        market=market,
        regime=regime,
        minutes=minutes,
        seed=seed,
        start=_start(start),
        live_faults=live,
        vendor_faults=vendor_faults,
        plant=split_list(plant),
        plant_every_s=plant_every,
        views=written,
        force=force,
    )
    _echo(result, planted=bool(split_list(plant)))


def _from_golden(root: Path, golden: Path, **options: Any) -> None:
    """The vendor view of the golden samples under ``golden``, written and summarized."""
    from rlx_lib.synth import vendor_from_golden

    _echo(vendor_from_golden(root, golden=[golden], **options), planted=False)


def _simulate(root: Path, **options: Any) -> SynthResult:
    """:func:`rlx_lib.synth.synthesize` with a bar counting the simulated minutes."""
    from rlx_lib.synth import synthesize

    with reporting("simulated minutes") as progress:
        return synthesize(root, progress=progress, **options)


def _check_modes(ctx: typer.Context, *, views: str, plant: str) -> list[str]:
    """The views to write; options that have no effect without their view are refused."""
    written = split_list(views)
    if "golden" not in written:
        refuse_given(ctx, _LIVE, because="without the golden view (--views)")
    if "lake" not in written:
        refuse_given(ctx, _VENDOR, because="without the lake view (--views)")
    if not plant:
        refuse_given(ctx, ["plant_every"], because="without --plant")
    return written


def _start(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        msg = f"--start must be an ISO date or time such as 2024-08-08T00:00Z, received {value!r}"
        raise ConfigError(msg) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _echo(result: SynthResult, *, planted: bool) -> None:
    for line in result.lines():
        typer.echo(line)
    for view, injected in sorted(result.injected.items()):
        counts = ", ".join(
            f"{key} {len(value)}"
            for key, value in sorted(injected.items())
            if isinstance(value, list)
        )
        folder = "golden" if view == "golden" else "lake"
        typer.echo(f"{view} faults injected: {counts} ({result.root / folder}/_injected.json)")
    if planted:
        path = result.root / "_planted.json"
        typer.echo(f"planted {len(result.planted)} patterns ({path})")


def register(app: typer.Typer) -> None:
    """Add ``rlx synth`` to the app."""
    app.command("synth")(synth_command)
