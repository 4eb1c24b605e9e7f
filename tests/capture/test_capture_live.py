"""Opt-in (``pytest -m live``): a few seconds of real Binance spot streams."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlx_lib.capture import capture, capture_gaps, load_capture


@pytest.mark.live
def test_real_binance_capture(data_root: Path) -> None:
    result = capture(data_root, symbols=["btcusdt"], duration=8.0)
    assert result.connections >= 1
    assert result.snapshots >= 1
    assert result.streams.get("btcusdt@depth@100ms", 0) > 10
    frame = load_capture([data_root / "golden"])
    depth = capture_gaps(frame).filter(capture_gaps(frame)["kind"].str.starts_with("depth"))
    assert depth.height == result.depth_gaps
