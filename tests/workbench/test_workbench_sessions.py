"""Fallback data roots of the notebooks: the given root, else a synthetic session."""

from __future__ import annotations

import json
from pathlib import Path

from workbench.sessions import acquired_lake, fidelity_session, regime_sessions


def test_fidelity_session_keeps_a_given_root_holding_both_views(tmp_path: Path) -> None:
    for part in ("golden/exchange=BINANCE/00.jsonl.zst", "lake/trades/part-0.parquet"):
        (tmp_path / part).parent.mkdir(parents=True)
        (tmp_path / part).write_bytes(b"")
    before = sorted(tmp_path.rglob("*"))
    root = fidelity_session(str(tmp_path), symbol="BTC-USDT", minutes=0.1, seed=1, drop_rate=0.5)
    assert root == tmp_path
    assert sorted(tmp_path.rglob("*")) == before  # nothing synthesized into it


def test_fidelity_session_of_an_empty_root_is_a_fresh_session(tmp_path: Path) -> None:
    root = fidelity_session(str(tmp_path), symbol="BTC-USDT", minutes=0.1, seed=1, drop_rate=0.5)
    assert root != tmp_path
    assert list(tmp_path.iterdir()) == []  # the empty root is left alone
    assert any((root / "lake").rglob("*.parquet"))


def test_fidelity_session_synthesizes_a_vendor_view_with_drops() -> None:
    root = fidelity_session("", symbol="BTC-USDT", minutes=0.1, seed=1, drop_rate=0.05)
    assert any((root / "golden").rglob("*.jsonl.zst"))
    assert any((root / "lake").rglob("*.parquet"))
    injected = json.loads((root / "lake" / "_injected.json").read_text(encoding="utf-8"))
    assert injected  # the vendor faults are recorded beside the data


def test_regime_sessions_write_one_root_per_regime(tmp_path: Path) -> None:
    roots = regime_sessions("ETH-USDT", ("high", "low"), minutes=0.1, seed=3, workdir=tmp_path)
    assert roots == {"high": tmp_path / "high", "low": tmp_path / "low"}
    for root in roots.values():
        assert any((root / "golden").rglob("*.jsonl.zst"))
        assert not (root / "lake").exists()  # golden view only by default


def test_acquired_lake_keeps_a_root_holding_a_lake(tmp_path: Path) -> None:
    part = tmp_path / "lake" / "trades" / "exchange=BINANCE" / "part.parquet"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"")
    assert acquired_lake(tmp_path, symbols=["BTC-USDT"], minutes=0.1, seed=1) == tmp_path
