"""Static, offline, self-contained HTML reports.

Panel's ``save(embed=True, resources=INLINE)`` inlines every script (Bokeh, Panel, Vega) but
still points Panel's own stylesheets at cdn.holoviz.org (holoviz/panel#6759);
:func:`inline_panel_css` swaps those for the copies in the installed package, so a report opens
with no network. Text that comes from data is HTML-escaped before it reaches a pane.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

import panel as pn
import polars as pl
from bokeh.resources import INLINE

from rlx_lib.catalog import atomic_path
from workbench import charts, db
from workbench.numbers import format_number, format_p_value

if TYPE_CHECKING:
    from collections.abc import Sequence

    from workbench.demo import Demo

__all__ = [
    "describe_root",
    "escape_frame",
    "inline_panel_css",
    "publish_summary",
    "save_html",
    "table_pane",
    "update_reports_index",
]

log = logging.getLogger(__name__)

_IMPORTED = re.compile(
    r'"name":"ImportedStyleSheet","id":"(?P<id>[^"]+)","attributes":\{"url":"'
    r'(?P<url>https://cdn\.holoviz\.org/panel/[^/]+/dist/(?P<path>[^"?]+))(?:\?[^"]*)?"\}'
)
_SOURCE_PREFERENCE = ("lake_snapshot", "golden", "lake")
_ICON_LINK = re.compile(r'<link rel="(?:icon|apple-touch-icon)"[^>]*>')


def inline_panel_css(text: str) -> str:
    """Replace Panel's CDN stylesheet models with inline copies from the installed package."""
    dist = Path(pn.__file__).parent / "dist"

    def inline(match: re.Match[str]) -> str:
        css_file = dist / match["path"]
        if not css_file.is_file():
            return match[0]
        css = css_file.read_text(encoding="utf-8").replace("</", "<\\/")
        return (
            f'"name":"InlineStyleSheet","id":"{match["id"]}",'
            f'"attributes":{{"css":{json.dumps(css)}}}'
        )

    return _IMPORTED.sub(inline, text)


def save_html(layout: pn.viewable.Viewable, path: Path, *, title: str) -> Path:
    """Save a Panel layout as one offline HTML file, atomically."""
    path = Path(path)
    with atomic_path(path) as temp:
        html_file = temp.with_suffix(".html")
        try:
            layout.save(str(html_file), embed=True, resources=INLINE, title=title)
            text = inline_panel_css(html_file.read_text(encoding="utf-8"))
            text = _ICON_LINK.sub("", text)  # Panel's favicon links point at its CDN
        finally:
            html_file.unlink(missing_ok=True)
        temp.write_text(text, encoding="utf-8")
        temp.chmod(0o644)
    return path


def escape_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """HTML-escape every text column (symbols, notes, details come from data)."""
    return frame.with_columns(
        pl.col(name).map_elements(html.escape, return_dtype=pl.String)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    )


_TABLE_CSS = """
.rlx-table { border-collapse: collapse; font-size: 13px; }
.rlx-table th, .rlx-table td { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
.rlx-table th { background: #f3f3f3; }
.rlx-table td.rlx-PASS { color: #fff; background: #2a9d8f; font-weight: bold; }
.rlx-table td.rlx-FAIL { color: #fff; background: #d62828; font-weight: bold; }
"""


def _float_text(name: str) -> pl.Expr:
    """A float column as text for people: p-values floored at 1e-16, others 4 digits."""
    formatter = format_p_value if "p_value" in name or name == "p" else format_number
    return pl.col(name).map_elements(formatter, return_dtype=pl.String, skip_nulls=True)


def _cell(value: object) -> str:
    if value in ("PASS", "FAIL"):
        return f'<td class="rlx-{value}">{value}</td>'
    return f"<td>{'' if value is None else value}</td>"


def table_pane(frame: pl.DataFrame) -> pn.pane.HTML:
    """A plain HTML table of a frame, text escaped, decimals shown exactly, floats formatted
    for people, PASS and FAIL cells coloured."""
    floats = [name for name, dtype in frame.schema.items() if dtype in (pl.Float64, pl.Float32)]
    shown = escape_frame(
        frame.with_columns(pl.col(pl.Decimal).cast(pl.String), *map(_float_text, floats))
    )
    head = "".join(f"<th>{html.escape(name)}</th>" for name in shown.columns)
    rows = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in shown.iter_rows())
    return pn.pane.HTML(
        f'<table class="rlx-table"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>',
        sizing_mode="stretch_width",
        stylesheets=[_TABLE_CSS],
    )


def _mid_spread(database: db.Database) -> pl.DataFrame | None:
    if not database.has("book_states"):
        return None
    available = database.query("book_symbols")
    frames = []
    for symbol in available["symbol"].unique().sort():
        sources = available.filter(symbol=symbol)["source"].to_list()
        source = next((s for s in _SOURCE_PREFERENCE if s in sources), sources[0])
        series = database.query("book_series", source=source, symbol=symbol)
        frames.append(series.with_columns(symbol=pl.lit(f"{symbol} ({source})")))
    return pl.concat(frames) if frames else None


def describe_root(coverage: pl.DataFrame) -> str:
    """One paragraph on what a data root holds: datasets, symbols, UTC days, rows."""
    if coverage.is_empty():
        return "It holds no datasets yet (run `rlx demo`, `rlx synth` or `rlx acquire`)."
    datasets = ", ".join(f"`{name}`" for name in coverage["dataset"].unique().sort())
    symbols = ", ".join(html.escape(s) for s in coverage["symbol"].drop_nulls().unique().sort())
    days = coverage["dt"].drop_nulls()
    span = f"UTC days {days.min()} to {days.max()}" if days.len() else "no dated partitions"
    return (
        f"It holds {datasets}: symbols {symbols or 'none'}, {span}, "
        f"{coverage['rows'].sum():,} rows in {coverage['files'].sum():,} files."
    )


def publish_summary(
    root: Path, path: Path, *, demo: Demo | None = None, steps: Sequence[str] = ()
) -> Path:
    """Write a summary report to ``path``: what the data root holds (datasets, rows per
    partition, mid and spread) and, for the demo, its parameters and steps."""
    database = db.connect(root)
    coverage = database.coverage().drop("bytes")
    title = "rlx demo report" if demo else "rlx data report"
    text = (
        f"# {title}\n\nGenerated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC over data root "
        f"`{html.escape(str(root))}`. {describe_root(coverage)}"
    )
    if demo:
        listed = "\n".join(f"- {html.escape(line)}" for line in steps) or "- (none)"
        symbols = ", ".join(html.escape(symbol) for symbol in demo.symbols)
        text += (
            f"\n\nThe demo: {symbols}, regime `{html.escape(demo.regime)}`, "
            f"{demo.minutes} minutes, seed {demo.seed}.\n\n## Steps\n\n{listed}"
        )
    parts: list[pn.viewable.Viewable] = [pn.pane.Markdown(text, sizing_mode="stretch_width")]
    parts.append(pn.pane.Markdown("## Datasets (rows per partition)"))
    parts.append(table_pane(coverage) if coverage.height else pn.pane.Markdown("No data yet."))
    series = _mid_spread(database)
    if series is not None:
        parts.append(pn.pane.Markdown("## Mid price and spread"))
        chart = charts.as_svg(charts.mid_spread_chart(series))
        parts.append(pn.pane.Vega(chart, sizing_mode="stretch_width"))
    database.close()
    path = save_html(pn.Column(*parts, sizing_mode="stretch_width"), path, title=title)
    log.info("summary report: %s", path)
    return path


def update_reports_index(reports_dir: Path) -> Path:
    """Write ``reports_dir/index.html`` linking every published report (``*/index.html``)."""
    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    found = sorted(
        (path for path in reports_dir.glob("*/**/index.html")),
        key=lambda path: path.stat().st_mtime,
        reverse=True,
    )
    items = "\n".join(
        f'<li><a href="{html.escape(path.relative_to(reports_dir).as_posix(), quote=True)}">'
        f"{html.escape(path.parent.relative_to(reports_dir).as_posix())}</a> "
        f"<small>{dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC):%Y-%m-%d %H:%M} UTC"
        "</small></li>"
        for path in found
    )
    page = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>rlx reports</title></head>\n<body><h1>rlx reports</h1>\n"
        f"<ul>\n{items or '<li>none published yet</li>'}\n</ul>\n</body></html>\n"
    )
    index = reports_dir / "index.html"
    with atomic_path(index) as temp:
        temp.write_text(page, encoding="utf-8")
        temp.chmod(0o644)
    return index
