"""Capture throughput: a local server (another process) blasts synthetic Binance messages
through the full capture path (websocket -> envelope split -> demultiplex -> sync bookkeeping ->
journal -> zstd files), beside the original project's approach measured in the same run
(the same websocket feed, then ``json.loads`` + ``json.dumps`` + gzip per line)."""

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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect

from rlx_lib.capture.feed import synthetic_feed
from rlx_lib.capture.link import Connection
from rlx_lib.capture.session import CaptureConfig, CaptureSession

SYMBOLS = ["btcusdt", "ethusdt"]
TARGET = 50_000.0


@contextlib.contextmanager
def _server(messages: int) -> Iterator[int]:
    """``rlx capture-server`` flat out in its own process; yields its port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [str(Path(sys.executable).with_name("rlx")), "capture-server", "--synthetic"]
    command += [str(messages), "--symbols", ",".join(SYMBOLS), "--rate", "0", "--port", str(port)]
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
                        raise RuntimeError(f"capture-server exited: {error!r}") from None
                    time.sleep(0.2)
            yield port
        finally:
            process.terminate()
            process.wait(10)


async def _capture(port: int, messages: int, root: Path) -> float:
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
    start = time.perf_counter()
    while sum(session.health.messages.values()) < messages:
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - start
    session.stop()
    await running
    return sum(session.health.messages.values()) / elapsed


async def _baseline(port: int, messages: int, root: Path) -> float:
    streams = [
        f"{symbol}@{kind}"
        for symbol in SYMBOLS
        for kind in ("depth@100ms", "trade", "aggTrade", "bookTicker")
    ]
    url = f"ws://127.0.0.1:{port}/stream?streams={'/'.join(streams)}"
    count = 0
    async with connect(url, compression=None, max_size=None, proxy=None) as socket:
        with gzip.open(root / "baseline.jsonl.gz", "wb") as out:
            first = await socket.recv()
            start = time.perf_counter()
            for message in [first]:
                envelope = json.loads(message)
                out.write((json.dumps({"capture_ns": time.time_ns(), **envelope}) + "\n").encode())
            count = 1
            while count < messages:
                message = await socket.recv()
                envelope = json.loads(message)
                line = json.dumps({"capture_ns": time.time_ns(), **envelope})
                out.write((line + "\n").encode())
                count += 1
            elapsed = time.perf_counter() - start
    return count / elapsed


def _frames(messages: int) -> tuple[dict[str, int], list[bytes]]:
    """The synthetic feed as combined-stream frames, and each symbol's snapshot id."""
    snapshots, frames = {}, []
    for record in synthetic_feed(SYMBOLS, messages=messages, seed=12):
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
        link.current = Connection(1, None, link)  # type: ignore[arg-type]
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
    captured, baseline = [], []
    for _ in range(repeats):
        for runner, results in ((_capture, captured), (_baseline, baseline)):
            with _server(messages) as port, tempfile.TemporaryDirectory() as folder:
                results.append(asyncio.run(runner(port, messages, Path(folder))))
    snapshots, frames = _frames(messages)
    alone, alone_base = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            alone.append(_path_alone(snapshots, frames, Path(folder)))
            alone_base.append(_baseline_alone(frames, Path(folder)))
    rate, base = statistics.median(captured), statistics.median(baseline)
    path_rate, path_base = statistics.median(alone), statistics.median(alone_base)
    return [
        {
            "figure": "capture throughput (websocket -> zstd golden files)",
            "value": round(rate),
            "unit": "msg/s",
            "baseline": "json.loads + json.dumps + gzip per line",
            "ratio": round(rate / base, 2),
            "target": f">= {TARGET:,.0f} msg/s",
        },
        {
            "figure": "baseline throughput (json + gzip per line)",
            "value": round(base),
            "unit": "msg/s",
        },
        {
            "figure": "capture path without the socket (split -> demux -> sync -> zstd)",
            "value": round(path_rate),
            "unit": "msg/s",
            "baseline": "json.loads + json.dumps + gzip per line, no socket",
            "ratio": round(path_rate / path_base, 2),
            "target": f">= {TARGET:,.0f} msg/s",
        },
    ]


if __name__ == "__main__":
    for figure in run(quick=False):
        print(figure)
