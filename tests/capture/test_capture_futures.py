"""USD-M futures capture against the local Binance-protocol server, under every fault kind.

The server feeds futures shapes (``depth@0ms`` chained by ``pu``, ``/fapi/v1/depth`` snapshots
with ``E``/``T``); the capture files them under ``BINANCE_FUTURES`` as ``-PERP`` symbols, loses
nothing it was sent, and records every ``pu`` break as a resync followed by a snapshot.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from rlx_lib.capture.config import CaptureConfig
from rlx_lib.capture.session import CaptureSession
from rlx_lib.golden import ReadReport, golden_files, iter_records
from rlx_lib.local.binance import FAULT_KINDS, BinanceServer, synthetic_feed
from rlx_lib.validation.resume import validate_golden

SYMBOLS = ("btcusdt", "ethusdt")
FEED = list(synthetic_feed(SYMBOLS, messages=1600, seed=5, market="usdm"))
MARKET = {(r.stream, r.data) for r in FEED if not r.stream.endswith("Snapshot")}
FAULTS = {
    "abort": {"faults": [("abort", 500)], "settle": 0.05},
    "close": {"faults": [("close", 500)], "settle": 0.05},
    "stall": {"faults": [("stall", 500)]},
    "expire": {"faults": [("expire", 500)], "settle": 0.05},
    "shutdown": {"faults": [("shutdown", 500)], "shutdown_lead": 0.15},
    "malformed": {"faults": [("malformed", 300)]},
    "rest_failures": {"rest_failures": [429, 500]},
}


async def _capture(root: Path, server_options: dict[str, Any]) -> tuple[BinanceServer, dict]:
    server = BinanceServer(FEED, rate=4000, **server_options)
    await server.start()
    config = CaptureConfig(
        symbols=SYMBOLS,
        market="usdm",
        ws_url=server.ws_url,
        rest_url=server.rest_url,
        flush_interval=0.1,
        ping_interval=0.1,
        ping_timeout=0.2,
        close_timeout=0.2,
        stall_timeout=1.0,
        backoff_initial=0.02,
        handover_timeout=0.5,
    )
    session = CaptureSession(config, root)
    running = asyncio.create_task(session.run())
    await server.finished.wait()
    wanted = {(stream, data) for _, stream, data in server.sent}
    for _ in range(300):
        if sum(session.health.messages.values()) >= len(wanted):
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)
    session.stop()
    summary = await running
    await server.stop()
    return server, summary


def test_fault_kinds_are_the_spot_ones() -> None:
    assert set(FAULT_KINDS) <= set(FAULTS)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_futures_capture_survives_each_fault(fault: str, data_root: Path) -> None:
    server, summary = asyncio.run(_capture(data_root, FAULTS[fault]))
    paths = golden_files([data_root / "golden"])
    assert sorted({p.parent.parent.relative_to(data_root).as_posix() for p in paths}) == [
        "golden/exchange=BINANCE_FUTURES/symbol=BTC-USDT-PERP",
        "golden/exchange=BINANCE_FUTURES/symbol=ETH-USDT-PERP",
    ]
    records = []
    for path in paths:
        report = ReadReport(str(path))
        records.extend(iter_records(path, report))
        assert report.clean, report
    market = Counter((r.stream, r.data) for r in records if r.stream in {s for s, _ in MARKET})
    assert max(market.values()) == 1  # nothing twice
    assert set(market) <= MARKET  # nothing altered
    assert {(stream, data) for _, stream, data in server.sent} <= set(market)  # nothing lost
    snapshots = [orjson.loads(r.data) for r in records if r.stream.endswith("@depthSnapshot")]
    assert all({"E", "T"} <= snapshot.keys() for snapshot in snapshots)
    resyncs = [s for s in (orjson.loads(r.data) for r in records if r.stream == "_session")]
    resyncs = [s for s in resyncs if s["event"] == "resync"]
    assert len(resyncs) == summary["resyncs"]
    assert len(snapshots) >= 2 + summary["depth_gaps"]
    if fault in ("abort", "close", "expire"):  # a reconnect loses messages: a pu break, resynced
        assert summary["reconnects"] == 1
        assert summary["depth_gaps"] >= 1
    report = validate_golden([data_root / "golden"])
    assert sorted(report.futures_symbols) == ["BTCUSDT", "ETHUSDT"]
    assert report.symbols == {}
    for summary_of in report.futures_symbols.values():
        assert summary_of["depth_applied"] > 0
