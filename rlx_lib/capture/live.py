"""``capture``: record live Binance streams, or any server speaking Binance's protocol, into
golden files (one per symbol and hour) until a duration passes or the capture is stopped."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rlx_lib.capture.config import CaptureConfig, CaptureTuning
from rlx_lib.capture.results import CaptureResult, CaptureRow
from rlx_lib.capture.session import CaptureSession
from rlx_lib.catalog import lake_symbol
from rlx_lib.results import ProgressCallback

__all__ = ["capture"]


def capture(
    root: Path,
    *,
    symbols: Sequence[str],
    streams: Sequence[str] = (),
    duration: float | None = None,
    market: str = "spot",
    ws_url: str = "",
    rest_url: str = "",
    snapshot_limit: int = 1000,
    flush_interval: float = 1.0,
    tuning: CaptureTuning | None = None,
    stop_on_signals: bool = False,
    progress: ProgressCallback | None = None,
) -> CaptureResult:
    """Capture ``symbols`` (lower-case Binance names, ``btcusdt``) into golden files under
    ``root``; return one row per symbol and the session's figures.

    ``streams`` are stream kinds (``depth@100ms``, ``trade``...; default: the market's);
    ``market`` is ``spot`` or ``usdm`` (USD-M futures); empty URLs mean Binance's endpoints;
    ``duration`` in seconds (None: until stopped). ``.part`` files an earlier capture left
    under ``root`` are closed first. ``progress`` receives a status line every second.
    ``stop_on_signals`` ends the capture cleanly on SIGINT/SIGTERM (from a program's main
    thread only); otherwise the capture runs on its own event loop in a worker thread, so it
    also works where a loop is already running (Jupyter, marimo).
    """
    config = CaptureConfig(
        symbols=tuple(symbols),
        streams=tuple(streams),
        duration=duration,
        market=market,
        ws_url=ws_url,
        rest_url=rest_url,
        snapshot_limit=snapshot_limit,
        flush_interval=flush_interval,
        **_tuning_fields(tuning or CaptureTuning()),
    )
    session = CaptureSession(config, Path(root), progress=progress)
    summary = asyncio.run(_until_signalled(session)) if stop_on_signals else _in_thread(session)
    return _result(session, summary)


def _tuning_fields(tuning: CaptureTuning) -> dict[str, Any]:
    return {f.name: getattr(tuning, f.name) for f in dataclasses.fields(CaptureTuning)}


async def _until_signalled(session: CaptureSession) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, session.stop, f"signal {signal.Signals(number).name}")
    return await session.run()


def _in_thread(session: CaptureSession) -> dict[str, Any]:
    """Run the session to the end on its own event loop in a worker thread."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["summary"] = asyncio.run(session.run())
        except BaseException as error:  # handed to the caller's thread
            outcome["error"] = error

    worker = threading.Thread(target=target, name="rlx-capture")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["summary"]


def _result(session: CaptureSession, summary: dict[str, Any]) -> CaptureResult:
    failed = bool(summary["unwritten_records"]) or session.write_stopped
    rows = tuple(_row(session, symbol, failed) for symbol in session.config.symbols)
    names = {f.name for f in dataclasses.fields(CaptureResult)} - {"rows"}
    figures = {name: summary[name] for name in names}
    figures["files"] = tuple(Path(path) for path in summary["files"])
    figures["recovered"] = tuple(Path(path) for path in summary["recovered"])
    return CaptureResult(rows=rows, **figures)


def _row(session: CaptureSession, symbol: str, failed: bool) -> CaptureRow:
    health = session.health
    lake = lake_symbol(symbol, market=session.config.market)
    mine = [stream for stream in health.messages if stream.split("@", 1)[0] == symbol]
    messages = sum(health.messages[stream] for stream in mine)
    files = [p for p in session.journal.closed_files if p.parent.parent.name == f"symbol={lake}"]
    return CaptureRow(
        symbol=lake,
        messages=messages,
        bytes=sum(health.bytes[stream] for stream in mine),
        snapshots=health.snapshots[symbol],
        depth_gaps=health.depth_gaps[symbol],
        trade_gaps=health.trade_gaps[symbol],
        files=len(files),
        status="failed" if failed else "ok" if messages else "no data",
    )
