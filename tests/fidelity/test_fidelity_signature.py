"""Signature MMD: exactly 0 on equal paths, and its permutation null separates shifted paths."""

from __future__ import annotations

import numpy as np
import polars as pl

from rlx_lib.fidelity.metrics.signature import SignatureMMD, mmd_test, signatures, window_paths
from rlx_lib.fidelity.patterns.orders import units
from rlx_lib.reconstruction import L2Book
from rlx_lib.synth.events import truth_events
from rlx_lib.synth.market import simulate


def test_signature_mmd_is_exactly_zero_on_a_fault_free_window(market_factory):
    aligned = market_factory(messages=400, seed=5).aligned()
    result = SignatureMMD(window_s=2.0, permutations=50).compute(aligned)
    assert result.n >= 5
    assert result.value == 0.0
    assert result.detail["p_value"] == 1.0


def brownian_paths(count: int, *, volatility: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    steps = rng.standard_normal((count, 100, 3)) * volatility
    time = np.broadcast_to(np.linspace(0, 1, 100), (count, 100))[..., None]
    return np.concatenate([time, np.cumsum(steps, axis=1)], axis=2)


def test_permutation_p_value_separates_different_volatility_and_not_equal_laws():
    calm = signatures(brownian_paths(30, volatility=1.0, seed=1))
    busy = signatures(brownian_paths(30, volatility=1.6, seed=2))
    twin = signatures(brownian_paths(30, volatility=1.0, seed=3))
    assert mmd_test(calm, busy, permutations=200)["p_value"] < 0.01
    assert mmd_test(calm, twin, permutations=200)["p_value"] > 0.05


def regime_grid(regime: str, *, seconds: float, seed: int) -> pl.DataFrame:
    """Top of book after each 100 ms depth message of a simulated regime, as a grid."""
    start = 1_723_075_200_000_000_000
    truth = simulate("BTC-USDT", regime, start_ns=start, seconds=seconds, seed=seed)
    rows = truth_events(truth).filter(pl.col("kind") != "trade")
    update = rows["update_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, update[1:] != update[:-1]])
    top = L2Book().replay(
        rows["side_is_bid"].to_numpy(),
        rows.select(units("price"))["price"].to_numpy(),
        rows.select(units("size"))["size"].to_numpy(),
        np.r_[starts, rows.height].astype(np.int64),
        (rows["kind"] == "snapshot").to_numpy()[starts],
        depth=1,
    )
    flow = np.diff(top.bid_size[:, 0]) - np.diff(top.ask_size[:, 0])
    return pl.DataFrame({"bid": top.bid_price[1:, 0], "ask": top.ask_price[1:, 0], "ofi": flow})


def test_high_and_low_regimes_differ_with_p_below_one_percent():
    high, scale = window_paths(regime_grid("high", seconds=600, seed=1), points=300)
    low, _ = window_paths(regime_grid("low", seconds=600, seed=1), points=300, flow_scale=scale)
    found = mmd_test(signatures(high), signatures(low), permutations=200)
    assert found["windows"] >= 15
    assert found["p_value"] < 0.01, found["p_value"]
