"""Synthetic market: one ground truth per symbol, seen as Binance sends it (live, golden
files) and as Crypto Lake stores it (vendor, ``lake/`` tables), with listed faults.

:func:`synthesize` writes both views of a simulated session; :func:`vendor_from_golden`
writes the vendor view of existing golden samples, real captures included.
"""

from __future__ import annotations

from rlx_lib.synth.faults import LiveFaults, VendorFaults
from rlx_lib.synth.from_golden import vendor_from_golden
from rlx_lib.synth.regimes import REGIMES
from rlx_lib.synth.result import SynthResult, SynthRow
from rlx_lib.synth.session import DEFAULT_START, synthesize

__all__ = [
    "DEFAULT_START",
    "REGIMES",
    "LiveFaults",
    "SynthResult",
    "SynthRow",
    "VendorFaults",
    "synthesize",
    "vendor_from_golden",
]
