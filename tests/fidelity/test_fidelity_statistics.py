"""The statistics behind the realism metrics: Hawkes recovery, block permutation, tails."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlx_lib.fidelity.metrics.distributions import (
    acf,
    block_permutation_p,
    hill_tail_index,
    ks_statistic,
)
from rlx_lib.fidelity.metrics.hawkes import fit_hawkes


def _simulate_hawkes(mu: float, n: float, beta: float, horizon: float, seed: int) -> np.ndarray:
    """Exponential Hawkes by its cluster representation: immigrants, then Poisson(n) children."""
    rng = np.random.default_rng(seed)
    generation = rng.uniform(0, horizon, rng.poisson(mu * horizon))
    events = [generation]
    while generation.size:
        children = rng.poisson(n, generation.size)
        parents = np.repeat(generation, children)
        generation = parents + rng.exponential(1 / beta, parents.size)
        generation = generation[generation < horizon]
        events.append(generation)
    return np.sort(np.concatenate(events))


@pytest.mark.parametrize("truth", [0.3, 0.7])
def test_hawkes_fit_recovers_the_branching_ratio_within_its_interval(truth):
    times = _simulate_hawkes(mu=20.0, n=truth, beta=40.0, horizon=600.0, seed=int(truth * 10))
    fit = fit_hawkes(times)
    assert fit["converged"]
    assert fit["branching_ratio_ci_low"] <= truth <= fit["branching_ratio_ci_high"]
    assert fit["branching_ratio_ci_high"] - fit["branching_ratio_ci_low"] < 0.1
    assert abs(fit["beta"] - 40.0) / 40.0 < 0.25


def test_hawkes_fit_of_a_poisson_stream_finds_no_clustering():
    times = np.sort(np.random.default_rng(3).uniform(0, 600, 12_000))
    fit = fit_hawkes(times)
    assert fit["branching_ratio_ci_low"] <= 0.02
    assert fit["branching_ratio"] < 0.05


def _ar1(size: int, phi: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=size)
    series = np.empty(size)
    series[0] = noise[0]
    for i in range(1, size):
        series[i] = phi * series[i - 1] + noise[i]
    return series


def test_block_permutation_separates_a_shift_and_not_two_halves():
    series = _ar1(8_000, 0.9, seed=1)
    same = block_permutation_p(series[:4000], series[4000:], ks_statistic, block=200)
    shifted = block_permutation_p(series[:4000], series[4000:] + 2.0, ks_statistic, block=200)
    assert same > 0.05
    assert shifted < 0.01


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=200))
def test_ks_statistic_is_zero_on_itself_and_bounded(values):
    data = np.array(values)
    assert ks_statistic(data, data) == 0.0
    assert 0.0 <= ks_statistic(data, data + 1.0) <= 1.0


def test_acf_and_hill_on_known_series():
    ar = _ar1(50_000, 0.6, seed=2)
    assert acf(ar, 3)[0] == pytest.approx(0.6, abs=0.02)
    assert acf(ar, 3)[1] == pytest.approx(0.36, abs=0.02)
    pareto = np.random.default_rng(4).pareto(3.0, 200_000) + 1.0
    assert hill_tail_index(pareto, tail=0.02) == pytest.approx(3.0, rel=0.1)
    assert np.isnan(acf(np.ones(100), 2)).all()
