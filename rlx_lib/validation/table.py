"""The int64 table a scanned block becomes: one row per line, the columns of
:data:`rlx_lib.validation.scan.FIELDS`, a number the scan did not find marked :data:`MISSING`."""

from __future__ import annotations

import enum
from typing import Any

import numpy as np

__all__ = ["MISSING", "Column", "Kind", "LineSlices", "value"]

MISSING = np.iinfo(np.int64).min
"""Marks a number the scan did not find."""


class Column(enum.IntEnum):
    """The table's columns, in the scan's order."""

    CAPTURE = 0
    E = 1
    T = 2
    FIRST_ID = 3  # U
    LAST_ID = 4  # u
    ID = 5  # a trade's or an aggTrade's id
    HASH = 6  # of the stream name
    KIND = 7
    START = 8  # the line's offset in the block
    END = 9
    OK = 10
    BID_PRICE = 11
    BID_SIZE = 12
    ASK_PRICE = 13
    ASK_SIZE = 14
    PU = 15


class Kind(enum.IntEnum):
    """The message kind the scan gives each line."""

    OTHER = 0
    DEPTH = 1
    TRADE = 2
    AGG_TRADE = 3
    BOOK_TICKER = 4
    SNAPSHOT = 5
    SESSION = 6
    MARK_PRICE = 7
    CONTROL = 8


class LineSlices:
    """Lines of a scanned block by offset, sliced only when needed."""

    __slots__ = ("block", "table")

    def __init__(self, block: bytes, table: np.ndarray) -> None:
        self.block = block
        self.table = table

    def __getitem__(self, offset: int) -> bytes:
        row = self.table[offset]
        return self.block[int(row[Column.START]) : int(row[Column.END])]


def value(number: Any) -> int | None:
    """A table number as an int, None where the scan found none."""
    return None if number == MISSING else int(number)
