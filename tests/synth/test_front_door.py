"""The synth front door: ``synthesize`` and ``vendor_from_golden`` take the data root first and
keywords only, and return a :class:`SynthResult` with one row per symbol."""

from __future__ import annotations

import datetime as dt
import inspect
from pathlib import Path

import pytest

import rlx_lib.synth as synth
from rlx_lib.errors import ConfigError
from rlx_lib.results import Progress
from rlx_lib.synth import SynthResult, VendorFaults, synthesize, vendor_from_golden


@pytest.mark.parametrize("verb", [synthesize, vendor_from_golden])
def test_root_first_then_keywords_only(verb) -> None:
    first, *others = inspect.signature(verb).parameters.values()
    assert first.name == "root"
    assert first.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert others
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in others)
    assert "progress" in {p.name for p in others}
    assert inspect.signature(verb).return_annotation in (SynthResult, "SynthResult")


def test_front_door_exports_only_what_callers_need() -> None:
    assert {"synthesize", "vendor_from_golden", "SynthResult"} <= set(synth.__all__)
    assert "SynthConfig" not in synth.__all__
    assert all(hasattr(synth, name) for name in synth.__all__)


@pytest.fixture(name="session", scope="module")
def fixture_session(tmp_path_factory: pytest.TempPathFactory) -> tuple[SynthResult, list]:
    root = tmp_path_factory.mktemp("front")
    heard: list[Progress] = []
    result = synthesize(
        root,
        symbols=["btcusdt", "ETH-USDT"],
        minutes=0.05,
        seed=5,
        start=dt.date(2024, 8, 9),
        chunk_seconds=1.5,
        progress=heard.append,
    )
    return result, heard


def test_rows_per_symbol_and_views_on_disk(session) -> None:
    result, _ = session
    assert result.ok
    assert [row.symbol for row in result.rows] == ["BTC-USDT", "ETH-USDT"]
    for row in result.rows:
        assert row.status == "written"
        assert row.level_changes > 0
        assert row.messages > 0
        assert row.vendor_rows == sum(
            _rows(path) for path in row.lake_files if path.parent.name == "dt=2024-08-09"
        )
        assert len(row.lake_files) == 3
        assert all(path.exists() and row.symbol in str(path) for path in row.golden_files)
    assert sum(result.table_rows.values()) == sum(row.vendor_rows for row in result.rows)
    assert (result.root / "golden" / "_injected.json").exists()
    assert set(result.injected) == {"golden", "lake"}


def _rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.read_metadata(path).num_rows


def test_progress_counts_simulated_minutes(session) -> None:
    _, heard = session
    assert {step.stage for step in heard} == {"synthesize"}
    assert heard[0].unit == "BTC-USDT"
    assert len(heard) >= 4  # several 1.5 s windows per symbol
    done = [step.done for step in heard]
    assert done == sorted(done)
    assert done[-1] == pytest.approx(0.1)
    assert heard[-1].share == pytest.approx(1.0)


def test_table_and_html(session) -> None:
    result, _ = session
    frame = result.to_frame()
    assert frame.height == 2
    assert {"symbol", "status", "messages", "level_changes", "vendor_rows"} <= set(frame.columns)
    page = result._repr_html_()
    assert "SynthResult" in page
    assert "ETH-USDT" in page


def test_vendor_from_golden_has_the_same_shape(session, tmp_path: Path) -> None:
    result, _ = session
    heard: list[Progress] = []
    vendor = vendor_from_golden(
        tmp_path,
        golden=[result.root / "golden"],
        vendor_faults=VendorFaults(drop_rate=0.05),
        seed=2,
        progress=heard.append,
    )
    assert isinstance(vendor, SynthResult)
    assert vendor.ok
    assert {row.symbol for row in vendor.rows} == {"BTC-USDT", "ETH-USDT"}
    assert all(row.vendor_rows > 0 and row.level_changes is None for row in vendor.rows)
    assert vendor.injected["lake"]["dropped_messages"]
    assert len(heard) == len(result.golden_files)
    assert vendor.to_frame().height == 2


def test_bad_arguments_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="views"):
        synthesize(tmp_path, views=["book"])
    with pytest.raises(ConfigError, match="regime"):
        synthesize(tmp_path, regime="sideways")
    with pytest.raises(ConfigError, match="naive"):
        synthesize(tmp_path, start=dt.datetime(2024, 8, 8))
    assert not any(tmp_path.iterdir())
