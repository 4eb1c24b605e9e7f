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
from workbench.numbers import format_value
from workbench.publish import save_html, table_pane

if TYPE_CHECKING:
    from rlx_lib.fidelity import Aligned, CompareResult, FidelityResult, MetricRecord

__all__ = [
    "PATTERN_METRICS",
    "PHENOMENA",
    "compare_page",
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
    "publish_compare",
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
LIVE_VENDOR = ("live", "vendor")
"""How the two sides are named in a fidelity run (``compare`` names them after its windows)."""
SIDES = ("reference", "candidate")
FIGURES = ("kendall_tau", "lower_tail", "upper_tail")


def phenomena_metrics(*, window_s: float = 60.0) -> list[Any]:
    """The :data:`PHENOMENA` metrics, the signature MMD on windows of ``window_s`` seconds
    (shorter windows give a short session the five windows a side the test needs)."""
    chosen = [get(name) for name in PHENOMENA]
    return [
        dataclasses.replace(metric, window_s=window_s) if metric.name == "signature_mmd" else metric
        for metric in chosen
    ]


def planted_scores(root: Path, report: FidelityResult) -> pl.DataFrame:
    """Precision and recall of each side's detections against ``<root>/_planted.json``."""
    planted = read_planted(Path(root))
    rows = []
    for symbol, aligned in report.aligned.items():
        truth = [instance for instance in planted if instance["symbol"] == symbol]
        found = detections(aligned)
        for source, name in zip(("golden", "lake"), LIVE_VENDOR, strict=True):
            for kind, figures in score(found[source], truth).items():
                rows.append({"symbol": symbol, "seen by": name, "kind": kind, **figures})
    return pl.DataFrame(rows)


def _record(report: FidelityResult, name: str, symbol: str) -> MetricRecord | None:
    found = [r for r in report.rows if r.name == name and r.symbol == symbol]
    return found[0] if found else None


def _note(record: MetricRecord) -> Any:
    note = record.detail.get("note") or "not computed (too little data on one side)"
    if "windows" in record.detail and "note" not in record.detail:
        note = f"not computed: {record.detail['windows']} windows a side, at least 5 needed"
    return pn.pane.Markdown(f"`{record.name}`: {html.escape(str(note))}")


def hawkes_chart(
    record: MetricRecord, *, names: tuple[str, str] = LIVE_VENDOR
) -> alt.HConcatChart | None:
    """Both sides' branching matrices side by side on one colour scale (None: no fit)."""
    types = record.detail.get("types", [])
    sides = {side: record.detail.get(side, {}).get("branching") for side in SIDES}
    if not types or any(matrix is None for matrix in sides.values()):
        return None
    top = max(float(np.max(matrix)) for matrix in sides.values())
    charts = []
    for name, (side, matrix) in zip(names, sides.items(), strict=True):
        radius = record.detail[side].get("spectral_radius", float("nan"))
        title = f"{name}: branching matrix (spectral radius {radius:.3f})"
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


def depth_profile_chart(
    record: MetricRecord, *, names: tuple[str, str] = LIVE_VENDOR
) -> alt.Chart | None:
    """Share of displayed size per distance-from-mid bucket, the first side up, the other down."""
    profiles = [record.detail.get(f"{side}_profile") for side in SIDES]
    if any(profile is None for profile in profiles):
        return None
    step = float(record.detail["bucket_bp"])
    order = [f"{name} ({side})" for name, side in zip(names, SIDES, strict=True)]
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


def pattern_frame(aligned: Aligned, *, names: tuple[str, str] = LIVE_VENDOR) -> pl.DataFrame:
    """Both sides' detections: kind, side, start and end time, and which side saw it."""
    found = detections(aligned)  # {"golden": reference side, "lake": candidate side}
    frames = [
        found[source].select(
            pl.col("kind").cast(pl.String),
            pl.col("side").cast(pl.String),
            "start_time",
            "end_time",
            pl.lit(name).alias("seen by"),
        )
        for source, name in zip(("golden", "lake"), names, strict=True)
    ]
    return pl.concat(frames).sort("start_time")


def pattern_chart(aligned: Aligned, *, names: tuple[str, str] = LIVE_VENDOR) -> alt.Chart:
    """Detections on a UTC timeline, one lane per kind, the two sides apart."""
    frame = pattern_frame(aligned, names=names)
    return timeline_chart(
        frame, lane="kind", colour="seen by", title="Adversarial-pattern detections"
    )


def copula_charts(report: FidelityResult, record: MetricRecord) -> alt.VConcatChart | None:
    """Rank-rank scatter of the pair's grid returns and order-flow imbalance, live and vendor."""
    pair = record.detail.get("pair")
    if not pair or any(symbol not in report.aligned for symbol in pair):
        return None
    first, second = (report.aligned[symbol] for symbol in pair)
    rows = []
    for series in ("returns", "ofi"):
        charts = []
        for side, name in zip(SIDES, LIVE_VENDOR, strict=True):
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


def phenomena_section(report: FidelityResult, symbol: str) -> list[Any]:
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
        parts.append(_vega(pattern_chart(report.aligned[symbol])))
    return parts


def pair_section(report: FidelityResult) -> list[Any]:
    """The copula scatter of every symbol pair the copula metric compared."""
    parts: list[Any] = []
    for record in report.rows:
        if record.name != "copula_tail_dependence" or "pair" not in record.detail:
            continue
        title = html.escape(" and ".join(record.detail["pair"]))
        parts.append(pn.pane.Markdown(f"## {title}: cross-symbol dependence (copula)"))
        parts += _chart_or_note(record, copula_charts(report, record))
    return parts


def _window_parts(result: CompareResult, names: tuple[str, str]) -> list[Any]:
    parts: list[Any] = []
    for name, chart in (
        ("hawkes_branching_matrix", lambda r: hawkes_chart(r, names=names)),
        ("signature_mmd", mmd_chart),
        ("depth_profile_distance", lambda r: depth_profile_chart(r, names=names)),
    ):
        record = next((r for r in result.rows if r.name == name), None)
        parts += _chart_or_note(record, record and chart(record))
    if any(record.name in PATTERN_METRICS for record in result.rows):
        parts.append(_vega(pattern_chart(result.aligned, names=names)))
    return parts


def compare_page(result: CompareResult, *, heading: str = "# Two windows compared") -> pn.Column:
    """Both windows, every metric's value (``b`` against ``a``) and the phenomena charts."""
    names = ("A", "B")
    table = pl.DataFrame(
        {
            "metric": [r.name for r in result.rows],
            "value": [format_value(r.value, r.unit) for r in result.rows],
            "unit": [r.unit for r in result.rows],
            "n": [r.n for r in result.rows],
        },
        schema={"metric": pl.String, "value": pl.String, "unit": pl.String, "n": pl.Int64},
    )
    header = (
        f"{heading}\n\n"
        f"- A (reference): `{html.escape(str(result.a))}`\n"
        f"- B (candidate): `{html.escape(str(result.b))}`\n\n"
        "Each value compares B with A the way `rlx fidelity` compares vendor with live: "
        "differences near 0 and MMD permutation p-values above 0.05 mean the windows behave alike."
    )
    parts = [pn.pane.Markdown(header), table_pane(table), *_window_parts(result, names)]
    return pn.Column(*parts, sizing_mode="stretch_width")


def publish_compare(result: CompareResult, out: Path) -> Path:
    """Write ``out/index.html``: the comparison as one offline page."""
    Path(out).mkdir(parents=True, exist_ok=True)
    return save_html(compare_page(result), Path(out) / "index.html", title="rlx compare")
