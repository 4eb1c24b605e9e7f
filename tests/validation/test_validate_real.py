"""Validation of the real Binance captures: the known facts come back exactly."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from rlx_lib.schemas import ISSUE
from rlx_lib.validation.resume import validate_golden

KNOWN_EXCEPTIONS = [50093478174, 50093480542]


def test_hftbacktest_btcusdt_has_no_gaps_and_two_known_book_ticker_exceptions(
    real_golden: Path, tmp_path: Path
) -> None:
    report = validate_golden([real_golden / "golden"])
    btc = report.symbols["BTCUSDT"]
    assert btc["depth_messages"] == 3451 + 3044
    assert btc["trade_messages"] == 9757 + 10147
    assert btc["depth_gaps"] == 0
    assert btc["trade_id_gaps"] == 0
    assert btc["out_of_order"] == 0
    assert btc["duplicates"] == 0
    assert btc["snapshots"] == 1
    assert btc["depth_stale"] == 2  # the two diffs before the snapshot
    assert btc["book_ticker_checks"] == 6493
    assert btc["book_ticker_agreement"] >= 0.999
    assert btc["book_ticker_checks"] - round(btc["book_ticker_agreement"] * 6493) == 2
    mismatches = report.issues.filter(pl.col("check") == "book_ticker_mismatch")
    assert sorted(mismatches["update_id"].to_list()) == KNOWN_EXCEPTIONS
    assert btc["crossed_books"] == 0
    assert btc["first_origin_time"] == "2024-08-08T23:54:15.208Z"
    assert btc["last_origin_time"] == "2024-08-09T00:05:05.809Z"
    # The recorder's clock ran about 1.27 s behind Binance (research/binance.md section 7).
    assert -1300 < btc["latency_ms"]["p50"] < -1250
    assert report.issues.schema == ISSUE
    path = report.write(tmp_path)
    saved = json.loads(path.read_text())["symbols"]["BTCUSDT"]
    assert saved["book_ticker_checks"] == 6493
    assert (tmp_path / "validation.md").read_text().count("BTCUSDT") >= 1


def test_cryptofeed_four_symbols_sync_after_their_snapshots(cryptofeed_golden: Path) -> None:
    report = validate_golden([cryptofeed_golden / "golden"])
    assert sorted(report.symbols) == ["BLZETH", "LRCBTC", "NKNUSDT", "RUNEEUR"]
    for name, summary in report.symbols.items():
        assert summary["snapshots"] == 1, name
        assert summary["depth_gaps"] == 0, name
        assert summary["depth_applied"] >= 1, name  # synced after its snapshot
        assert summary["depth_applied"] + summary["depth_stale"] == summary["depth_messages"]
        assert summary["crossed_books"] == 0, name
    for name in ("BLZETH", "LRCBTC", "NKNUSDT"):
        assert report.symbols[name]["book_ticker_agreement"] == 1.0
        assert report.symbols[name]["book_ticker_checks"] > 0
    rune = report.symbols["RUNEEUR"]
    assert rune["book_ticker_agreement"] is None
    assert rune["book_ticker_note"] == "no bookTicker stream in the capture"
