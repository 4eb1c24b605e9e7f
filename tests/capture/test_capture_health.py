"""Capture health from golden files (polars), the journal's files, and the live counters."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from rlx_lib.capture import import_capture
from rlx_lib.capture.health import (
    CaptureHealth,
    capture_gaps,
    capture_latency,
    latency_summary,
    load_capture,
    message_rates,
    session_events,
)
from rlx_lib.capture.journal import Journal
from rlx_lib.golden import ReadReport, format_record, iter_records

HOUR = 3_600_000_000_000


def test_real_capture_health(real_data: Path, data_root: Path) -> None:
    files = sorted((real_data / "hftbacktest-binance-2024-08-08" / "spot").glob("btcusdt_*.gz"))
    summary = import_capture(data_root, paths=files, format="hftbacktest")
    frame = load_capture([data_root / "golden"])
    assert frame.height == sum(summary.records.values())
    assert capture_gaps(frame).is_empty()  # contiguous U/u and trade ids across midnight
    rates = message_rates(frame, every="10s")
    assert rates["messages"].sum() == frame.height
    assert set(rates["stream"]) == set(summary.records)
    latency = capture_latency(frame)
    assert latency.height == frame.filter(pl.col("event_time_ms").is_not_null()).height
    by_kind = latency_summary(frame)
    # the recorder's clock ran about 1.27 s behind Binance (SOURCE.md)
    depth = by_kind.filter(pl.col("kind") == "depth@100ms")
    assert -1400 < depth["median_ms"][0] < -1100
    events = session_events(frame)
    assert events["event"].to_list() == ["depthSnapshot"]


def test_gaps_are_found_where_ids_skip(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    start = 1_723_161_600_000_000_000
    for index, (first, final) in enumerate([(1, 5), (6, 9), (12, 14), (15, 15)]):
        data = b'{"e":"depthUpdate","E":%d,"U":%d,"u":%d,"b":[],"a":[]}' % (index, first, final)
        journal.write("BTC-USDT", start + index, "btcusdt@depth@100ms", data)
    for index, trade in enumerate([7, 8, 11]):
        journal.write("BTC-USDT", start + 10 + index, "btcusdt@trade", b'{"t":%d,"E":1}' % trade)
    journal.close()
    gaps = capture_gaps(load_capture([tmp_path / "golden"]))
    assert gaps.select("kind", "expected", "received", "missing").rows() == [
        ("depth@100ms", 10, 12, 2),
        ("trade", 9, 11, 2),
    ]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3 * HOUR),
            st.sampled_from(["btcusdt@trade", "btcusdt@depth@100ms", "_session"]),
            st.binary(min_size=0, max_size=20).map(lambda raw: b'{"x":"%s"}' % raw.hex().encode()),
        ),
        max_size=30,
    )
)
def test_journal_lines_equal_format_record_and_rotate_hourly(
    tmp_path_factory: object, records: list[tuple[int, str, bytes]]
) -> None:
    root = tmp_path_factory.mktemp("journal")  # type: ignore[attr-defined]
    start = 1_723_161_600_000_000_000
    journal = Journal(root)
    ordered = sorted(records)
    for offset, stream, data in ordered:
        journal.write("BTC-USDT", start + offset, stream, data)
    files = journal.close()
    hours = sorted({(start + offset) // HOUR for offset, _, _ in ordered})
    assert len(files) == len(hours)  # one file per capture hour
    lines = []
    for path in files:
        report = ReadReport(str(path))
        lines.extend(
            format_record(r.capture_ns, r.stream, r.data) for r in iter_records(path, report)
        )
        assert report.clean
    assert lines == [
        format_record(start + offset, stream, data) for offset, stream, data in ordered
    ]


def test_journal_never_overwrites_a_closed_file(tmp_path: Path) -> None:
    start = 1_723_161_600_000_000_000
    first = Journal(tmp_path)
    first.write("BTC-USDT", start, "btcusdt@trade", b'{"t":1}')
    second = Journal(tmp_path)  # a second capture in the same hour
    second.write("BTC-USDT", start + 1, "btcusdt@trade", b'{"t":2}')
    names = sorted(p.name for p in first.close() + second.close())
    assert names == ["00.jsonl.zst", "00_1.jsonl.zst"]


def test_flush_makes_the_open_part_file_readable(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    start = 1_723_161_600_000_000_000
    for index in range(100):
        journal.write("BTC-USDT", start + index, "btcusdt@trade", b'{"t":%d}' % index)
    journal.flush(now_ns=start)
    (part,) = journal.open_files
    journal.write("BTC-USDT", start + 100, "btcusdt@trade", b'{"t":100}')  # not yet flushed
    report = ReadReport(str(part))
    assert [r.data for r in iter_records(part, report)] == [b'{"t":%d}' % i for i in range(100)]
    assert report.clean
    journal.flush(now_ns=start + HOUR)  # the hour is over: closed and renamed
    assert journal.open_files == []
    assert [p.name for p in journal.closed_files] == ["00.jsonl.zst"]


def test_status_line_and_summary() -> None:
    health = CaptureHealth()
    for _ in range(10):
        health.message("btcusdt@trade", 100)
    health.depth_gaps["btcusdt"] += 1
    health.reconnects += 1
    line = health.status_line()
    assert "btcusdt@trade" in line
    assert "gaps 1+0" in line
    assert "reconnects 1" in line
    summary = health.summary()
    assert summary["messages"] == 10
    assert summary["bytes"] == 1000
    assert summary["streams"] == {"btcusdt@trade": 10}
