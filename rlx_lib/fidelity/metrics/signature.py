"""Signature MMD: are short paths of mid, spread and order-flow imbalance alike on both sides?

Each side's 100 ms grid is cut into windows (one minute by default). A window is a path in
four channels: time (0 to 1), mid change from the window start (bp), spread (bp) and
cumulative order-flow imbalance (in units of the reference's typical per-window flow, so both
sides share one scale). Its truncated signature (depth 3, computed as ``esig`` does) summarises
the path; the statistic is the unbiased MMD² between the two sets of signatures with a
Gaussian kernel (bandwidth: the median pairwise distance), computed over paired windows so
identical inputs give exactly 0. The p-value comes from permutations that swap windows
between the sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from rlx_lib.fidelity.align import Aligned
from rlx_lib.fidelity.metrics.base import MetricResult, register

__all__ = ["SignatureMMD", "mmd_test", "signatures", "window_paths"]

MIN_WINDOWS = 5


def window_paths(grid: pl.DataFrame, *, points: int = 600, flow_scale: float | None = None):
    """``(windows, points, 5)`` paths from a 100 ms grid, and the flow scale used."""
    clean = grid.drop_nulls(["bid", "ask"])
    count = clean.height // points
    if count == 0:
        return np.zeros((0, points, 5)), flow_scale or 1.0
    bid = clean["bid"].to_numpy()[: count * points].astype(np.float64).reshape(count, points)
    ask = clean["ask"].to_numpy()[: count * points].astype(np.float64).reshape(count, points)
    flow = clean["ofi"].to_numpy()[: count * points].astype(np.float64).reshape(count, points)
    mid = (bid + ask) / 2
    cumulative = np.cumsum(flow, axis=1)
    if flow_scale is None:
        spread_of_flow = float(np.median(np.abs(cumulative[:, -1])))
        flow_scale = spread_of_flow if spread_of_flow > 0 else 1.0
    paths = np.stack(
        [
            np.broadcast_to(np.linspace(0.0, 1.0, points), (count, points)),
            (mid - mid[:, :1]) / mid[:, :1] * 1e4,
            (ask - bid) / mid * 1e4,
            cumulative / flow_scale,
            np.cumsum(flow != 0, axis=1) / points,
        ],
        axis=2,
    )
    return paths, flow_scale


def signatures(paths: np.ndarray, *, depth: int = 3) -> np.ndarray:
    """Truncated signature of each path (the constant first term dropped).

    Computed as ``esig.stream2sig`` does, through its backend ``roughpy``, with the index grid
    cut to one index per increment: esig's ``arange`` grid gains a point at some path lengths
    (50, 99, ...) and roughpy then refuses the stream.
    """
    import roughpy as rp

    count, width = paths.shape[1], paths.shape[2]
    indices = np.arange(0.0, 1.0, 1.0 / (count - 1))[: count - 1]
    context = rp.get_context(width, depth, rp.DPReal)
    found = []
    for path in paths:
        stream = rp.LieIncrementStream.from_increments(
            np.diff(path, axis=0), indices=indices, ctx=context
        )
        found.append(np.array(stream.signature(rp.RealInterval(0.0, 1.0)), copy=True)[1:])
    return np.array(found)


def _kernel(x: np.ndarray, y: np.ndarray, bandwidth: float) -> np.ndarray:
    squared = (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2 * x @ y.T
    return np.exp(-np.maximum(squared, 0.0) / (2 * bandwidth * bandwidth))


def _statistic(kxx: np.ndarray, kyy: np.ndarray, kxy: np.ndarray) -> float:
    """Unbiased MMD² of paired samples: mean over i != j of the h(z_i, z_j) terms."""
    h = kxx + kyy - kxy - kxy.T
    m = h.shape[0]
    return float((h.sum() - np.trace(h)) / (m * (m - 1)))


def mmd_test(
    x: np.ndarray, y: np.ndarray, *, permutations: int = 200, seed: int = 0
) -> dict[str, Any]:
    """MMD² between feature sets (rows paired up to the shorter one) and its permutation null."""
    m = min(len(x), len(y))
    if m < MIN_WINDOWS:
        return {"windows": m, "note": f"fewer than {MIN_WINDOWS} windows a side"}
    x, y = x[:m], y[:m]
    pooled = np.vstack([x, y])
    scale = pooled.std(axis=0)
    varies = scale > 1e-9 * np.maximum(np.abs(pooled).max(axis=0), 1.0)  # not constant
    pooled = pooled[:, varies] / scale[varies]
    distances = np.sqrt(np.maximum(((pooled[:, None] - pooled[None]) ** 2).sum(-1), 0.0))
    positive = distances[distances > 0]
    bandwidth = float(np.median(positive)) if positive.size else 1.0
    k = _kernel(pooled, pooled, bandwidth)
    index = np.arange(m)
    observed = _statistic(k[:m, :m], k[m:, m:], k[:m, m:])
    rng = np.random.default_rng(seed)
    null = np.empty(permutations)
    for number in range(permutations):
        swap = rng.random(m) < 0.5
        a = np.where(swap, index + m, index)
        b = np.where(swap, index, index + m)
        null[number] = _statistic(k[np.ix_(a, a)], k[np.ix_(b, b)], k[np.ix_(a, b)])
    return {
        "mmd2": observed,
        "p_value": float((1 + np.sum(null >= observed)) / (1 + permutations)),
        "null_quantiles": {str(q): float(np.quantile(null, q)) for q in (0.5, 0.9, 0.95, 0.99)},
        "null": null.tolist(),
        "windows": m,
        "bandwidth": bandwidth,
    }


@register
@dataclass(frozen=True)
class SignatureMMD:
    """Unbiased MMD² between the two sides' windowed path signatures (0 for equal paths)."""

    name: str = "signature_mmd"
    unit: str = "MMD² (signature features, Gaussian kernel)"
    window_s: float = 60.0
    depth: int = 3
    permutations: int = 200
    seed: int = 0

    def compute(self, aligned: Aligned) -> MetricResult:
        points = round(self.window_s * 10)
        reference, scale = window_paths(aligned.reference_grid, points=points)
        candidate, _ = window_paths(aligned.candidate_grid, points=points, flow_scale=scale)
        if min(len(reference), len(candidate)) < MIN_WINDOWS:
            detail = {"windows": min(len(reference), len(candidate))}
            return MetricResult(float("nan"), 0, detail)
        found = mmd_test(
            signatures(reference, depth=self.depth),
            signatures(candidate, depth=self.depth),
            permutations=self.permutations,
            seed=self.seed,
        )
        return MetricResult(found["mmd2"], found["windows"], found)
