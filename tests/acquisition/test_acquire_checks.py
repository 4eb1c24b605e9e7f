"""Integrity checks on a loaded unit: broken contracts raise, questionable data is issue rows."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlx_lib import schemas
from rlx_lib.acquisition.checks import check_unit
from rlx_lib.errors import NoDataError, SchemaError

DAY = dt.date(2024, 8, 8)


def run(table, frame):
    return check_unit(table, frame, symbol="BTC-USDT", source=f"lake/{table}")


def checks_of(issues: pl.DataFrame) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for check, position in issues.select("check", "position").iter_rows():
        found.setdefault(check, []).append(position)
    return found


@pytest.mark.parametrize("table", ["trades", "book", "book_delta_v2"])
def test_clean_vendor_day_has_no_issues(make_vendor, table):
    frame = make_vendor(table, DAY, rows=400)
    exact, issues = run(table, frame)
    schemas.check_schema(exact, schemas.LAKE_TABLES[table], name=table)
    schemas.check_schema(issues, schemas.ISSUE, name="issues")
    assert exact.height == frame.height
    assert issues.height == 0


def _faulty_deltas(frame: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, int]]:
    """``frame`` with one of each delta fault, and the row where each sits."""
    seq = frame["sequence_number"]
    # Rows 0..2 are a REST snapshot block (epoch-0 origin_time) before the first message.
    first_message = frame.filter(pl.col("sequence_number") == seq[0]).height
    snapshot = pl.DataFrame(
        {
            "origin_time": pl.Series([0, 0, 0]).cast(schemas.TIME),
            "received_time": pl.Series([frame["received_time"][0]] * 3).cast(schemas.TIME),
            "sequence_number": [seq[0] - 1] * 3,
            "side_is_bid": [True, True, False],
            "price": [63000.0, 62999.5, 64001.0],
            "size": [1.0, 2.0, 3.0],
        }
    )
    faulty = pl.concat([snapshot, frame])
    n = faulty.height
    rows = {"off_grid": 3 + first_message, "artefact": n - 40}
    faulty = faulty.with_columns(
        pl.when(pl.int_range(n) == rows["off_grid"])
        .then(pl.lit(64000.123456789))
        .otherwise(pl.col("price"))
        .alias("price"),
        pl.when(pl.int_range(n) == rows["artefact"])
        .then(pl.col("origin_time") + pl.duration(microseconds=300))
        .otherwise(pl.col("origin_time"))
        .alias("origin_time"),
    )
    faulty = pl.concat([faulty, faulty.tail(1)])  # an exact duplicate of the last row
    rows["duplicate"] = faulty.height - 1
    # A decreasing sequence number in the middle.
    rows["middle"] = faulty.height // 2
    faulty = faulty.with_columns(
        pl.when(pl.int_range(faulty.height) == rows["middle"])
        .then(pl.lit(1))
        .otherwise(pl.col("sequence_number"))
        .alias("sequence_number")
    )
    return faulty, rows


def test_each_delta_fault_is_one_issue_row(make_vendor):
    faulty, rows = _faulty_deltas(make_vendor("book_delta_v2", DAY, rows=200))
    off_grid_row, artefact_row, dup_row, middle = (
        rows["off_grid"],
        rows["artefact"],
        rows["duplicate"],
        rows["middle"],
    )
    exact, issues = run("book_delta_v2", faulty)
    found = checks_of(issues)

    assert found["snapshot_rows"] == [0]
    assert "3 REST-snapshot rows" in issues.filter(check="snapshot_rows")["detail"][0]
    assert found["off_grid"] == [off_grid_row]
    assert exact["price"][off_grid_row] == pl.Series([64000.12345679]).cast(schemas.DECIMAL)[0]
    assert artefact_row in found["origin_time_artefact"]
    assert found["duplicate_row"] == [dup_row]
    assert found["sequence_decreasing"] == [middle]
    # The artefact row splits its message's clocks; the forced sequence 1 splits nothing.
    assert set(found["message_clocks"]) <= {artefact_row, artefact_row + 1}
    assert set(found) == {
        "snapshot_rows",
        "off_grid",
        "origin_time_artefact",
        "duplicate_row",
        "sequence_decreasing",
        "message_clocks",
    }
    assert (issues["stage"] == "acquisition").all()
    assert issues.filter(check="sequence_decreasing")["severity"][0] == "error"


def test_crossed_book_rows_are_flagged(make_vendor):
    frame = make_vendor("book", DAY, rows=50)
    crossed = frame.with_columns(
        pl.when(pl.int_range(frame.height).is_in([7, 8]))
        .then(pl.col("ask_0_price") + 1)
        .otherwise(pl.col("bid_0_price"))
        .alias("bid_0_price")
    )
    _, issues = run("book", crossed)
    assert checks_of(issues) == {"crossed_book": [7, 8]}
    assert issues["update_id"].to_list() == crossed["sequence_number"][7:9].to_list()


def test_trade_id_reused_on_different_rows(make_vendor):
    frame = make_vendor("trades", DAY, rows=30)
    clash = frame.with_columns(
        pl.when(pl.int_range(frame.height) == 20)
        .then(pl.col("trade_id").first())
        .otherwise(pl.col("trade_id"))
        .alias("trade_id")
    )
    _, issues = run("trades", clash)
    assert checks_of(issues) == {"duplicate_trade_id": [20]}


@pytest.mark.parametrize("change", ["drop", "add", "retype"])
def test_schema_drift_raises(make_vendor, change):
    frame = make_vendor("trades", DAY, rows=10)
    if change == "drop":
        frame = frame.drop("side")
    elif change == "add":
        frame = frame.with_columns(pl.lit("x").alias("type"))
    else:
        frame = frame.with_columns(pl.col("trade_id").cast(pl.String) + "x")
    with pytest.raises(SchemaError, match="lake/trades"):
        run("trades", frame)


def test_empty_day_raises(make_vendor):
    with pytest.raises(NoDataError, match="no rows"):
        run("trades", make_vendor("trades", DAY).head(0))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=60))
def test_sequence_decreases_are_counted_exactly(steps):
    sequence = np.array(steps, dtype=np.int64)
    n = len(sequence)
    ms = 1_723_075_200_000 + np.arange(n) * 100
    frame = pl.DataFrame(
        {
            "origin_time": pl.Series(ms * 1_000_000).cast(schemas.TIME),
            "received_time": pl.Series(ms * 1_000_000 + 5).cast(schemas.TIME),
            "sequence_number": sequence,
            "side_is_bid": np.arange(n) % 2 == 0,
            "price": 100.0 + np.arange(n),
            "size": np.ones(n),
        }
    )
    _, issues = run("book_delta_v2", frame)
    expected = [i for i in range(1, n) if sequence[i] < sequence[i - 1]]
    same_message = [i for i in range(1, n) if sequence[i] == sequence[i - 1]]
    found = checks_of(issues)
    assert found.get("sequence_decreasing", []) == expected
    # Each row has its own clocks, so every repeated sequence number splits clocks.
    assert found.get("message_clocks", []) == same_message
