"""Fidelity over the real upstream stages: synthetic market and the real hftbacktest capture.

synth (or import + vendor_from_golden) writes golden/ and lake/, reconstruction rebuilds both
into book/ and events/, and fidelity compares them; the injected faults are read back from
``lake/_injected.json``.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np

from rlx_lib.capture import import_capture
from rlx_lib.catalog import parse_day
from rlx_lib.fidelity import evaluate
from rlx_lib.fidelity.metrics.agreement import first_mismatches
from rlx_lib.reconstruction import reconstruct
from rlx_lib.synth import VendorFaults, synthesize, vendor_from_golden

EXACT = (
    "top_of_book_agreement",
    "depth_agreement_1",
    "depth_agreement_5",
    "depth_agreement_20",
    "message_coverage",
    "vendor_message_coverage",
    "trade_match_rate",
    "origin_time_agreement",
    "grid_series_agreement",
)
DAY = dt.date(2024, 8, 8)


def _rebuild(root, symbols, days):
    for source in ("golden", "lake"):
        end = days[-1] + dt.timedelta(days=1)
        result = reconstruct(root, source=source, symbols=symbols, start=days[0], end=end)
        assert result.ok, result.failed


def test_synthetic_market_without_faults_agrees_exactly(data_root, tmp_path):
    synthesize(data_root, symbols=["BTC-USDT"], regime="high", minutes=0.5, seed=3)
    _rebuild(data_root, ["BTC-USDT"], [DAY])
    report = evaluate(
        data_root, symbols=["BTC-USDT"], start=DAY, end=DAY + dt.timedelta(days=1), out=tmp_path
    )
    for name in EXACT:
        record = report.record(name)
        assert record.value == 1.0, (name, record.detail)
        assert record.n > 100, name
    assert report.record("depth_l1_distance_20").value == 0.0
    assert report.verdict.passed, report.verdict.sentence()


def test_injected_vendor_faults_are_counted_exactly(data_root):
    faults = VendorFaults(drop_rate=0.02, duplicate_rate=0.01, off_grid_rate=0.001)
    synthesize(data_root, symbols=["BTC-USDT"], minutes=0.5, seed=5, vendor_faults=faults)
    injected = json.loads((data_root / "lake" / "_injected.json").read_text())
    dropped = sorted(_ids(injected["dropped_messages"]))
    assert dropped, "the synthetic market must have dropped some messages"
    assert injected["duplicated_rows"]
    _rebuild(data_root, ["BTC-USDT"], [DAY])
    report = evaluate(data_root, symbols=["BTC-USDT"], start=DAY, end=DAY + dt.timedelta(days=1))
    aligned = report.aligned["BTC-USDT"]
    reference = aligned.reference_messages.filter(kind="delta")["update_id"].to_numpy()
    expected_missing = sorted(set(dropped) & set(reference.tolist()))
    coverage = report.record("message_coverage")
    assert coverage.detail["missing"] == len(expected_missing)
    assert coverage.detail["missing_update_ids"] == expected_missing[:20]
    assert coverage.value == (coverage.n - len(expected_missing)) / coverage.n
    assert coverage.detail["vendor_extra"] == 0  # duplicated rows make no new message
    states = aligned.books
    inside = states.period >= 0
    assert report.record("depth_agreement_20").n == int(inside.sum())
    assert not np.isin(states.update_id, dropped).any()  # a dropped u is never compared
    for mismatch in first_mismatches(aligned, depth=20, limit=5):
        assert mismatch["missing_before"] in dropped
    # off-grid floats are snapped back to the 1e-8 grid on ingest (and listed as issue rows),
    # so the trades they touched still match exactly
    off_grid_trades = [v for v in injected["off_grid_values"] if v["table"] == "trades"]
    assert off_grid_trades
    assert report.record("trade_match_rate").value == 1.0
    assert not report.verdict.passed
    assert any("message_coverage" in line for line in report.verdict.failed)


def _ids(listed):
    """Update ids from ``dropped_messages`` (plain ids or ``{"update_id": u, ...}`` rows)."""
    return [item["update_id"] if isinstance(item, dict) else item for item in listed]


def test_real_capture_vendor_view_reconstructs_to_full_agreement(real_data, data_root, tmp_path):
    capture = real_data / "hftbacktest-binance-2024-08-08" / "spot"
    files = sorted(capture.glob("btcusdt_*.gz"))
    assert len(files) == 2
    import_capture(data_root, paths=files, format="hftbacktest", symbol="BTC-USDT")
    vendor_from_golden(data_root, golden=[data_root / "golden"], seed=1)
    days = [parse_day("2024-08-08"), parse_day("2024-08-09")]
    _rebuild(data_root, ["BTC-USDT"], days)
    metrics = ["depth_agreement_20", "top_of_book_agreement", "message_coverage"]
    report = evaluate(
        data_root, symbols=["BTC-USDT"], start=days[0], end="2024-08-10", metrics=metrics
    )
    headline = report.record("depth_agreement_20")
    assert headline.value == 1.0, headline.detail
    assert headline.n > 6000  # 3451 + 3044 depth messages in the two files
    assert report.record("message_coverage").value == 1.0
    assert report.verdict.passed
