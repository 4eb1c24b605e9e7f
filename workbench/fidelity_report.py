"""The fidelity dashboard: one self-contained, offline HTML file per fidelity run.

Sections: verdict, metric table, coverage timeline, disagreement drill-down (the first
mismatching states, both books side by side), distributions, latency, stylized facts, Hawkes
fits, RL readiness (when its metrics ran), and a link to the validation summary. Charts are
Altair (downsampled to at most 5000 rows,
decimals as floats); everything is saved through :func:`workbench.publish.save_html`, which
inlines Panel's CSS. Text from data is escaped.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import os
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import panel as pn
import polars as pl

from rlx_lib.fidelity import Aligned, FidelityResult, acf, first_mismatches, mid_returns
from workbench.charts import (
    GATE_COLOURS,
    as_svg,
    downsample,
    drop_epoch,
    gate_label,
    mirrored_histogram,
    shared_bins,
    utc_time,
    utc_tooltip,
)
from workbench.numbers import format_number, format_value
from workbench.phenomena_report import pair_section, phenomena_section
from workbench.publish import save_html, table_pane, update_reports_index
from workbench.rl_report import rl_section

__all__ = ["build_dashboard", "coverage_chart", "publish_report"]

log = logging.getLogger(__name__)

SIDE_NAMES = ["reference (live)", "candidate (vendor)"]
SIDE_COLOURS = ["#264653", "#e76f51"]
SIDES = alt.Scale(domain=SIDE_NAMES, range=SIDE_COLOURS)
DRILL_DOWN = 5
"""How many mismatching states the drill-down shows."""


def publish_report(
    report: FidelityResult,
    out: Path,
    *,
    links: dict[str, Path] | None = None,
    reports_dir: Path | None = None,
    sweep: pl.DataFrame | None = None,
) -> Path:
    """Write ``out/index.html`` and refresh ``reports_dir/index.html`` (default: ``out``'s parent).

    ``links`` names related files to link from the header, such as
    ``{"validation summary": Path(".../validation.md")}``; ``sweep`` holds the rows of
    ``rlx rl sweep`` for the RL readiness section's curve.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    layout = build_dashboard(report, links=links, relative_to=out, sweep=sweep)
    path = save_html(layout, out / "index.html", title=f"rlx fidelity {report.run_id}")
    update_reports_index(reports_dir if reports_dir is not None else out.parent)
    log.info("fidelity report: %s", path)
    return path


def build_dashboard(
    report: FidelityResult,
    *,
    links: dict[str, Path] | None = None,
    relative_to: Path | None = None,
    sweep: pl.DataFrame | None = None,
) -> pn.Column:
    """The dashboard as a Panel layout (one column of sections)."""
    parts: list[Any] = [_header(report, links or {}, relative_to)]
    parts += [pn.pane.Markdown("## Metrics (whole run)"), table_pane(_metric_table(report))]
    periods = _period_table(report)
    if periods.height:
        parts += [pn.pane.Markdown("## Per resync period"), table_pane(periods)]
    for symbol, aligned in report.aligned.items():
        title = html.escape(symbol)
        parts += [
            pn.pane.Markdown(f"## {title}: coverage timeline"),
            _vega(coverage_chart(aligned)),
            pn.pane.Markdown(f"## {title}: disagreement drill-down"),
            *_drill_down(aligned),
            pn.pane.Markdown(f"## {title}: distributions"),
            pn.Row(
                _vega(_histogram(_trade_sizes(aligned), "Aggregate trade size", "log10(size)")),
                _vega(
                    _histogram(_inter_arrivals(aligned), "Trade inter-arrival", "log10(gap in ms)")
                ),
                _vega(_spread_chart(aligned)),
                sizing_mode="stretch_width",
            ),
            pn.pane.Markdown(f"## {title}: latency (vendor receipt minus live capture)"),
            _vega(_latency_chart(aligned)),
            pn.pane.Markdown(f"## {title}: stylized facts"),
            pn.Row(
                _vega(_acf_chart(_abs_return_acf(aligned), "ACF of |1 s mid returns|")),
                _vega(_acf_chart(_sign_acf(aligned), "ACF of trade signs")),
                sizing_mode="stretch_width",
            ),
            table_pane(_detail_table(report, symbol, "return_tails")),
            pn.pane.Markdown(f"## {title}: Hawkes fit of aggregate-trade times"),
            table_pane(_hawkes_table(report, symbol)),
            *phenomena_section(report, symbol),
            *rl_section(report, symbol, sweep),
        ]
    parts += pair_section(report)
    return pn.Column(*parts, sizing_mode="stretch_width")


def _vega(chart: alt.TopLevelMixin) -> pn.pane.Vega:
    return pn.pane.Vega(as_svg(chart), sizing_mode="stretch_width")


def _header(report: FidelityResult, links: dict[str, Path], relative_to: Path | None) -> Any:
    verdict = report.verdict
    outcome = gate_label(verdict.passed)
    colour = GATE_COLOURS.range[GATE_COLOURS.domain.index(outcome)]
    score = "undefined" if verdict.score is None else f"{verdict.score:.6f}"
    failed = "\n".join(f"- {html.escape(item)}" for item in verdict.failed) or "- nothing"
    symbols = ", ".join(html.escape(s) for s in report.symbols)
    related = []
    for label, target in links.items():
        href = os.path.relpath(target, relative_to) if relative_to is not None else str(target)
        anchor = f'<a href="{html.escape(href, quote=True)}">{html.escape(Path(target).name)}</a>'
        related.append(f"- {html.escape(label)}: {anchor}")
    if not any("validation" in label for label in links):
        related.append("- validation summary: none given (run `rlx validate`)")
    text = (
        f"# Fidelity report: {symbols}\n\n"
        f"Window {report.start} to {report.end} (end exclusive), "
        f"run `{html.escape(report.run_id)}`, "
        f"generated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC.\n\n"
        f'## <span style="color:{colour}">Verdict: {outcome}</span>\n\n'
        f"Headline `{verdict.headline}` (top-20 book agreement over covered messages) = "
        f"**{score}** against threshold {verdict.threshold}.\n\n"
        f"Failed:\n\n{failed}\n\n"
        "Related:\n\n" + "\n".join(related) + "\n\n"
        "How to read this: exact-match shares (agreement, coverage, trade match) should be 1; "
        "distribution and stylized-fact rows compare both sides and give effect sizes "
        "(differences near 0 mean the vendor view behaves like the live one)."
    )
    return pn.pane.Markdown(text, sizing_mode="stretch_width")


def _metric_table(report: FidelityResult) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "symbol": [r.symbol for r in report.rows],
            "metric": [r.name for r in report.rows],
            "value": [format_value(r.value, r.unit) for r in report.rows],
            "unit": [r.unit for r in report.rows],
            "n": [r.n for r in report.rows],
            "threshold": [gate_label(r.passed) for r in report.rows],
        },
        schema={name: pl.String for name in ("symbol", "metric", "value", "unit")}
        | {"n": pl.Int64, "threshold": pl.String},
    )


def _period_table(report: FidelityResult) -> pl.DataFrame:
    rows = report.periods
    return pl.DataFrame(
        {
            "symbol": [r.symbol for r in rows],
            "period": [r.period for r in rows],
            "metric": [r.name for r in rows],
            "value": [format_value(r.value, r.unit) for r in rows],
            "n": [r.n for r in rows],
            "threshold": [gate_label(r.passed) for r in rows],
        },
        schema={"symbol": pl.String, "period": pl.Int64, "metric": pl.String}
        | {"value": pl.String, "n": pl.Int64, "threshold": pl.String},
    )


def coverage_chart(aligned: Aligned) -> alt.LayerChart:
    """Per exchange-time second: share of live messages the vendor holds, and of equal books."""
    messages = aligned.reference_messages.filter(pl.col("kind") == "delta").with_columns(
        pl.col("update_id").is_in(aligned.candidate_messages["update_id"].implode()).alias("hit")
    )
    books = aligned.books
    equal = (books.reference == books.candidate).reshape(len(books.update_id), -1).all(axis=1)
    states = pl.DataFrame({"origin_ns": books.origin_ns, "hit": equal})
    series = []
    for label, frame in (("message coverage", messages), ("top-20 agreement", states)):
        if frame.is_empty():
            continue
        series.append(
            frame.group_by((pl.col("origin_ns") // 1_000_000_000).alias("second"))
            .agg(pl.col("hit").mean().alias("share"))
            .with_columns(
                pl.from_epoch(pl.col("second"), time_unit="s").alias("time"),
                pl.lit(label).alias("series"),
            )
            .select("time", "series", "share")
        )
    if not series:
        return _empty("no shared messages")
    data = drop_epoch(downsample(pl.concat(series).sort("time")), "time")
    if data.is_empty():
        return _empty("no shared messages at a market time")
    x = utc_time(data, "time")
    lines = (
        alt.Chart(data)
        .mark_line(interpolate="step-after")
        .encode(
            x=x,
            y=alt.Y(
                "share:Q",
                scale=alt.Scale(domain=[0, 1.02]),
                axis=alt.Axis(format=".0%"),
                title="share per second",
            ),
            color=alt.Color("series:N", title=None),
            tooltip=[
                utc_tooltip("time", title="second"),
                "series",
                alt.Tooltip("share:Q", format=".2%"),
            ],
        )
    )
    starts = downsample(
        aligned.periods.select(pl.from_epoch("start_ns", time_unit="ns").alias("time"))
    )
    low, high = data["time"].min(), data["time"].max()
    starts = starts.filter(pl.col("time").is_between(low, high))
    rules = alt.Chart(starts).mark_rule(color="#999", strokeDash=[4, 4]).encode(x=x)
    return (lines + rules).properties(
        height=200, width="container", title="Coverage over time (dashed: period starts)"
    )


def _drill_down(aligned: Aligned) -> list[Any]:
    found = first_mismatches(aligned, depth=20, limit=DRILL_DOWN)
    if not found:
        return [pn.pane.Markdown("Every compared book state matches the live book exactly.")]
    parts: list[Any] = []
    for item in found:
        when = dt.datetime.fromtimestamp(item["origin_ns"] / 1e9, dt.UTC)
        missing = item["missing_before"]
        cause = (
            f"the vendor lacks message u={missing} before it"
            if missing is not None
            else "no missing message before it"
        )
        parts.append(
            pn.pane.Markdown(
                f"### State after u={item['update_id']} ({when:%H:%M:%S.%f} UTC, period "
                f"{item['period']}): {cause}"
            )
        )
        levels = pl.DataFrame(item["levels"]).with_columns(
            pl.when(pl.col("differs")).then(pl.lit("<<")).otherwise(pl.lit("")).alias("differs")
        )
        parts.append(table_pane(levels))
    return parts


def _sides(reference: np.ndarray, candidate: np.ndarray, column: str) -> pl.DataFrame:
    return pl.concat(
        [
            pl.DataFrame({column: reference, "side": "reference (live)"}),
            pl.DataFrame({column: candidate, "side": "candidate (vendor)"}),
        ]
    )


def _trade_sizes(aligned: Aligned) -> pl.DataFrame:
    reference, candidate = (
        np.log10(trades["quantity"].to_numpy()[trades["quantity"].to_numpy() > 0] / 1e8)
        for trades in (aligned.reference_trades, aligned.candidate_trades)
    )
    return _sides(reference, candidate, "value")


def _inter_arrivals(aligned: Aligned) -> pl.DataFrame:
    reference, candidate = (
        np.log10(np.maximum(np.diff(np.sort(trades["origin_ms"].to_numpy())), 1).astype(float))
        for trades in (aligned.reference_trades, aligned.candidate_trades)
    )
    return _sides(reference, candidate, "value")


def _histogram(frame: pl.DataFrame, title: str, x_title: str) -> alt.Chart:
    if frame.is_empty():
        return _empty(f"{title}: no data")
    binned = shared_bins(frame, column="value", group="side", order=SIDE_NAMES)
    return mirrored_histogram(
        binned,
        group="side",
        order=SIDE_NAMES,
        colors=SIDE_COLOURS,
        title=f"{title} (shared bins)",
        x_title=x_title,
    )


def _spread_chart(aligned: Aligned) -> alt.Chart:
    frames = []
    for label, grid in (
        ("reference (live)", aligned.reference_grid),
        ("candidate (vendor)", aligned.candidate_grid),
    ):
        spread = (grid["ask"] - grid["bid"]).drop_nulls()
        frames.append(
            pl.DataFrame({"spread": (spread.cast(pl.Float64) / 1e8).round(8), "side": label})
        )
    data = pl.concat(frames)
    if data.is_empty():
        return _empty("spread: no data")
    shares = (
        data.group_by("side", "spread")
        .len()
        .with_columns((pl.col("len") / pl.col("len").sum().over("side")).alias("share"))
        .sort("side", "spread")
    )
    return (
        alt.Chart(downsample(shares), title="Spread on the 100 ms grid")
        .mark_bar(opacity=0.6)
        .encode(
            x=alt.X("spread:O", title="spread (quote currency)"),
            y=alt.Y("share:Q", stack=None, axis=alt.Axis(format=".0%"), title="share of grid"),
            color=alt.Color("side:N", scale=SIDES, title=None),
            xOffset="side:N",
        )
        .properties(height=200, width="container")
    )


def _latency_chart(aligned: Aligned) -> alt.Chart:
    joined = aligned.reference_messages.join(
        aligned.candidate_messages.select("update_id", pl.col("received_ns").alias("vendor_ns")),
        on="update_id",
    )
    latency = joined.select(((pl.col("vendor_ns") - pl.col("received_ns")) / 1e6).alias("ms"))
    if latency.is_empty():
        return _empty("no shared messages")
    return (
        alt.Chart(downsample(latency), title="Vendor received_time minus live capture time")
        .mark_bar()
        .encode(
            x=alt.X("ms:Q", bin=alt.Bin(maxbins=40), title="vendor minus live (ms)"),
            y=alt.Y("count()", title="shared messages"),
        )
        .properties(height=200, width="container")
    )


def _abs_return_acf(aligned: Aligned) -> pl.DataFrame:
    curves = [
        np.abs(mid_returns(grid)) for grid in (aligned.reference_grid, aligned.candidate_grid)
    ]
    return _curves(acf(curves[0], 20), acf(curves[1], 20))


def _sign_acf(aligned: Aligned) -> pl.DataFrame:
    signs = [
        np.where(trades["is_buy"].to_numpy(), 1.0, -1.0)
        for trades in (aligned.reference_trades, aligned.candidate_trades)
    ]
    return _curves(acf(signs[0], 20), acf(signs[1], 20))


def _curves(reference: np.ndarray, candidate: np.ndarray) -> pl.DataFrame:
    lags = np.arange(1, reference.size + 1)
    frame = pl.concat(
        [
            pl.DataFrame({"lag": lags, "acf": reference, "side": "reference (live)"}),
            pl.DataFrame({"lag": lags, "acf": candidate, "side": "candidate (vendor)"}),
        ]
    )
    return frame.filter(pl.col("acf").is_not_nan())


def _acf_chart(frame: pl.DataFrame, title: str) -> alt.Chart:
    if frame.is_empty():
        return _empty(f"{title}: too few points")
    return (
        alt.Chart(frame, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X("lag:Q", title="lag (steps)"),
            y=alt.Y("acf:Q", title="autocorrelation"),
            color=alt.Color("side:N", scale=SIDES, title=None),
            strokeDash=alt.StrokeDash("side:N", legend=None),
        )
        .properties(height=200, width="container")
    )


def _detail_table(report: FidelityResult, symbol: str, name: str) -> pl.DataFrame:
    found = [r for r in report.rows if r.symbol == symbol and r.name == name]
    detail = found[0].detail if found else {}
    return pl.DataFrame(
        {"figure": list(detail), "value": [_text(v) for v in detail.values()]},
        schema={"figure": pl.String, "value": pl.String},
    )


def _hawkes_table(report: FidelityResult, symbol: str) -> pl.DataFrame:
    found = [r for r in report.rows if r.symbol == symbol and r.name == "hawkes_branching_ratio"]
    rows = []
    if found:
        for side in ("reference", "candidate"):
            fit = found[0].detail.get(side, {})
            rows.append({"side": side, **{key: _text(value) for key, value in fit.items()}})
    if not rows:
        return pl.DataFrame({"note": ["hawkes_branching_ratio was not computed in this run"]})
    return pl.DataFrame(rows)


def _text(value: Any) -> str:
    if isinstance(value, float):
        return format_number(value)
    return "" if value is None else str(value)


def _empty(message: str) -> alt.Chart:
    frame = pl.DataFrame({"text": [message]})
    return alt.Chart(frame).mark_text(size=14).encode(text="text:N").properties(height=60)
