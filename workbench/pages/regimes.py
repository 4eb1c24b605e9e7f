"""Regime explorer: two trade windows side by side (distributions, stylized facts, tests),
and on request the phenomena metrics of the two windows (``rlx compare`` on the lake
reconstruction)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
from pathlib import Path

import panel as pn
import polars as pl
from scipy import stats

from workbench import charts
from workbench.db import Database
from workbench.pages.common import absent, chart, heading
from workbench.publish import table_pane

__all__ = ["compare_windows", "page", "phenomena"]

_TESTED = {"quantity": "trade size", "gap_ms": "time between trades (ms)"}


def compare_windows(first: pl.DataFrame, second: pl.DataFrame) -> pl.DataFrame:
    """Two-sample Kolmogorov-Smirnov tests on trade size and time between trades.

    The KS statistic is the effect size (largest gap between the two distribution functions);
    the p-value alone says little on large samples.
    """
    rows = []
    for column, label in _TESTED.items():
        a = first[column].drop_nulls().to_numpy()
        b = second[column].drop_nulls().to_numpy()
        if len(a) < 2 or len(b) < 2:
            rows.append(
                {
                    "quantity": label,
                    "ks_statistic": None,
                    "p_value": None,
                    "n_a": len(a),
                    "n_b": len(b),
                }
            )
            continue
        result = stats.ks_2samp(a, b)
        rows.append(
            {
                "quantity": label,
                "ks_statistic": float(result.statistic),
                "p_value": float(result.pvalue),
                "n_a": len(a),
                "n_b": len(b),
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "quantity": pl.String,
            "ks_statistic": pl.Float64,
            "p_value": pl.Float64,
            "n_a": pl.Int64,
            "n_b": pl.Int64,
        },
    )


class _Window:
    """The widgets choosing one window: a symbol and day, a start offset and a length."""

    def __init__(self, label: str, windows: pl.DataFrame, *, choice: int) -> None:
        self.label = label
        self.windows = windows
        self.options = {
            f"{r['symbol']} {r['dt']}": i for i, r in enumerate(windows.iter_rows(named=True))
        }
        self.series = pn.widgets.Select(
            name=f"Window {label}", options=self.options, value=choice, width=240
        )
        self.offset = pn.widgets.IntSlider(
            name="Start (minutes in)", start=0, end=self._span(choice), value=0, width=240
        )
        self.length = pn.widgets.IntInput(
            name="Length (minutes)", value=60, start=1, end=1440, width=240
        )
        pn.bind(
            lambda index: self.offset.param.update(end=self._span(index), value=0),
            self.series,
            watch=True,
        )

    def _span(self, index: int) -> int:
        row = self.windows.row(index, named=True)
        return max(int((row["last_time"] - row["first_time"]).total_seconds() // 60), 1)

    def bounds(self, index: int, offset: int, length: int) -> tuple[str, dt.datetime, dt.datetime]:
        row = self.windows.row(index, named=True)
        start = row["first_time"] + dt.timedelta(minutes=offset)
        return row["symbol"], start, start + dt.timedelta(minutes=length)

    def widgets(self) -> pn.Column:
        return pn.Column(self.series, self.offset, self.length)

    def chosen(self) -> tuple[str, dt.datetime, dt.datetime]:
        """Symbol, start and end of the window the widgets show now."""
        return self.bounds(self.series.value, self.offset.value, self.length.value)


def phenomena(
    root: Path, a: tuple[str, dt.datetime, dt.datetime], b: tuple[str, dt.datetime, dt.datetime]
) -> pn.Column:
    """The window metrics of two windows of the lake reconstruction, as ``rlx compare`` shows
    them (the signature MMD on paths a tenth of the shorter window, at most a minute)."""
    from rlx_lib.errors import RlxError
    from rlx_lib.fidelity import WINDOW_METRICS, Window, compare, get
    from workbench.phenomena_report import compare_page

    seconds = min((end - start).total_seconds() for _, start, end in (a, b))
    mmd = dataclasses.replace(get("signature_mmd"), window_s=max(1.0, min(60.0, seconds / 10)))
    chosen = [mmd if name == "signature_mmd" else name for name in WINDOW_METRICS]
    try:
        result = compare(root, a=Window("lake", *a), b=Window("lake", *b), metrics=chosen)
    except RlxError as error:
        return pn.Column(pn.pane.Markdown(f"Phenomena not measured: {html.escape(str(error))}"))
    return compare_page(result, heading="### Phenomena (A against B)")


def _phenomena_controls(root: Path, first: _Window, second: _Window) -> pn.Column:
    """A button that measures the phenomena of the two chosen windows (a few seconds)."""
    button = pn.widgets.Button(name="Measure phenomena of A and B", button_type="primary")

    def measured(clicks: int) -> pn.viewable.Viewable:
        if not clicks:
            return pn.pane.Markdown(
                "Hawkes matrices, signature MMD, depth profile, hidden liquidity and pattern "
                "rates of the two windows read `book/` and `events/` of the lake "
                "reconstruction (`rlx reconstruct --source lake`); press the button to measure."
            )
        return phenomena(root, first.chosen(), second.chosen())

    return pn.Column(button, pn.bind(measured, button.param.clicks), sizing_mode="stretch_width")


def _window_trades(
    database: Database, window: _Window, bounds: tuple[int, int, int]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The trades of one chosen window (with ``gap_ms``) and its stylized facts."""
    symbol, start, end = window.bounds(*bounds)
    label = f"{window.label}: {symbol}"
    trades = database.query("trades_window", symbol=symbol, start=start, end=end)
    facts = (
        database.query("window_facts", symbol=symbol, start=start, end=end)
        .with_columns(window=pl.lit(label))
        .select("window", pl.exclude("window"))
    )
    return trades.with_columns(window=pl.lit(label), gap_ms=pl.col("gap_ns") / 1e6), facts


def _comparison(frames: list[pl.DataFrame], facts: list[pl.DataFrame]) -> pn.Column:
    """Distributions, stylized facts and two-sample tests of windows A and B."""
    both = pl.concat(frames)
    sizes = both.with_columns(log10_size=pl.col("quantity").log10())
    return pn.Column(
        pn.Row(
            chart(
                charts.distribution_chart(sizes, column="log10_size", title="Trade size (log10)")
            ),
            chart(
                charts.distribution_chart(both, column="gap_ms", title="Time between trades (ms)")
            ),
            sizing_mode="stretch_width",
        ),
        pn.pane.Markdown("### Stylized facts"),
        table_pane(pl.concat(facts)),
        pn.pane.Markdown("### Two-sample tests (A vs B)"),
        table_pane(compare_windows(frames[0], frames[1])),
        sizing_mode="stretch_width",
    )


def page(database: Database, *, reports_dir: Path) -> pn.Column:
    """Pick two windows (symbol, day, start, length) and compare their trades."""
    parts = [
        heading(
            "Regime explorer",
            "Compare two windows of trades, e.g. a busy and a quiet hour, or two synthetic "
            "regimes: size and inter-arrival distributions, stylized facts, and two-sample tests.",
        )
    ]
    if not database.has("lake_trades"):
        parts.append(absent("trades", command="rlx acquire"))
        return pn.Column(*parts, sizing_mode="stretch_width")
    windows = database.query("trade_windows")
    first = _Window("A", windows, choice=0)
    second = _Window("B", windows, choice=min(1, windows.height - 1))

    def compare(*chosen: int) -> pn.Column:
        picked = [
            _window_trades(database, first, chosen[:3]),
            _window_trades(database, second, chosen[3:]),
        ]
        return _comparison([trades for trades, _ in picked], [facts for _, facts in picked])

    controls = [
        w.param.value_throttled if isinstance(w, pn.widgets.IntSlider) else w
        for window in (first, second)
        for w in (window.series, window.offset, window.length)
    ]
    parts += [
        pn.Row(first.widgets(), second.widgets()),
        pn.bind(compare, *controls),
        _phenomena_controls(database.root, first, second),
    ]
    return pn.Column(*parts, sizing_mode="stretch_width")
