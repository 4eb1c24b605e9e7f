"""The validation notebooks run headless on a short synthetic session."""

from __future__ import annotations

import runpy
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@pytest.fixture(name="short_session")
def fixture_short_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RLX_MINUTES", "0.2")
    monkeypatch.setenv("RLX_RESAMPLES", "99")


@pytest.mark.usefixtures("short_session")
def test_marimo_notebook_runs_and_compares_regimes() -> None:
    module = runpy.run_path(str(NOTEBOOKS / "30_validate.py"))
    _, defs = module["app"].run()
    assert set(defs["reports"]) == {"high", "low", "weekend"}
    assert all(r.gaps == 0 for r in defs["reports"].values())
    tests = defs["tests"]
    assert tests.height == 3 * 2 * 3
    assert tests["p_value"].is_between(0, 1).all()
    assert tests["effect_size"].is_not_null().all()


def test_jupyter_notebook_is_committed_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOKS / "30_validate.ipynb", as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    assert any("compare_regimes(" in cell.source for cell in code)
