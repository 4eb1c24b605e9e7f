"""The acquisition front door: ``acquire(root, *, ...)`` returns an :class:`AcquireResult` with
one row per unit, a table and an HTML view; the package exports nothing internal."""

from __future__ import annotations

import datetime as dt
import inspect
from pathlib import Path

import polars as pl
import pytest

import rlx_lib.acquisition as acquisition
from rlx_lib.acquisition import AcquireResult, acquire
from rlx_lib.errors import NoDataError
from rlx_lib.results import Progress

DAY = dt.date(2024, 8, 8)
NEXT = dt.date(2024, 8, 9)


def test_root_first_then_keywords_only() -> None:
    first, *others = inspect.signature(acquire).parameters.values()
    assert first.name == "root"
    assert first.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in others)
    names = [p.name for p in others]
    assert names[:3] == ["symbols", "start", "end"]
    assert {"tables", "exchange", "endpoint_url", "progress"} <= set(names)


def test_front_door_exports_only_what_callers_need() -> None:
    assert {"acquire", "AcquireResult"} <= set(acquisition.__all__)
    for internal in ("LocalLake", "object_key", "load_day", "acquire_unit", "plan_units"):
        assert internal not in acquisition.__all__
        assert not hasattr(acquisition, internal)


def test_acquire_reports_each_unit(data_root, lake, make_vendor) -> None:
    trades = make_vendor("trades", DAY, rows=40)
    lake.put_frame("trades", trades.vstack(trades.tail(1)), symbol="ETH-USDT", day=DAY)
    where = {"endpoint_url": lake.endpoint_url, "bucket": lake.bucket_path}
    heard: list[Progress] = []

    result = acquire(
        data_root,
        symbols=["ETH-USDT"],
        start=DAY,
        end=NEXT + dt.timedelta(days=1),
        tables=["trades"],
        progress=heard.append,
        **where,
    )

    assert isinstance(result, AcquireResult)
    written, missing = result.rows
    assert (written.status, written.rows, written.issue_rows) == ("written", 41, 1)
    assert written.path.exists()
    assert missing.status == "failed"
    assert isinstance(missing.error, NoDataError)
    assert not result.ok
    assert result.failed == [missing]
    with pytest.raises(NoDataError, match="1 unit"):
        result.raise_for_failures()
    assert [(p.stage, p.done, p.total) for p in heard] == [("acquire", 1, 2), ("acquire", 2, 2)]

    frame = result.to_frame()
    assert frame.columns[:5] == ["table", "exchange", "symbol", "day", "status"]
    assert frame["day"].to_list() == [DAY, NEXT]
    assert frame["issue_rows"].to_list() == [1, 0]
    assert frame.schema["path"] == pl.String
    assert frame["error"][0] is None
    assert "no data" in frame["error"][1]
    page = result._repr_html_()
    assert "AcquireResult" in page
    assert "1 failed" in page

    again = acquire(
        data_root, symbols=["ETH-USDT"], start=DAY, end=NEXT, tables=["trades"], **where
    )
    assert [row.status for row in again.rows] == ["skipped"]
    assert again.ok


def test_empty_result_has_the_table_columns() -> None:
    frame = AcquireResult().to_frame()
    assert frame.height == 0
    assert frame.schema["rows"] == pl.Int64
    assert AcquireResult().ok


def test_acquisition_never_imports_the_local_stand_ins() -> None:
    folder = Path(acquisition.__file__).parent
    text = "\n".join(path.read_text(encoding="utf-8") for path in folder.glob("*.py"))
    assert "rlx_lib.local" not in text
