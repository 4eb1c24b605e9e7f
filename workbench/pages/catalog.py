"""Catalog: what data exists under the data root, and a coverage calendar."""

from __future__ import annotations

from pathlib import Path

import panel as pn

from workbench import charts
from workbench.db import Database
from workbench.pages.common import absent, chart, heading
from workbench.publish import table_pane

__all__ = ["page"]


def page(database: Database, *, reports_dir: Path) -> pn.Column:
    """Datasets with files, rows and bytes per partition; golden samples per stream."""
    parts = [
        heading(
            "Catalog",
            f"Datasets under `{database.root}`; views available to `rlx sql`: "
            f"{', '.join(f'`{v}`' for v in database.views) or 'none'}.",
        )
    ]
    coverage = database.coverage()
    if coverage.is_empty() and not database.has("golden"):
        parts.append(absent("datasets", command="rlx synth"))
        return pn.Column(*parts, sizing_mode="stretch_width")
    if not coverage.is_empty():
        parts += [chart(charts.coverage_chart(coverage)), table_pane(coverage)]
    if database.has("golden"):
        parts += [
            pn.pane.Markdown("### Golden samples"),
            table_pane(database.query("golden_coverage")),
        ]
    return pn.Column(*parts, sizing_mode="stretch_width")
