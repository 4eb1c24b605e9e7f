"""``rlx capture`` as a process against the local server: SIGKILL mid-run, SIGTERM clean stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from rlx_lib.golden import ReadReport, iter_records
from rlx_lib.local.binance import BinanceServer, ServerThread, synthetic_feed

RLX = Path(sys.executable).with_name("rlx")


def _start(server: BinanceServer, root: Path) -> subprocess.Popen[bytes]:
    command = [
        str(RLX),
        "capture",
        "--symbols",
        "btcusdt,ethusdt",
        "--ws-url",
        server.ws_url,
        "--rest-url",
        server.rest_url,
        "--flush-interval",
        "0.2",
        "--duration",
        "10m",
        "--data-root",
        str(root),
    ]
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment
    )


def _read_all(root: Path) -> tuple[list, list[ReadReport]]:
    records, reports = [], []
    for path in sorted((root / "golden").rglob("*.jsonl.zst*")):
        report = ReadReport(str(path))
        records.extend(iter_records(path, report))
        reports.append(report)
    return records, reports


def _market(records: list) -> list[tuple[str, bytes]]:
    return [(r.stream, r.data) for r in records if "@" in r.stream and "Snapshot" not in r.stream]


def _wait_for_records(root: Path, process: subprocess.Popen[bytes], count: int) -> int:
    seen = 0
    while seen < count:
        assert process.poll() is None, process.communicate()
        time.sleep(0.2)
        seen = len(_market(_read_all(root)[0]))
    return seen


def test_sigkill_loses_at_most_the_last_flush(data_root: Path) -> None:
    feed = list(synthetic_feed(["btcusdt", "ethusdt"], messages=200_000, seed=5))
    with ServerThread(BinanceServer(feed, rate=1500)) as server:
        process = _start(server, data_root)
        try:
            seen = _wait_for_records(data_root, process, 1500)
        finally:
            process.kill()
            process.wait()
        sent = [(stream, data) for _, stream, data in server.sent]
    records, reports = _read_all(data_root)
    assert all(report.path.endswith(".part") for report in reports)  # killed while open
    assert all(not report.bad_lines for report in reports)  # damage only past the last frame
    market = _market(records)
    assert len(market) >= seen  # everything flushed before the kill is still there
    for symbol in ("btcusdt", "ethusdt"):
        mine = [item for item in market if item[0].startswith(symbol)]
        expected = [item for item in sent if item[0].startswith(symbol)]
        assert mine == expected[: len(mine)]  # a byte-exact prefix of what was sent, in order
    parts = sorted(Path(report.path) for report in reports)
    recover = [str(RLX), "capture", "--recover", "--data-root", str(data_root)]
    done = subprocess.run(recover, capture_output=True, check=True, text=True)
    assert f"{len(parts)} .part file(s) recovered" in done.stdout
    again, reports = _read_all(data_root)
    assert all(not report.path.endswith(".part") for report in reports)  # closed files now
    assert all(report.clean for report in reports)
    assert _market(again) == market  # nothing lost, nothing added, nothing renamed over
    recovered = [r for r in again if r.stream == "_session" and b'"recovered"' in r.data]
    assert len(recovered) == len(parts)
    done = subprocess.run(recover, capture_output=True, check=True, text=True)
    assert "0 .part file(s) recovered" in done.stdout


def test_sigterm_flushes_and_closes_every_file(data_root: Path) -> None:
    feed = list(synthetic_feed(["btcusdt", "ethusdt"], messages=200_000, seed=6))
    with ServerThread(BinanceServer(feed, rate=1500)) as server:
        process = _start(server, data_root)
        try:
            _wait_for_records(data_root, process, 500)
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
        sent = {(stream, data) for _, stream, data in server.sent}
    assert process.returncode == 0, err.decode()
    assert b"captured" in out
    records, reports = _read_all(data_root)
    assert [Path(r.path).suffix for r in reports] == [".zst", ".zst"]  # renamed when closed
    assert all(report.clean for report in reports)
    assert set(_market(records)) == sent
    reasons = [r.data for r in records if r.stream == "_session" and b"disconnected" in r.data]
    assert all(b"SIGTERM" in reason for reason in reasons)
