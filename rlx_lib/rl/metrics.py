"""RL readiness metrics, plugged into fidelity through its entry-point group.

- ``sim_to_real_gap``: each reference policy replayed in hftbacktest on the vendor's book and
  on the live one over the same window; per policy, ``|vendor - live| / max(|live|, floor)``
  of PnL (floor: the limit inventory moved ten ticks) and of fills (floor: one fill), the
  larger of the two, with a block-bootstrap 95% interval over time blocks. The value is the
  largest policy gap (gate: at most 0.05). The detail also gives each policy's gap with each
  side on its own receive clock ("as recorded"), and how far feeding the live side its single
  fills (the ``trades/`` dataset, one row per ``@trade``) instead of aggregate trades moves each
  policy (``single_trades``: the aggregation alone, a limit of the vendor's data, which holds
  aggregate trades only); without ``@trade`` in the capture that variant is not computed.
- ``state_coverage``: share of the live side's visited feature bins that the vendor side also
  visits (gate: at least 0.95); detail: Jensen-Shannon divergence of the two visitation
  distributions (base 2), the most-missed bins, and the spread-by-imbalance visit tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from rlx_lib.fidelity import MetricResult
from rlx_lib.rl.features import FEATURES, Bins, featurize
from rlx_lib.rl.feed import feed_latency, side_feed, sides, single_trades
from rlx_lib.rl.models import Latency
from rlx_lib.rl.policies import REFERENCE_POLICIES, get_policy
from rlx_lib.rl.simulate import Outcome, simulate
from rlx_lib.rl.sizing import order_size, window_grid

__all__ = ["COVERAGE_GATE", "GAP_GATE", "SimToRealGap", "StateCoverage"]

GAP_GATE = 0.05
COVERAGE_GATE = 0.95
_MS = 1_000_000


@dataclass(frozen=True)
class SimToRealGap:
    """Largest per-policy relative gap in PnL and fills, vendor against live."""

    name: str = "sim_to_real_gap"
    unit: str = "relative gap"
    policies: tuple[str, ...] = tuple(REFERENCE_POLICIES)
    queue: str = "risk_averse"
    tick_size: float | None = None
    recorded: bool = True
    single_trades: bool = True
    seed: int = 0
    resamples: int = 200

    def compute(self, aligned) -> MetricResult:
        live, vendor = sides(aligned)
        grid = window_grid(live, self.tick_size)
        qty = order_size(live, grid)
        limit, latency = 5 * qty, feed_latency(aligned)
        chosen = [get_policy(name) for name in self.policies]
        floor = 10 * limit * grid.tick_size

        def run(feed, policy):
            return simulate(
                feed,
                policy,
                grid,
                qty=qty,
                limit=limit,
                queue=self.queue,
                latency=Latency(),
                seed=self.seed,
            )

        runs = {}
        for clock in ("constant", "recorded") if self.recorded else ("constant",):
            pair = [side_feed(s, clock=clock, latency_ns=latency) for s in (live, vendor)]
            runs[clock] = {policy.name: [run(feed, policy) for feed in pair] for policy in chosen}
        per_policy = {
            name: _policy_gap(lv[0], lv[1], floor, self.resamples, self.seed)
            for name, lv in runs["constant"].items()
        }
        if "recorded" in runs:
            for name, lv in runs["recorded"].items():
                per_policy[name]["gap_recorded"] = _gap(lv[0], lv[1], floor)
        single = single_trades(aligned.reference_single_trades)
        if self.single_trades and single is not None:
            feed = side_feed(replace(live, trades=single), latency_ns=latency)
            for policy in chosen:
                fed = run(feed, policy)
                aggregated = runs["constant"][policy.name][0]
                per_policy[policy.name]["single_trades"] = {
                    "fills": fed.fills - aggregated.fills,
                    "pnl": fed.pnl - aggregated.pnl,
                    "gap": _gap(aggregated, fed, floor),
                    "live_fills": fed.fills,
                    "live_pnl": fed.pnl,
                }
        value = max(p["gap"] for p in per_policy.values())
        detail = {
            "gate": GAP_GATE,
            "passed": value <= GAP_GATE,
            "feed_latency_ns": latency,
            "queue_model": self.queue,
            "order_qty": qty,
            "inventory_limit": limit,
            "tick_size": grid.tick_size,
            "trades": "aggregate on both sides",
            "live_trades_individual": 0 if single is None else single.height,
            "single_trades": _single_note(self.single_trades, single),
            "policies": per_policy,
        }
        return MetricResult(value=value, n=int(live.exch_ns.size), detail=detail)


def _single_note(asked: bool, single: pl.DataFrame | None) -> str:
    """What the detail says of the single-fills variant."""
    if not asked:
        return "not computed: not asked for"
    if single is None:
        return "not computed: no @trade stream in the capture"
    return f"live side fed its {single.height} single @trade fills (trades/)"


def _gap(live: Outcome, vendor: Outcome, floor: float) -> float:
    pnl = abs(vendor.pnl - live.pnl) / max(abs(live.pnl), floor)
    fills = abs(vendor.fills - live.fills) / max(live.fills, 1)
    return float(max(pnl, fills))


def _policy_gap(live: Outcome, vendor: Outcome, floor: float, resamples: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    blocks = len(live.block_pnl)
    picks = rng.integers(0, blocks, size=(resamples, blocks))
    lp, vp = np.asarray(live.block_pnl)[picks].sum(1), np.asarray(vendor.block_pnl)[picks].sum(1)
    lf, vf = (
        np.asarray(live.block_fills)[picks].sum(1),
        np.asarray(vendor.block_fills)[picks].sum(1),
    )
    gaps = np.maximum(
        np.abs(vp - lp) / np.maximum(np.abs(lp), floor), np.abs(vf - lf) / np.maximum(lf, 1)
    )
    return {
        "gap": _gap(live, vendor, floor),
        "pnl_gap": abs(vendor.pnl - live.pnl) / max(abs(live.pnl), floor),
        "fills_gap": abs(vendor.fills - live.fills) / max(live.fills, 1),
        "interval_95": [float(np.quantile(gaps, 0.025)), float(np.quantile(gaps, 0.975))],
        "live": live.summary(),
        "vendor": vendor.summary(),
    }


@dataclass(frozen=True)
class StateCoverage:
    """Share of live-visited state bins the vendor side visits too."""

    name: str = "state_coverage"
    unit: str = "share of live state bins"
    quantiles: int = 4
    tick_size: float | None = None
    most_missed: int = 5
    heat: tuple[str, str] = field(default=("spread_ticks", "imbalance_1"))

    def compute(self, aligned) -> MetricResult:
        live, vendor = sides(aligned)
        grid = window_grid(live, self.tick_size)
        rows = [
            featurize(s.levels, s.exch_ns, s.trades["origin_ms"].to_numpy() * _MS, grid.tick)
            for s in (live, vendor)
        ]
        bins = Bins(rows[0], self.quantiles)
        live_ids, vendor_ids = (bins.state_ids(r) for r in rows)
        if not live_ids.size:
            return MetricResult(value=math.nan, n=0, detail={"gate": COVERAGE_GATE})
        states, live_counts = np.unique(live_ids, return_counts=True)
        seen = np.isin(states, vendor_ids)
        value = float(seen.mean())
        order = np.argsort(-live_counts[~seen], kind="stable")[: self.most_missed]
        missed = [
            {"bins": bins.describe(int(s)), "live_visits": int(c)}
            for s, c in zip(states[~seen][order], live_counts[~seen][order], strict=True)
        ]
        detail: dict[str, Any] = {
            "gate": COVERAGE_GATE,
            "passed": value >= COVERAGE_GATE,
            "live_bins": int(states.size),
            "vendor_bins": int(np.unique(vendor_ids).size),
            "jensen_shannon": _jensen_shannon(live_ids, vendor_ids),
            "most_missed": missed,
            "edges": {n: e.tolist() for n, e in zip(FEATURES, bins.edges, strict=True)},
            "heat": _heat(bins, rows, self.heat),
        }
        return MetricResult(value=value, n=int(live_ids.size), detail=detail)


def _jensen_shannon(first: np.ndarray, second: np.ndarray) -> float:
    states = np.union1d(first, second)
    p = np.bincount(np.searchsorted(states, first), minlength=states.size) / max(first.size, 1)
    q = np.bincount(np.searchsorted(states, second), minlength=states.size) / max(second.size, 1)
    m = (p + q) / 2

    def kl(a: np.ndarray) -> float:
        keep = a > 0
        return float(np.sum(a[keep] * np.log2(a[keep] / m[keep])))

    return max(0.0, (kl(p) + kl(q)) / 2)


def _heat(bins: Bins, rows: list[np.ndarray], pair: tuple[str, str]) -> dict:
    x, y = FEATURES.index(pair[0]), FEATURES.index(pair[1])
    shape = (bins.sizes[x], bins.sizes[y])
    tables = {}
    for side, features in zip(("live", "vendor"), rows, strict=True):
        digits = bins.digitize(features)
        table = np.zeros(shape, dtype=np.int64)
        np.add.at(table, (digits[:, x], digits[:, y]), 1)
        tables[side] = table.tolist()
    return {"x": pair[0], "y": pair[1], **tables}
