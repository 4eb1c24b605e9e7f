"""Multivariate Hawkes: the fit recovers a known branching matrix; equal sides differ by 0."""

from __future__ import annotations

import dataclasses

import numpy as np

from rlx_lib.fidelity.metrics.hawkes_matrix import (
    DECAYS,
    HawkesBranchingMatrix,
    bootstrap,
    fit,
)
from rlx_lib.hawkes import HawkesSpec, simulate_arrivals
from rlx_lib.synth.events import truth_events
from rlx_lib.synth.market import simulate

BRANCHING = np.array(
    [
        [0.3, 0.1, 0.05, 0.0],
        [0.1, 0.3, 0.0, 0.05],
        [0.1, 0.1, 0.4, 0.1],
        [0.05, 0.05, 0.2, 0.3],
    ]
)


def test_fit_recovers_each_branching_entry_within_its_bootstrap_interval():
    weights = np.full(len(DECAYS), 1 / len(DECAYS))
    spec = HawkesSpec(np.array([2.0, 2.0, 10.0, 8.0]), BRANCHING[:, :, None] * weights, DECAYS)
    times = simulate_arrivals(spec, seconds=600, seed=8)
    fitted = fit(times)
    interval = bootstrap(fitted, seconds=600, samples=10, seed=100)
    assert np.all(interval["low"] <= BRANCHING), (interval["low"], BRANCHING)
    assert np.all(interval["high"] >= BRANCHING), (interval["high"], BRANCHING)
    assert np.all(interval["high"] - interval["low"] < 0.3)  # informative, not vacuous
    assert abs(fitted["spectral_radius"] - spec.spectral_radius()) < 0.1


def test_a_short_window_gives_no_negative_rate_or_excitation():
    """Thirty seconds of a known process: an unconstrained least-squares fit gave entries
    down to -0.33 here; every fitted weight and baseline is at or above 0."""
    weights = np.full(len(DECAYS), 1 / len(DECAYS))
    spec = HawkesSpec(np.array([2.0, 2.0, 10.0, 8.0]), BRANCHING[:, :, None] * weights, DECAYS)
    for seed in range(1, 4):
        fitted = fit(simulate_arrivals(spec, seconds=30, seed=seed))
        assert fitted["adjacency"].min() >= 0.0
        assert fitted["baseline"].min() >= 0.0
        assert fitted["branching"].max() > 0.1  # it found excitation, not all zeros


def test_equal_sides_give_exactly_zero(market_factory):
    market = market_factory(messages=60, seed=5)
    aligned = market.aligned()
    truth = simulate("BTC-USDT", "high", start_ns=1_723_075_200_000_000_000, seconds=60, seed=3)
    events = truth_events(truth)
    both = dataclasses.replace(aligned, reference_events=events, candidate_events=events)
    result = HawkesBranchingMatrix(bootstrap_samples=0).compute(both)
    assert result.value == 0.0
    assert result.n > 1000
    assert 0 < result.detail["reference"]["spectral_radius"] < 1.5
