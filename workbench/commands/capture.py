"""``rlx capture``, ``rlx capture-server`` and ``rlx import``: golden samples from live Binance
streams, from a local Binance-protocol server, or from other recorders' files."""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from rlx_lib.errors import ConfigError
from workbench.console import is_terminal
from workbench.options import (
    DataRootOption,
    above,
    at_least,
    items,
    port,
    refuse_given,
    resolve_root,
    split_list,
    url,
)

__all__ = ["parse_duration", "register"]

# The library's defaults, repeated so that ``--help`` needs no heavy import (a test compares).
STREAM_KINDS = ("depth@100ms", "trade", "aggTrade", "bookTicker")
WS_URL = "wss://stream.binance.com:9443"
REST_URL = "https://api.binance.com"
FUTURES_WS_URL = "wss://fstream.binance.com"
FORMATS = ("hftbacktest", "cryptofeed")
FAULT_KINDS = ("abort", "close", "stall", "expire", "shutdown", "malformed")
FAULT_EVERY = 1000
"""Feed messages between two injections of a ``--fault KIND`` given without ``:EVERY``."""

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
    for item in items(text, option="--symbols"):
        symbol = binance_symbol(item.upper()) if "-" in item else item.lower()
        if not symbol.isalnum():
            msg = f"symbol must look like btcusdt or BTC-USDT, received {item!r}"
            raise ConfigError(msg)
        symbols.append(symbol)
    return tuple(symbols)


def _stream_kinds(text: str | None, *, market: str) -> tuple[str, ...]:
    """``--streams``: stream kinds the market has (``depth@100ms``, ``trade``, ...); none given:
    the market's defaults (an empty tuple)."""
    from rlx_lib import venues

    if text is None:
        return ()
    known = [kind for kind in venues.market(market).kinds if not kind.endswith("Snapshot")]
    kinds = tuple(items(text, option="--streams"))
    unknown = [kind for kind in kinds if kind not in known]
    if unknown:
        msg = f"--streams has unknown kinds {', '.join(unknown)}; known: {', '.join(known)}"
        raise ConfigError(msg)
    return kinds


def parse_faults(specs: list[str], *, total: int) -> list[tuple[str, int]]:
    """``KIND[:EVERY]`` specs as the server's ``(kind, position)`` list, up to ``total``.

    A fault is injected every EVERY feed messages (default :data:`FAULT_EVERY`); one that
    would never fire in a feed of ``total`` messages is refused rather than ignored.
    """
    faults = []
    for spec in specs:
        kind, _, every_text = spec.partition(":")
        if kind not in FAULT_KINDS:
            msg = f"--fault kind must be one of {', '.join(FAULT_KINDS)}, received {kind!r}"
            raise ConfigError(msg)
        every = FAULT_EVERY if not every_text else int(every_text) if every_text.isdigit() else 0
        if every < 1:
            msg = f"--fault {spec!r}: EVERY must be a whole number of messages >= 1"
            raise ConfigError(msg)
        if every > total:
            msg = f"--fault {spec!r} would never fire: the feed has {total:,} messages"
            raise ConfigError(msg)
        faults += [(kind, position) for position in range(every, total + 1, every)]
    return faults


def _rest_failures(text: str) -> list[int]:
    """``--rest-failures 429,500``: HTTP error statuses for the next snapshot requests."""
    statuses = []
    for item in split_list(text):
        if not item.isdigit() or not 400 <= int(item) <= 599:
            msg = f"--rest-failures takes HTTP error statuses 400-599, received {item!r}"
            raise ConfigError(msg)
        statuses.append(int(item))
    return statuses


def _status(update: Any) -> None:
    """A capture's progress as one status line on the terminal."""
    sys.stderr.write("\r\x1b[2K" + update.text)
    sys.stderr.flush()


def _echo_summary(result: Any) -> None:
    typer.echo(
        f"captured {result.messages} messages ({result.messages_per_second}/s) "
        f"in {result.seconds} s: depth gaps {result.depth_gaps}, trade gaps "
        f"{result.trade_gaps}, resyncs {result.resyncs}, snapshots "
        f"{result.snapshots}, reconnects {result.reconnects}, "
        f"{result.bytes / 1e6:.1f} MB"
    )
    if result.write_failures:
        typer.echo(f"  write failures (retried): {result.write_failures}")
    for stream, count in result.streams.items():
        typer.echo(f"  {stream}: {count}")
    for path in result.files:
        typer.echo(f"  file: {path}")


_SESSION_OPTIONS = [
    *("symbols", "market", "streams", "duration", "ws_url", "rest_url", "snapshot_limit"),
    "flush_interval",
]
"""Options of a capture session, which ``--recover`` does not start."""


def _recover(ctx: typer.Context, data_root: Path | None) -> None:
    """``--recover``: close the ``.part`` files a killed capture left open."""
    from rlx_lib.capture import recover_parts

    refuse_given(ctx, _SESSION_OPTIONS, because="with --recover (it only closes .part files)")
    recovered = recover_parts(resolve_root(data_root))
    for part, closed in recovered:
        typer.echo(f"recovered {part} -> {closed}")
    typer.echo(f"{len(recovered)} .part file(s) recovered")


def _endpoints(ws_url: str | None, rest_url: str | None) -> tuple[str, str]:
    """``--ws-url`` and ``--rest-url`` checked ("": the market's endpoints)."""
    ws = url(ws_url, option="--ws-url", schemes=("ws", "wss")) if ws_url else ""
    rest = url(rest_url, option="--rest-url", schemes=("http", "https")) if rest_url else ""
    return ws, rest


def _log_to_stderr() -> None:
    """The figures go to the log; on a terminal, only warnings."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.WARNING if is_terminal() else logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )


def _finish(result: Any) -> None:
    """Print what the capture did; exit 1 when records could not be written."""
    if is_terminal():
        sys.stderr.write("\n")
    _echo_summary(result)
    if not result.ok:
        typer.echo(
            f"rlx: capture stopped: {result.stop_reason}; {result.unwritten_records} "
            "records could not be written (what was written is in the golden files)",
            err=True,
        )
        raise typer.Exit(1)


def capture_command(
    ctx: typer.Context,
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
    snapshot_limit: Annotated[
        int, above(0, "Levels per REST snapshot (Binance: at most 5000).", maximum=5000)
    ] = 1000,
    flush_interval: Annotated[float, above(0, "Seconds between flushes.")] = 1.0,
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
        _recover(ctx, data_root)
        return
    from rlx_lib.capture import capture

    ws, rest = _endpoints(ws_url, rest_url)
    _log_to_stderr()
    result = capture(
        resolve_root(data_root),
        symbols=_binance_symbols(symbols),
        streams=_stream_kinds(streams, market=market),
        duration=parse_duration(duration),
        market=market,
        ws_url=ws,
        rest_url=rest,
        snapshot_limit=snapshot_limit,
        flush_interval=flush_interval,
        stop_on_signals=True,
        progress=_status if is_terminal() else None,
    )
    _finish(result)


def _server_feed(
    from_golden: list[Path] | None, synthetic: int, symbols: str, market: str, *, counted: bool
) -> tuple[Any, int]:
    """The records to serve and how many there are (counted for faults only)."""
    from rlx_lib.golden import merged_records
    from rlx_lib.local.binance import synthetic_feed

    if from_golden and synthetic:
        msg = "give --from-golden DIR or --synthetic N, not both"
        raise ConfigError(msg)
    if from_golden:
        count = sum(1 for _ in merged_records(from_golden)) if counted else 0
        return merged_records(from_golden), count
    if synthetic:
        symbols_ = list(_binance_symbols(symbols))
        return synthetic_feed(symbols_, messages=synthetic, market=market), synthetic
    msg = "give --from-golden DIR or --synthetic N"
    raise ConfigError(msg)


def _serve(server: Any, listen_port: int) -> None:
    """Serve until Ctrl-C."""
    import asyncio

    async def serve_forever() -> None:
        try:
            await server.start()
        except OSError as error:
            msg = f"cannot listen on 127.0.0.1:{listen_port}: {error.strerror or error}"
            raise ConfigError(msg) from None
        typer.echo(f"serving --ws-url {server.ws_url} --rest-url {server.rest_url} (Ctrl-C stops)")
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()

    try:
        asyncio.run(serve_forever())
    except KeyboardInterrupt:
        typer.echo("server stopped")


def server_command(
    from_golden: Annotated[
        list[Path] | None, typer.Option(help="Golden files or folders to replay.")
    ] = None,
    synthetic: Annotated[int, at_least(0, "Messages of a synthetic feed instead.")] = 0,
    symbols: Annotated[str, typer.Option(help="Symbols of the synthetic feed.")] = "btcusdt",
    market: Annotated[str, typer.Option(help="Synthetic feed shapes: spot or usdm.")] = "spot",
    rate: Annotated[float, at_least(0, "Messages per second (0: flat out).")] = 1000.0,
    listen_port: Annotated[
        int, port("Port on 127.0.0.1 (0: any free port).", "--port", any_free=True)
    ] = 9443,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            help=f"Inject KIND[:EVERY] on every connection every EVERY feed messages (default "
            f"{FAULT_EVERY}); kinds: {', '.join(FAULT_KINDS)}. Repeat for more."
        ),
    ] = None,
    rest_failures: Annotated[
        str, typer.Option(help="Answer the next snapshot requests with these statuses: 429,500.")
    ] = "",
) -> None:
    """Serve a local Binance-protocol stream and REST snapshots from golden files."""
    from rlx_lib.local.binance import BinanceServer

    records, total = _server_feed(from_golden, synthetic, symbols, market, counted=bool(fault))
    server = BinanceServer(
        records,
        rate=rate or None,
        port=listen_port,
        faults=parse_faults(fault or [], total=total),
        rest_failures=_rest_failures(rest_failures),
    )
    _serve(server, listen_port)


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
    from rlx_lib.capture import import_capture

    if fmt not in FORMATS:
        msg = f"--format must be one of {', '.join(FORMATS)}, received {fmt!r}"
        raise ConfigError(msg)
    chosen = _binance_symbols(symbol)[0] if symbol else None
    result = import_capture(
        resolve_root(data_root),
        paths=files,
        format=fmt,  # type: ignore[arg-type]
        symbol=chosen,
        force=force,
    )
    typer.echo(
        f"imported {sum(result.records.values())} records of {', '.join(result.symbols)}: "
        f"{len(result.written)} files written, {len(result.unchanged)} unchanged"
    )
    for report in result.reports:
        state = "clean" if report.clean else f"{report.bad_lines[:3]} {report.truncated or ''}"
        typer.echo(f"  {report.path}: {report.lines} lines, {state}")
    for path in result.written:
        typer.echo(f"  file: {path}")


def register(app: typer.Typer) -> None:
    """Add ``rlx capture``, ``rlx capture-server`` and ``rlx import`` to the app."""
    app.command("capture")(capture_command)
    app.command("capture-server")(server_command)
    app.command("import")(import_command)
