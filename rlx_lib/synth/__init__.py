"""Synthetic market: one ground truth per symbol, seen as Binance sends it (live, golden
files) and as Crypto Lake stores it (vendor, ``lake/`` tables), with listed faults."""

from __future__ import annotations

from rlx_lib.synth.faults import LiveFaults, VendorFaults
from rlx_lib.synth.from_golden import vendor_from_golden
from rlx_lib.synth.live import live_records
from rlx_lib.synth.session import SynthConfig, SynthSummary, synthesize

__all__ = [
    "LiveFaults",
    "SynthConfig",
    "SynthSummary",
    "VendorFaults",
    "live_records",
    "synthesize",
    "vendor_from_golden",
]
