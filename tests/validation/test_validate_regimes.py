"""Regimes side by side: samples read back exactly, every pair tested, tails fitted."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import orjson
import polars as pl
import pytest

from rlx_lib.golden import GoldenRecord, golden_path, write_golden_file
from rlx_lib.validation.regimes import (
    MEASURES,
    compare_regimes,
    quality_table,
    regime_samples,
    samples_frame,
    tail_fits,
    validate_regimes,
)

START_MS = 1_723_118_400_000  # 2024-08-08 12:00 UTC


def _write_trades(root: Path, trades: list[tuple[int, str, str]]) -> None:
    """Golden ``@trade`` lines of (exchange ms, price, quantity), trade ids 1, 2, ..."""
    records = []
    for trade_id, (time_ms, price, quantity) in enumerate(trades, start=1):
        data = {
            "e": "trade",
            "E": time_ms,
            "s": "BTCUSDT",
            "t": trade_id,
            "p": price,
            "q": quantity,
            "T": time_ms,
            "m": trade_id % 2 == 0,
            "M": True,
        }
        records.append(GoldenRecord(time_ms * 1_000_000, "btcusdt@trade", orjson.dumps(data)))
    write_golden_file(
        golden_path(root, symbol="BTC-USDT", capture_ns=records[0].capture_ns), records
    )


@pytest.fixture(name="roots")
def fixture_roots(tmp_path: Path) -> dict[str, Path]:
    _write_trades(
        tmp_path / "busy",
        [
            (START_MS, "64000.10", "0.5"),
            (START_MS + 3, "64000.20", "1.25"),
            (START_MS + 10, "64000.00", "2"),
        ],
    )
    _write_trades(
        tmp_path / "quiet", [(START_MS, "64000.10", "0.001"), (START_MS + 250, "64000.10", "0.002")]
    )
    return {"busy": tmp_path / "busy", "quiet": tmp_path / "quiet"}


def test_regime_samples_read_every_trade(roots):
    samples = regime_samples(roots)
    assert samples["busy"] == {
        "size": [0.5, 1.25, 2.0],
        "price": [64000.1, 64000.2, 64000.0],
        "inter_arrival_ms": [3.0, 7.0],
    }
    assert samples["quiet"]["inter_arrival_ms"] == [250.0]


def test_validate_regimes_reports_each_regime_and_the_quality_table_lists_them(roots):
    reports = validate_regimes(roots)
    assert set(reports) == {"busy", "quiet"}
    assert all(report.gaps == 0 for report in reports.values())
    quality = quality_table(reports)
    assert quality.select("regime", "symbol").rows() == [
        ("busy", "BTCUSDT"),
        ("quiet", "BTCUSDT"),
    ]
    assert all(dtype != pl.Object for dtype in quality.dtypes)


def test_samples_frame_is_long_and_leaves_out_empty_samples():
    samples = {
        "a": {"size": [1.0, 2.0], "inter_arrival_ms": [], "price": [9.0]},
        "b": {"size": [3.0], "inter_arrival_ms": [4.0]},
    }
    frame = samples_frame(samples)
    assert frame.rows() == [
        ("a", "size", 1.0),
        ("a", "size", 2.0),
        ("b", "size", 3.0),
        ("b", "inter_arrival_ms", 4.0),
    ]
    assert samples_frame({}).columns == ["regime", "measure", "value"]


def test_compare_regimes_tests_every_pair_and_measure():
    rng = np.random.default_rng(11)
    samples = {
        name: {
            "size": rng.lognormal(scale, 1, 300).tolist(),
            "inter_arrival_ms": rng.exponential(scale + 1, 300).tolist(),
        }
        for name, scale in (("high", 0.0), ("low", 2.0), ("weekend", 0.1))
    }
    tests = compare_regimes(samples, resamples=49)
    pairs = [f"{a} vs {b}" for a, b in itertools.combinations(samples, 2)]
    assert tests.height == len(pairs) * len(MEASURES) * 3
    assert tests["pair"].unique(maintain_order=True).to_list() == pairs
    assert tests["p_value"].is_between(0, 1).all()
    ks = tests.filter(test=tests["test"][0], measure="size")
    distance = dict(zip(ks["pair"], ks["effect_size"], strict=True))
    assert distance["high vs low"] > distance["high vs weekend"]  # the shifted regime differs most


def test_tail_fits_recover_a_known_exponent():
    rng = np.random.default_rng(3)
    alpha = 2.5
    sizes = (1.0 - rng.random(4000)) ** (-1 / (alpha - 1))  # Pareto, xmin 1
    tails = tail_fits({"pareto": {"size": sizes.tolist()}})
    row = tails.row(0, named=True)
    assert row["regime"] == "pareto"
    assert row["alpha_low"] < alpha < row["alpha_high"]
