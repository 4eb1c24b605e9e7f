"""``rlx demo``: synthesize a market session, run every stage on it, publish a report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.options import DataRootOption, at_least, resolve_root

__all__ = ["demo_command", "register"]


def demo_command(
    out: Annotated[Path, typer.Option("--out", help="Folder of the demo's report.")] = Path(
        "reports/demo"
    ),
    minutes: Annotated[int, typer.Option(help="Minutes of synthetic market.", min=1)] = 3,
    seed: Annotated[int, at_least(0, "Seed of the synthetic market.")] = 7,
    data_root: DataRootOption = None,
) -> None:
    """Synthesize a short session (BTC-USDT, ETH-USDT, regime high) and run every stage on it.

    Offline, no credentials. Prints one line per finished step, then the report's index.html.
    """
    from workbench.demo import Demo, run_demo  # every stage: imported when the demo runs

    demo = Demo(root=resolve_root(data_root), out=out, minutes=minutes, seed=seed)
    report = run_demo(demo, say=typer.echo)
    typer.echo(str(Path(report).resolve()))


def register(app: typer.Typer) -> None:
    """Add ``rlx demo`` to the app."""
    app.command("demo")(demo_command)
