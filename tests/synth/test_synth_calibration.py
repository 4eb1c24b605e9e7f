"""Calibration: the instrument reproduces the real capture's published statistics, and the
``high`` preset's live view lands inside the section-9 targets."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

from rlx_lib.capture.importers import read_hftbacktest
from rlx_lib.golden import GoldenRecord
from rlx_lib.synth.calibration import OBSERVED, TARGETS, measure
from rlx_lib.synth.live import live_records
from rlx_lib.synth.market import simulate

START_NS = 1_723_161_255_000_000_000
KEY_STATISTICS = (
    "depth_msgs_per_s",
    "ids_per_s",
    "ids_per_msg_p50",
    "ids_per_msg_p95",
    "entries_per_msg_p50",
    "entries_per_msg_p95",
    "both_sides_price_share",
    "qty0_share",
    "delete_unheld_share",
    "within_1bp_share",
    "spread_1tick_share",
    "trades_per_s",
    "trades_per_sweep",
    "single_fill_share",
    "trade_size_p50",
    "trade_size_p90",
    "trade_size_p99",
    "trade_sign_acf1",
    "ret100_zero_share",
    "ret1s_kurtosis",
)


def _real_records(real_data: Path) -> itertools.chain[GoldenRecord]:
    folder = real_data / "hftbacktest-binance-2024-08-08" / "spot"
    return itertools.chain.from_iterable(
        read_hftbacktest(folder / name) for name in ("btcusdt_20240808.gz", "btcusdt_20240809.gz")
    )


def test_measure_reproduces_the_real_capture(real_data: Path) -> None:
    measured = measure(_real_records(real_data), symbol="BTC-USDT")
    # values in calibration.md carry two or three significant digits
    wrong = {
        name: (measured.get(name), expected)
        for name, expected in OBSERVED.items()
        if not abs(measured.get(name, math.nan) - expected) <= max(0.02 * abs(expected), 0.006)
    }
    assert not wrong, f"measured vs calibration.md: {wrong}"
    # the real capture itself lands inside every target range
    outside = {
        name: measured[name]
        for name, (low, high) in TARGETS.items()
        if not low <= measured.get(name, math.nan) <= high
    }
    assert not outside, outside


def test_measure_ignores_other_symbols_and_streams() -> None:
    records = [
        GoldenRecord(1, "ethusdt@trade", b'{"e":"trade"}'),
        GoldenRecord(2, "btcusdt@kline_1m", b"{}"),
    ]
    assert measure(records, symbol="BTC-USDT") == {}


@pytest.fixture(name="high_statistics", scope="module")
def fixture_high_statistics() -> dict[str, float]:
    truth = simulate("BTC-USDT", "high", start_ns=START_NS, seconds=900, seed=2024)
    return measure(live_records(truth, seed=2024), symbol="BTC-USDT")


def test_high_preset_lands_inside_the_targets(high_statistics: dict[str, float]) -> None:
    outside = {
        name: (round(high_statistics.get(name, math.nan), 5), TARGETS[name])
        for name in KEY_STATISTICS
        if not TARGETS[name][0] <= high_statistics.get(name, math.nan) <= TARGETS[name][1]
    }
    assert not outside, f"outside section-9 targets: {outside}"
