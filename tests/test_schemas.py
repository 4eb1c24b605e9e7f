"""The data contract: every dataset is defined once, with exact decimals and two clocks."""

from __future__ import annotations

import polars as pl
import pytest

from rlx_lib import schemas
from rlx_lib.errors import SchemaError


@pytest.mark.parametrize("name", sorted(schemas.SCHEMAS))
def test_market_datasets_use_exact_decimals_and_utc_ns_clocks(name: str) -> None:
    schema = schemas.SCHEMAS[name]
    for column, kind in schema.items():
        if column.endswith(("price", "size", "quantity")):
            assert kind == pl.Decimal(18, 8), column
        if column.endswith("_time"):
            assert kind == pl.Datetime("ns", "UTC"), column
    if name.startswith(("lake/", "events", "trades", "book")):
        assert {"origin_time", "received_time"} <= set(schema)


def test_lake_book_has_85_columns_after_partition_keys_like_lakeapi() -> None:
    assert len(schemas.LAKE_BOOK) + 2 == 85  # lakeapi adds exchange and symbol


def test_book_state_schema_orders_levels_like_lake() -> None:
    columns = list(schemas.book_state_schema(2))
    assert columns == [
        "source",
        "origin_time",
        "received_time",
        "update_id",
        "bid_0_price",
        "bid_0_size",
        "bid_1_price",
        "bid_1_size",
        "ask_0_price",
        "ask_0_size",
        "ask_1_price",
        "ask_1_size",
    ]


def test_check_schema_names_missing_extra_and_wrong_columns() -> None:
    frame = pl.DataFrame({"capture_ns": ["x"], "extra": [1]})
    with pytest.raises(SchemaError) as error:
        schemas.check_schema(frame, schemas.GOLDEN_RECORD, name="golden")
    text = str(error.value)
    assert "missing columns ['stream', 'data']" in text
    assert "unexpected columns ['extra']" in text
    assert "capture_ns: expected Int64, received String" in text


def test_check_schema_accepts_an_empty_frame_of_the_schema() -> None:
    schemas.check_schema(pl.DataFrame(schema=schemas.ISSUE), schemas.ISSUE, name="issues")


def test_issue_frame_fills_constants_and_nulls_in_issue_order() -> None:
    found = pl.DataFrame(
        {
            "detail": ["a", "b"],
            "position": [3, 7],
            "check": ["off_grid"] * 2,
            "severity": ["warning"] * 2,
        }
    )
    issues = schemas.issue_frame(found, stage="acquisition", symbol="BTC-USDT", source="lake/x")
    schemas.check_schema(issues, schemas.ISSUE, name="issues")
    assert issues["position"].to_list() == [3, 7]
    assert issues["stage"].to_list() == ["acquisition"] * 2
    assert issues["update_id"].null_count() == 2
    assert schemas.issue_frame(found.clear(), stage="acquisition").height == 0
    with pytest.raises(SchemaError, match="sequence"):
        schemas.issue_frame(found, sequence=1)
