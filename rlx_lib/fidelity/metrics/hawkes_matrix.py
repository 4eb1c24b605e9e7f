"""Multivariate Hawkes: the branching matrix of four event types on each side.

Types, from ``events/``: market buys and market sells (taker orders: fills of one side at one
exchange time), limit adds (a level's size grows) and cancels (it shrinks). The kernels are sums
of exponentials with decays of 1000, 30 and 1 per second (1 ms to 1 s); ``tick``'s
least-squares ``HawkesSumExpKern`` fits the weights (no home-made optimiser). Entry ``(i, j)``
of the branching matrix is the mean number of type-``i`` events one type-``j`` event triggers;
its spectral radius says how endogenous the flow is (1 is critical).

Clock floor: Binance stamps trades to the millisecond and publishes depth in 100 ms batches, so
adds and cancels are spread evenly over their batch's 100 ms and tied trades over their
millisecond (seeded). Kernels faster than the floor are not identified on live data; the
synthetic market can go finer. Intervals come from a parametric bootstrap (simulate the fitted
process, refit). The value is the largest absolute entry difference between the two sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from scipy import stats

from rlx_lib.fidelity.metrics.base import MetricResult, register
from rlx_lib.fidelity.patterns.orders import taker_orders, units
from rlx_lib.synth.hawkes import HawkesSpec, simulate_arrivals, tick_hawkes

if TYPE_CHECKING:
    from rlx_lib.fidelity.align import Aligned

__all__ = ["DECAYS", "EVENT_TYPES", "HawkesBranchingMatrix", "bootstrap", "event_times", "fit"]

EVENT_TYPES = ("market_buy", "market_sell", "limit_add", "cancel")
DECAYS = np.array([1000.0, 10.0])
MIN_EVENTS = 50
_BATCH_NS = 100_000_000


def event_times(events: pl.DataFrame, *, seconds: float, seed: int = 0) -> list[np.ndarray]:
    """Times (s from the first event) of the four types over the first ``seconds``."""
    rng = np.random.default_rng(seed)
    orders = taker_orders(events)
    levels = (
        events.filter(pl.col("kind").cast(pl.String) == "delta")
        .sort("sequence")
        .select(
            pl.col("origin_time").dt.epoch("ns").fill_null(0).alias("time_ns"),
            "side_is_bid",
            units("price").alias("price"),
            units("size").alias("size"),
        )
        .with_columns(
            (
                pl.col("size") - pl.col("size").shift(1).over("side_is_bid", "price").fill_null(0)
            ).alias("change")
        )
    )
    spread = rng.uniform(-_BATCH_NS, 0, levels.height)
    level_ns = levels["time_ns"].to_numpy() + spread
    change = levels["change"].to_numpy()
    order_ns = orders["time_ns"].to_numpy() + rng.uniform(0, 1e6, orders.height)
    buys = orders["is_buy"].to_numpy()
    raw = [order_ns[buys], order_ns[~buys], level_ns[change > 0], level_ns[change < 0]]
    start = min((times.min() for times in raw if times.size), default=0.0)
    shifted = [t - start for t in raw]
    return [np.sort(t[(t >= 0) & (t < seconds * 1e9)]) / 1e9 for t in shifted]


def fit(times: list[np.ndarray], *, decays: np.ndarray = DECAYS) -> dict[str, Any]:
    """Least-squares sum-of-exponentials fit: baseline, kernel weights, branching, radius."""
    learner = tick_hawkes().HawkesSumExpKern(
        decays, penalty="l2", C=1e8, solver="bfgs", max_iter=1000, tol=1e-10, verbose=False
    )
    learner.fit([np.ascontiguousarray(t, dtype=float) for t in times])
    branching = learner.adjacency.sum(axis=2)
    return {
        "baseline": learner.baseline.copy(),
        "adjacency": learner.adjacency.copy(),
        "branching": branching,
        "spectral_radius": float(np.max(np.abs(np.linalg.eigvals(branching)))),
    }


def bootstrap(
    fitted: dict[str, Any],
    *,
    seconds: float,
    samples: int,
    seed: int,
    level: float = 0.999,
    decays: np.ndarray = DECAYS,
) -> dict[str, np.ndarray]:
    """Interval of each branching entry: the estimate plus or minus the normal quantile of
    ``level`` times the standard deviation of parametric-bootstrap refits (returned too)."""
    adjacency = np.clip(fitted["adjacency"], 0.0, None)
    radius = np.max(np.abs(np.linalg.eigvals(adjacency.sum(axis=2))))
    if radius >= 0.99:  # keep the simulated process stationary
        adjacency = adjacency * 0.99 / radius
    spec = HawkesSpec(np.clip(fitted["baseline"], 1e-3, None), adjacency, decays)
    refits = np.array(
        [
            fit(simulate_arrivals(spec, seconds=seconds, seed=seed + number), decays=decays)[
                "branching"
            ]
            for number in range(samples)
        ]
    )
    half = stats.norm.ppf(0.5 + level / 2) * refits.std(axis=0, ddof=1)
    estimate = fitted["branching"]
    return {"low": estimate - half, "high": estimate + half, "refits": refits}


def _side(events: pl.DataFrame | None, rule: HawkesBranchingMatrix) -> dict[str, Any]:
    if events is None:
        return {"note": "no events kept"}
    times = event_times(events, seconds=rule.seconds, seed=rule.seed)
    counts = [int(t.size) for t in times]
    if min(counts) < MIN_EVENTS:
        return {"events": counts, "note": f"a type has fewer than {MIN_EVENTS} events"}
    horizon = max(float(t.max()) for t in times)
    fitted = fit(times)
    found = {
        "events": counts,
        "seconds": horizon,
        "branching": fitted["branching"].tolist(),
        "baseline": fitted["baseline"].tolist(),
        "spectral_radius": fitted["spectral_radius"],
    }
    if rule.bootstrap_samples:
        samples = rule.bootstrap_samples
        interval = bootstrap(fitted, seconds=horizon, samples=samples, seed=rule.seed)
        found["branching_low"] = interval["low"].tolist()
        found["branching_high"] = interval["high"].tolist()
    return found


@register
@dataclass(frozen=True)
class HawkesBranchingMatrix:
    """Largest absolute difference between the sides' 4x4 Hawkes branching matrices."""

    name: str = "hawkes_branching_matrix"
    unit: str = "max |branching entry difference|"
    seconds: float = 300.0  # fit on the first this many seconds of each side
    bootstrap_samples: int = 5
    seed: int = 0

    def compute(self, aligned: Aligned) -> MetricResult:
        detail = {
            "types": list(EVENT_TYPES),
            "decays_per_s": DECAYS.tolist(),
            "reference": _side(aligned.reference_events, self),
            "candidate": _side(aligned.candidate_events, self),
        }
        sides = [detail["reference"].get("branching"), detail["candidate"].get("branching")]
        if any(side is None for side in sides):
            return MetricResult(float("nan"), 0, detail)
        value = float(np.max(np.abs(np.array(sides[1]) - np.array(sides[0]))))
        n = min(sum(detail[s]["events"]) for s in ("reference", "candidate"))
        return MetricResult(value, n, detail)
