"""``rlx capture``, ``rlx capture-server`` and ``rlx import``: golden samples from live Binance
streams, from a local Binance-protocol server, or from other recorders' files."""

from __future__ import annotations

import asyncio
import heapq
import logging
import re
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from rlx_lib.errors import ConfigError
from workbench.console import is_terminal
from workbench.options import DataRootOption, resolve_root, split_list

__all__ = ["demo_step", "parse_duration", "register"]

# The library's defaults, repeated so that ``--help`` needs no heavy import (a test compares).
STREAM_KINDS = ("depth@100ms", "trade", "aggTrade", "bookTicker")
WS_URL = "wss://stream.binance.com:9443"
REST_URL = "https://api.binance.com"
FUTURES_WS_URL = "wss://fstream.binance.com"
FORMATS = ("hftbacktest", "cryptofeed")

log = logging.getLogger(__name__)

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)?")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text: str | None) -> float | None:
    """``90s``, ``10m``, ``1.5h`` or plain seconds, in seconds (None stays None)."""
    if text is None:
        return None
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        msg = f"duration must look like 30s, 10m or 1h, received {text!r}"
        raise ConfigError(msg)
    return float(match.group(1)) * _UNITS[match.group(2)]


def _binance_symbols(text: str) -> tuple[str, ...]:
    from rlx_lib.catalog import binance_symbol

    symbols = []
    for item in split_list(text):
        symbol = binance_symbol(item.upper()) if "-" in item else item.lower()
        if not symbol.isalnum():
            msg = f"symbol must look like btcusdt or BTC-USDT, received {item!r}"
            raise ConfigError(msg)
        symbols.append(symbol)
    return tuple(symbols)


def _status(line: str) -> None:
    sys.stderr.write("\r\x1b[2K" + line)
    sys.stderr.flush()


def _echo_summary(summary: dict[str, Any]) -> None:
    typer.echo(
        f"captured {summary['messages']} messages ({summary['messages_per_second']}/s) "
        f"in {summary['seconds']} s: depth gaps {summary['depth_gaps']}, trade gaps "
        f"{summary['trade_gaps']}, resyncs {summary['resyncs']}, snapshots "
        f"{summary['snapshots']}, reconnects {summary['reconnects']}, "
        f"{summary['bytes'] / 1e6:.1f} MB"
    )
    if summary.get("write_failures"):
        typer.echo(f"  write failures (retried): {summary['write_failures']}")
    for stream, count in summary["streams"].items():
        typer.echo(f"  {stream}: {count}")
    for path in summary["files"]:
        typer.echo(f"  file: {path}")


async def _run(session: Any) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, session.stop, f"signal {signal.Signals(number).name}")
    return await session.run()


def capture_command(
    symbols: Annotated[str, typer.Option(help="Binance symbols: btcusdt,ethusdt.")] = "btcusdt",
    market: Annotated[
        str, typer.Option(help="spot, or usdm (USD-M futures: fstream, /fapi/v1/depth, pu rule).")
    ] = "spot",
    streams: Annotated[
        str | None,
        typer.Option(
            help=f"Stream kinds per symbol (spot default: {','.join(STREAM_KINDS)}; usdm: "
            "depth@0ms,trade,aggTrade,bookTicker)."
        ),
    ] = None,
    duration: Annotated[
        str | None, typer.Option(help="How long: 30s, 10m, 2h (default: until Ctrl-C).")
    ] = None,
    ws_url: Annotated[
        str | None,
        typer.Option(help=f"WebSocket base URL (spot default {WS_URL}; usdm {FUTURES_WS_URL})."),
    ] = None,
    rest_url: Annotated[
        str | None,
        typer.Option(help=f"REST base URL for snapshots (spot default {REST_URL}; usdm fapi)."),
    ] = None,
    snapshot_limit: Annotated[int, typer.Option(help="Levels per REST snapshot.")] = 1000,
    flush_interval: Annotated[float, typer.Option(help="Seconds between flushes.")] = 1.0,
    recover: Annotated[
        bool,
        typer.Option(
            "--recover", help="Only close the .part files a killed capture left open, then exit."
        ),
    ] = False,
    data_root: DataRootOption = None,
) -> None:
    """Capture live Binance spot (or USD-M futures) streams into golden files (one per symbol
    and hour)."""
    if recover:
        from rlx_lib.capture.recover import recover_parts

        recovered = recover_parts(resolve_root(data_root))
        for part, closed in recovered:
            typer.echo(f"recovered {part} -> {closed}")
        typer.echo(f"{len(recovered)} .part file(s) recovered")
        return
    from rlx_lib.capture.session import CaptureConfig, CaptureSession

    config = CaptureConfig(
        symbols=_binance_symbols(symbols),
        market=market,
        streams=tuple(split_list(streams or "")),
        duration=parse_duration(duration),
        ws_url=ws_url or "",
        rest_url=rest_url or "",
        snapshot_limit=snapshot_limit,
        flush_interval=flush_interval,
    )
    if not logging.getLogger().handlers:  # the figures go to the log; on a terminal, warnings
        logging.basicConfig(
            level=logging.WARNING if is_terminal() else logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    session = CaptureSession(
        config, resolve_root(data_root), status=_status if is_terminal() else None
    )
    summary = asyncio.run(_run(session))
    if is_terminal():
        sys.stderr.write("\n")
    _echo_summary(summary)
    if not summary["ok"]:
        typer.echo(
            f"rlx: capture stopped: {summary['stop_reason']}; {summary['unwritten_records']} "
            "records could not be written (what was written is in the golden files)",
            err=True,
        )
        raise typer.Exit(1)


def _golden_feed(paths: list[Path]) -> Any:
    """Records of golden files merged in capture order."""
    from rlx_lib.golden import golden_files, iter_records

    return heapq.merge(
        *(iter_records(path) for path in golden_files(paths)), key=lambda r: r.capture_ns
    )


def server_command(
    from_golden: Annotated[
        list[Path] | None, typer.Option(help="Golden files or folders to replay.")
    ] = None,
    synthetic: Annotated[int, typer.Option(help="Messages of a synthetic feed instead.")] = 0,
    symbols: Annotated[str, typer.Option(help="Symbols of the synthetic feed.")] = "btcusdt",
    market: Annotated[str, typer.Option(help="Synthetic feed shapes: spot or usdm.")] = "spot",
    rate: Annotated[float, typer.Option(help="Messages per second (0: flat out).")] = 1000.0,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port).")] = 9443,
) -> None:
    """Serve a local Binance-protocol stream and REST snapshots from golden files."""
    from rlx_lib.capture.feed import synthetic_feed
    from rlx_lib.capture.server import BinanceServer

    if from_golden:
        records: Any = _golden_feed(from_golden)
    elif synthetic:
        records = synthetic_feed(list(_binance_symbols(symbols)), messages=synthetic, market=market)
    else:
        msg = "give --from-golden DIR or --synthetic N"
        raise ConfigError(msg)
    server = BinanceServer(records, rate=rate or None, port=port)

    async def serve_forever() -> None:
        await server.start()
        typer.echo(f"serving --ws-url {server.ws_url} --rest-url {server.rest_url} (Ctrl-C stops)")
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()

    try:
        asyncio.run(serve_forever())
    except KeyboardInterrupt:
        typer.echo("server stopped")


def import_command(
    files: Annotated[list[Path], typer.Argument(help="Recorder files of one capture.")],
    fmt: Annotated[str, typer.Option("--format", help="hftbacktest or cryptofeed.")],
    symbol: Annotated[
        str | None, typer.Option(help="Binance symbol (default: streams or file name).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace golden files that differ.")] = False,
    data_root: DataRootOption = None,
) -> None:
    """Convert other recorders' captures into golden samples."""
    from rlx_lib.capture.importers import import_files

    if fmt not in FORMATS:
        msg = f"--format must be one of {', '.join(FORMATS)}, received {fmt!r}"
        raise ConfigError(msg)
    chosen = _binance_symbols(symbol)[0] if symbol else None
    summary = import_files(
        files,
        resolve_root(data_root),
        fmt=fmt,
        symbol=chosen,
        force=force,  # type: ignore[arg-type]
    )
    typer.echo(
        f"imported {sum(summary.records.values())} records of {', '.join(summary.symbols)}: "
        f"{len(summary.written)} files written, {len(summary.unchanged)} unchanged"
    )
    for report in summary.reports:
        state = "clean" if report.clean else f"{report.bad_lines[:3]} {report.truncated or ''}"
        typer.echo(f"  {report.path}: {report.lines} lines, {state}")
    for path in summary.written:
        typer.echo(f"  file: {path}")


def demo_step(context: Any) -> None:
    """Replay the synthetic live view through a local server and capture it for a few seconds."""
    from rlx_lib.capture.local import capture_local
    from rlx_lib.catalog import binance_symbol

    golden = Path(context.notes["synth"]["golden"])
    records = list(_golden_feed([golden]))
    market = sum(1 for r in records if "@" in r.stream and not r.stream.endswith("Snapshot"))
    seconds = 4.0
    symbols = tuple(binance_symbol(symbol) for symbol in context.symbols)
    out = Path(context.out) / "capture"
    rate = min(max(market / seconds, 100.0), 5000.0)
    summary = capture_local(records, out, symbols=symbols, rate=rate, seconds=seconds + 1.0)
    context.notes["capture"] = {"root": str(out), "summary": summary}
    context.summary.append(
        f"capture: {summary['messages']} messages from a local Binance-protocol server "
        f"({summary['messages_per_second']}/s), {summary['snapshots']} snapshots, "
        f"{summary['depth_gaps']} depth gaps, {len(summary['files'])} golden files in {out}"
    )


def register(app: typer.Typer) -> None:
    """Add ``rlx capture``, ``rlx capture-server`` and ``rlx import`` to the app."""
    app.command("capture")(capture_command)
    app.command("capture-server")(server_command)
    app.command("import")(import_command)
