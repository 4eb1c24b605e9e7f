"""Validation findings: data-quality issues by check and severity, and the worst ones."""

from __future__ import annotations

from pathlib import Path

import panel as pn

from workbench.db import Database
from workbench.pages.common import absent, heading
from workbench.publish import table_pane

__all__ = ["page"]


def page(database: Database, *, reports_dir: Path) -> pn.Column:
    """Counts of findings per stage, check, severity and symbol; the first findings in full."""
    parts = [
        heading(
            "Validation findings",
            "Gaps, ordering faults, duplicates and off-grid values found by the stages "
            "(`issues/` rows). Bad data is data: each finding is a row, not a crash.",
        )
    ]
    if not database.has("issues"):
        parts.append(absent("validation findings", command="rlx validate"))
        return pn.Column(*parts, sizing_mode="stretch_width")
    limit = pn.widgets.IntInput(name="Findings shown", value=100, start=1, end=10_000, width=160)
    parts += [
        table_pane(database.query("issues_summary")),
        limit,
        pn.bind(lambda n: table_pane(database.query("issues_list", limit=n)), limit),
    ]
    return pn.Column(*parts, sizing_mode="stretch_width")
