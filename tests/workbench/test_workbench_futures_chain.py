"""The USD-M futures chain end to end, as a user runs it: synth, validate, fidelity (which
rebuilds both sides)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from workbench.cli import main

DAYS = ["--start", "2024-08-08", "--end", "2024-08-09"]


def _rlx(monkeypatch: pytest.MonkeyPatch, *args: str) -> None:
    monkeypatch.setattr(sys, "argv", ["rlx", *args])
    code = 0
    try:
        main()
    except SystemExit as exit_:
        code = exit_.code
    assert not code, args


def test_futures_chain_from_synth_to_fidelity(
    data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    _rlx(monkeypatch, "synth", "--market", "usdm", "--minutes", "0.2", "--seed", "4")
    futures = data_root / "golden/exchange=BINANCE_FUTURES/symbol=BTC-USDT-PERP"
    assert list(futures.rglob("*.jsonl.zst"))
    assert not (data_root / "golden/exchange=BINANCE").exists()
    assert (data_root / "lake/book_delta_v2/exchange=BINANCE_FUTURES/symbol=BTC-USDT-PERP").is_dir()

    _rlx(monkeypatch, "validate", "--strict")
    saved = json.loads((data_root / "validation/validation.json").read_text())
    assert saved["symbols"] == {}
    perp = saved["futures_symbols"]["BTCUSDT"]
    assert (perp["depth_gaps"], perp["trade_id_gaps"], perp["crossed_books"]) == (0, 0, 0)
    assert perp["depth_applied"] > 0
    assert perp["book_ticker_agreement"] == 1.0

    out = tmp_path / "report"
    _rlx(
        monkeypatch,
        "fidelity",
        "--symbols",
        "BTC-USDT-PERP",
        *DAYS,
        "--metrics",
        "top_of_book_agreement,message_coverage",
        "--out",
        str(out),
    )
    metrics = {m["name"]: m for m in json.loads((out / "metrics.json").read_text())["metrics"]}
    assert metrics["top_of_book_agreement"]["value"] == 1.0
    assert metrics["top_of_book_agreement"]["n"] > 0
    assert "BTC-USDT-PERP" in capsys.readouterr().out
    book = data_root / "book/exchange=BINANCE_FUTURES/symbol=BTC-USDT-PERP/dt=2024-08-08"
    assert sorted(p.name for p in book.glob("part-*.parquet")) == [
        "part-golden.parquet",
        "part-lake.parquet",
    ]
