"""RL readiness: the sim-to-real gap per policy, state coverage, transfer gap, the sweep curve."""

from __future__ import annotations

import html
import json
from pathlib import Path

import panel as pn
import polars as pl

from workbench.db import Database
from workbench.pages.common import absent, chart, heading
from workbench.publish import table_pane
from workbench.rl_report import heat_chart, load_sweep, policy_table, sweep_chart

__all__ = ["page"]

HOW = "`rlx fidelity --metrics sim_to_real_gap,state_coverage,transfer_gap`"


def page(database: Database, *, reports_dir: Path) -> pn.Column:
    """The RL metrics of the fidelity runs under the data root, and the last drop-rate sweep."""
    parts = [
        heading(
            "RL readiness",
            "Would an agent act and earn the same on the vendor's book as on the live one? "
            "Reference policies replayed in hftbacktest on both books, the states each visits, "
            "and an agent trained on each side.",
        )
    ]
    if not database.has("fidelity"):
        parts.append(absent("fidelity results", command=HOW.strip("`")))
        return pn.Column(*parts, sizing_mode="stretch_width")
    runs = database.query("rl_runs")
    if runs.is_empty():
        parts.append(pn.pane.Markdown(f"No RL readiness metric in these runs yet: run {HOW}."))
    else:
        parts.append(table_pane(runs.drop("detail")))
        parts += _newest(runs)
    sweep = load_sweep(database.root)
    if sweep is None:
        parts.append(pn.pane.Markdown("No drop-rate sweep yet: run `rlx rl sweep`."))
    else:
        parts.append(chart(sweep_chart(sweep)))
    return pn.Column(*parts, sizing_mode="stretch_width")


def _newest(runs: pl.DataFrame) -> list:
    newest = runs.filter(pl.col("run_id") == runs["run_id"][0])
    parts = []
    for row in newest.iter_rows(named=True):
        detail = json.loads(row["detail"] or "{}")
        if row["metric"] == "sim_to_real_gap" and detail.get("policies"):
            parts += [
                pn.pane.Markdown(f"#### Policies, {html.escape(row['symbol'])}"),
                table_pane(policy_table(detail)),
            ]
        if row["metric"] == "state_coverage" and detail.get("heat"):
            parts.append(chart(heat_chart(detail["heat"])))
    return parts
