"""Book explorer: pick a book and a moment; see its ladder, depth, mid and spread."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import panel as pn

from workbench import charts
from workbench.db import Database
from workbench.pages.common import absent, chart, heading

__all__ = ["page"]

_SOURCES = {
    "lake_snapshot": "Lake book snapshots",
    "lake": "rebuilt from Lake",
    "golden": "rebuilt from live",
}


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _moment_slider(first: dt.datetime, last: dt.datetime) -> pn.widgets.IntSlider:
    """A slider over milliseconds since ``first``, labelled with the UTC time it points at.

    (Panel's DatetimeSlider cuts its start and end to whole days, so a book of one day could
    not be moved at all.)
    """
    from bokeh.models import CustomJSTickFormatter

    span = max(_ms(last) - _ms(first), 1)
    label = CustomJSTickFormatter(
        args={"first": _ms(first)},
        code="return new Date(first + tick).toISOString().slice(0, 23).replace('T', ' ');",
    )
    return pn.widgets.IntSlider(
        name="Time (UTC)", start=0, end=span, value=span, step=100, format=label,
        sizing_mode="stretch_width",
    )  # fmt: skip


def page(database: Database, *, reports_dir: Path) -> pn.Column:
    """A book selector, a time slider over the chosen book's span, the ladder and depth at that
    time, mid and spread."""
    parts = [
        heading(
            "Book explorer",
            "Book states from Lake's `book` snapshots (lake_snapshot) and from the reconstructions "
            "(`book/`, rebuilt from Lake or from live data). Times are exchange time, UTC. "
            "Move the slider to see the ladder and depth at any moment of the book.",
        )
    ]
    if not database.has("book_states"):
        parts.append(absent("book states", command="rlx reconstruct"))
        return pn.Column(*parts, sizing_mode="stretch_width")
    books = database.query("book_symbols")
    options = {
        f"{row['symbol']} · {_SOURCES.get(row['source'], row['source'])}": index
        for index, row in enumerate(books.iter_rows(named=True))
    }
    book = pn.widgets.Select(name="Book", options=options, value=0, width=320)
    holder = pn.Column(sizing_mode="stretch_width")

    def explore(index: int) -> None:
        row = books.row(index, named=True)
        first = row["first_time"]
        moment = _moment_slider(first, row["last_time"])

        def state(offset: int) -> pn.Row:
            at = first + dt.timedelta(milliseconds=offset)
            ladder = database.query(
                "book_ladder", source=row["source"], symbol=row["symbol"], at=at
            )
            return pn.Row(
                chart(charts.ladder_chart(ladder), sizing_mode="fixed"),
                chart(charts.depth_chart(ladder)),
                sizing_mode="stretch_width",
            )

        frame = database.query("book_series", source=row["source"], symbol=row["symbol"])
        series = charts.mid_spread_chart(frame, title=f"{row['symbol']}: mid and spread")
        holder[:] = [moment, pn.bind(state, moment.param.value_throttled), chart(series)]

    explore(0)
    pn.bind(explore, book, watch=True)
    parts += [book, holder]
    return pn.Column(*parts, sizing_mode="stretch_width")
