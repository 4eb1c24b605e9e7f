"""Statistical tests against scipy on known distributions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from rlx_lib.validation.stats import (
    anderson_darling,
    compare,
    energy,
    kolmogorov_smirnov,
    power_law,
)


def test_power_law_with_known_exponent_comes_back_within_its_interval() -> None:
    rng = np.random.default_rng(11)
    alpha = 2.5  # pdf exponent; numpy's Pareto(a) + 1 has pdf exponent a + 1
    values = rng.pareto(alpha - 1, 20_000) + 1.0
    fit = power_law(values)
    assert fit.alpha_low <= alpha <= fit.alpha_high
    assert fit.alpha_high - fit.alpha_low < 0.2
    assert fit.xmin >= 1.0
    assert fit.exponential_ratio > 0  # a power law beats an exponential on its own tail
    assert fit.exponential_p < 0.01


def test_power_law_fixed_xmin_matches_the_closed_form_mle() -> None:
    rng = np.random.default_rng(3)
    values = rng.pareto(1.0, 5_000) + 1.0
    fit = power_law(values, xmin=1.0)
    expected = 1 + len(values) / np.sum(np.log(values))
    assert fit.alpha == pytest.approx(expected)
    assert fit.alpha_se == pytest.approx((expected - 1) / np.sqrt(len(values)))


def test_exponential_data_is_not_called_a_power_law() -> None:
    values = np.random.default_rng(5).exponential(1.0, 5_000) + 1.0
    fit = power_law(values, xmin=1.0)
    assert fit.exponential_ratio < 0
    assert fit.exponential_p < 0.01


def test_statistics_match_scipy() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=800), rng.normal(0.3, 1.0, size=600)
    ks = kolmogorov_smirnov(x, y)
    assert ks.statistic == pytest.approx(stats.ks_2samp(x, y).statistic)
    assert ks.p_value == pytest.approx(stats.ks_2samp(x, y).pvalue)
    assert ks.effect_size == ks.statistic
    result = energy(x, y, resamples=199)
    assert result.statistic == pytest.approx(stats.energy_distance(x, y))
    ad = anderson_darling(x, y, resamples=199)
    assert ad.effect_size == pytest.approx(stats.wasserstein_distance(x, y))


def test_identical_distributions_do_not_reject_and_shifted_ones_do() -> None:
    rng = np.random.default_rng(2)
    same = compare(rng.normal(size=1_000), rng.normal(size=1_000), resamples=199)
    assert all(r.p_value > 0.05 for r in same), [r.to_dict() for r in same]
    shifted = compare(rng.normal(size=1_000), rng.normal(0.3, 1.0, size=1_000), resamples=199)
    assert all(r.p_value < 0.01 for r in shifted), [r.to_dict() for r in shifted]
    assert all(r.effect_size > 0 for r in shifted)


def test_identical_samples_never_reject() -> None:
    values = np.random.default_rng(4).lognormal(size=500)
    for result in compare(values, values.copy(), resamples=199):
        assert result.p_value > 0.5
        assert result.effect_size == pytest.approx(0.0, abs=1e-12)


def test_discrete_tied_data_use_permutations_and_keep_their_power() -> None:
    rng = np.random.default_rng(6)
    same = kolmogorov_smirnov(rng.poisson(5, 2_000), rng.poisson(5, 2_000), resamples=199)
    assert same.method.startswith("permutation")
    assert same.p_value > 0.05
    shifted = kolmogorov_smirnov(rng.poisson(5, 2_000), rng.poisson(5.4, 2_000), resamples=199)
    assert shifted.p_value < 0.01
    ad = anderson_darling(rng.poisson(5, 1_000), rng.poisson(5.4, 1_000), resamples=199)
    assert ad.p_value < 0.01
    assert ad.method.endswith("midrank)")
