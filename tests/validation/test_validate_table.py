"""The block table's named columns and kinds follow the scan's own order."""

from __future__ import annotations

from rlx_lib.validation.scan import FIELDS, KIND_NAMES
from rlx_lib.validation.table import Column, Kind


def test_columns_follow_the_scan_fields() -> None:
    names = {"FIRST_ID": "U", "LAST_ID": "u", "E": "E", "T": "T"}
    assert [names.get(c.name, c.name.lower()) for c in Column] == list(FIELDS)
    assert [c.value for c in Column] == list(range(len(FIELDS)))


def test_kinds_follow_the_market_kinds() -> None:
    assert [k.name.lower() for k in Kind] == list(KIND_NAMES)
    assert [k.value for k in Kind] == list(range(len(KIND_NAMES)))
