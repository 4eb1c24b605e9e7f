"""The "HFT phenomena" part of the fidelity dashboard (and of the ``65_phenomena`` notebook).

Per symbol, when those metrics ran: the multivariate Hawkes branching matrices (live | vendor
heat maps), the signature MMD against its permutation null, the depth profile (share of
displayed size by distance from the mid), and the adversarial-pattern detections on a UTC
timeline; per symbol pair, the rank-rank scatter of grid returns and order-flow imbalance that
the copula metric fits. Every chart reads the metric's own ``detail`` (or the detections and
grids the run kept), so it shows exactly what was measured.
"""

from __future__ import annotations

import dataclasses
import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import altair as alt
import numpy as np
import panel as pn
import polars as pl

from rlx_lib.fidelity import detections, get, pair_series, read_planted, score
from workbench.charts import (
    as_svg,
    matrix_chart,
    mirrored_histogram,
    null_chart,
    rank_scatter_chart,
    timeline_chart,
)

if TYPE_CHECKING:
    from rlx_lib.fidelity import FidelityReport, MetricRecord

__all__ = [
    "PATTERN_METRICS",
    "PHENOMENA",
    "copula_charts",
    "depth_profile_chart",
    "hawkes_chart",
    "mmd_chart",
    "pair_section",
    "pattern_chart",
    "pattern_frame",
    "phenomena_metrics",
    "phenomena_section",
    "planted_scores",
]

PATTERN_METRICS = ("spoofing_rate", "layering_rate", "momentum_ignition_rate")
PHENOMENA = (
    "hawkes_branching_matrix",
    "signature_mmd",
    "copula_tail_dependence",
    "depth_agreement_all",
    "depth_profile_distance",
    "hidden_liquidity",
    *PATTERN_METRICS,
)
"""The phenomena metrics of issue 19, as ``metrics.json`` names them."""
SIDES = {"reference": "live", "candidate": "vendor"}
SOURCES = {"golden": "live", "lake": "vendor"}
FIGURES = ("kendall_tau", "lower_tail", "upper_tail")


def phenomena_metrics(*, window_s: float = 60.0) -> list[Any]:
    """The :data:`PHENOMENA` metrics, the signature MMD on windows of ``window_s`` seconds
    (shorter windows give a short session the five windows a side the test needs)."""
    chosen = [get(name) for name in PHENOMENA]
    return [
        dataclasses.replace(metric, window_s=window_s) if metric.name == "signature_mmd" else metric
        for metric in chosen
    ]


def planted_scores(root: Path, report: FidelityReport) -> pl.DataFrame:
    """Precision and recall of each side's detections against ``<root>/_planted.json``."""
    planted = read_planted(Path(root))
    rows = []
    for symbol, aligned in report.aligned.items():
        truth = [instance for instance in planted if instance["symbol"] == symbol]
        for source, found in detections(aligned).items():
            for kind, figures in score(found, truth).items():
                rows.append({"symbol": symbol, "seen by": SOURCES[source], "kind": kind, **figures})
    return pl.DataFrame(rows)


def _record(report: FidelityReport, name: str, symbol: str) -> MetricRecord | None:
    found = [r for r in report.whole_run() if r.name == name and r.symbol == symbol]
    return found[0] if found else None


def _note(record: MetricRecord) -> Any:
    note = record.detail.get("note") or "not computed (too little data on one side)"
    return pn.pane.Markdown(f"`{record.name}`: {html.escape(str(note))}")


def hawkes_chart(record: MetricRecord) -> alt.HConcatChart | None:
    """Live and vendor branching matrices side by side on one colour scale (None: no fit)."""
    types = record.detail.get("types", [])
    sides = {side: record.detail.get(side, {}).get("branching") for side in SIDES}
    if not types or any(matrix is None for matrix in sides.values()):
        return None
    top = max(float(np.max(matrix)) for matrix in sides.values())
    charts = []
    for side, matrix in sides.items():
        radius = record.detail[side].get("spectral_radius", float("nan"))
        title = f"{SIDES[side]}: branching matrix (spectral radius {radius:.3f})"
        charts.append(matrix_chart(matrix, types, title=title, scale_max=top))
    return alt.hconcat(*charts).resolve_scale(color="shared")


def mmd_chart(record: MetricRecord) -> alt.LayerChart | None:
    """The permutation null of the signature MMD² with the observed value (None: not run)."""
    if "null" not in record.detail:
        return None
    title = (
        f"Signature MMD² = {record.detail['mmd2']:.4g}, permutation p = "
        f"{record.detail['p_value']:.3f} ({record.detail['windows']} windows a side)"
    )
    return null_chart(record.detail["null"], record.detail["mmd2"], title=title, x_title="MMD²")


def depth_profile_chart(record: MetricRecord) -> alt.Chart | None:
    """Share of displayed size per distance-from-mid bucket, live up and vendor down."""
    profiles = [record.detail.get(f"{side}_profile") for side in SIDES]
    if any(profile is None for profile in profiles):
        return None
    step = float(record.detail["bucket_bp"])
    order = [f"{name} ({side})" for side, name in SIDES.items()]
    frames = [
        pl.DataFrame(
            {
                "bin_start": np.arange(len(profile)) * step,
                "bin_end": (np.arange(len(profile)) + 1) * step,
                "side": label,
                "count": np.zeros(len(profile), dtype=np.int64),
                "share": np.asarray(profile, dtype=float),
            }
        )
        for label, profile in zip(order, profiles, strict=True)
    ]
    return mirrored_histogram(
        pl.concat(frames),
        group="side",
        order=order,
        colors=["#264653", "#e76f51"],
        title=f"Depth profile: size by distance from the mid (TV distance {record.value:.4g})",
        x_title="distance from the mid (bp, bids and asks together)",
    )


def pattern_frame(report: FidelityReport, symbol: str) -> pl.DataFrame:
    """Both sides' detections of one symbol: kind, side, start and end time, who saw it."""
    found = detections(report.aligned[symbol])
    frames = [
        frame.select(
            pl.col("kind").cast(pl.String),
            pl.col("side").cast(pl.String),
            "start_time",
            "end_time",
            pl.lit(SOURCES[source]).alias("seen by"),
        )
        for source, frame in found.items()
    ]
    return pl.concat(frames).sort("start_time")


def pattern_chart(report: FidelityReport, symbol: str) -> alt.Chart:
    """Detections on a UTC timeline, one lane per kind, live and vendor apart."""
    frame = pattern_frame(report, symbol)
    return timeline_chart(
        frame, lane="kind", colour="seen by", title="Adversarial-pattern detections"
    )


def copula_charts(report: FidelityReport, record: MetricRecord) -> alt.VConcatChart | None:
    """Rank-rank scatter of the pair's grid returns and order-flow imbalance, live and vendor."""
    pair = record.detail.get("pair")
    if not pair or any(symbol not in report.aligned for symbol in pair):
        return None
    first, second = (report.aligned[symbol] for symbol in pair)
    rows = []
    for series in ("returns", "ofi"):
        charts = []
        for side, name in SIDES.items():
            fit = record.detail.get(side, {}).get(series, {})
            tau, low, high = (fit.get(key, float("nan")) for key in FIGURES)
            title = f"{name} {series}: tau {tau:.3f}, tails {low:.3f} (low) / {high:.3f} (high)"
            frame = pair_series(first, second, side=side).rename(
                {f"{series}_a": pair[0], f"{series}_b": pair[1]}
            )
            charts.append(rank_scatter_chart(frame, x=pair[0], y=pair[1], title=title))
        rows.append(alt.hconcat(*charts))
    return alt.vconcat(*rows)


def _vega(chart: alt.TopLevelMixin) -> pn.pane.Vega:
    return pn.pane.Vega(as_svg(chart), sizing_mode="stretch_width")


def _chart_or_note(record: MetricRecord | None, chart: Any) -> list[Any]:
    if record is None:
        return []
    return [_vega(chart)] if chart is not None else [_note(record)]


def phenomena_section(report: FidelityReport, symbol: str) -> list[Any]:
    """The section's panes for one symbol (empty when no phenomena metric ran)."""
    hawkes = _record(report, "hawkes_branching_matrix", symbol)
    mmd = _record(report, "signature_mmd", symbol)
    profile = _record(report, "depth_profile_distance", symbol)
    patterns = [_record(report, name, symbol) for name in PATTERN_METRICS]
    if hawkes is None and mmd is None and profile is None and not any(patterns):
        return []
    parts: list[Any] = [pn.pane.Markdown(f"## {html.escape(symbol)}: HFT phenomena")]
    parts += _chart_or_note(hawkes, hawkes and hawkes_chart(hawkes))
    parts += _chart_or_note(mmd, mmd and mmd_chart(mmd))
    parts += _chart_or_note(profile, profile and depth_profile_chart(profile))
    if any(patterns):
        parts.append(_vega(pattern_chart(report, symbol)))
    return parts


def pair_section(report: FidelityReport) -> list[Any]:
    """The copula scatter of every symbol pair the copula metric compared."""
    parts: list[Any] = []
    for record in report.whole_run():
        if record.name != "copula_tail_dependence" or "pair" not in record.detail:
            continue
        title = html.escape(" and ".join(record.detail["pair"]))
        parts.append(pn.pane.Markdown(f"## {title}: cross-symbol dependence (copula)"))
        parts += _chart_or_note(record, copula_charts(report, record))
    return parts
