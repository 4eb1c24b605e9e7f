"""Two-sample tests and power-law tails, each with an effect size beside its p-value.

Market samples are large, tied (ms timestamps, lot sizes, ticks) and dependent, so:

- every test reports an effect size in natural units or on [0, 1], never a p-value alone;
- with ties, p-values come from permutations of the pooled sample (asymptotic KS is
  conservative to uselessness on discrete data, and scipy's Anderson-Darling p-value is
  clipped to [0.001, 0.25] unless permuted); Anderson-Darling uses the midrank variant;
- large samples are thinned to ``max_n`` values before permuting (seeded, reported as ``n``).

Power-law tails follow Clauset, Shalizi and Newman (2009): ``xmin`` minimises the KS distance
between the tail and the fit, ``alpha`` is the continuous MLE with its standard error
``(alpha - 1) / sqrt(n)``, and Vuong likelihood-ratio tests compare it with a lognormal and an
exponential fitted to the same tail. ``alpha`` is the PDF exponent (the CCDF's is alpha - 1).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import optimize, special, stats

__all__ = [
    "PowerLawFit",
    "TestResult",
    "anderson_darling",
    "compare",
    "energy",
    "kolmogorov_smirnov",
    "power_law",
]


@dataclass(frozen=True)
class TestResult:
    """One two-sample test: statistic, p-value, and an effect size with its unit."""

    test: str
    statistic: float
    p_value: float
    effect_size: float
    effect: str  # what the effect size is (e.g. "KS distance D", "Wasserstein-1")
    n_x: int
    n_y: int
    method: str  # "asymptotic", "exact" or "permutation (R resamples)"

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (a table row)."""
        return asdict(self)


def _clean(values: Any) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64).ravel()
    return array[np.isfinite(array)]


def _thin(x: np.ndarray, y: np.ndarray, max_n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if len(x) > max_n:
        x = rng.choice(x, max_n, replace=False)
    if len(y) > max_n:
        y = rng.choice(y, max_n, replace=False)
    return x, y


def _tied(x: np.ndarray, y: np.ndarray) -> bool:
    pooled = np.concatenate([x, y])
    return len(np.unique(pooled)) < len(pooled)


def _permutation_p(
    statistic: Any, x: np.ndarray, y: np.ndarray, resamples: int, seed: int
) -> float:
    result = stats.permutation_test(
        (x, y),
        statistic,
        permutation_type="independent",
        alternative="greater",
        n_resamples=resamples,
        vectorized=False,
        random_state=seed,
    )
    return float(result.pvalue)


def _check(x: np.ndarray, y: np.ndarray) -> None:
    if len(x) < 2 or len(y) < 2:
        msg = f"two-sample tests need 2 finite values per sample, received {len(x)}, {len(y)}"
        raise ValueError(msg)


def kolmogorov_smirnov(
    x: Any, y: Any, *, resamples: int = 999, max_n: int = 5000, seed: int = 0
) -> TestResult:
    """Two-sample KS; effect size D (the largest CDF distance, in [0, 1]).

    Tied data get a permutation p-value (on at most ``max_n`` values per sample).
    """
    x, y = _clean(x), _clean(y)
    _check(x, y)
    full = stats.ks_2samp(x, y)
    if not _tied(x, y):
        return TestResult(
            "kolmogorov_smirnov",
            float(full.statistic),
            float(full.pvalue),
            float(full.statistic),
            "KS distance D",
            len(x),
            len(y),
            "asymptotic" if len(x) * len(y) > 10_000 else "exact",
        )
    small_x, small_y = _thin(x, y, max_n, seed)
    p = _permutation_p(
        lambda a, b: stats.ks_2samp(a, b).statistic, small_x, small_y, resamples, seed
    )
    return TestResult(
        "kolmogorov_smirnov",
        float(full.statistic),
        p,
        float(full.statistic),
        "KS distance D",
        len(x),
        len(y),
        f"permutation ({resamples} resamples, ties)",
    )


def anderson_darling(
    x: Any, y: Any, *, resamples: int = 999, max_n: int = 2000, seed: int = 0
) -> TestResult:
    """k-sample Anderson-Darling (midrank variant for ties) with a permutation p-value
    (scipy's table p-value is clipped to [0.001, 0.25]); effect size Wasserstein-1 in the
    data's units."""
    x, y = _clean(x), _clean(y)
    _check(x, y)
    small_x, small_y = _thin(x, y, max_n, seed)
    result = stats.anderson_ksamp(
        [small_x, small_y],
        variant="midrank",
        method=stats.PermutationMethod(n_resamples=resamples, random_state=seed),
    )
    return TestResult(
        "anderson_darling",
        float(result.statistic),
        float(result.pvalue),
        float(stats.wasserstein_distance(x, y)),
        "Wasserstein-1 (data units)",
        len(x),
        len(y),
        f"permutation ({resamples} resamples, midrank)",
    )


def energy(x: Any, y: Any, *, resamples: int = 999, max_n: int = 2000, seed: int = 0) -> TestResult:
    """Energy distance (scipy's square-root form, in the data's units) with a permutation
    p-value; the distance is its own effect size."""
    x, y = _clean(x), _clean(y)
    _check(x, y)
    distance = float(stats.energy_distance(x, y))
    small_x, small_y = _thin(x, y, max_n, seed)
    p = _permutation_p(stats.energy_distance, small_x, small_y, resamples, seed)
    return TestResult(
        "energy_distance",
        distance,
        p,
        distance,
        "energy distance (data units)",
        len(x),
        len(y),
        f"permutation ({resamples} resamples)",
    )


def compare(x: Any, y: Any, *, resamples: int = 999, seed: int = 0) -> list[TestResult]:
    """KS, Anderson-Darling and energy distance between two samples."""
    return [
        kolmogorov_smirnov(x, y, resamples=resamples, seed=seed),
        anderson_darling(x, y, resamples=resamples, seed=seed),
        energy(x, y, resamples=resamples, seed=seed),
    ]


@dataclass(frozen=True)
class PowerLawFit:
    """A continuous power-law tail above ``xmin`` and how it compares with alternatives.

    ``*_ratio`` is the log-likelihood ratio R (positive favours the power law) and ``*_p`` the
    Vuong p-value of its sign (small means the sign is significant).
    """

    alpha: float
    alpha_low: float
    alpha_high: float
    alpha_se: float
    xmin: float
    n_tail: int
    n: int
    ks_distance: float
    lognormal_ratio: float
    lognormal_p: float
    exponential_ratio: float
    exponential_p: float

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (a table row)."""
        return asdict(self)


def _alpha(tail: np.ndarray, xmin: float) -> float:
    return 1.0 + len(tail) / float(np.sum(np.log(tail / xmin)))


def _ks_distance(tail: np.ndarray, xmin: float, alpha: float) -> float:
    n = len(tail)
    fitted = 1.0 - (tail / xmin) ** (1.0 - alpha)
    empirical_high = np.arange(1, n + 1) / n
    empirical_low = np.arange(0, n) / n
    return float(
        max(np.max(np.abs(empirical_high - fitted)), np.max(np.abs(empirical_low - fitted)))
    )


def _vuong(log_ratio: np.ndarray) -> tuple[float, float]:
    total = float(np.sum(log_ratio))
    spread = float(np.std(log_ratio))
    if spread == 0.0:
        return total, 1.0
    p = float(special.erfc(abs(total) / (math.sqrt(2 * len(log_ratio)) * spread)))
    return total, p


def _lognormal_loglik(tail: np.ndarray, xmin: float) -> np.ndarray:
    logs = np.log(tail)

    def negative(params: np.ndarray) -> float:
        mu, log_sigma = params
        sigma = math.exp(log_sigma)
        survival = stats.norm.logsf((math.log(xmin) - mu) / sigma)
        pdf = stats.norm.logpdf((logs - mu) / sigma) - logs - math.log(sigma)
        return -float(np.sum(pdf - survival))

    start = np.array([float(np.mean(logs)), math.log(max(float(np.std(logs)), 1e-3))])
    best = optimize.minimize(negative, start, method="Nelder-Mead", options={"maxiter": 2000})
    mu, sigma = best.x[0], math.exp(best.x[1])
    survival = stats.norm.logsf((math.log(xmin) - mu) / sigma)
    return stats.norm.logpdf((logs - mu) / sigma) - logs - math.log(sigma) - survival


def power_law(
    values: Any, *, xmin: float | None = None, candidates: int = 200, min_tail: int = 50
) -> PowerLawFit:
    """Fit a power-law tail by the Clauset-Shalizi-Newman method.

    Parameters
    ----------
    values
        Positive observations (non-positive and non-finite ones are dropped).
    xmin
        Fix the tail start; by default it minimises the KS distance over up to
        ``candidates`` distinct values that leave at least ``min_tail`` points above.
    """
    data = np.sort(_clean(values))
    data = data[data > 0]
    if len(data) < min_tail:
        msg = f"a power-law fit needs at least {min_tail} positive values, received {len(data)}"
        raise ValueError(msg)
    if xmin is None:
        distinct = np.unique(data[: len(data) - min_tail + 1])
        if len(distinct) > candidates:
            distinct = distinct[np.linspace(0, len(distinct) - 1, candidates).astype(int)]
        best = (math.inf, float(distinct[0]))
        for candidate in distinct:
            tail = data[data >= candidate]
            distance = _ks_distance(tail, float(candidate), _alpha(tail, float(candidate)))
            if distance < best[0]:
                best = (distance, float(candidate))
        xmin = best[1]
    tail = data[data >= xmin]
    alpha = _alpha(tail, xmin)
    n = len(tail)
    se = (alpha - 1.0) / math.sqrt(n)
    power = np.log(alpha - 1.0) - math.log(xmin) - alpha * np.log(tail / xmin)
    rate = 1.0 / max(float(np.mean(tail - xmin)), 1e-300)
    exponential = math.log(rate) - rate * (tail - xmin)
    lognormal = _lognormal_loglik(tail, xmin)
    lognormal_ratio, lognormal_p = _vuong(power - lognormal)
    exponential_ratio, exponential_p = _vuong(power - exponential)
    return PowerLawFit(
        alpha=alpha,
        alpha_low=alpha - 1.96 * se,
        alpha_high=alpha + 1.96 * se,
        alpha_se=se,
        xmin=float(xmin),
        n_tail=n,
        n=len(data),
        ks_distance=_ks_distance(tail, xmin, alpha),
        lognormal_ratio=lognormal_ratio,
        lognormal_p=lognormal_p,
        exponential_ratio=exponential_ratio,
        exponential_p=exponential_p,
    )
