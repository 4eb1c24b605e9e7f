"""The validation stage's front door: ``validate(root, *, ...)`` and its typed result."""

from __future__ import annotations

import dataclasses
import inspect
import json
from pathlib import Path

import pytest

import rlx_lib.validation as validation
from rlx_lib.errors import ConfigError
from rlx_lib.golden import golden_files
from rlx_lib.results import Progress, StageResult
from rlx_lib.validation import SymbolValidation, ValidationResult, validate


def test_signature_is_root_first_then_keyword_only() -> None:
    assert {"validate", "ValidationResult"} <= set(validation.__all__)
    parameters = list(inspect.signature(validate).parameters.values())
    assert parameters[0].name == "root"
    assert parameters[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters[1:])
    assert "progress" in {p.name for p in parameters}
    assert issubclass(ValidationResult, StageResult)
    assert dataclasses.fields(SymbolValidation)  # rows are dataclasses with named fields


def test_validate_the_real_capture_rows_frame_html_and_progress(
    real_golden: Path, tmp_path: Path
) -> None:
    steps: list[Progress] = []
    out = tmp_path / "report"
    result = validate(real_golden, out=out, resume=False, progress=steps.append)

    assert result.path == out / "validation.json"
    saved = json.loads(result.path.read_text())
    assert [row.symbol for row in result.rows] == list(saved["symbols"]) == ["BTCUSDT"]
    (row,) = result.rows
    btc = saved["symbols"]["BTCUSDT"]
    assert (row.source, row.messages, row.gaps) == ("golden", btc["depth_messages"], 0)
    assert row.book_ticker_agreement == btc["book_ticker_agreement"]
    assert row.detail.startswith(f"BTCUSDT: {btc['depth_messages']} depth msgs, 0 depth gaps")
    assert result.report.symbols["BTCUSDT"] == btc
    assert result.ok
    assert not result.failed

    frame = result.to_frame()
    assert frame.height == 1
    assert frame.row(0, named=True)["messages"] == btc["depth_messages"]
    assert "<table>" in result._repr_html_()
    assert "BTCUSDT" in result._repr_html_()

    files = golden_files([real_golden / "golden"])
    total = sum(path.stat().st_size for path in files)
    assert [step.unit for step in steps] == [path.name for path in files]
    assert [step.done for step in steps][-1] == total
    assert all(step.total == total and step.stage == "validate" for step in steps)
    assert [step.done for step in steps] == sorted(step.done for step in steps)


def test_lake_checks_need_symbols_and_days(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="symbols"):
        validate(tmp_path, lake=True, start="2024-08-08", end="2024-08-09")
    with pytest.raises(ConfigError, match="start and an end"):
        validate(tmp_path, lake=True, symbols=["BTC-USDT"])
    with pytest.raises(ConfigError, match="no golden data"):
        validate(tmp_path)
