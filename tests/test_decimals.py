"""Exact decimal handling: strings and floats to int64 units and Arrow decimals."""

from __future__ import annotations

import decimal

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rlx_lib.decimals import (
    MAX_UNITS,
    decimal_to_units,
    float_to_units,
    format_units,
    parse_units,
    units_to_decimal,
)
from rlx_lib.errors import DataRangeError, ParseError

units_strategy = st.integers(min_value=0, max_value=MAX_UNITS)


@given(units_strategy)
def test_parse_units_round_trips_formatted_units(units: int) -> None:
    assert parse_units(format_units(units)) == units


@given(units_strategy)
def test_parse_units_equals_decimal_arithmetic(units: int) -> None:
    text = format_units(units).rstrip("0").rstrip(".") or "0"
    assert parse_units(text) == int(decimal.Decimal(text) * 10**8)


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("0.00000001", 1),
        ("64000.12000000", 6_400_012_000_000),
        ("1", 10**8),
        ("1.5", 150_000_000),
        ("0.1000000000", 10_000_000),
    ],
)
def test_parse_units_known_values(text: str, units: int) -> None:
    assert parse_units(text) == units


@pytest.mark.parametrize("text", ["", "1e5", "-1", "1.2.3", " 1", "abc", "1.", ".5", "0x10"])
def test_parse_units_rejects_non_decimals_naming_the_field(text: str) -> None:
    if text == "1.":  # a trailing dot is a plain integer with an empty fraction
        assert parse_units(text) == 10**8
        return
    with pytest.raises(ParseError, match="price"):
        parse_units(text, field="price")


def test_parse_units_rejects_ninth_decimal() -> None:
    with pytest.raises(ParseError, match="more than 8 decimals"):
        parse_units("0.000000001")


def test_parse_units_rejects_out_of_range() -> None:
    with pytest.raises(DataRangeError):
        parse_units("10000000000")


def test_float_to_units_flags_off_grid_only() -> None:
    values = np.array([64000.12, 0.00012345, 64000.123456789, 1e-9, np.nan])
    units, off_grid = float_to_units(values)
    assert units[:2].tolist() == [6_400_012_000_000, 12_345]
    assert off_grid.tolist() == [False, False, True, True, False]


@given(st.lists(units_strategy, max_size=50), st.data())
def test_units_to_decimal_round_trip_with_nulls(values: list[int], data: st.DataObject) -> None:
    valid = np.array(
        data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values))), dtype=bool
    )
    units = np.array(values, dtype=np.int64)
    array = units_to_decimal(units, valid if len(values) else None)
    assert array.type == pa.decimal64(18, 8)
    back = decimal_to_units(array.cast(pa.decimal128(18, 8)))
    expected = np.where(valid, units, 0) if len(values) else units
    assert back.tolist() == expected.tolist()
    assert array.null_count == (int((~valid).sum()) if len(values) else 0)


def test_units_to_decimal_rejects_out_of_range() -> None:
    with pytest.raises(DataRangeError):
        units_to_decimal(np.array([MAX_UNITS + 1]))
