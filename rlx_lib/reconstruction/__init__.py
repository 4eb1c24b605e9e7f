"""Reconstruction: the exact L2 book rebuilt after every message from Lake's deltas or the live
(golden) capture, with one chronological event stream.

``reconstruct(root, *, source, symbols, start, end, ...)`` rebuilds every symbol-day and returns
a :class:`ReconstructResult`, one :class:`DayResult` per symbol-day. :class:`L2Book` (and its
:class:`TopLevels`) is the book itself, shared with validation and fidelity.
"""

from __future__ import annotations

from rlx_lib.reconstruction.book import L2Book, TopLevels
from rlx_lib.reconstruction.result import DayResult, ReconstructResult
from rlx_lib.reconstruction.runner import days_to_carry_in, reconstruct

__all__ = [
    "DayResult",
    "L2Book",
    "ReconstructResult",
    "TopLevels",
    "days_to_carry_in",
    "reconstruct",
]
