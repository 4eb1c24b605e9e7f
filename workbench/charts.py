"""Altair chart builders shared by the notebooks, the app and the reports.

Every builder takes a frame as a named query returns it, casts decimals to Float64 (Altair
cannot serialise ``Decimal``) and keeps at most :data:`MAX_POINTS` rows per chart.
"""

from __future__ import annotations

import altair as alt
import polars as pl
import polars.selectors as cs

__all__ = [
    "MAX_POINTS",
    "capture_events_chart",
    "capture_latency_chart",
    "capture_rate_chart",
    "coverage_chart",
    "depth_chart",
    "distribution_chart",
    "downsample",
    "ladder_chart",
    "log_distribution_chart",
    "metric_chart",
    "mid_spread_chart",
    "rates_chart",
]

MAX_POINTS = 5000
"""Largest number of rows a chart embeds."""

_SIDES = alt.Scale(domain=["bid", "ask"], range=["#2a9d8f", "#e76f51"])


def downsample(frame: pl.DataFrame, *, limit: int = MAX_POINTS) -> pl.DataFrame:
    """Every k-th row so that at most ``limit`` remain (first and last rows kept); floats only."""
    frame = frame.with_columns(cs.decimal().cast(pl.Float64))
    if frame.height <= limit:
        return frame
    step = -(-frame.height // (limit - 1))
    index = pl.int_range(pl.len())
    return frame.filter((index % step == 0) | (index == pl.len() - 1))


def _empty(message: str) -> alt.Chart:
    return alt.Chart(pl.DataFrame({"text": [message]})).mark_text(size=14).encode(text="text:N")


def mid_spread_chart(
    series: pl.DataFrame, *, title: str = "Mid price and spread"
) -> alt.VConcatChart:
    """Mid price (one panel per ``symbol`` if present) above spread, over exchange time.

    Takes ``book_series`` rows, optionally with a ``symbol`` column.
    """
    data = downsample(series)
    x = alt.X("origin_time:T", title="exchange time (UTC)")
    base = alt.Chart(data).encode(x=x)
    names = data["symbol"].unique(maintain_order=True).to_list() if "symbol" in data.columns else []
    color = alt.Color("symbol:N") if names else alt.value("#264653")
    mids = [
        base.transform_filter(alt.datum.symbol == name)
        .mark_line()
        .encode(y=alt.Y("mid:Q", title=f"mid {name}", scale=alt.Scale(zero=False)), color=color)
        .properties(height=160, width="container")
        for name in names
    ] or [
        base.mark_line()
        .encode(y=alt.Y("mid:Q", title="mid", scale=alt.Scale(zero=False)), color=color)
        .properties(height=220, width="container")
    ]
    spread = base.mark_line(interpolate="step-after").encode(
        y=alt.Y("spread:Q", title="spread"), color=color
    )
    return alt.vconcat(*mids, spread.properties(height=120, width="container"), title=title)


def ladder_chart(ladder: pl.DataFrame) -> alt.Chart:
    """Size at each price of one book state (``book_ladder`` rows), bids and asks coloured."""
    data = downsample(ladder)
    if data.is_empty():
        return _empty("no book state at this time")
    return (
        alt.Chart(data, title="Ladder")
        .mark_bar()
        .encode(
            y=alt.Y("price:O", sort="descending", title="price"),
            x=alt.X("size:Q", title="size"),
            color=alt.Color("side:N", scale=_SIDES),
            tooltip=["side", "level", "price", "size"],
        )
        .properties(height=alt.Step(9), width=260)
    )


def depth_chart(ladder: pl.DataFrame) -> alt.Chart:
    """Cumulative size away from the touch on each side (``book_ladder`` rows)."""
    data = downsample(ladder)
    if data.is_empty():
        return _empty("no book state at this time")
    return (
        alt.Chart(data, title="Depth")
        .mark_area(interpolate="step", opacity=0.6)
        .encode(
            x=alt.X("price:Q", scale=alt.Scale(zero=False), title="price"),
            y=alt.Y("cumulative_size:Q", title="cumulative size"),
            color=alt.Color("side:N", scale=_SIDES),
        )
        .properties(height=260, width="container")
    )


def rates_chart(rates: pl.DataFrame) -> alt.Chart:
    """Messages per second by stream kind (``capture_rates`` rows)."""
    data = downsample(rates)
    return (
        alt.Chart(data, title="Messages per second")
        .mark_line()
        .encode(
            x=alt.X("second:T", title="capture time (UTC)"),
            y=alt.Y("messages:Q", title="messages / s"),
            color="stream:N",
        )
        .properties(height=220, width="container")
    )


def coverage_chart(coverage: pl.DataFrame) -> alt.Chart:
    """Calendar of rows per dataset and symbol by day (``coverage`` rows)."""
    data = downsample(coverage.filter(pl.col("dt").is_not_null())).with_columns(
        series=pl.concat_str("dataset", pl.lit(" "), pl.col("symbol").fill_null("")),
        dt=pl.col("dt").cast(pl.String),
    )
    if data.is_empty():
        return _empty("no partitioned data yet")
    return (
        alt.Chart(data, title="Coverage (rows per day)")
        .mark_rect()
        .encode(
            x=alt.X("dt:O", title="day"),
            y=alt.Y("series:N", title=None),
            color=alt.Color("rows:Q", scale=alt.Scale(scheme="blues")),
            tooltip=["dataset", "symbol", "dt", "rows", "files"],
        )
        .properties(width="container")
    )


def distribution_chart(
    frame: pl.DataFrame, *, column: str, group: str = "window", title: str | None = None
) -> alt.Chart:
    """Overlaid normalised histograms of ``column``, one per ``group`` value."""
    data = downsample(frame.select(group, column).drop_nulls())
    return (
        alt.Chart(data, title=title or f"Distribution of {column}")
        .transform_bin("bin", field=column, bin=alt.Bin(maxbins=40))
        .transform_aggregate(count="count()", groupby=["bin", group])
        .transform_joinaggregate(total="sum(count)", groupby=[group])
        .transform_calculate(share="datum.count / datum.total")
        .mark_bar(opacity=0.55)
        .encode(
            x=alt.X("bin:Q", title=column),
            y=alt.Y("share:Q", stack=None, title="share"),
            color=alt.Color(f"{group}:N"),
        )
        .properties(height=200, width="container")
    )


def metric_chart(metrics: pl.DataFrame) -> alt.Chart:
    """Bars of metric values by metric name (``fidelity_runs`` rows)."""
    data = downsample(metrics)
    return (
        alt.Chart(data, title="Fidelity metrics")
        .mark_bar()
        .encode(
            y=alt.Y("metric:N", title=None),
            x=alt.X("value:Q"),
            color=alt.Color("passed:N"),
            tooltip=["run_id", "symbol", "metric", "value", "unit", "n"],
        )
        .properties(width="container")
    )


def capture_rate_chart(rates: pl.DataFrame) -> alt.Chart:
    """Messages per second per stream over capture time (``capture.health.message_rates``)."""
    data = downsample(rates)
    return (
        alt.Chart(data, title="Capture: messages per second per stream")
        .mark_line()
        .encode(
            x=alt.X("capture_time:T", title="capture time (UTC)"),
            y=alt.Y("per_second:Q", title="messages / s"),
            color=alt.Color("stream:N"),
            tooltip=["capture_time:T", "stream", "per_second"],
        )
        .properties(height=220, width="container")
    )


def capture_latency_chart(latency: pl.DataFrame) -> alt.Chart:
    """Distribution of capture time minus exchange time ``E`` per stream kind
    (``capture.health.capture_latency``)."""
    data = downsample(latency.select("kind", "latency_ms"))
    return (
        alt.Chart(data, title="Capture latency: capture_ns - E (ms; clocks differ)")
        .mark_bar(opacity=0.6)
        .encode(
            x=alt.X("latency_ms:Q", bin=alt.Bin(maxbins=50), title="ms"),
            y=alt.Y("count():Q", stack=None, title="messages"),
            color=alt.Color("kind:N"),
        )
        .properties(height=200, width="container")
    )


def capture_events_chart(events: pl.DataFrame, gaps: pl.DataFrame) -> alt.Chart:
    """Session events (connects, disconnects, resyncs, snapshots) and sequence gaps on one
    timeline (``capture.health.session_events`` and ``capture_gaps``)."""
    marks = pl.concat(
        [
            events.select("capture_time", "symbol", what=pl.col("event")),
            gaps.select(
                "capture_time",
                "symbol",
                what=pl.format("gap in {} ({} missing)", pl.col("kind"), pl.col("missing")),
            ),
        ]
    )
    if marks.is_empty():
        return _empty("no session events and no gaps")
    return (
        alt.Chart(downsample(marks), title="Capture: sessions, snapshots and gaps")
        .mark_point(filled=True, size=70)
        .encode(
            x=alt.X("capture_time:T", title="capture time (UTC)"),
            y=alt.Y("what:N", title=None),
            color=alt.Color("symbol:N"),
            tooltip=["capture_time:T", "symbol", "what"],
        )
        .properties(height=220, width="container")
    )


def log_distribution_chart(
    frame: pl.DataFrame, *, group: str = "regime", facet: str = "measure"
) -> alt.Chart:
    """Histograms of ``log10(value)`` per ``facet`` value, one colour per ``group`` value.

    Takes long rows (``group``, ``facet``, ``value``); non-positive values are left out.
    """
    data = downsample(frame.filter(pl.col("value") > 0).select(group, facet, "value"))
    return (
        alt.Chart(data)
        .transform_calculate(log10="log(datum.value) / LN10")
        .mark_bar(opacity=0.6)
        .encode(
            x=alt.X("log10:Q", bin=alt.Bin(maxbins=40), title="log10(value)"),
            y=alt.Y("count():Q", stack=None),
            color=f"{group}:N",
            column=f"{facet}:N",
        )
        .properties(width=280, height=200)
    )
