"""What acquisition left behind: one row per acquired unit and its issue rows."""

from __future__ import annotations

import datetime as dt

from rlx_lib.acquisition import acquire, acquired_units, acquisition_issues
from rlx_lib.schemas import ISSUE

DAY = dt.date(2024, 8, 8)


def test_an_empty_root_has_no_units_and_no_issues(data_root):
    assert acquired_units(data_root).height == 0
    assert acquired_units(data_root).columns[:3] == ["table", "symbol", "dt"]
    assert acquisition_issues(data_root).schema == ISSUE


def test_units_and_issues_match_what_acquire_returned(data_root, lake, source, make_vendor):
    for table in ("trades", "book_delta_v2"):
        frame = make_vendor(table, DAY, rows=60, seed=4)
        if table == "trades":
            frame = frame.vstack(frame.tail(3))  # three duplicate rows: three issue rows
        lake.put_frame(table, frame, symbol="ETH-USDT", day=DAY)
    result = acquire(
        data_root,
        tables=["trades", "book_delta_v2"],
        symbols=["ETH-USDT"],
        start=DAY,
        end="2024-08-09",
        endpoint_url=source.endpoint_url,
        bucket=source.bucket,
    )
    results = {r.unit.table: r for r in result.rows}

    listed = acquired_units(data_root)
    issues = acquisition_issues(data_root)

    assert sorted(listed["table"]) == ["book_delta_v2", "trades"]
    for row in listed.iter_rows(named=True):
        result = results[row["table"]]
        assert row["symbol"] == "ETH-USDT"
        assert row["dt"] == DAY.isoformat()
        assert row["rows"] == result.rows
        assert len(row["sha256"]) == 16
        assert f"/{row['table']}/" in row["key"]
        assert "ETH-USDT" in row["key"]
        assert row["first"] <= row["last"]
    assert issues.height == sum(r.issue_rows for r in results.values()) >= 3
    assert set(issues["stage"]) == {"acquisition"}
