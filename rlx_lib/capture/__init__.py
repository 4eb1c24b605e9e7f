"""Capture: live Binance streams, and other recorders' files, into golden samples.

``capture(root, symbols=...)`` records live streams (spot or USD-M futures) into golden files;
``import_capture(root, paths=..., format=...)`` converts hftbacktest or cryptofeed recordings.
The health helpers read any golden folder back as tables: message rates, capture latency,
gaps and session events.
"""

from __future__ import annotations

from rlx_lib.capture.config import CaptureTuning
from rlx_lib.capture.health import (
    capture_gaps,
    capture_latency,
    latency_summary,
    load_capture,
    message_rates,
    session_events,
)
from rlx_lib.capture.importers import FORMATS, import_capture
from rlx_lib.capture.live import capture
from rlx_lib.capture.recover import recover_parts
from rlx_lib.capture.results import CaptureResult, CaptureRow, ImportResult, ImportRow

__all__ = [
    "FORMATS",
    "CaptureResult",
    "CaptureRow",
    "CaptureTuning",
    "ImportResult",
    "ImportRow",
    "capture",
    "capture_gaps",
    "capture_latency",
    "import_capture",
    "latency_summary",
    "load_capture",
    "message_rates",
    "recover_parts",
    "session_events",
]
