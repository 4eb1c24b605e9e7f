"""``rlx bench [STAGE]``: run the benchmarks and print one table of figures and ratios."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from workbench import bench

__all__ = ["register"]


def _format(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return "" if value is None else str(value)


def bench_command(
    stage: Annotated[str | None, typer.Argument(help="Stage to benchmark (default: all).")] = None,
    quick: Annotated[bool, typer.Option(help="Smaller inputs, for a smoke run.")] = False,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures to this file.")
    ] = None,
) -> None:
    """Run the stage benchmarks; print each figure beside its same-run baseline and ratio."""
    from rich.console import Console
    from rich.table import Table

    stages = [stage] if stage else bench.available()
    at_start = bench.machine()
    figures = [row for name in stages for row in bench.run_stage(name, quick=quick)]
    table = Table(
        title=f"rlx bench on {bench.describe(at_start)} (at start)",
        caption="Rates hold on this machine only; ratios are against baselines of the same run.",
    )
    for column in ("stage", "figure", "value", "unit", "baseline", "ratio", "target"):
        table.add_column(column, justify="right" if column in ("value", "ratio") else "left")
    for row in figures:
        table.add_row(
            *(
                _format(row.get(c))
                for c in ("stage", "figure", "value", "unit", "baseline", "ratio", "target")
            )
        )
    Console(width=160).print(table)
    if json_out is not None:
        json_out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


def register(app: typer.Typer) -> None:
    """Add ``rlx bench`` to the app."""
    app.command("bench")(bench_command)
