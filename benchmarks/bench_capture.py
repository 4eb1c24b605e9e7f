"""Capture throughput: a local server in another process blasts synthetic Binance messages
through the full capture path (websocket -> envelope split -> demultiplex -> sync bookkeeping ->
journal -> zstd files), beside the original project's approach measured in the same run
(the same websocket feed, then ``json.loads`` + ``json.dumps`` + gzip per line).

The server encodes the whole feed before it listens and writes it in batches, so it costs the
shared core little while it sends. Each run counts messages over a wall-clock window and, for
the same window, the CPU seconds of the capturing process (its rate on one dedicated core); the
server's CPU per message is reported too.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
from websockets.asyncio.client import connect

from rlx_lib.capture.config import CaptureConfig
from rlx_lib.capture.link import Connection
from rlx_lib.capture.session import CaptureSession
from rlx_lib.local.binance import BinanceServer, synthetic_feed

SYMBOLS = ["btcusdt", "ethusdt"]
SEED = 12
TARGET = 50_000.0


def _serve(port: int, messages: int) -> None:
    """The server process: the feed built in full first, then sent flat out until killed."""
    records = list(synthetic_feed(SYMBOLS, messages=messages, seed=SEED))

    async def main() -> None:
        await BinanceServer(records, rate=None, port=port).start()
        await asyncio.Event().wait()

    asyncio.run(main())


@contextlib.contextmanager
def _server(messages: int) -> Iterator[tuple[int, psutil.Process]]:
    """:func:`_serve` in its own process; yields its port and the process."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, __file__, "serve", str(port), str(messages)]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        try:
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if process.poll() is not None:
                        log.seek(0)
                        error = log.read()[-2000:]
                        raise RuntimeError(f"capture server exited: {error!r}") from None
                    time.sleep(0.2)
            yield port, psutil.Process(process.pid)
        finally:
            process.terminate()
            process.wait(10)


class _Window:
    """Wall-clock and CPU seconds (this process, the server's) between start() and stop()."""

    def __init__(self, server: psutil.Process) -> None:
        self.server = server

    def start(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        self.server_cpu = sum(self.server.cpu_times()[:2])

    def stop(self, messages: int) -> dict[str, float]:
        wall = time.perf_counter() - self.wall
        cpu = time.process_time() - self.cpu
        server = sum(self.server.cpu_times()[:2]) - self.server_cpu
        return {
            "wall": messages / wall,
            "cpu": messages / cpu,
            "server_us": server / messages * 1e6,
        }


async def _capture(port: int, messages: int, root: Path, window: _Window) -> dict[str, float]:
    config = CaptureConfig(
        symbols=tuple(SYMBOLS),
        ws_url=f"ws://127.0.0.1:{port}",
        rest_url=f"http://127.0.0.1:{port}",
        stall_timeout=30.0,
    )
    session = CaptureSession(config, root)
    running = asyncio.create_task(session.run())
    while not session.health.messages:
        await asyncio.sleep(0.001)
    first = sum(session.health.messages.values())
    window.start()
    while sum(session.health.messages.values()) < messages:
        await asyncio.sleep(0.005)
    rates = window.stop(sum(session.health.messages.values()) - first)
    session.stop()
    await running
    assert session.health.resyncs == 0
    return rates


async def _baseline(port: int, messages: int, root: Path, window: _Window) -> dict[str, float]:
    streams = [
        f"{symbol}@{kind}"
        for symbol in SYMBOLS
        for kind in ("depth@100ms", "trade", "aggTrade", "bookTicker")
    ]
    url = f"ws://127.0.0.1:{port}/stream?streams={'/'.join(streams)}"
    async with connect(url, compression=None, max_size=None, proxy=None) as socket:
        with gzip.open(root / "baseline.jsonl.gz", "wb") as out:
            count = 0
            while count < messages:
                message = await socket.recv()
                envelope = json.loads(message)
                line = json.dumps({"capture_ns": time.time_ns(), **envelope})
                out.write((line + "\n").encode())
                count += 1
                if count == 1:
                    window.start()
            return window.stop(count - 1)


def _frames(messages: int) -> tuple[dict[str, int], list[bytes]]:
    """The synthetic feed as combined-stream frames, and each symbol's snapshot id."""
    snapshots, frames = {}, []
    for record in synthetic_feed(SYMBOLS, messages=messages, seed=SEED):
        if record.stream.endswith("Snapshot"):
            snapshots[record.stream.split("@")[0]] = json.loads(record.data)["lastUpdateId"]
        else:
            frames.append(b'{"stream":"%s","data":%s}' % (record.stream.encode(), record.data))
    return snapshots, frames


def _path_alone(snapshots: dict[str, int], frames: list[bytes], root: Path) -> float:
    """The capture path without the socket: envelope split, demultiplex, sync bookkeeping,
    journal and zstd, fed frames directly (books synced from the feed's snapshots)."""

    async def main() -> float:
        config = CaptureConfig(symbols=tuple(SYMBOLS), rest_url="http://127.0.0.1:9")
        session = CaptureSession(config, root)
        link = session._links[0]
        link.current = Connection(link, 1)
        for symbol, state in session._symbols.items():
            state.sync.snapshot(snapshots[symbol])
        start = time.perf_counter()
        for frame in frames:
            link._frame(link.current, frame, time.time_ns())
        session.journal.close()
        assert session.health.resyncs == 0
        return len(frames) / (time.perf_counter() - start)

    return asyncio.run(main())


def _baseline_alone(frames: list[bytes], root: Path) -> float:
    start = time.perf_counter()
    with gzip.open(root / "baseline.jsonl.gz", "wb") as out:
        for frame in frames:
            envelope = json.loads(frame)
            out.write((json.dumps({"capture_ns": time.time_ns(), **envelope}) + "\n").encode())
    return len(frames) / (time.perf_counter() - start)


def run(*, quick: bool) -> list[dict[str, Any]]:
    """Median messages/s of the capture and of the baseline over a few runs."""
    messages = 20_000 if quick else 60_000
    repeats = 1 if quick else 3
    runs = _live_runs(messages, repeats)
    snapshots, frames = _frames(messages)
    alone, alone_base = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            alone.append(_path_alone(snapshots, frames, Path(folder)))
            alone_base.append(_baseline_alone(frames, Path(folder)))
    return _figures(runs, statistics.median(alone), statistics.median(alone_base))


def _live_runs(messages: int, repeats: int) -> dict[str, list[dict[str, float]]]:
    """Rates of the capture and of the baseline through the socket, ``repeats`` times each."""
    runners: dict[str, Callable[..., Awaitable[dict[str, float]]]]
    runners = {"capture": _capture, "baseline": _baseline}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in runners}
    for _ in range(repeats):
        for name, runner in runners.items():
            with _server(messages) as (port, server), tempfile.TemporaryDirectory() as folder:
                rates = asyncio.run(runner(port, messages, Path(folder), _Window(server)))
                runs[name].append(rates)
    return runs


def _figures(
    runs: dict[str, list[dict[str, float]]], path_rate: float, path_base: float
) -> list[dict[str, Any]]:
    def median(name: str, key: str) -> float:
        return statistics.median(rates[key] for rates in runs[name])

    rate, base = median("capture", "wall"), median("baseline", "wall")
    cpu_rate, cpu_base = median("capture", "cpu"), median("baseline", "cpu")
    baseline = "json.loads + json.dumps + gzip per line"
    target = f">= {TARGET:,.0f} msg/s"
    return [
        {
            "figure": "capture throughput (websocket -> zstd golden files), wall clock",
            "value": round(rate),
            "unit": "msg/s",
            "baseline": baseline,
            "ratio": round(rate / base, 2),
            "target": target,
        },
        {
            "figure": "baseline throughput (json + gzip per line), wall clock",
            "value": round(base),
            "unit": "msg/s",
        },
        {
            "figure": "capture throughput per CPU second of the capturing process (one core)",
            "value": round(cpu_rate),
            "unit": "msg/s",
            "baseline": f"{baseline}, per CPU second",
            "ratio": round(cpu_rate / cpu_base, 2),
            "target": target,
        },
        {
            "figure": "local server's CPU per message during the capture (its own process)",
            "value": round(median("capture", "server_us"), 2),
            "unit": "us/msg",
        },
        {
            "figure": "capture path without the socket (split -> demux -> sync -> zstd)",
            "value": round(path_rate),
            "unit": "msg/s",
            "baseline": f"{baseline}, no socket",
            "ratio": round(path_rate / path_base, 2),
            "target": target,
        },
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        _serve(int(sys.argv[2]), int(sys.argv[3]))
    else:
        for figure in run(quick=False):
            print(figure)
