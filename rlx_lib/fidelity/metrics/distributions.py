"""Distribution comparisons and stylized facts, each computed on both sides.

Realism is a distribution question, not an exact one: every test here reports an effect size
in natural units beside its p-value. Time series are dependent, so p-values come from a
block permutation (whole blocks swapped between the sides), never from the i.i.d. formula;
tick spreads are discrete, so they are compared by total variation and chi-square, not KS.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from rlx_lib.fidelity.align import GRID_NS, Aligned
from rlx_lib.fidelity.metrics.base import MetricResult, register

__all__ = [
    "InterArrivalDistribution",
    "ReturnTails",
    "SpreadDistribution",
    "TradeSignAutocorrelation",
    "TradeSizeDistribution",
    "VolatilityClustering",
    "acf",
    "block_permutation_p",
    "hill_tail_index",
    "ks_statistic",
    "mid_returns",
]

NAN = float("nan")
MAX_SAMPLE = 20_000
"""Each side's series is cut to its first this many values before a permutation test."""


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov distance ``sup |F_a - F_b|``."""
    a, b = np.sort(a), np.sort(b)
    values = np.concatenate([a, b])
    return float(
        np.max(
            np.abs(
                np.searchsorted(a, values, "right") / a.size
                - np.searchsorted(b, values, "right") / b.size
            )
        )
    )


def block_permutation_p(
    a: np.ndarray,
    b: np.ndarray,
    statistic: Callable[[np.ndarray, np.ndarray], float],
    *,
    block: int = 50,
    permutations: int = 199,
    seed: int = 0,
) -> float:
    """P-value of ``statistic(a, b)`` against block permutations of the pooled series.

    Whole blocks of ``block`` consecutive values move between the sides, which keeps the
    dependence inside each block (plain permutation on dependent data rejects far too often).
    """
    a, b = a[:MAX_SAMPLE], b[:MAX_SAMPLE]
    block = max(1, min(block, a.size // 2, b.size // 2))
    blocks_a, blocks_b = a.size // block, b.size // block
    if blocks_a < 2 or blocks_b < 2:
        return NAN
    pooled = np.vstack(
        [a[: blocks_a * block].reshape(-1, block), b[: blocks_b * block].reshape(-1, block)]
    )
    observed = statistic(a, b)
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(permutations):
        order = rng.permutation(len(pooled))
        hits += (
            statistic(pooled[order[:blocks_a]].ravel(), pooled[order[blocks_a:]].ravel())
            >= observed
        )
    return (hits + 1) / (permutations + 1)


def _compare(a: np.ndarray, b: np.ndarray, *, seed: int) -> dict[str, Any]:
    """KS, Anderson-Darling, energy and Wasserstein distances, with a block-permutation p."""
    if a.size < 2 or b.size < 2:
        return {}
    statistic, pvalue = NAN, NAN
    if np.unique(np.concatenate([a, b])).size > 1:  # AD needs two distinct values
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # AD p-values are capped to 0.001-0.25
            anderson = stats.anderson_ksamp([a, b], variant="midrank")
        statistic, pvalue = float(anderson.statistic), float(anderson.pvalue)
    return {
        "ks_statistic": ks_statistic(a, b),
        "ks_p_block_permutation": block_permutation_p(a, b, ks_statistic, seed=seed),
        "anderson_darling_statistic": statistic,
        "anderson_darling_p_capped": pvalue,
        "energy_distance": float(stats.energy_distance(a, b)),
        "wasserstein": float(stats.wasserstein_distance(a, b)),
        "reference_median": float(np.median(a)),
        "candidate_median": float(np.median(b)),
        "reference_n": int(a.size),
        "candidate_n": int(b.size),
    }


def _quantities(trades: pl.DataFrame) -> np.ndarray:
    return trades["quantity"].to_numpy() / 1e8


def _gaps_ms(trades: pl.DataFrame) -> np.ndarray:
    return np.diff(trades["origin_ms"].unique(maintain_order=True).sort().to_numpy()).astype(
        np.float64
    )


def _ks_result(
    sample: Callable[[pl.DataFrame], np.ndarray], aligned: Aligned, *, seed: int
) -> MetricResult:
    """Compare one trade sample of both sides; the KS distance is the value."""
    a, b = sample(aligned.reference_trades), sample(aligned.candidate_trades)
    detail = _compare(a, b, seed=seed)
    return MetricResult(detail.get("ks_statistic", NAN), int(min(a.size, b.size)), detail)


@register
@dataclass(frozen=True)
class TradeSizeDistribution:
    """KS distance between the aggregate-trade size distributions (effect sizes in the detail)."""

    name: str = "trade_size_distribution"
    unit: str = "KS distance"
    seed: int = 0

    def compute(self, aligned: Aligned) -> MetricResult:
        return _ks_result(_quantities, aligned, seed=self.seed)


@register
@dataclass(frozen=True)
class InterArrivalDistribution:
    """KS distance between trade inter-arrival times in ms (exchange time, distinct ms)."""

    name: str = "inter_arrival_distribution"
    unit: str = "KS distance"
    seed: int = 0

    def compute(self, aligned: Aligned) -> MetricResult:
        return _ks_result(_gaps_ms, aligned, seed=self.seed)


def _spread_ticks(grid: pl.DataFrame, tick: int) -> np.ndarray:
    spread = (grid["ask"] - grid["bid"]).drop_nulls().to_numpy()
    return np.clip(spread // tick, 0, 10)


@register
@dataclass(frozen=True)
class SpreadDistribution:
    """Total variation between the spread-in-ticks distributions on the 100 ms grid.

    Spreads are discrete, so the test is chi-square on the category counts (KS has no power
    there); ticks above 10 are pooled. The tick is the smallest positive reference spread.
    """

    name: str = "spread_distribution"
    unit: str = "total variation"

    def compute(self, aligned: Aligned) -> MetricResult:
        spreads = (aligned.reference_grid["ask"] - aligned.reference_grid["bid"]).drop_nulls()
        positive = spreads.filter(spreads > 0)
        if positive.is_empty() or aligned.candidate_grid.is_empty():
            return MetricResult(NAN, 0)
        tick = int(positive.min())
        a = _spread_ticks(aligned.reference_grid, tick)
        b = _spread_ticks(aligned.candidate_grid, tick)
        counts = np.array([np.bincount(a, minlength=11), np.bincount(b, minlength=11)])
        shares = counts / counts.sum(axis=1, keepdims=True)
        total_variation = float(0.5 * np.abs(shares[0] - shares[1]).sum())
        used = counts.sum(axis=0) > 0
        if used.sum() > 1:
            chi2 = stats.chi2_contingency(counts[:, used])
            chi2_stat, chi2_p = float(chi2.statistic), float(chi2.pvalue)
        else:
            chi2_stat, chi2_p = 0.0, 1.0
        detail = {
            "tick": tick / 1e8,
            "reference_one_tick_share": float(shares[0][1]),
            "candidate_one_tick_share": float(shares[1][1]),
            "chi_square": chi2_stat,
            "chi_square_p": chi2_p,
            "reference_shares": shares[0].round(6).tolist(),
            "candidate_shares": shares[1].round(6).tolist(),
        }
        return MetricResult(total_variation, int(min(a.size, b.size)), detail)


def mid_returns(grid: pl.DataFrame, *, seconds: float = 1.0) -> np.ndarray:
    """Log mid returns sampled every ``seconds`` on the exchange-time grid."""
    step = max(1, round(seconds * 1e9 / GRID_NS))
    mid = ((grid["bid"] + grid["ask"]).drop_nulls().to_numpy() / 2e8)[::step]
    mid = mid[mid > 0]
    return np.diff(np.log(mid)) if mid.size > 1 else np.array([])


def acf(series: np.ndarray, lags: int) -> np.ndarray:
    """Autocorrelation at lags 1..``lags`` (nan where undefined)."""
    centred = series - series.mean() if series.size else series
    variance = float(np.dot(centred, centred))
    if series.size <= lags or variance == 0:
        return np.full(lags, NAN)
    return np.array(
        [np.dot(centred[:-lag], centred[lag:]) / variance for lag in range(1, lags + 1)]
    )


def hill_tail_index(values: np.ndarray, *, tail: float = 0.05) -> float:
    """Hill estimate of the tail exponent of ``|values|`` from the top ``tail`` share."""
    magnitude = np.sort(np.abs(values[values != 0]))[::-1]
    k = int(magnitude.size * tail)
    if k < 5:
        return NAN
    return float(k / np.sum(np.log(magnitude[:k] / magnitude[k])))


def _difference(reference: float, candidate: float) -> float:
    return candidate - reference if np.isfinite(reference) and np.isfinite(candidate) else NAN


def _curve_gap(reference: np.ndarray, candidate: np.ndarray) -> float:
    gap = np.abs(reference - candidate)
    return float(np.nanmax(gap)) if np.isfinite(gap).any() else NAN


def _listed(curve: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(v) else round(float(v), 6) for v in curve]


@register
@dataclass(frozen=True)
class ReturnTails:
    """Difference (candidate - reference) in the excess kurtosis of 1 s mid log returns."""

    name: str = "return_tails"
    unit: str = "excess kurtosis difference"

    def compute(self, aligned: Aligned) -> MetricResult:
        sides = {
            "reference": mid_returns(aligned.reference_grid),
            "candidate": mid_returns(aligned.candidate_grid),
        }
        detail: dict[str, Any] = {}
        for side, returns in sides.items():
            moving = returns.size > 3 and returns.std() > 0
            detail[f"{side}_excess_kurtosis"] = float(stats.kurtosis(returns)) if moving else NAN
            detail[f"{side}_hill_index"] = hill_tail_index(returns)
            detail[f"{side}_n"] = int(returns.size)
        value = _difference(
            detail["reference_excess_kurtosis"], detail["candidate_excess_kurtosis"]
        )
        detail = {
            k: (None if isinstance(v, float) and not np.isfinite(v) else v)
            for k, v in detail.items()
        }
        return MetricResult(value, int(min(s.size for s in sides.values())), detail)


@register
@dataclass(frozen=True)
class VolatilityClustering:
    """Largest gap between the two autocorrelation curves of |1 s mid returns|, lags 1..lags."""

    name: str = "volatility_clustering"
    unit: str = "autocorrelation"
    lags: int = 20

    def compute(self, aligned: Aligned) -> MetricResult:
        reference = acf(np.abs(mid_returns(aligned.reference_grid)), self.lags)
        candidate = acf(np.abs(mid_returns(aligned.candidate_grid)), self.lags)
        detail = {"reference_acf": _listed(reference), "candidate_acf": _listed(candidate)}
        n = min(mid_returns(aligned.reference_grid).size, mid_returns(aligned.candidate_grid).size)
        return MetricResult(_curve_gap(reference, candidate), int(n), detail)


@register
@dataclass(frozen=True)
class TradeSignAutocorrelation:
    """Largest gap between the trade-sign autocorrelation curves of aggregate trades."""

    name: str = "trade_sign_autocorrelation"
    unit: str = "autocorrelation"
    lags: int = 20

    def compute(self, aligned: Aligned) -> MetricResult:
        signs = [
            np.where(trades["is_buy"].to_numpy(), 1.0, -1.0)
            for trades in (aligned.reference_trades, aligned.candidate_trades)
        ]
        reference, candidate = (acf(s, self.lags) for s in signs)
        detail = {
            "reference_acf": _listed(reference),
            "candidate_acf": _listed(candidate),
            "reference_buy_share": float((signs[0] > 0).mean()) if signs[0].size else None,
            "candidate_buy_share": float((signs[1] > 0).mean()) if signs[1].size else None,
        }
        return MetricResult(
            _curve_gap(reference, candidate), int(min(s.size for s in signs)), detail
        )
