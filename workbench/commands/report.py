"""``rlx report``: publish a summary report of the data root; also the demo's ``report`` step."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.demo import DemoContext
from workbench.options import DataRootOption, resolve_root

__all__ = ["demo_step", "register", "report_command"]


def demo_step(context: DemoContext) -> None:
    """Publish the demo's summary report and list it in the reports index."""
    from workbench.publish import publish_summary, update_reports_index  # panel: 2 s import

    context.summary.append("report: summary of the steps, datasets and the synthetic book")
    context.report = publish_summary(context)
    update_reports_index(context.out.parent)


def report_command(
    out: Annotated[Path, typer.Option("--out", help="Report folder.")] = Path("reports/summary"),
    data_root: DataRootOption = None,
) -> None:
    """Publish an offline HTML summary of what the data root holds; print its path.

    It names the datasets, symbols and UTC days found, with rows per partition and the mid
    price and spread of every book.
    """
    from workbench.publish import publish_summary, update_reports_index

    context = DemoContext(root=resolve_root(data_root), out=out)
    context.out.mkdir(parents=True, exist_ok=True)
    path = publish_summary(context, demo=False)
    update_reports_index(out.parent)
    typer.echo(str(path.resolve()))


def register(app: typer.Typer) -> None:
    """Add ``rlx report`` to the app."""
    app.command("report")(report_command)
