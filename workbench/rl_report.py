"""The "RL readiness" part of the fidelity dashboard, and the drop-rate sweep it plots.

Per policy: live against vendor (PnL, fills), the sim-to-real gap with its bootstrap interval,
PASS/FAIL at 0.05, beside the gap on each side's own receive clock and the effect of single
fills against aggregate trades; the state-coverage heat map (spread bin by L1-imbalance bin,
live and vendor visits); the transfer gap; and, when ``rlx rl sweep`` has run under the data
root, the gap against the vendor's drop rate.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import altair as alt
import panel as pn
import polars as pl

from rlx_lib.catalog import atomic_path
from workbench.charts import as_svg, gate_label
from workbench.publish import table_pane

if TYPE_CHECKING:
    from rlx_lib.fidelity import FidelityResult

__all__ = ["heat_chart", "load_sweep", "policy_table", "rl_section", "save_sweep", "sweep_chart"]

SWEEP_FILE = Path("rl") / "sweep.json"
"""Where ``rlx rl sweep`` keeps its rows, under the data root."""


def save_sweep(root: Path, rows: list[dict[str, Any]]) -> Path:
    """Write the sweep's rows to ``<root>/rl/sweep.json`` (atomically)."""
    path = Path(root) / SWEEP_FILE
    with atomic_path(path) as temp:
        temp.write_text(json.dumps({"rows": rows}, indent=1, default=str), encoding="utf-8")
    return path


def load_sweep(root: Path | None) -> pl.DataFrame | None:
    """The last sweep's rows under ``root``, or None."""
    path = None if root is None else Path(root) / SWEEP_FILE
    if path is None or not path.is_file():
        return None
    return pl.DataFrame(json.loads(path.read_text(encoding="utf-8"))["rows"])


def _record(report: FidelityResult, name: str, symbol: str):
    found = [r for r in report.rows if r.name == name and r.symbol == symbol]
    return found[0] if found else None


def policy_table(detail: dict[str, Any]) -> pl.DataFrame:
    """One row per policy: live and vendor PnL and fills, the gap, its interval, the verdict."""
    rows = []
    for name, policy in detail.get("policies", {}).items():
        low, high = policy["interval_95"]
        single = policy.get("single_trades") or {}
        rows.append(
            {
                "policy": name,
                "live PnL": f"{policy['live']['pnl']:.6g}",
                "vendor PnL": f"{policy['vendor']['pnl']:.6g}",
                "live fills": policy["live"]["fills"],
                "vendor fills": policy["vendor"]["fills"],
                "gap": f"{policy['gap']:.4f}",
                "95% interval": f"[{low:.4f}, {high:.4f}]",
                "verdict": gate_label(policy["gap"] <= detail["gate"]),
                "gap, own clocks": f"{policy.get('gap_recorded', float('nan')):.4f}",
                "single fills vs aggregates (fills)": single.get("fills"),
            }
        )
    return pl.DataFrame(rows)


def heat_chart(heat: dict[str, Any]) -> alt.HConcatChart:
    """Visits per (x bin, y bin), live and vendor side by side."""
    charts = []
    for side in ("live", "vendor"):
        cells = [
            {"x": i, "y": j, "visits": count}
            for i, row in enumerate(heat[side])
            for j, count in enumerate(row)
        ]
        charts.append(
            alt.Chart(alt.Data(values=cells), title=f"{side} visits")
            .mark_rect()
            .encode(
                x=alt.X("x:O", title=f"{heat['x']} bin"),
                y=alt.Y("y:O", title=f"{heat['y']} bin"),
                color=alt.Color("visits:Q", scale=alt.Scale(scheme="blues")),
                tooltip=["x:O", "y:O", "visits:Q"],
            )
            .properties(width=220, height=160)
        )
    return alt.hconcat(*charts)


def sweep_chart(sweep: pl.DataFrame) -> alt.Chart:
    """Mean sim-to-real gap against the vendor drop rate (points: each seed)."""
    points = alt.Chart(alt.Data(values=sweep.to_dicts())).mark_point(opacity=0.5)
    mean = sweep.group_by("drop_rate").agg(pl.col("gap").mean()).sort("drop_rate").to_dicts()
    line = alt.Chart(alt.Data(values=mean)).mark_line(point=True)
    encode = {
        "x": alt.X("drop_rate:Q", title="vendor drop rate"),
        "y": alt.Y("gap:Q", title="sim-to-real gap (largest policy)"),
    }
    return (points.encode(**encode) + line.encode(**encode)).properties(
        title="Sim-to-real gap against vendor message loss", width=460, height=220
    )


def rl_section(report: FidelityResult, symbol: str, sweep: pl.DataFrame | None) -> list[Any]:
    """The section's panes for one symbol (empty when no RL metric ran)."""
    gap = _record(report, "sim_to_real_gap", symbol)
    coverage = _record(report, "state_coverage", symbol)
    transfer = _record(report, "transfer_gap", symbol)
    if gap is None and coverage is None and transfer is None:
        return []
    parts: list[Any] = [pn.pane.Markdown(f"## {html.escape(symbol)}: RL readiness")]
    if gap is not None:
        parts += [
            pn.pane.Markdown(
                f"**sim_to_real_gap = {gap.value:.4f}** (gate 0.05: "
                f"{gate_label(gap.value <= 0.05)}); policies replayed in hftbacktest on both "
                f"books, same constant feed latency ({gap.detail.get('feed_latency_ns')} ns), "
                f"queue model {gap.detail.get('queue_model')}. Single fills against aggregate "
                f"trades: {html.escape(str(gap.detail.get('single_trades', 'not computed')))}."
            ),
            table_pane(policy_table(gap.detail)),
        ]
    if coverage is not None:
        parts.append(
            pn.pane.Markdown(
                f"**state_coverage = {coverage.value:.4f}** (gate 0.95: "
                f"{gate_label(coverage.value >= 0.95)}), Jensen-Shannon divergence "
                f"{coverage.detail.get('jensen_shannon', float('nan')):.4f}, "
                f"{coverage.detail.get('live_bins')} live bins."
            )
        )
        if coverage.detail.get("heat"):
            parts.append(pn.pane.Vega(as_svg(heat_chart(coverage.detail["heat"]))))
    if transfer is not None:
        parts.append(
            pn.pane.Markdown(
                f"**transfer_gap = {transfer.value:.4f}**: live-trained "
                f"{transfer.detail.get('live_trained', float('nan')):.6g} against vendor-trained "
                f"{transfer.detail.get('vendor_trained', float('nan')):.6g}, both evaluated live."
            )
        )
    if sweep is not None and not sweep.filter(pl.col("symbol") == symbol).is_empty():
        parts.append(pn.pane.Vega(as_svg(sweep_chart(sweep.filter(pl.col("symbol") == symbol)))))
    return parts
