"""Capture health: message rates, latency and session events of the live capture."""

from __future__ import annotations

from pathlib import Path

import panel as pn

from workbench import charts
from workbench.db import Database
from workbench.pages.common import absent, chart, heading
from workbench.publish import table_pane

__all__ = ["page"]


def page(database: Database, *, reports_dir: Path) -> pn.Column:
    """Messages per second by stream for a chosen symbol; connects, disconnects, resyncs."""
    parts = [
        heading(
            "Capture health",
            "Messages per second by stream and the median capture time minus exchange time "
            "(latency plus clock offset) from the golden samples.",
        )
    ]
    if not database.has("golden"):
        parts.append(absent("golden samples", command="rlx capture"))
        return pn.Column(*parts, sizing_mode="stretch_width")
    symbols = database.query("golden_coverage")["symbol"].unique().sort().to_list()
    symbol = pn.widgets.Select(name="Symbol", options=symbols, value=symbols[0])

    def rates(symbol: str) -> pn.Column:
        return pn.Column(
            chart(charts.rates_chart(database.query("capture_rates", symbol=symbol))),
            table_pane(database.query("capture_summary", symbol=symbol)),
            sizing_mode="stretch_width",
        )

    parts += [
        symbol,
        pn.bind(rates, symbol),
        pn.pane.Markdown("### Session events"),
        table_pane(database.query("capture_sessions")),
    ]
    return pn.Column(*parts, sizing_mode="stretch_width")
