"""Altair chart builders shared by the notebooks, the app and the reports.

Every builder takes a frame as a named query returns it, casts decimals to Float64 (Altair
cannot serialise ``Decimal``) and keeps at most :data:`MAX_POINTS` rows per chart.

Time policy: every time axis is UTC on a 24-hour clock whatever the browser's time zone.
Datetimes reach Vega as epoch milliseconds (never as text a browser could read as local time),
scales are ``utc`` with the domain of the times actually plotted, and labels are formatted with
``utcFormat`` in a label expression. Rows stamped at the epoch (Lake's REST-snapshot rows)
never reach a time axis.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import polars as pl
import polars.selectors as cs

__all__ = [
    "GATE_COLOURS",
    "MAX_POINTS",
    "TIME_TITLE",
    "as_svg",
    "capture_events_chart",
    "capture_latency_chart",
    "capture_rate_chart",
    "coverage_chart",
    "depth_chart",
    "distribution_chart",
    "downsample",
    "drop_epoch",
    "gate_label",
    "ladder_chart",
    "log_distribution_chart",
    "matrix_chart",
    "metric_chart",
    "mid_spread_chart",
    "mirrored_histogram",
    "null_chart",
    "rank_scatter_chart",
    "rates_chart",
    "shared_bins",
    "timeline_chart",
    "utc_time",
    "utc_tooltip",
]

MAX_POINTS = 5000
"""Largest number of rows a chart embeds."""

TIME_TITLE = "exchange time (UTC)"
EPOCH_FLOOR_MS = 86_400_000
"""Times before this (the first day of 1970) are snapshot markers, not market times."""
_TOOLTIP_FORMAT = "%Y-%m-%d %H:%M:%S.%L UTC"

_SIDES = alt.Scale(domain=["bid", "ask"], range=["#2a9d8f", "#e76f51"])


def downsample(frame: pl.DataFrame, *, limit: int = MAX_POINTS) -> pl.DataFrame:
    """Every k-th row so that at most ``limit`` remain (first and last rows kept); decimals
    as floats, datetimes as epoch milliseconds (read as UTC by :func:`utc_time`)."""
    frame = frame.with_columns(
        cs.decimal().cast(pl.Float64), cs.datetime().dt.epoch("ms"), cs.date().cast(pl.String)
    )
    if frame.height <= limit:
        return frame
    step = -(-frame.height // (limit - 1))
    index = pl.int_range(pl.len())
    return frame.filter((index % step == 0) | (index == pl.len() - 1))


def drop_epoch(frame: pl.DataFrame, field: str) -> pl.DataFrame:
    """Rows whose time ``field`` (datetime or epoch ms) is a real time, not an epoch marker."""
    column = frame[field]
    values = column.dt.epoch("ms") if column.dtype.is_temporal() else column
    return frame.filter(values.is_not_null() & (values >= EPOCH_FLOOR_MS))


def _time_format(span_ms: float) -> str:
    if span_ms <= 20 * 60_000:
        return "%H:%M:%S"
    if span_ms <= 2 * 86_400_000:
        return "%H:%M"
    return "%Y-%m-%d %H:%M" if span_ms <= 14 * 86_400_000 else "%Y-%m-%d"


def utc_time(
    frame: pl.DataFrame, field: str, *, title: str = TIME_TITLE, channel: str = "x"
) -> alt.X | alt.Y:
    """A time encoding of ``field`` (epoch ms, as :func:`downsample` leaves it): UTC scale
    whose domain is exactly the plotted times, 24-hour labels formatted in UTC."""
    values = frame[field].drop_nulls()
    values = values.filter(values >= EPOCH_FLOOR_MS)
    scale = alt.Scale(type="utc", nice=False)
    if values.len():
        low, high = int(values.min()), int(values.max())
        if low == high:
            low, high = low - 500, high + 500
        scale = alt.Scale(type="utc", nice=False, domain=[low, high])
        axis = _utc_axis(_time_format(high - low))
    else:
        axis = _utc_axis("%H:%M:%S")
    encoding = alt.X if channel == "x" else alt.Y
    return encoding(f"{field}:T", title=title, scale=scale, axis=axis)


def _utc_axis(pattern: str) -> alt.Axis:
    # labelExpr, not format: Vega-Lite drops ``format`` when ``formatType`` is "utc"
    return alt.Axis(labelExpr=f"utcFormat(datum.value, '{pattern}')", labelOverlap=True)


def utc_tooltip(field: str, *, title: str | None = None) -> alt.Tooltip:
    """A tooltip showing ``field`` as a full UTC date and time."""
    return alt.Tooltip(f"{field}:T", format=_TOOLTIP_FORMAT, formatType="utc", title=title or field)


def as_svg(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The chart drawn as SVG (readable text, sharp when printed) wherever it is embedded."""
    return chart.properties(usermeta={"embedOptions": {"renderer": "svg"}})


def _empty(message: str) -> alt.Chart:
    return alt.Chart(pl.DataFrame({"text": [message]})).mark_text(size=14).encode(text="text:N")


def mid_spread_chart(
    series: pl.DataFrame, *, title: str = "Mid price and spread"
) -> alt.VConcatChart:
    """Mid price (one panel per ``symbol`` if present) above spread, over exchange time.

    Takes ``book_series`` rows, optionally with a ``symbol`` column.
    """
    data = drop_epoch(downsample(series), "origin_time")
    base = alt.Chart(data).encode(x=utc_time(data, "origin_time"))
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
    decimals = _decimals(data["price"])
    data = data.with_columns(
        label=pl.col("price").map_elements(lambda p: f"{p:,.{decimals}f}", return_dtype=pl.String)
    )
    return (
        alt.Chart(data, title="Ladder")
        .mark_bar()
        .encode(
            y=alt.Y(
                "label:O",
                sort=alt.EncodingSortField("price", order="descending"),
                title="price",
                axis=alt.Axis(labelAlign="right"),
            ),
            x=alt.X("size:Q", title="size"),
            color=alt.Color("side:N", scale=_SIDES, title=None),
            tooltip=["side", "level", alt.Tooltip("label:N", title="price"), "size"],
        )
        .properties(height=alt.Step(9), width=260)
    )


def _decimals(prices: pl.Series) -> int:
    """The fewest decimals (at most 8) that show every price of the ladder exactly."""
    for decimals in range(9):
        if (prices.round(decimals) - prices).abs().max() < 1e-9:
            return decimals
    return 8


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
    data = drop_epoch(downsample(rates), "second")
    return (
        alt.Chart(data, title="Messages per second")
        .mark_line()
        .encode(
            x=utc_time(data, "second", title="capture time (UTC)"),
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


def shared_bins(
    frame: pl.DataFrame, *, column: str, group: str, order: list[str], bins: int = 30
) -> pl.DataFrame:
    """Each group's share of its own values per bin, every group on the same bin edges.

    Rows: ``bin_start``, ``bin_end``, ``group``, ``count``, ``share`` (in ``order``). Two
    identical samples give identical rows but for the group name.
    """
    values = frame[column].drop_nulls().cast(pl.Float64).to_numpy()
    values = values[np.isfinite(values)]
    edges = np.histogram_bin_edges(values if values.size else np.zeros(1), bins=bins)
    parts = []
    for name in order:
        sample = frame.filter(pl.col(group) == name)[column].drop_nulls().cast(pl.Float64)
        sample = sample.to_numpy()[np.isfinite(sample.to_numpy())]
        counts, _ = np.histogram(sample, bins=edges)
        parts.append(
            pl.DataFrame(
                {
                    "bin_start": edges[:-1],
                    "bin_end": edges[1:],
                    group: [name] * counts.size,
                    "count": counts.astype(np.int64),
                    "share": counts / max(sample.size, 1),
                }
            )
        )
    return pl.concat(parts)


def mirrored_histogram(
    binned: pl.DataFrame,
    *,
    group: str,
    order: list[str],
    title: str,
    x_title: str,
    colors: list[str] | None = None,
) -> alt.Chart:
    """Two groups' :func:`shared_bins` as mirrored bars: the first above the axis, the second
    below, on the same bins, so equal distributions look symmetric. One legend."""
    data = binned.with_columns(
        signed=pl.when(pl.col(group) == order[-1]).then(-pl.col("share")).otherwise("share")
    )
    scale = alt.Scale(domain=order, range=colors) if colors else alt.Scale(domain=order)
    return (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            x=alt.X("bin_start:Q", title=x_title, scale=alt.Scale(zero=False)),
            x2="bin_end:Q",
            y=alt.Y(
                "signed:Q",
                title=f"share ({order[0]} up, {order[-1]} down)",
                axis=alt.Axis(labelExpr="format(abs(datum.value), '.0%')"),
            ),
            y2=alt.datum(0),
            color=alt.Color(f"{group}:N", scale=scale, title=None),
            tooltip=[
                alt.Tooltip(f"{group}:N"),
                alt.Tooltip("bin_start:Q", format=".4g", title="from"),
                alt.Tooltip("bin_end:Q", format=".4g", title="to"),
                alt.Tooltip("count:Q", format=","),
                alt.Tooltip("share:Q", format=".2%"),
            ],
        )
        .properties(height=220, width="container")
    )


def distribution_chart(
    frame: pl.DataFrame, *, column: str, group: str = "window", title: str | None = None
) -> alt.Chart:
    """Histograms of ``column`` per ``group`` value on shared bins, as mirrored bars."""
    data = frame.select(group, column).drop_nulls()
    order = data[group].unique(maintain_order=True).cast(pl.String).to_list()
    if not order:
        return _empty(f"{title or column}: no data")
    data = data.with_columns(pl.col(group).cast(pl.String))
    binned = shared_bins(data, column=column, group=group, order=order)
    return mirrored_histogram(
        binned, group=group, order=order, title=title or f"Distribution of {column}", x_title=column
    )


GATE_COLOURS = alt.Scale(
    domain=["PASS", "FAIL", "not gated"], range=["#2a9d8f", "#d62828", "#9e9e9e"]
)
"""PASS green, FAIL red, metrics not held to a threshold grey: in every chart and table."""


def gate_label(passed: bool | None) -> str:
    """``PASS``, ``FAIL`` or ``not gated`` for a metric's ``passed`` value."""
    return "not gated" if passed is None else ("PASS" if passed else "FAIL")


def metric_chart(metrics: pl.DataFrame) -> alt.TopLevelMixin:
    """The latest run's whole-run metrics (``fidelity_runs`` rows, newest run first): one bar
    chart per unit and symbol, so no two units or symbols share an axis; bars coloured by
    PASS, FAIL or not gated."""
    if metrics.is_empty():
        return _empty("no fidelity results")
    latest = metrics["run_id"][0]
    data = metrics.filter(pl.col("run_id") == latest).with_columns(
        pl.col("value").cast(pl.Float64),
        gate=pl.col("passed").map_elements(gate_label, return_dtype=pl.String, skip_nulls=False),
    )
    rows = []
    for unit in data["unit"].unique(maintain_order=True).to_list():
        of_unit = data.filter(pl.col("unit") == unit)
        symbols = of_unit["symbol"].unique(maintain_order=True).to_list()
        rows.append(
            alt.hconcat(*(_metric_panel(of_unit.filter(symbol=s), s, unit) for s in symbols))
        )
    return alt.vconcat(*rows, title=f"Fidelity metrics, run {latest}").resolve_scale(color="shared")


def _metric_panel(part: pl.DataFrame, symbol: str, unit: str) -> alt.Chart:
    share = unit.startswith("share")
    value = alt.X(
        "value:Q",
        title=unit,
        axis=alt.Axis(format=".0%" if share else ",.3~g"),
        scale=alt.Scale(domain=[0, 1]) if share else alt.Undefined,
    )
    tooltip = ["symbol", "metric", alt.Tooltip("value:Q", format=".6~g"), "unit", "n", "gate"]
    return (
        alt.Chart(part, title=f"{symbol}: {unit}")
        .mark_bar()
        .encode(
            y=alt.Y("metric:N", title=None),
            x=value,
            color=alt.Color("gate:N", scale=GATE_COLOURS, title="threshold"),
            tooltip=tooltip,
        )
        .properties(width=300, height=alt.Step(18))
    )


def capture_rate_chart(rates: pl.DataFrame) -> alt.Chart:
    """Messages per second per stream over capture time (``capture.health.message_rates``)."""
    data = drop_epoch(downsample(rates), "capture_time")
    return (
        alt.Chart(data, title="Capture: messages per second per stream")
        .mark_line()
        .encode(
            x=utc_time(data, "capture_time", title="capture time (UTC)"),
            y=alt.Y("per_second:Q", title="messages / s"),
            color=alt.Color("stream:N"),
            tooltip=[utc_tooltip("capture_time"), "stream", "per_second"],
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
    data = drop_epoch(downsample(marks), "capture_time")
    return (
        alt.Chart(data, title="Capture: sessions, snapshots and gaps")
        .mark_point(filled=True, size=70)
        .encode(
            x=utc_time(data, "capture_time", title="capture time (UTC)"),
            y=alt.Y("what:N", title=None),
            color=alt.Color("symbol:N"),
            tooltip=[utc_tooltip("capture_time"), "symbol", "what"],
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


def matrix_chart(
    matrix: list[list[float]], labels: list[str], *, title: str, scale_max: float
) -> alt.LayerChart:
    """A square matrix as a heat map with its values written in: entry ``(i, j)`` at row ``i``
    (target) and column ``j`` (source); colour runs from 0 to ``scale_max`` so two maps with
    the same ``scale_max`` are comparable."""
    cells = pl.DataFrame(
        [
            {"row": labels[i], "column": labels[j], "value": float(value)}
            for i, values in enumerate(matrix)
            for j, value in enumerate(values)
        ]
    )
    base = alt.Chart(cells, title=title).encode(
        x=alt.X("column:N", sort=labels, title="triggering type (column)"),
        y=alt.Y("row:N", sort=labels, title="triggered type (row)"),
    )
    colour = alt.Color(
        "value:Q", scale=alt.Scale(scheme="oranges", domain=[0, max(scale_max, 1e-9)]), title=None
    )
    rects = base.mark_rect().encode(color=colour, tooltip=["row", "column", "value:Q"])
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("value:Q", format=".2f"),
        color=alt.condition(
            alt.datum.value > scale_max / 2, alt.value("white"), alt.value("black")
        ),
    )
    return (rects + text).properties(width=240, height=240)


def null_chart(null: list[float], observed: float, *, title: str, x_title: str) -> alt.LayerChart:
    """Histogram of a permutation null with the observed statistic as a red rule."""
    if not null:
        return _empty(f"{title}: no permutation null")
    values = pl.DataFrame({"value": [float(v) for v in null]})
    low, high = min(*null, observed), max(*null, observed)
    pad = 0.05 * (high - low) or 0.5 * max(abs(high), 1e-3)  # a null all at one value
    extent = [float(low - pad), float(high + pad)]
    bars = (
        alt.Chart(values)
        .mark_bar(color="#9e9e9e")
        .encode(
            x=alt.X("value:Q", bin=alt.Bin(maxbins=40, extent=extent), title=x_title),
            y=alt.Y("count():Q", title="permutations"),
        )
    )
    line = pl.DataFrame({"value": [float(observed)], "label": ["observed"]})
    rule = (
        alt.Chart(line)
        .mark_rule(color="#d62828", strokeWidth=2)
        .encode(x="value:Q", tooltip=["label", alt.Tooltip("value:Q", format=".4g")])
    )
    return (bars + rule).properties(title=title, height=200, width="container")


def rank_scatter_chart(frame: pl.DataFrame, *, x: str, y: str, title: str) -> alt.Chart:
    """Rank against rank of two columns, each scaled into (0, 1) (the copula's view)."""
    data = frame.select(x, y).drop_nulls()
    if data.is_empty():
        return _empty(f"{title}: no paired points")
    size = data.height + 1
    ranks = downsample(
        data.select(
            (pl.col(x).rank("average") / size).alias("u"),
            (pl.col(y).rank("average") / size).alias("v"),
        )
    )
    unit = alt.Scale(domain=[0, 1])
    return (
        alt.Chart(ranks, title=title)
        .mark_circle(size=8, opacity=0.35, color="#264653")
        .encode(
            x=alt.X("u:Q", scale=unit, title=f"rank of {x}"),
            y=alt.Y("v:Q", scale=unit, title=f"rank of {y}"),
        )
        .properties(width=200, height=200)
    )


def timeline_chart(frame: pl.DataFrame, *, lane: str, colour: str, title: str) -> alt.Chart:
    """Intervals (``start_time`` to ``end_time``) on a UTC time axis, one lane per ``lane``
    value, coloured by ``colour``; a point marks each start so short intervals stay visible."""
    data = drop_epoch(downsample(frame), "start_time")
    if data.is_empty():
        return _empty(f"{title}: nothing detected")
    x = utc_time(data, "start_time")
    tooltip = [utc_tooltip("start_time"), utc_tooltip("end_time"), lane, colour]
    tooltip += [name for name in ("side", "detail") if name in data.columns]
    base = alt.Chart(data, title=title).encode(
        y=alt.Y(f"{lane}:N", title=None),
        yOffset=alt.YOffset(f"{colour}:N"),
        color=alt.Color(f"{colour}:N", title=None),
        tooltip=tooltip,
    )
    spans = base.mark_rule(strokeWidth=4).encode(x=x, x2="end_time:T")
    starts = base.mark_point(filled=True, size=40).encode(x=x)
    return (spans + starts).properties(height=alt.Step(14), width="container")
