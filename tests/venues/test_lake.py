"""Crypto Lake formats: raw vs loaded names, exact ingest of floats, schema drift."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from rlx_lib import schemas
from rlx_lib.errors import SchemaError
from rlx_lib.venues import lake


def _raw_deltas() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "timestamp": lake.epoch_ns_from_ms_via_float(np.array([1723161254033, 0])),
            "receipt_timestamp": [1723161254100000000, 1723161254100000000],
            "sequence_number": [50093239218, 50093239218],
            "side_is_bid": [True, False],
            "price": [61234.56, 61234.57],
            "size": [0.5, 0.0],
        }
    )


def test_float_time_artefact_is_reproduced_and_recoverable() -> None:
    ns = lake.epoch_ns_from_ms_via_float(np.array([1723161254033]))
    assert ns[0] != 1723161254033 * 10**6
    assert round(ns[0] / 1e6) == 1723161254033


def test_normalize_raw_file_gives_exact_contract() -> None:
    exact, off_grid = lake.normalize_loaded("book_delta_v2", _raw_deltas())
    schemas.check_schema(exact, schemas.LAKE_BOOK_DELTA_V2, name="book_delta_v2")
    assert exact["price"].cast(pl.String).to_list() == ["61234.56000000", "61234.57000000"]
    assert off_grid.is_empty()


def test_normalize_lists_off_grid_values_instead_of_rounding_silently() -> None:
    raw = _raw_deltas().with_columns(pl.Series("price", [61234.56, 61234.565432101]))
    exact, off_grid = lake.normalize_loaded("book_delta_v2", raw)
    assert off_grid.to_dicts() == [{"row": 1, "column": "price", "value": 61234.565432101}]
    assert exact["price"][1] is not None


@pytest.mark.parametrize("change", ["drop", "add"])
def test_schema_drift_is_a_clear_error(change: str) -> None:
    raw = _raw_deltas()
    raw = raw.drop("size") if change == "drop" else raw.with_columns(pl.lit(1).alias("flags"))
    with pytest.raises(SchemaError, match="schema drifted"):
        lake.normalize_loaded("book_delta_v2", raw)


def test_trades_round_trip_raw_and_loaded_names() -> None:
    loaded = pl.DataFrame(
        {
            "origin_time": pl.Series([1, 2]).cast(schemas.TIME),
            "received_time": pl.Series([3, 4]).cast(schemas.TIME),
            "side": ["buy", "sell"],
            "quantity": [0.001, 2.5],
            "price": [60000.0, 60000.01],
            "trade_id": [10, 11],
        }
    )
    raw = lake.to_raw("trades", loaded)
    assert (
        raw.columns
        == lake.raw_columns("trades")
        == ["timestamp", "receipt_timestamp", "side", "amount", "price", "id"]
    )
    assert raw["timestamp"].dtype == pl.Int64
    exact, _ = lake.normalize_loaded("trades", raw)
    schemas.check_schema(exact, schemas.LAKE_TRADES, name="trades")
    assert exact["quantity"].cast(pl.String).to_list() == ["0.00100000", "2.50000000"]


def test_book_nan_levels_become_nulls() -> None:
    columns = {"timestamp": [1], "receipt_timestamp": [2], "sequence_number": [3]}
    for name in schemas.book_levels_schema(20):
        columns[name] = [float("nan") if "_19_" in name else 1.0]
    exact, off_grid = lake.normalize_loaded("book", pl.DataFrame(columns))
    assert exact["bid_19_price"].null_count() == 1
    assert exact["bid_0_price"].null_count() == 0
    assert off_grid.is_empty()
