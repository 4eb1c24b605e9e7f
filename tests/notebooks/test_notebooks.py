"""Every notebook is a test: marimo notebooks run headless, Jupyter ones under nbval.

Parameters reach notebooks through ``RLX_*`` environment variables (see
``workbench.notebook.params``); the demo and synth notebooks get tiny ones here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
MARIMO = sorted(NOTEBOOKS.glob("*.py"))
JUPYTER = sorted(NOTEBOOKS.glob("*.ipynb"))
SMALL = {
    "00_demo": {"RLX_MINUTES": "0.1"},
    "05_synth": {"RLX_MINUTES": "0.1"},
    "60_regimes": {"RLX_MINUTES": "0.1"},
}
"""Tiny parameters for notebooks whose defaults are sized for people; the other stages' notebooks
run with their own defaults, which their authors size for CI."""


def _environment(notebook: Path, tmp_path: Path) -> dict[str, str]:
    """Small parameters, a private data root and report folder."""
    return {
        **os.environ,
        **SMALL.get(notebook.stem, {}),
        "RLX_DATA_ROOT": str(tmp_path / "data"),
        "RLX_OUT": str(tmp_path / "reports" / "demo"),
        "MPLBACKEND": "Agg",
    }


def _run(command: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def test_notebooks_exist() -> None:
    names = {path.name for path in MARIMO + JUPYTER}
    assert {
        "00_demo.py",
        "00_demo.ipynb",
        "05_synth.py",
        "05_synth.ipynb",
        "60_regimes.py",
    } <= names


@pytest.mark.parametrize("notebook", MARIMO, ids=lambda path: path.name)
def test_marimo_notebook_runs_headless(notebook: Path, tmp_path: Path) -> None:
    result = _run(
        [sys.executable, str(notebook)], cwd=tmp_path, env=_environment(notebook, tmp_path)
    )
    assert result.returncode == 0, f"{notebook.name} failed:\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("notebook", JUPYTER, ids=lambda path: path.name)
def test_jupyter_notebook_runs_under_nbval(notebook: Path, tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
        "--nbval-lax",
        "--nbval-current-env",
        str(notebook),
    ]
    result = _run(command, cwd=tmp_path, env=_environment(notebook, tmp_path))
    assert result.returncode == 0, f"{notebook.name} failed:\n{result.stdout}\n{result.stderr}"


def test_marimo_check_is_clean() -> None:
    marimo = Path(sys.executable).with_name("marimo")
    result = _run([str(marimo), "check", *map(str, MARIMO)], cwd=REPO, env=dict(os.environ))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("notebook", JUPYTER, ids=lambda path: path.name)
def test_jupyter_notebook_committed_without_outputs(notebook: Path) -> None:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    dirty = [
        index
        for index, cell in enumerate(cells)
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert dirty == [], f"{notebook.name}: cells {dirty} hold outputs; clear them before committing"


def test_marimo_notebooks_never_call_cli_args_directly() -> None:
    offenders = [path.name for path in MARIMO if "cli_args(" in path.read_text(encoding="utf-8")]
    assert offenders == [], "use workbench.notebook.params, which works under pytest too"
