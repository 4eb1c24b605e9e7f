"""``rlx compare``: the fidelity metrics on any two windows (regimes, months, sources)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.console import reporting
from workbench.options import DataRootOption, resolve_root, split_list

__all__ = ["register"]

_WINDOW = "SOURCE:SYMBOL:START:END, e.g. golden:BTC-USDT:2024-08-08T00:00:2024-08-08T00:10."


def compare_command(
    a: Annotated[str, typer.Option("--a", help=f"Window A (the reference): {_WINDOW}")],
    b: Annotated[str, typer.Option("--b", help="Window B (the candidate), the same form.")],
    metrics: Annotated[
        str,
        typer.Option(help="Metric names, comma-separated (default: the window metrics)."),
    ] = "",
    out: Annotated[
        Path | None, typer.Option(help="Folder for compare.json and index.html.")
    ] = None,
    data_root: DataRootOption = None,
) -> None:
    """Compare two windows with the same metrics `rlx fidelity` uses (B against A).

    Times are UTC days or instants; END is exclusive. Each window reads book/ and events/ of
    its source (rlx reconstruct writes them).
    """
    from rlx_lib.fidelity import WINDOW_METRICS, Window, compare
    from workbench.phenomena_report import publish_compare  # panel: a slow import

    first, second = Window.parse(a), Window.parse(b)
    root = resolve_root(data_root)
    names = split_list(metrics) or list(WINDOW_METRICS)
    with reporting("compare: measuring metrics") as progress:
        result = compare(root, a=first, b=second, metrics=names, out=out, progress=progress)
    typer.echo(f"A {first}\nB {second}")
    for record in result.rows:
        value = "undefined" if record.value != record.value else f"{record.value:.6g}"
        typer.echo(f"{record.name}: {value} {record.unit} (n={record.n})")
    mmd = [r for r in result.rows if r.name == "signature_mmd" and "p_value" in r.detail]
    if mmd:
        typer.echo(f"signature MMD permutation p-value: {mmd[0].detail['p_value']:.4g}")
    if out is not None:
        typer.echo(str(publish_compare(result, out).resolve()))


def register(app: typer.Typer) -> None:
    """Add ``rlx compare`` to the app."""
    app.command("compare")(compare_command)
