"""What ``capture`` and ``import_capture`` return: one row per symbol captured, one per golden
file an import wrote or found unchanged, with the figures of the whole run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rlx_lib.golden import ReadReport
from rlx_lib.results import StageResult

__all__ = ["CaptureResult", "CaptureRow", "ImportResult", "ImportRow"]


@dataclass(frozen=True)
class CaptureRow:
    """One symbol of a capture."""

    symbol: str  # BTC-USDT, BTC-USDT-PERP
    messages: int
    bytes: int
    snapshots: int
    depth_gaps: int
    trade_gaps: int
    files: int  # golden files closed
    status: str  # "ok", "no data", or "failed" (records could not be written)


@dataclass(frozen=True)
class CaptureResult(StageResult):
    """A capture's rows (one per symbol) and the figures of the whole session."""

    rows: tuple[CaptureRow, ...] = ()
    seconds: float = 0.0
    messages: int = 0
    messages_per_second: float = 0.0
    bytes: int = 0
    streams: dict[str, int] = field(default_factory=dict)  # messages per stream
    depth_gaps: int = 0
    trade_gaps: int = 0
    resyncs: int = 0
    snapshots: int = 0
    snapshot_failures: int = 0
    connections: int = 0
    reconnects: int = 0
    duplicates_dropped: int = 0
    malformed_frames: int = 0
    files: tuple[Path, ...] = ()  # golden files closed
    recovered: tuple[Path, ...] = ()  # ``.part`` files of an earlier capture, closed first
    stop_reason: str = ""
    write_failures: int = 0  # writes retried
    unwritten_records: int = 0  # left in the ``.part`` files when writes failed for good


@dataclass(frozen=True)
class ImportRow:
    """One golden file of an import."""

    path: str
    symbol: str  # BTC-USDT
    records: int
    status: str  # "written" or "unchanged"


@dataclass(frozen=True)
class ImportResult(StageResult):
    """An import's golden files, records per stream and what the readers met in each input."""

    rows: tuple[ImportRow, ...] = ()
    market: str = "spot"
    records: dict[str, int] = field(default_factory=dict)  # records per stream
    reports: tuple[ReadReport, ...] = ()

    @property
    def written(self) -> list[Path]:
        """Golden files written."""
        return [Path(row.path) for row in self.rows if row.status == "written"]

    @property
    def unchanged(self) -> list[Path]:
        """Golden files that already held the same records."""
        return [Path(row.path) for row in self.rows if row.status == "unchanged"]

    @property
    def symbols(self) -> list[str]:
        """Binance symbols imported."""
        return sorted({s.split("@", 1)[0] for s in self.records if "@" in s})
