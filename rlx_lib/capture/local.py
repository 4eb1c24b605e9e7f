"""Capture from a local Binance-protocol server: the demo, the notebooks, a dry run.

:func:`capture_local` serves golden records (a synthetic feed, the synthetic market's live
view, a real capture) from a :class:`~rlx_lib.capture.server.BinanceServer` on 127.0.0.1, with
any faults, and captures them into golden files under ``root`` through the real session.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rlx_lib.capture.server import BinanceServer, ServerThread
from rlx_lib.capture.session import CaptureConfig, run_capture
from rlx_lib.golden import GoldenRecord

__all__ = ["capture_local"]


def capture_local(
    records: Iterable[GoldenRecord],
    root: Path,
    *,
    symbols: Sequence[str],
    rate: float = 2000.0,
    seconds: float | None = None,
    faults: Sequence[tuple[str, int]] = (),
    **config: Any,
) -> dict[str, Any]:
    """Serve ``records`` at ``rate`` messages/s and capture them into ``root``.

    The capture lasts ``seconds`` (default: the feed's length at ``rate`` plus one second).
    Returns the capture summary with the server's figures under ``"server"``.
    """
    records = list(records)
    market = sum(1 for r in records if "@" in r.stream and not r.stream.endswith("Snapshot"))
    duration = seconds if seconds is not None else market / rate + 1.0
    options: dict[str, Any] = {"flush_interval": 0.5, "backoff_initial": 0.05, **config}
    server = BinanceServer(records, rate=rate, faults=faults)
    with ServerThread(server) as running:
        capture_config = CaptureConfig(
            symbols=tuple(symbols),
            ws_url=running.ws_url,
            rest_url=running.rest_url,
            duration=duration,
            **options,
        )
        summary = run_capture(capture_config, Path(root))
    summary["server"] = {
        "sent": len(server.sent),
        "feed_position": server.feed_position,
        "faults": [list(fault) for fault in server.injected],
    }
    return summary
