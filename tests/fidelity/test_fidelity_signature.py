"""Signature MMD: exactly 0 on equal paths, and its permutation null separates shifted paths."""

from __future__ import annotations

import numpy as np

from rlx_lib.fidelity import align_frames
from rlx_lib.fidelity.metrics.signature import SignatureMMD, mmd_test, signatures


def aligned_market(market):
    return align_frames(
        "BTC-USDT",
        reference_book=market.reference_book,
        candidate_book=market.candidate_book,
        reference_events=market.reference_events,
        candidate_events=market.candidate_events,
    )


def test_signature_mmd_is_exactly_zero_on_a_fault_free_window(market_factory):
    aligned = aligned_market(market_factory(messages=400, seed=5))
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
