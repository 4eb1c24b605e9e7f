"""Exact numbers: decimal strings and floats to int64 units of 1e-8, and back.

Prices and sizes live as int64 counts of 1e-8 (``UNITS_PER_ONE``) in the book, and as
``Decimal(18, 8)`` in Parquet, which is the same int64 under a decimal annotation.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from rlx_lib.errors import DataRangeError, ParseError

__all__ = [
    "DECIMAL_TYPE",
    "MAX_UNITS",
    "SCALE",
    "UNITS_PER_ONE",
    "decimal_to_units",
    "float_to_units",
    "format_units",
    "parse_units",
    "units_to_decimal",
]

SCALE = 8
UNITS_PER_ONE = 10**SCALE
MAX_UNITS = 10**18 - 1
DECIMAL_TYPE = pa.decimal64(18, SCALE)
_DIGITS = frozenset("0123456789")


def parse_units(text: str, *, field: str = "value") -> int:
    """Parse a non-negative decimal string such as ``"64000.12000000"`` to int64 units.

    Raises :class:`ParseError` naming ``field`` when the text is not a plain decimal with at
    most 8 significant decimals, and :class:`DataRangeError` when it exceeds Decimal(18, 8).

    Examples
    --------
    >>> parse_units("0.00010000")
    10000
    >>> parse_units("5")
    500000000
    """
    whole, dot, frac = text.partition(".")
    if not whole or not _DIGITS.issuperset(whole) or (dot and not _DIGITS.issuperset(frac)):
        msg = f"{field}: expected a decimal string like '1.5', received {text!r}"
        raise ParseError(msg)
    if len(frac) > SCALE:
        if frac[SCALE:].strip("0"):
            msg = f"{field}: {text!r} has more than {SCALE} decimals"
            raise ParseError(msg)
        frac = frac[:SCALE]
    units = int(whole) * UNITS_PER_ONE + (int(frac.ljust(SCALE, "0")) if frac else 0)
    if units > MAX_UNITS:
        msg = f"{field}: {text!r} is out of range for Decimal(18, {SCALE})"
        raise DataRangeError(msg)
    return units


def format_units(units: int) -> str:
    """Format int64 units as a decimal string with 8 decimals (``1 -> '0.00000001'``)."""
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), UNITS_PER_ONE)
    return f"{sign}{whole}.{frac:0{SCALE}d}"


def float_to_units(values: np.ndarray, *, ulps: float = 8.0) -> tuple[np.ndarray, np.ndarray]:
    """Round floats to the 1e-8 grid; return ``(units, off_grid)``.

    A float64 that came from a decimal on the grid sits within a few ulps of it (64000.12 is
    64000.1199999999953...). ``off_grid`` marks values farther than ``ulps`` units in the last
    place (and 1e-13 absolute): those are reported as issues, never silently rounded away.
    NaN maps to 0 units and is not marked; callers keep their own null mask.
    """
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    scaled = np.where(finite, values, 0.0) * UNITS_PER_ONE
    if np.any(np.abs(scaled) > MAX_UNITS):
        msg = f"a value is out of range for Decimal(18, {SCALE})"
        raise DataRangeError(msg)
    units = np.rint(scaled).astype(np.int64)
    error = np.abs(units / UNITS_PER_ONE - np.where(finite, values, 0.0))
    tolerance = np.maximum(np.abs(values) * np.finfo(np.float64).eps * ulps, 1e-13)
    off_grid = finite & (error > tolerance)
    return units, off_grid


def units_to_decimal(units: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Wrap an int64 units array as an Arrow ``decimal64(18, 8)`` array, without copying."""
    units = np.ascontiguousarray(units, dtype=np.int64)
    if np.any(np.abs(units) > MAX_UNITS):
        msg = f"a value is out of range for Decimal(18, {SCALE})"
        raise DataRangeError(msg)
    validity = None
    null_count = 0
    if valid is not None and not np.all(valid):
        validity = pa.py_buffer(np.packbits(np.asarray(valid, dtype=bool), bitorder="little"))
        null_count = int(len(units) - np.count_nonzero(valid))
    return pa.Array.from_buffers(
        DECIMAL_TYPE, len(units), [validity, pa.py_buffer(units)], null_count=null_count
    )


def decimal_to_units(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Read a Decimal(<=18, 8) Arrow array back into int64 units (nulls become 0)."""
    if isinstance(array, pa.ChunkedArray):
        if array.num_chunks == 0:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([decimal_to_units(chunk) for chunk in array.chunks])
    kind = array.type
    if not pa.types.is_decimal(kind) or kind.scale != SCALE:
        msg = f"expected a decimal column with scale {SCALE}, received {kind}"
        raise ParseError(msg)
    words = 2 if kind.bit_width == 128 else 1
    if kind.bit_width not in (64, 128):
        msg = f"unsupported decimal width {kind.bit_width}"
        raise ParseError(msg)
    buffer = np.frombuffer(array.buffers()[1], dtype=np.int64)
    start = array.offset * words
    units = buffer[start : start + len(array) * words : words].copy()
    if array.null_count:
        units[~np.asarray(array.is_valid())] = 0
    return units
