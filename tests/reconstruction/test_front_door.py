"""The stage's front door: ``reconstruct(root, *, ...)`` returning a typed, showable result."""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
from pathlib import Path

import polars as pl
import pytest

import rlx_lib.reconstruction as stage
from rlx_lib.errors import ConfigError
from rlx_lib.reconstruction import DayResult, ReconstructResult, reconstruct
from rlx_lib.results import Progress, StageResult

DAY = dt.date(2024, 8, 8)


def test_all_lists_the_verb_its_result_and_the_book() -> None:
    assert {"reconstruct", "ReconstructResult", "DayResult", "L2Book", "TopLevels"} <= set(
        stage.__all__
    )
    assert all(hasattr(stage, name) for name in stage.__all__)


def test_signature_is_root_then_keywords_only() -> None:
    parameters = list(inspect.signature(reconstruct).parameters.values())
    assert parameters[0].name == "root"
    assert parameters[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters[1:])
    names = [p.name for p in parameters]
    assert names[1:5] == ["source", "symbols", "start", "end"]
    assert names[-1] == "progress"
    assert inspect.signature(reconstruct).parameters["progress"].default is None


def test_rows_are_frozen_and_the_result_shows_as_a_table(tmp_path: Path, market_factory) -> None:
    market_factory(tmp_path, days=1, messages=80)
    steps: list[Progress] = []
    result = reconstruct(
        tmp_path,
        source="lake",
        symbols=["BTC-USDT", "ETH-USDT"],  # ETH has no input: a failed row, not an exception
        start=DAY,
        end=DAY + dt.timedelta(days=1),
        progress=steps.append,
    )
    assert isinstance(result, ReconstructResult)
    assert isinstance(result, StageResult)
    done, failed = result.rows
    assert isinstance(done, DayResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        done.status = "failed"  # type: ignore[misc]
    assert (done.symbol, done.day, done.status, done.seeded_from) == (
        "BTC-USDT",
        DAY,
        "done",
        "snapshot",
    )
    assert done.events > done.book_rows == done.messages > 0
    assert (failed.status, failed.source) == ("failed", "lake")
    assert "no lake input" in failed.error
    assert not result.ok
    assert result.failed == [failed]
    frame = result.to_frame()
    assert isinstance(frame, pl.DataFrame)
    assert frame["status"].to_list() == ["done", "failed"]
    assert frame["events"].to_list() == [done.events, 0]
    html = result._repr_html_()
    assert "<table>" in html
    assert "1 failed" in html
    assert [step.stage for step in steps] == ["reconstruct", "reconstruct"]
    assert sorted(step.text for step in steps) == sorted(row.summary() for row in result.rows)


def test_bad_options_are_one_line_config_errors(tmp_path: Path) -> None:
    window = {"symbols": ["BTC-USDT"], "start": DAY, "end": DAY + dt.timedelta(days=1)}
    with pytest.raises(ConfigError, match="source must be one of"):
        reconstruct(tmp_path, source="vendor", **window)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="--book-every"):
        reconstruct(tmp_path, source="lake", book_every="2s", **window)
    with pytest.raises(ConfigError, match=r"end .* must be after start"):
        reconstruct(tmp_path, source="lake", symbols=["BTC-USDT"], start=DAY, end=DAY)
