"""Validation throughput and peak memory over large synthetic golden files, beside
``json.loads`` per line.

The capture mimics a busy spot symbol: per 100 ms window one depth diff (6 levels), two
trades and seven bookTickers, with a consistent book (so every check runs, none fires). Each
file is compressed as a single zstd frame (as the ``zstd`` tool writes one), the hardest case
for memory. Two spot files, of 1M and 10M messages (100K and 1M with ``--quick``), show whether
peak RSS grows with the file; throughput is the larger file's. The smaller capture in USD-M
futures shapes (``pu`` chains over shared ids, ``T``, ``X``, bookTicker ``e``/``E``/``T``) is
validated in the same run under the futures rules and compared with the same-size spot file.
Validation runs in a child process so its peak RSS (``VmHWM``) is its own; the child loads the
compiled kernels before the clock starts. Figures are medians of the repeats (one repeat in a
full run: 10M messages take a while on one core).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import zstandard

from rlx_lib.golden import iter_lines

_CHILD = """
import json, sys, time
from pathlib import Path
import numpy as np
from rlx_lib.reconstruction import L2Book
from rlx_lib.validation.resume import validate_golden
from rlx_lib.validation.scan import parse_levels, scan_block
# Load the compiled kernels once (a per-process cost, not a per-message one).
scan_block(b"x\\n", 1)
parse_levels(b"x\\n", np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64))
L2Book().replay(np.zeros(1, bool), np.ones(1, np.int64), np.ones(1, np.int64),
                np.array([0, 1]), np.ones(1, bool), depth=1)
start = time.perf_counter()
report = validate_golden([sys.argv[1]])
elapsed = time.perf_counter() - start
s = (report.symbols or report.futures_symbols)["BTCUSDT"]
# VmHWM, not ru_maxrss: ru_maxrss keeps the forking parent's peak across exec
status = Path("/proc/self/status").read_text().splitlines()
rss = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
print(json.dumps({"seconds": elapsed, "rss_kib": rss, "gaps": report.gaps,
                  "checks": s["book_ticker_checks"], "agreement": s["book_ticker_agreement"]}))
"""


def _units(value: int) -> str:
    return f"{value // 100_000_000}.{value % 100_000_000:08d}"


_SHAPES = {
    "spot": {
        "ticker": b'{"u":%d,"s":"BTCUSDT",%s}',
        "trade": b'{"e":"trade","E":%d,"s":"BTCUSDT","t":%d,"p":"%s","q":"0.01000000","T":%d,'
        b'"m":true,"M":true}',
        "depth": b'{"e":"depthUpdate","E":%d,"s":"BTCUSDT","U":%d,"u":%d%s,"b":[%s],"a":[%s]}',
        "stream": b"btcusdt@depth@100ms",
    },
    "usdm": {
        "ticker": b'{"e":"bookTicker","u":%d,"s":"BTCUSDT",%s,"T":1723161600000,"E":1723161600001}',
        "trade": b'{"e":"trade","E":%d,"T":%d,"s":"BTCUSDT","t":%d,"p":"%s","q":"0.01000000",'
        b'"X":"MARKET","m":true}',
        "depth": b'{"e":"depthUpdate","E":%d,"T":%d,"s":"BTCUSDT","U":%d,"u":%d%s,"b":[%s],'
        b'"a":[%s]}',
        "stream": b"btcusdt@depth@0ms",
    },
}


def capture_path(folder: Path, market: str) -> Path:
    """Where a benchmark capture of ``market`` goes (the path names its exchange)."""
    exchange, symbol = (
        ("BINANCE_FUTURES", "BTC-USDT-PERP") if market == "usdm" else ("BINANCE", "BTC-USDT")
    )
    part = folder / f"golden/exchange={exchange}/symbol={symbol}/dt=2024-08-09"
    part.mkdir(parents=True, exist_ok=True)
    return part / "00.jsonl.zst"


_BID, _ASK = 6_000_000_000_000, 6_000_001_000_000
_TOP = f'"b":"{_units(_BID)}","B":"1.50000000","a":"{_units(_ASK)}","A":"2.00000000"'.encode()


@dataclass
class _Cursor:
    """The ids and the capture clock of the capture being written."""

    update_id: int = 1_000_000_000
    trade_id: int = 500_000_000
    capture: int = 1_723_161_600_000_000_000

    def tick(self) -> int:
        """The next line's capture time, 10 ms on."""
        self.capture += 10_000_000
        return self.capture


def write_capture(path: Path, messages: int, market: str = "spot") -> int:
    """Write a consistent synthetic golden file of about ``messages`` lines in ``market``'s
    shapes, as one zstd frame; return the count. Futures ids skip (they are shared with other
    symbols), the snapshot falls inside the first diff and the last bookTicker of a window
    carries its diff's final id."""
    cursor = _Cursor()
    written = 0
    compressor = zstandard.ZstdCompressor(level=1)
    with open(path, "wb") as raw, compressor.stream_writer(raw) as out:
        out.write(_snapshot_line(cursor, market == "usdm"))
        written += 1
        window = 0
        chunk: list[bytes] = []
        while written < messages:
            chunk += _window_lines(cursor, window, market)
            written += 10
            window += 1
            if len(chunk) >= 5_000:
                out.write(b"".join(chunk))
                chunk.clear()
        out.write(b"".join(chunk))
    return written


def _snapshot_line(cursor: _Cursor, futures: bool) -> bytes:
    """The depth snapshot that opens the capture: 1000 levels a side."""
    bids = ",".join(f'["{_units(_BID - i * 1_000_000)}","1.50000000"]' for i in range(1000))
    asks = ",".join(f'["{_units(_ASK + i * 1_000_000)}","2.00000000"]' for i in range(1000))
    return (
        b'{"capture_ns": %d, "stream": "btcusdt@depthSnapshot", "data": '
        b'{"lastUpdateId":%d,"bids":[%s],"asks":[%s]}}\n'
        % (
            cursor.capture,
            cursor.update_id + 5 * futures,
            bids.encode(),
            asks.encode(),
        )
    )


def _window_lines(cursor: _Cursor, window: int, market: str) -> list[bytes]:
    """One 100 ms window: seven bookTickers, two trades, one depth diff."""
    futures, shapes = market == "usdm", _SHAPES[market]
    event_ms = 1_723_161_600_000 + window * 100
    previous = cursor.update_id
    first = cursor.update_id + (3 if futures else 1)
    last = first + 9
    lines = []
    for k in range(7):
        capture = cursor.tick()
        data = shapes["ticker"] % (last if futures and k == 6 else first + k, _TOP)
        lines.append(
            b'{"capture_ns": %d, "stream": "btcusdt@bookTicker", "data": %s}\n' % (capture, data)
        )
    for _ in range(2):
        cursor.trade_id += 1
        capture = cursor.tick()
        price = _units(_BID).encode()
        data = (
            shapes["trade"] % (event_ms, event_ms, cursor.trade_id, price)
            if futures
            else shapes["trade"] % (event_ms, cursor.trade_id, price, event_ms)
        )
        lines.append(
            b'{"capture_ns": %d, "stream": "btcusdt@trade", "data": %s}\n' % (capture, data)
        )
    cursor.update_id = last
    bids, asks = (
        ",".join(
            f'["{_units(base + sign * (5 + (window + i) % 40) * 1_000_000)}","{i % 3}.00000000"]'
            for i in range(3)
        )
        for base, sign in ((_BID, -1), (_ASK, 1))
    )
    chained = b',"pu":%d' % previous if futures else b""
    times = (event_ms, event_ms) if futures else (event_ms,)
    data = shapes["depth"] % (*times, first, last, chained, bids.encode(), asks.encode())
    capture = cursor.tick()
    lines.append(
        b'{"capture_ns": %d, "stream": "%s", "data": %s}\n' % (capture, shapes["stream"], data)
    )
    return lines


def _baseline(path: Path, limit: int) -> float:
    count = 0
    start = time.perf_counter()
    for line in iter_lines(path):
        json.loads(line)
        count += 1
        if count >= limit:
            break
    return count / (time.perf_counter() - start)


def _validate(path: Path) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if result.returncode:
        msg = f"validation child failed:\n{result.stderr[-2000:]}"
        raise RuntimeError(msg)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _validated(folder: Path, messages: int, market: str, repeats: int) -> tuple[int, list[dict]]:
    """Write a capture under ``folder`` and validate it ``repeats`` times."""
    path = capture_path(folder, market)
    count = write_capture(path, messages, market)
    runs = [_validate(path) for _ in range(repeats)]
    if any(r["gaps"] or r["agreement"] != 1.0 for r in runs):
        msg = f"benchmark capture did not validate clean: {runs[0]}"
        raise RuntimeError(msg)
    return count, runs


def run(*, quick: bool) -> list[dict]:
    """Figures: validation messages/s, the json.loads baseline, their ratio, peak RSS of a
    file and of a ten times larger one, futures against spot."""
    small, large = (100_000, 1_000_000) if quick else (1_000_000, 10_000_000)
    repeats = 3 if quick else 1
    with tempfile.TemporaryDirectory() as folder:
        small_count, small_runs = _validated(Path(folder) / "small", small, "spot", repeats)
        _, futures_runs = _validated(Path(folder) / "futures", small, "usdm", repeats)
        count, runs = _validated(Path(folder) / "large", large, "spot", repeats)
        path = capture_path(Path(folder) / "large", "spot")
        baseline = statistics.median(_baseline(path, min(count, 500_000)) for _ in range(repeats))
    rate = statistics.median(count / r["seconds"] for r in runs)
    small_rate = statistics.median(small_count / r["seconds"] for r in small_runs)
    futures_rate = statistics.median(small_count / r["seconds"] for r in futures_runs)
    small_rss = max(r["rss_kib"] for r in small_runs) / 1024
    rss = max(r["rss_kib"] for r in runs) / 1024
    return [
        {
            "figure": f"validation throughput, one file of {count:,} messages",
            "value": rate,
            "unit": "messages/s",
            "baseline": "json.loads per line",
            "ratio": rate / baseline,
            "target": ">= 921,000",
        },
        {
            "figure": f"futures validation throughput, {small_count:,} messages",
            "value": futures_rate,
            "unit": "messages/s",
            "baseline": "spot validation, same size, same run",
            "ratio": futures_rate / small_rate,
            "target": ">= 0.8",
        },
        {"figure": "json.loads per line (baseline)", "value": baseline, "unit": "messages/s"},
        {
            "figure": f"validation peak RSS, one file of {small_count:,} messages",
            "value": small_rss,
            "unit": "MiB",
        },
        {
            "figure": f"validation peak RSS, one file of {count:,} messages",
            "value": rss,
            "unit": "MiB",
            "baseline": f"peak RSS at {small_count:,} messages",
            "ratio": rss / small_rss,
            "target": "<= 1.2 (flat)",
        },
    ]
