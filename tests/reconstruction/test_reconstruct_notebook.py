"""The 40_reconstruct marimo notebook runs headless on a short synthetic session."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "40_reconstruct.py"


def test_reconstruct_notebook_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RLX_MINUTES", "0.25")
    monkeypatch.chdir(tmp_path)
    spec = importlib.util.spec_from_file_location("notebook_40_reconstruct", NOTEBOOK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _, defs = module.app.run()
    statuses = [row.status for row in [*defs["from_lake"].rows, *defs["from_golden"].rows]]
    assert statuses == ["done", "done"]
    assert defs["series"].height > 0
    assert set(defs["ladder"]["side"].to_list()) == {"bid", "ask"}
