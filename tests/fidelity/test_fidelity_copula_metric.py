"""copula_tail_dependence: a pair metric, 0 on a fault-free pair, large when the vendor loses
the dependence, named only (the default run is unchanged), unavailable cleanly without
pyvinecopulib."""

from __future__ import annotations

import dataclasses
import importlib.util
import math

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from rlx_lib.fidelity import available, evaluate, get
from rlx_lib.fidelity.metrics import resolve
from workbench.cli import app

pv = pytest.importorskip("pyvinecopulib")  # no wheel for Python 3.13

SYMBOLS = ["BTC-USDT", "ETH-USDT"]


def test_a_fault_free_pair_gives_exactly_zero_and_one_row_under_the_first_symbol(
    data_root, market_factory, write_market
):
    for number, symbol in enumerate(SYMBOLS):
        write_market(data_root, market_factory(messages=300, seed=40 + number), symbol=symbol)

    result = evaluate(
        data_root,
        symbols=SYMBOLS,
        start="2024-08-08",
        end="2024-08-09",
        metrics=["copula_tail_dependence"],
    )

    [record] = result.rows
    assert (record.symbol, record.detail["pair"]) == ("BTC-USDT", SYMBOLS)
    assert record.value == 0.0
    assert record.n >= 250
    assert record.detail["reference"] == record.detail["candidate"]
    written = pl.read_parquet(next((data_root / "fidelity").rglob("symbol=BTC-USDT/*/*.parquet")))
    assert written["metric"].to_list() == ["copula_tail_dependence"]


def grid(returns: np.ndarray, ofi: np.ndarray) -> pl.DataFrame:
    """A 100 ms grid whose log mid returns are ``returns`` (bid and ask one tick apart)."""
    mid = 6e12 * np.exp(np.r_[0.0, np.cumsum(returns)])
    bid = np.round(mid / 1e6).astype(np.int64) * 1_000_000
    return pl.DataFrame(
        {
            "grid_ns": np.arange(mid.size, dtype=np.int64) * 100_000_000,
            "bid": bid,
            "ask": bid + 1_000_000,
            "ofi": np.r_[0, ofi].astype(np.int64),
        }
    )


def test_a_vendor_that_loses_the_lower_tail_dependence_is_caught(market_factory):
    market = market_factory(messages=40, seed=3)
    base = market.aligned()
    known = pv.Bicop(family=pv.BicopFamily.clayton, parameters=np.array([[3.0]]))
    sample = known.sample(3000, seeds=[7])
    returns = np.log(sample / (1 - sample)) * 1e-4  # logistic margins, Clayton dependence
    ofi = np.round(sample * 1e6).astype(np.int64)
    shuffled = np.random.default_rng(1).permutation(returns[:, 1])  # the dependence is gone
    first = dataclasses.replace(
        base,
        reference_grid=grid(returns[:, 0], ofi[:, 0]),
        candidate_grid=grid(returns[:, 0], ofi[:, 0]),
    )
    second = dataclasses.replace(
        base,
        reference_grid=grid(returns[:, 1], ofi[:, 1]),
        candidate_grid=grid(shuffled, ofi[:, 1]),
    )

    found = get("copula_tail_dependence").compute_pair(first, second)

    live = found.detail["reference"]["returns"]
    assert live["family"] == "clayton"
    assert live["lower_tail"] == pytest.approx(2 ** (-1 / 3), abs=0.06)
    assert abs(found.detail["candidate"]["returns"]["kendall_tau"]) < 0.05
    assert found.value > 0.5


def test_pair_metrics_run_only_when_named():
    assert "copula_tail_dependence" in available()
    assert "copula_tail_dependence" not in [metric.name for metric in resolve(None)]


def test_without_pyvinecopulib_it_says_so_instead_of_failing(market_factory, monkeypatch):
    market = market_factory(messages=40, seed=3)
    aligned = market.aligned()
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "pyvinecopulib" else real(name, *a),
    )
    found = get("copula_tail_dependence").compute_pair(aligned, aligned)
    assert math.isnan(found.value)
    assert found.n == 0
    assert found.detail["note"].startswith("not computed: pyvinecopulib is not installed")


def test_rlx_fidelity_names_both_symbols_of_a_pair(
    data_root, market_factory, write_market, tmp_path
):
    for number, symbol in enumerate(SYMBOLS):
        write_market(data_root, market_factory(messages=300, seed=40 + number), symbol=symbol)
    days = ["--start", "2024-08-08", "--end", "2024-08-09"]
    done = CliRunner().invoke(
        app,
        ["fidelity", "--symbols", ",".join(SYMBOLS), *days, "--metrics", "copula_tail_dependence",
         "--data-root", str(data_root), "--out", str(tmp_path / "report")],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "BTC-USDT with ETH-USDT copula_tail_dependence: 0 " in done.output
