"""Fidelity reports: metric results per run, and the published reports to open."""

from __future__ import annotations

import html
from pathlib import Path

import panel as pn
import polars as pl

from workbench import charts
from workbench.db import Database
from workbench.numbers import format_value
from workbench.pages.common import absent, chart, heading
from workbench.publish import table_pane

__all__ = ["REPORTS_ROUTE", "page", "published"]

REPORTS_ROUTE = "reports"
"""URL prefix under which ``rlx serve`` serves the reports folder."""


def published(reports_dir: Path) -> list[Path]:
    """Every published report's ``index.html`` below ``reports_dir``, newest first."""
    found = Path(reports_dir).glob("*/**/index.html")
    return sorted(found, key=lambda path: path.stat().st_mtime, reverse=True)


def _relative(path: Path, folder: Path) -> str:
    return path.relative_to(folder).as_posix()


def _readable(metrics: pl.DataFrame) -> pl.DataFrame:
    """Values as people read them (shares as %), and PASS, FAIL or not gated."""
    return metrics.with_columns(
        value=pl.struct("value", "unit").map_elements(
            lambda row: format_value(row["value"], row["unit"]), return_dtype=pl.String
        ),
        passed=pl.col("passed").map_elements(
            charts.gate_label, return_dtype=pl.String, skip_nulls=False
        ),
    ).rename({"passed": "threshold"})


def page(database: Database, *, reports_dir: Path) -> pn.Column:
    """Links to published reports (they open offline) and whole-run metrics from ``fidelity/``."""
    parts = [heading("Fidelity reports", "Published reports and the metrics behind them.")]
    reports = published(reports_dir)
    if reports:
        links = "\n".join(
            f'<li><a href="/{REPORTS_ROUTE}/{html.escape(_relative(p, reports_dir), quote=True)}"'
            f' target="_blank">{html.escape(_relative(p.parent, reports_dir))}</a></li>'
            for p in reports
        )
        parts.append(pn.pane.HTML(f"<ul>{links}</ul>"))
    else:
        parts.append(absent(f"published reports in {reports_dir}", command="rlx fidelity"))
    if database.has("fidelity"):
        metrics = database.query("fidelity_runs")
        parts += [chart(charts.metric_chart(metrics)), table_pane(_readable(metrics))]
    else:
        parts.append(absent("fidelity results", command="rlx fidelity"))
    return pn.Column(*parts, sizing_mode="stretch_width")
