"""``rlx notebooks export``: each marimo notebook run and saved as static HTML."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from rlx_lib.errors import ConfigError, StageError
from workbench.options import DataRootOption, above, refuse_given, split_list

__all__ = ["NOTEBOOK_DIR", "export", "register"]

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"

notebooks_app = typer.Typer(help="Work with the notebooks (notebooks/*.py, *.ipynb).")


def export(notebooks: list[Path], out: Path, *, minutes: float | None = None) -> list[Path]:
    """Run each marimo notebook with ``marimo export html``; return the HTML paths.

    Each notebook runs in a scratch folder of its own, which is its data root
    (``RLX_DATA_ROOT``), report folder (``RLX_OUT``) and working directory, and which is
    removed afterwards: the user's data is never read or written. A failing cell's error goes
    to standard error, prefixed with the notebook's name; then :class:`StageError` names every
    failing notebook (its HTML is written anyway). The pages load marimo's frontend from its
    CDN when opened; for offline reports use ``rlx report``.
    """
    out.mkdir(parents=True, exist_ok=True)
    marimo = str(Path(sys.executable).with_name("marimo"))
    written, failed = [], []
    for notebook in notebooks:
        target = (out / f"{notebook.stem}.html").resolve()
        command = [marimo, "-y", "export", "html", str(notebook.resolve()), "-o", str(target)]
        with tempfile.TemporaryDirectory(prefix=f"rlx-notebook-{notebook.stem}-") as scratch:
            environment = {
                **os.environ,
                "RLX_DATA_ROOT": str(Path(scratch) / "data"),
                "RLX_OUT": str(Path(scratch) / "reports" / "demo"),
            }
            if minutes is not None:
                environment["RLX_MINUTES"] = str(minutes)
            result = subprocess.run(
                [*command, "-f"], cwd=scratch, env=environment, capture_output=True, text=True,
                check=False,
            )  # fmt: skip
        if result.returncode != 0:
            failed.append(notebook.name)
            for line in _errors(result.stderr):
                print(f"{notebook.name}: {line}", file=sys.stderr)
        written.append(target)
    if failed:
        msg = "notebooks with failing cells (HTML written anyway): " + ", ".join(failed)
        raise StageError(msg)
    return written


def _errors(stderr: str) -> list[str]:
    """marimo's error lines, without its closing summary."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    kept = [line for line in lines if not line.startswith("Error: Export was successful")]
    return kept or lines or ["failed with no message"]


@notebooks_app.command("export")
def export_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Folder of the HTML files.")] = Path(
        "reports/notebooks"
    ),
    only: Annotated[
        str, typer.Option("--only", help="Notebook names, comma-separated (default: all).")
    ] = "",
    minutes: Annotated[
        float | None, above(0, "Minutes of synthetic market for notebooks that make one.")
    ] = None,
    data_root: DataRootOption = None,
) -> None:
    """Run every marimo notebook headless and write its static HTML (one file each).

    Each notebook runs on a scratch data root of its own, made and removed here, so your data
    root is never read or written (--data-root is refused). Failing cells go to stderr.
    """
    refuse_given(ctx, ["data_root"], because="here: each notebook runs on a scratch data root")
    notebooks = sorted(NOTEBOOK_DIR.glob("*.py"))
    if only:
        wanted = {Path(name).stem for name in split_list(only)}
        notebooks = [path for path in notebooks if path.stem in wanted]
        if len(notebooks) != len(wanted):
            msg = f"unknown notebooks in --only {only!r}; see {NOTEBOOK_DIR}"
            raise ConfigError(msg)
    del data_root  # accepted like every command's; the notebooks never see it
    for path in export(notebooks, out, minutes=minutes):
        typer.echo(str(path.resolve()))


def register(app: typer.Typer) -> None:
    """Add ``rlx notebooks ...`` to the app."""
    app.add_typer(notebooks_app, name="notebooks")
