"""``rlx serve``: the Panel app over everything under the data root."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.options import DataRootOption, resolve_root

__all__ = ["register", "serve_command"]


def serve_command(
    address: Annotated[
        str, typer.Option(help="Address to bind; loopback unless you say otherwise.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 5006,
    reports: Annotated[
        Path, typer.Option(help="Folder of published reports, served under /reports.")
    ] = Path("reports"),
    show: Annotated[bool, typer.Option("--show", help="Open a browser.")] = False,
    data_root: DataRootOption = None,
) -> None:
    """Serve the workbench app: catalog, capture health, validation, book explorer,
    fidelity reports and the regime explorer. Stop with Ctrl-C."""
    from workbench.app import serve  # panel: 2 s import, only when serving

    root = resolve_root(data_root)
    typer.echo(f"rlx app on http://{address}:{port}/catalog (data root {root}); Ctrl-C stops it")
    serve(root=root, reports_dir=reports.resolve(), address=address, port=port, show=show)


def register(app: typer.Typer) -> None:
    """Add ``rlx serve`` to the app."""
    app.command("serve")(serve_command)
