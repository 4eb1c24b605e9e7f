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
    "vendor": "Lake book snapshots",
    "lake": "rebuilt from Lake",
    "golden": "rebuilt from live",
}


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def page(database: Database, *, reports_dir: Path) -> pn.Column:
    """A book selector, a time slider, the ladder and depth at that time, mid and spread."""
    parts = [
        heading(
            "Book explorer",
            "Book states from Lake's `book` snapshots (vendor) and from the reconstructions "
            "(`book/`, rebuilt from Lake or from live data). Times are exchange time, UTC.",
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
    first, last = _naive(books["first_time"][0]), _naive(books["last_time"][0])
    moment = pn.widgets.DatetimeSlider(
        name="Time (UTC)",
        start=first,
        end=max(last, first + dt.timedelta(seconds=1)),
        value=last,
        step=1,
        sizing_mode="stretch_width",
    )

    def follow(index: int) -> None:
        row = books.row(index, named=True)
        start, end = _naive(row["first_time"]), _naive(row["last_time"])
        moment.param.update(start=start, end=max(end, start + dt.timedelta(seconds=1)), value=end)

    pn.bind(follow, book, watch=True)

    def state(index: int, at: dt.datetime) -> pn.Row:
        row = books.row(index, named=True)
        ladder = database.query(
            "book_ladder", source=row["source"], symbol=row["symbol"], at=at.replace(tzinfo=dt.UTC)
        )
        return pn.Row(
            chart(charts.ladder_chart(ladder), sizing_mode="fixed"),
            chart(charts.depth_chart(ladder)),
            sizing_mode="stretch_width",
        )

    def series(index: int) -> pn.pane.Vega:
        row = books.row(index, named=True)
        frame = database.query("book_series", source=row["source"], symbol=row["symbol"])
        return chart(charts.mid_spread_chart(frame, title=f"{row['symbol']}: mid and spread"))

    parts += [
        book,
        moment,
        pn.bind(state, book, moment.param.value_throttled),
        pn.bind(series, book),
    ]
    return pn.Column(*parts, sizing_mode="stretch_width")
