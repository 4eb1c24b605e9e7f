"""``rlx report``: publish a summary report of the data root."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.options import DataRootOption, resolve_root

__all__ = ["register", "report_command"]


def report_command(
    out: Annotated[Path, typer.Option("--out", help="Report folder.")] = Path("reports/summary"),
    data_root: DataRootOption = None,
) -> None:
    """Publish an offline HTML summary of what the data root holds; print its path.

    It names the datasets, symbols and UTC days found, with rows per partition and the mid
    price and spread of every book.
    """
    from workbench.publish import publish_summary, update_reports_index

    out.mkdir(parents=True, exist_ok=True)
    path = publish_summary(resolve_root(data_root), out / "index.html")
    update_reports_index(out.parent)
    typer.echo(str(path.resolve()))


def register(app: typer.Typer) -> None:
    """Add ``rlx report`` to the app."""
    app.command("report")(report_command)
