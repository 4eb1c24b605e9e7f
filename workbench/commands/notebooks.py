"""``rlx notebooks export``: each marimo notebook run and saved as static HTML."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from rlx_lib.errors import ConfigError, StageError
from workbench.options import DataRootOption, resolve_root, split_list

__all__ = ["NOTEBOOK_DIR", "export", "register"]

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"

notebooks_app = typer.Typer(help="Work with the notebooks (notebooks/*.py, *.ipynb).")


def export(
    notebooks: list[Path], out: Path, *, root: Path, minutes: float | None = None
) -> list[Path]:
    """Run each marimo notebook with ``marimo export html``; return the HTML paths.

    The notebooks see ``RLX_DATA_ROOT`` (and ``RLX_MINUTES`` when given). The pages load
    marimo's frontend from its CDN when opened; for offline reports use ``rlx report``.
    """
    out.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "RLX_DATA_ROOT": str(root)}
    if minutes is not None:
        environment["RLX_MINUTES"] = str(minutes)
    marimo = str(Path(sys.executable).with_name("marimo"))
    written, failed = [], []
    for notebook in notebooks:
        target = out / f"{notebook.stem}.html"
        command = [marimo, "-y", "export", "html", str(notebook), "-o", str(target), "-f"]
        result = subprocess.run(
            command, env=environment, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            failed.append(f"{notebook.name}: {result.stderr.strip().splitlines()[-1:]}")
        written.append(target)
    if failed:
        msg = "notebooks with failing cells (HTML written anyway): " + "; ".join(failed)
        raise StageError(msg)
    return written


@notebooks_app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", help="Folder of the HTML files.")] = Path(
        "reports/notebooks"
    ),
    only: Annotated[
        str, typer.Option("--only", help="Notebook names, comma-separated (default: all).")
    ] = "",
    minutes: Annotated[
        float | None, typer.Option(help="Minutes of synthetic market for notebooks that make one.")
    ] = None,
    data_root: DataRootOption = None,
) -> None:
    """Run every marimo notebook headless and write its static HTML (one file each)."""
    notebooks = sorted(NOTEBOOK_DIR.glob("*.py"))
    if only:
        wanted = {Path(name).stem for name in split_list(only)}
        notebooks = [path for path in notebooks if path.stem in wanted]
        if len(notebooks) != len(wanted):
            msg = f"unknown notebooks in --only {only!r}; see {NOTEBOOK_DIR}"
            raise ConfigError(msg)
    for path in export(notebooks, out, root=resolve_root(data_root), minutes=minutes):
        typer.echo(str(path.resolve()))


def register(app: typer.Typer) -> None:
    """Add ``rlx notebooks ...`` to the app."""
    app.add_typer(notebooks_app, name="notebooks")
