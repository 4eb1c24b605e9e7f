"""``rlx fidelity``: compare the reconstruction from vendor data with the live one; publish."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from workbench.options import (
    DataRootOption,
    day_span,
    lake_symbols,
    resolve_root,
    share,
    split_list,
)

__all__ = ["demo_step", "register"]

DEFAULT_THRESHOLD = 0.999
"""The library's default threshold, repeated so ``--help`` needs no heavy import."""


def fidelity_command(
    symbols: Annotated[str, typer.Option(help="Symbols, e.g. BTC-USDT,ETH-USDT.")],
    start: Annotated[str, typer.Option(help="First UTC day (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option(help="Day after the last (exclusive).")],
    metrics: Annotated[
        str, typer.Option(help="Metric names, comma-separated (default: every registered one).")
    ] = "",
    threshold: Annotated[
        float, share("Share the headline and every exact-match metric must reach.")
    ] = DEFAULT_THRESHOLD,
    out: Annotated[
        Path | None,
        typer.Option(help="Report folder (default: reports/fidelity-<symbols>-<start>)."),
    ] = None,
    validation: Annotated[
        Path | None, typer.Option(help="A validation.json to link from the report.")
    ] = None,
    fail_on_verdict: Annotated[
        bool, typer.Option("--fail-on-verdict", help="Exit 1 when the verdict fails.")
    ] = False,
    data_root: DataRootOption = None,
) -> None:
    """Align lake/ and golden/ reconstructions, compute the metrics, write the HTML report."""
    names = lake_symbols(symbols)
    first, stop = day_span(start, end)
    root = resolve_root(data_root)
    from rlx_lib.fidelity import evaluate
    from workbench.fidelity_report import publish_report  # panel: a slow import

    folder = out or Path("reports") / f"fidelity-{'_'.join(names)}-{first}"
    report = evaluate(
        root,
        names,
        first,
        stop,
        metrics=split_list(metrics) or None,
        threshold=threshold,
        out=folder,
    )
    for record in report.whole_run():
        value = "undefined" if record.value != record.value else f"{record.value:.6g}"
        typer.echo(f"{record.symbol} {record.name}: {value} {record.unit} (n={record.n})")
    typer.echo(report.verdict.sentence())
    links = {"validation summary": validation} if validation is not None else {}
    path = publish_report(report, folder, links=links)
    typer.echo(str(path.resolve()))
    if fail_on_verdict and not report.verdict.passed:
        raise typer.Exit(1)


def demo_step(context: Any) -> None:
    """Run fidelity over the demo's symbols and day; its report becomes the demo's index.html.

    The summary report the previous step wrote as ``index.html`` moves to ``summary.html``.
    """
    from rlx_lib.catalog import parse_day
    from rlx_lib.fidelity import evaluate
    from workbench.fidelity_report import publish_report

    day = parse_day(context.day)
    summary = context.out / "index.html"
    if summary.exists():
        os.replace(summary, context.out / "summary.html")  # the fidelity report takes its place
    report = evaluate(
        context.root,
        list(context.symbols),
        day,
        day + dt.timedelta(days=1),
        out=context.out,
    )
    links = {}
    if (context.out / "summary.html").exists():
        links["demo summary (steps, datasets)"] = context.out / "summary.html"
    validation = context.notes.get("validation")
    if validation is not None:
        markdown = Path(validation).with_suffix(".md")
        links["validation summary"] = markdown if markdown.exists() else Path(validation)
    context.report = publish_report(report, context.out, links=links)
    context.notes["fidelity"] = report.metrics_json()["verdict"]
    context.summary.append(f"fidelity: {report.verdict.sentence()}")


def register(app: typer.Typer) -> None:
    """Add ``rlx fidelity`` to the app."""
    app.command("fidelity")(fidelity_command)
