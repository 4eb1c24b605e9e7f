"""Event clustering: a univariate Hawkes process with an exponential kernel, fitted on each side.

Intensity ``lambda(t) = mu + sum_i n * beta * exp(-beta * (t - t_i))``; ``n`` is the branching
ratio (the share of events triggered by earlier events). The fit is maximum likelihood
(L-BFGS-B over an O(N) recursive likelihood in numba); the confidence interval of ``n`` comes
from the observed information (a numerical Hessian of the negative log-likelihood).
Exchange times have millisecond resolution, so tied events are spread uniformly inside their
millisecond with a seeded generator, and the tie share is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import polars as pl
from scipy import optimize

from rlx_lib.fidelity.align import Aligned
from rlx_lib.fidelity.metrics.base import MetricResult, register

__all__ = ["HawkesBranchingRatio", "fit_hawkes"]

NAN = float("nan")
MIN_EVENTS = 50


@numba.njit(cache=True)
def _negative_log_likelihood(
    theta: np.ndarray, times: np.ndarray, horizon: float
):  # pragma: no cover
    mu, n, beta = theta[0], theta[1], theta[2]
    a = 0.0
    da = 0.0
    ll = 0.0
    grad = np.zeros(3)
    for i in range(times.size):
        if i > 0:
            dt = times[i] - times[i - 1]
            decay = np.exp(-beta * dt)
            da = decay * (da - dt * (1.0 + a))
            a = decay * (1.0 + a)
        intensity = mu + n * beta * a
        ll += np.log(intensity)
        grad[0] += 1.0 / intensity
        grad[1] += beta * a / intensity
        grad[2] += n * (a + beta * da) / intensity
    tail = np.exp(-beta * (horizon - times))
    ll -= mu * horizon + n * np.sum(1.0 - tail)
    grad[0] -= horizon
    grad[1] -= np.sum(1.0 - tail)
    grad[2] -= n * np.sum((horizon - times) * tail)
    return -ll, -grad


def fit_hawkes(times: np.ndarray) -> dict[str, Any]:
    """Fit ``(mu, n, beta)`` to sorted event times in seconds; ``n`` with a 95 % interval."""
    times = np.asarray(times, dtype=np.float64)
    if times.size < MIN_EVENTS:
        return {"events": int(times.size), "note": f"fewer than {MIN_EVENTS} events"}
    times = times - times[0]
    horizon = float(times[-1]) + 1e-3
    rate = times.size / horizon
    start = np.array([rate * 0.5, 0.5, 10.0])
    bounds = [(1e-9, None), (1e-6, 0.999), (1e-3, 1e4)]

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        return _negative_log_likelihood(theta, times, horizon)

    result = optimize.minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds)
    mu, n, beta = (float(v) for v in result.x)
    error = _standard_errors(objective, result.x)
    return {
        "mu": mu,
        "branching_ratio": n,
        "beta": beta,
        "branching_ratio_ci_low": max(0.0, n - 1.96 * error[1]) if np.isfinite(error[1]) else None,
        "branching_ratio_ci_high": min(1.0, n + 1.96 * error[1]) if np.isfinite(error[1]) else None,
        "events": int(times.size),
        "horizon_seconds": horizon,
        "converged": bool(result.success),
    }


def _standard_errors(objective: Any, theta: np.ndarray) -> np.ndarray:
    """Square roots of the inverse observed information's diagonal (central differences)."""
    hessian = np.zeros((3, 3))
    for i in range(3):
        step = 1e-5 * max(abs(theta[i]), 1e-3)
        up, down = theta.copy(), theta.copy()
        up[i] += step
        down[i] -= step
        hessian[i] = (objective(up)[1] - objective(down)[1]) / (2 * step)
    hessian = (hessian + hessian.T) / 2
    try:
        covariance = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return np.full(3, NAN)
    diagonal = np.diag(covariance)
    return np.where(diagonal > 0, np.sqrt(np.abs(diagonal)), NAN)


def _event_times(trades: pl.DataFrame, *, seed: int) -> tuple[np.ndarray, float]:
    """Aggregate-trade times in seconds, ties spread inside their ms; and the tie share."""
    ms = trades["origin_ms"].sort().to_numpy()
    if ms.size == 0:
        return np.array([]), NAN
    ties = float(np.mean(np.diff(ms) == 0)) if ms.size > 1 else 0.0
    jitter = np.random.default_rng(seed).uniform(0.0, 1.0, ms.size)
    return np.sort((ms - ms[0]) + jitter) / 1e3, ties


@register
@dataclass(frozen=True)
class HawkesBranchingRatio:
    """Candidate minus reference branching ratio of a Hawkes fit to aggregate-trade times."""

    name: str = "hawkes_branching_ratio"
    unit: str = "branching ratio difference"
    seed: int = 0

    def compute(self, aligned: Aligned) -> MetricResult:
        detail: dict[str, Any] = {}
        fitted = []
        for side, trades in (
            ("reference", aligned.reference_trades),
            ("candidate", aligned.candidate_trades),
        ):
            times, ties = _event_times(trades, seed=self.seed)
            fit = fit_hawkes(times)
            fit["tie_share"] = ties if np.isfinite(ties) else None
            detail[side] = fit
            fitted.append(fit.get("branching_ratio", NAN))
        value = fitted[1] - fitted[0] if all(np.isfinite(fitted)) else NAN
        n = min(detail["reference"]["events"], detail["candidate"]["events"])
        return MetricResult(value, int(n), detail)
