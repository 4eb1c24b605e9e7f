"""Live capture against the local Binance-protocol server, one fault at a time.

For every fault: every message the server sent while connected is in the files byte for byte,
nothing is recorded twice or altered, and every depth gap is recorded as a resync and followed
by a snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rlx_lib.capture.config import CaptureConfig
from rlx_lib.capture.journal import Journal
from rlx_lib.capture.link import AttemptLimiter, Connection, backoff
from rlx_lib.capture.recover import recover_parts
from rlx_lib.capture.session import CaptureSession
from rlx_lib.golden import GoldenRecord, ReadReport, golden_files, iter_records
from rlx_lib.local.binance import BinanceServer, synthetic_feed

SYMBOLS = ("btcusdt", "ethusdt")
FEED = list(synthetic_feed(SYMBOLS, messages=1600, seed=3))
MARKET = {(r.stream, r.data) for r in FEED if not r.stream.endswith("Snapshot")}


def _config(server: BinanceServer, **overrides: Any) -> CaptureConfig:
    options: dict[str, Any] = {
        "symbols": SYMBOLS,
        "ws_url": server.ws_url,
        "rest_url": server.rest_url,
        "flush_interval": 0.1,
        "ping_interval": 0.1,
        "ping_timeout": 0.2,
        "close_timeout": 0.2,
        "stall_timeout": 5.0,
        "backoff_initial": 0.02,
        "handover_timeout": 0.5,
        **overrides,
    }
    return CaptureConfig(**options)


async def _capture(
    root: Path,
    *,
    server_options: dict[str, Any] | None = None,
    until: Callable[[CaptureSession], bool] = lambda session: True,
    **overrides: Any,
) -> tuple[BinanceServer, dict[str, Any], list[GoldenRecord]]:
    server = BinanceServer(FEED, **{"rate": 4000, **(server_options or {})})
    await server.start()
    session = CaptureSession(_config(server, **overrides), root)
    running = asyncio.create_task(session.run())
    await server.finished.wait()
    wanted = {(stream, data) for _, stream, data in server.sent}
    for _ in range(200):  # let what is in flight arrive
        if sum(session.health.messages.values()) >= len(wanted) and until(session):
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)
    session.stop()
    summary = await running
    await server.stop()
    records = []
    for path in golden_files([root / "golden"]):
        report = ReadReport(str(path))
        mine = list(iter_records(path, report))
        assert report.clean, report
        stamps = [record.capture_ns for record in mine]
        assert stamps == sorted(stamps)  # the capture clock never runs back within a file
        records.extend(mine)
    return server, summary, records


def _check_integrity(server: BinanceServer, records: list[GoldenRecord]) -> list[dict]:
    """Common assertions; return the ``_session`` records."""
    market = [r for r in records if "@" in r.stream and not r.stream.endswith("Snapshot")]
    captured = Counter((r.stream, r.data) for r in market)
    assert max(captured.values()) == 1  # nothing recorded twice
    assert set(captured) <= MARKET  # nothing altered: every line is a feed message, byte for byte
    sent = {(stream, data) for _, stream, data in server.sent}
    assert sent <= set(captured)  # everything sent while connected was recorded
    sessions = [orjson.loads(r.data) for r in records if r.stream == "_session"]
    for symbol in SYMBOLS:
        mine = sorted(
            (r for r in records if r.stream.startswith(symbol) or r.stream == "_session"),
            key=lambda r: r.capture_ns,
        )
        previous = None
        open_gap = None
        for record in mine:
            if record.stream == f"{symbol}@depth@100ms":
                data = orjson.loads(record.data)
                if previous is not None and data["U"] != previous + 1:
                    assert open_gap is None or open_gap == "resynced"
                    open_gap = ("gap", data["U"])
                previous = data["u"]
            elif record.stream == "_session" and open_gap and open_gap[0] == "gap":
                note = orjson.loads(record.data)
                if note["event"] == "resync" and note["symbol"] == symbol.upper():
                    open_gap = ("resync", open_gap[1])
            elif record.stream == f"{symbol}@depthSnapshot" and open_gap:
                assert open_gap[0] == "resync"  # the gap was recorded before the snapshot
                open_gap = None
        assert open_gap is None  # every gap was followed by a resync snapshot
    return sessions


def _events(sessions: list[dict], name: str) -> list[dict]:
    return [s for s in sessions if s["event"] == name]


def test_clean_capture_records_everything_once(data_root: Path) -> None:
    server, summary, records = asyncio.run(_capture(data_root))
    sessions = _check_integrity(server, records)
    assert len({(s, d) for _, s, d in server.sent}) == len(MARKET)
    assert summary["depth_gaps"] == summary["trade_gaps"] == 0
    assert summary["snapshots"] == 2
    assert {s["symbol"] for s in _events(sessions, "subscribed")} == {"BTCUSDT", "ETHUSDT"}
    assert {s["reason"] for s in _events(sessions, "disconnected")} == {"stopped"}
    paths = golden_files([data_root / "golden"])
    assert [p.parent.parent.name for p in paths] == ["symbol=BTC-USDT", "symbol=ETH-USDT"]


@pytest.mark.parametrize("fault", ["abort", "close", "expire"])
def test_disconnects_reconnect_and_resync(fault: str, data_root: Path) -> None:
    server, summary, records = asyncio.run(
        _capture(data_root, server_options={"faults": [(fault, 500)], "settle": 0.05})
    )
    sessions = _check_integrity(server, records)
    assert [kind for kind, _, _ in server.injected] == [fault]
    assert summary["reconnects"] == 1
    assert summary["connections"] == 2
    reasons = [s["reason"] for s in _events(sessions, "disconnected") if s["connection"] == 1]
    expected = {"abort": "without a close frame", "close": "1001", "expire": "1000"}[fault]
    assert all(expected in reason for reason in reasons)
    assert len(reasons) == 2  # one record per symbol file
    assert summary["depth_gaps"] >= 1, (summary, server.injected, len(server.sent))
    assert summary["snapshots"] >= 2 + summary["depth_gaps"] - 1


def test_stall_without_pongs_is_detected(data_root: Path) -> None:
    server, summary, records = asyncio.run(
        _capture(
            data_root,
            server_options={"faults": [("stall", 500)]},
            until=lambda session: session.health.reconnects > 0,
        )
    )
    sessions = _check_integrity(server, records)
    assert summary["reconnects"] == 1
    first = [s for s in _events(sessions, "disconnected") if s["connection"] == 1]
    assert first
    assert "duration" not in first[0]["reason"]


@pytest.mark.parametrize("how", ["serverShutdown", "rotation"])
def test_make_before_break_leaves_no_gap(how: str, data_root: Path) -> None:
    # A slower feed and wide margins: the successor must connect and overlap the old connection
    # before the server drops it, also on a loaded machine.
    if how == "serverShutdown":
        options: dict[str, Any] = {"faults": [("shutdown", 500)], "shutdown_lead": 0.5}
        overrides: dict[str, Any] = {}
    else:  # rotate before the server's forced disconnect (24 h scaled down)
        options, overrides = {"max_age": 0.9}, {"rotate_after": 0.25}
    options["rate"] = 1500
    server, summary, records = asyncio.run(_capture(data_root, server_options=options, **overrides))
    sessions = _check_integrity(server, records)
    assert summary["connections"] >= 2
    assert summary["reconnects"] == 0
    assert summary["depth_gaps"] == summary["trade_gaps"] == summary["resyncs"] == 0
    assert summary["duplicates_dropped"] > 0  # the overlap was seen and removed
    assert len({(s, d) for _, s, d in server.sent}) == len(MARKET)
    assert _events(sessions, "rotated")
    if how == "serverShutdown":
        assert _events(sessions, "serverShutdown")


def test_frames_held_back_in_a_hand_over_never_run_the_clock_back(data_root: Path) -> None:
    """The new connection's frame of one stream waits for the old connection to overlap while
    the old one writes a later frame of another stream into the same file."""
    feed = [
        r for r in synthetic_feed(["btcusdt"], messages=60, seed=1) if "Snapshot" not in r.stream
    ]
    trades = [r for r in feed if r.stream == "btcusdt@trade"]
    tickers = [r for r in feed if r.stream == "btcusdt@bookTicker"]

    def frame(record: GoldenRecord) -> bytes:
        return b'{"stream":"%s","data":%s}' % (record.stream.encode(), record.data)

    async def hand_over() -> None:
        config = CaptureConfig(symbols=("btcusdt",), streams=("trade", "bookTicker"))
        session = CaptureSession(config, data_root)
        link = session._links[0]
        old = link.current = Connection(link, 1)
        new = link.candidate = Connection(link, 2)
        steps = [
            (old, trades[0], 100),
            (old, tickers[0], 100),
            (new, trades[1], 200),  # ahead of the old connection: held back
            (old, tickers[1], 300),  # another stream of the same file, written now
            (old, trades[1], 400),  # the overlap: the held-back trade goes out
            (new, tickers[1], 500),  # a repeat: the new connection takes over
            (new, trades[2], 600),
        ]
        for connection, record, capture_ns in steps:
            link._frame(connection, frame(record), capture_ns)
        session.journal.close()

    asyncio.run(hand_over())
    (path,) = golden_files([data_root / "golden"])
    written = [(r.capture_ns, r.data) for r in iter_records(path)]
    assert written == [
        (100, trades[0].data),
        (100, tickers[0].data),
        (300, tickers[1].data),
        (400, trades[1].data),  # stamped when the hand-over let it through
        (600, trades[2].data),
    ]


def test_malformed_frame_is_recorded_and_capture_goes_on(data_root: Path) -> None:
    server, summary, records = asyncio.run(
        _capture(data_root, server_options={"faults": [("malformed", 300)]})
    )
    sessions = _check_integrity(server, records)
    bad = _events(sessions, "malformed")
    assert len(bad) == 2  # one per symbol file
    assert bad[0]["text"].startswith('{"stream":"!malformed"')
    assert summary["malformed_frames"] == 1
    assert summary["reconnects"] == 0


def test_rest_errors_are_retried(data_root: Path) -> None:
    server, summary, records = asyncio.run(
        _capture(data_root, server_options={"rest_failures": [429, 500, 500]})
    )
    sessions = _check_integrity(server, records)
    statuses = sorted(s["status"] for s in _events(sessions, "snapshot_failed"))
    assert statuses == [429, 500, 500]
    assert summary["snapshots"] == 2
    assert [status for _, status in server.rest_requests].count(200) == 2


def test_streams_split_across_connections(data_root: Path) -> None:
    server, summary, records = asyncio.run(_capture(data_root, max_streams_per_connection=3))
    sessions = _check_integrity(server, records)
    assert summary["connections"] == 3  # 8 streams, at most 3 per connection
    assert len({s["connection"] for s in _events(sessions, "subscribed")}) == 3
    assert summary["streams"].keys() == {stream for stream, _ in MARKET}
    assert len({(s, d) for _, s, d in server.sent}) == len(MARKET)


def test_connection_attempts_stay_under_the_limit() -> None:
    async def attempts() -> list[float]:
        limiter = AttemptLimiter(2, 0.3)
        times = []
        for _ in range(3):
            await limiter.acquire()
            times.append(time.monotonic())
        return times

    first, second, third = asyncio.run(attempts())
    assert second - first < 0.3  # within the limit: no wait
    assert third - first >= 0.29  # the third waits until the first leaves the window


@given(st.integers(min_value=1, max_value=40))
def test_backoff_grows_exponentially_with_jitter(failures: int) -> None:
    config = CaptureConfig(symbols=("btcusdt",), backoff_initial=0.5, backoff_max=30.0)
    ceiling = min(30.0, 0.5 * 2 ** (failures - 1))
    delays = [backoff(config, failures) for _ in range(20)]
    assert all(ceiling / 2 <= delay <= ceiling for delay in delays)


def test_next_capture_closes_orphaned_parts_and_leaves_live_ones(data_root: Path) -> None:
    journal = Journal(data_root)
    orphan = b'{"e":"trade","t":1}'
    journal.write("BTC-USDT", time.time_ns(), "btcusdt@trade", orphan)
    journal.flush()
    (part,) = journal.open_files
    assert recover_parts(data_root) == []  # a live journal holds its lock: left alone
    journal._files["BTC-USDT"].handle.close()  # the process dies: its lock goes with it
    server, summary, records = asyncio.run(_capture(data_root))
    closed = part.with_name(part.name.removesuffix(".part"))
    assert summary["recovered"] == [str(closed)]
    assert not part.exists()
    kept = list(iter_records(closed))
    assert [r.data for r in kept if r.stream == "btcusdt@trade"] == [orphan]
    assert b'"event":"recovered"' in kept[-1].data
    assert str(closed) not in summary["files"]  # the new capture wrote beside it, not over it
    _check_integrity(server, [r for r in records if r.data != orphan])


@pytest.fixture(name="small_disk")
def fixture_small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs, unmounted afterwards."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def _fill(folder: Path) -> Path:
    """Fill the disk under ``folder`` to the last byte; return the filler file."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 4096)
    return filler


async def _capture_on_full_disk(
    root: Path, filler: Path, *, free_after: int | None, **overrides: Any
) -> tuple[BinanceServer, CaptureSession, dict[str, Any]]:
    """Capture the feed on a full disk; free it after ``free_after`` failed writes (or never)."""
    server = BinanceServer(FEED, rate=4000)
    await server.start()
    session = CaptureSession(_config(server, **overrides), root)
    running = asyncio.create_task(session.run())
    await server.finished.wait()
    wanted = len({(stream, data) for _, stream, data in server.sent})
    while sum(session.health.messages.values()) < wanted and not running.done():
        await asyncio.sleep(0.02)
    while free_after is not None and session.journal.write_failures < free_after:
        await asyncio.sleep(0.02)
    if free_after is not None:
        filler.unlink()
        while session.journal.failure is not None or session.journal.unwritten_records:
            await asyncio.sleep(0.02)
    elif not running.done():
        await asyncio.wait_for(asyncio.shield(running), 30)
    session.stop()
    summary = await running
    await server.stop()
    return server, session, summary


def test_full_disk_holds_messages_then_writes_them_and_records_the_gap(small_disk: Path) -> None:
    filler = _fill(small_disk)
    server, _, summary = asyncio.run(_capture_on_full_disk(small_disk, filler, free_after=3))
    assert summary["ok"]
    assert summary["write_failures"] >= 3
    assert summary["unwritten_records"] == 0
    records = [r for path in golden_files([small_disk]) for r in iter_records(path)]
    sessions = _check_integrity(server, records)  # every message once, byte for byte
    gaps = _events(sessions, "write_failed")
    assert {gap["symbol"] for gap in gaps} == {"BTCUSDT", "ETHUSDT"}
    assert all(gap["attempts"] >= 3 for gap in gaps)
    assert all(gap["since_ns"] < gap["resumed_ns"] for gap in gaps)
    assert "No space left on device" in gaps[0]["error"]


def test_full_disk_for_good_stops_with_a_summary_before_losing_anything(
    small_disk: Path,
) -> None:
    filler = _fill(small_disk)
    _, session, summary = asyncio.run(
        _capture_on_full_disk(small_disk, filler, free_after=None, max_buffer_bytes=60_000)
    )
    assert not summary["ok"], summary
    assert "writes failing" in summary["stop_reason"], summary
    on_disk = sum(1 for path in golden_files([small_disk]) for _ in iter_records(path))
    assert summary["unwritten_records"] > 0, (summary, on_disk)
    assert on_disk + summary["unwritten_records"] == session.journal.records_written  # counted
    assert session.journal.unwritten_bytes < 60_000 + (1 << 16)  # the buffer stayed bounded
