"""Multivariate Hawkes: the branching matrix of four event types on each side.

Types, from ``events/``: market buys and market sells (taker orders: fills of one side at one
exchange time), limit adds (a level's size grows) and cancels (it shrinks). The kernels are sums
of exponentials with decays of 1000 and 10 per second (1 ms and 100 ms; a 1 s kernel did not
recover known parameters from windows of a few minutes); ``tick``'s least-squares loss,
minimised by scipy's L-BFGS-B with every weight at or above 0, fits them. Entry ``(i, j)`` of
the branching matrix is the mean number of type-``i`` events one type-``j`` event triggers;
its spectral radius says how endogenous the flow is (1 is critical).

Clock floor: Binance stamps trades to the millisecond and publishes depth in 100 ms batches, so
adds and cancels are spread evenly over their batch's 100 ms and tied trades over their
millisecond (seeded). Kernels faster than the floor are not identified on live data; the
synthetic market can go finer. Intervals come from a parametric bootstrap (simulate the fitted
process, refit). The value is the largest absolute entry difference between the two sides.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import optimize, stats

from rlx_lib.fidelity.align import Aligned
from rlx_lib.fidelity.metrics.base import MetricResult, register
from rlx_lib.fidelity.patterns.orders import taker_orders, units
from rlx_lib.hawkes import HawkesSpec, simulate_arrivals, tick_hawkes

__all__ = ["DECAYS", "EVENT_TYPES", "HawkesBranchingMatrix", "bootstrap", "event_times", "fit"]

EVENT_TYPES = ("market_buy", "market_sell", "limit_add", "cancel")
DECAYS = np.array([1000.0, 10.0])
MIN_EVENTS = 50
_BATCH_NS = 100_000_000


def _fraction(time_ns: np.ndarray, price: np.ndarray, seed: int) -> np.ndarray:
    """A uniform [0, 1) draw fixed by each event's own time and price, so equal events on both
    sides get equal jitter whatever else either side holds."""
    mixed = time_ns.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) ^ price.astype(np.uint64)
    mixed = (mixed ^ np.uint64(seed)) * np.uint64(0xC2B2AE3D27D4EB4F)
    return (mixed >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def event_times(
    events: pl.DataFrame, *, seconds: float, seed: int = 0, start_ns: int | None = None
) -> list[np.ndarray]:
    """Times (s from ``start_ns``, default the first depth row) of the four types over
    ``seconds``."""
    orders = taker_orders(events)
    ms = (pl.col("origin_time").dt.epoch("ns").fill_null(0) + 500_000) // 1_000_000 * 1_000_000
    deltas = events.filter(pl.col("kind").cast(pl.String) == "delta").sort("sequence")
    first = int(deltas["origin_time"].dt.epoch("ns").min()) if deltas.height else 0
    start_ns = first if start_ns is None else start_ns
    # sizes are compared with the level's previous row after the start (none: 0), so both
    # sides classify the same rows alike whatever their snapshots held
    levels = (
        deltas.select(
            ms.alias("time_ns"),
            "side_is_bid",
            units("price").alias("price"),
            units("size").alias("size"),
        )
        .filter(pl.col("time_ns") >= start_ns)
        .with_columns(
            (
                pl.col("size") - pl.col("size").shift(1).over("side_is_bid", "price").fill_null(0)
            ).alias("change")
        )
    )
    level_ns = levels["time_ns"].to_numpy()
    level_ns = level_ns - _BATCH_NS * _fraction(level_ns, levels["price"].to_numpy(), seed)
    change = levels["change"].to_numpy()
    order_ns = orders["time_ns"].to_numpy()
    order_ns = order_ns + 1e6 * _fraction(order_ns, orders["first_price"].to_numpy(), seed)
    buys = orders["is_buy"].to_numpy()
    raw = [order_ns[buys], order_ns[~buys], level_ns[change > 0], level_ns[change < 0]]
    shifted = [t - start_ns for t in raw]
    return [np.sort(t[(t >= 0) & (t < seconds * 1e9)]) / 1e9 for t in shifted]


def fit(times: list[np.ndarray], *, decays: np.ndarray = DECAYS) -> dict[str, Any]:
    """Least-squares sum-of-exponentials fit: baseline, kernel weights, branching, radius.

    ``tick``'s least-squares loss and gradient, minimised by scipy's L-BFGS-B with every
    coefficient kept at or above 0: a negative rate or excitation has no meaning, and an
    unconstrained fit gives such entries on short windows.
    """
    model = tick_hawkes().ModelHawkesSumExpKernLeastSq(decays)
    model.fit([np.ascontiguousarray(t, dtype=float) for t in times])
    count = model.n_coeffs
    solved = optimize.minimize(
        model.loss,
        np.full(count, 0.1),
        jac=model.grad,
        method="L-BFGS-B",
        bounds=[(0.0, None)] * count,
        options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-12},
    )
    nodes = len(times)
    adjacency = solved.x[nodes:].reshape(nodes, nodes, len(decays))
    branching = adjacency.sum(axis=2)
    return {
        "baseline": solved.x[:nodes].copy(),
        "adjacency": adjacency,
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
    adjacency = fitted["adjacency"]
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


def _first_ns(events: pl.DataFrame | None) -> int | None:
    if events is None:
        return None
    deltas = events.filter(pl.col("kind").cast(pl.String) == "delta")
    return None if deltas.is_empty() else int(deltas["origin_time"].dt.epoch("ns").min())


def _side(
    events: pl.DataFrame | None, rule: HawkesBranchingMatrix, start_ns: int | None
) -> dict[str, Any]:
    if events is None:
        return {"note": "no events kept"}
    times = event_times(events, seconds=rule.seconds, seed=rule.seed, start_ns=start_ns)
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
    seconds: float = 120.0  # fit on the first this many seconds of each side
    bootstrap_samples: int = 0  # intervals on request (each sample refits the process)
    seed: int = 0

    def compute(self, aligned: Aligned) -> MetricResult:
        if importlib.util.find_spec("tick") is None:  # tick has wheels for Python 3.11 only
            note = f"not computed: tick is not installed for Python {sys.version_info[0]}."
            return MetricResult(float("nan"), 0, {"note": note + f"{sys.version_info[1]}"})
        firsts = [_first_ns(e) for e in (aligned.reference_events, aligned.candidate_events)]
        overlap = None not in firsts and aligned.same_window
        start = max(firsts) if overlap else None  # the span both sides hold (else each its own)
        detail = {
            "types": list(EVENT_TYPES),
            "decays_per_s": DECAYS.tolist(),
            "reference": _side(aligned.reference_events, self, start),
            "candidate": _side(aligned.candidate_events, self, start),
        }
        sides = [detail["reference"].get("branching"), detail["candidate"].get("branching")]
        if any(side is None for side in sides):
            return MetricResult(float("nan"), 0, detail)
        value = float(np.max(np.abs(np.array(sides[1]) - np.array(sides[0]))))
        n = min(sum(detail[s]["events"]) for s in ("reference", "candidate"))
        return MetricResult(value, n, detail)
