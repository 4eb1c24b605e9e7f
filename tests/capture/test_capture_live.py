"""Opt-in (``pytest -m live``): a few seconds of real Binance spot streams."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlx_lib.capture.health import capture_gaps, load_capture
from rlx_lib.capture.session import CaptureConfig, run_capture


@pytest.mark.live
def test_real_binance_capture(data_root: Path) -> None:
    config = CaptureConfig(symbols=("btcusdt",), duration=8.0)
    summary = run_capture(config, data_root)
    assert summary["connections"] >= 1
    assert summary["snapshots"] >= 1
    assert summary["streams"].get("btcusdt@depth@100ms", 0) > 10
    frame = load_capture([data_root / "golden"])
    depth = capture_gaps(frame).filter(capture_gaps(frame)["kind"].str.starts_with("depth"))
    assert depth.height == summary["depth_gaps"]
