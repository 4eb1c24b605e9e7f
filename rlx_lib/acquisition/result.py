"""What an acquisition run did: one row per unit (table, exchange, symbol, day)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from rlx_lib.catalog import partition_dir
from rlx_lib.errors import AcquisitionError, RlxError
from rlx_lib.results import StageResult

__all__ = ["AcquireResult", "AcquireRow", "Status", "Unit"]

Status = Literal["written", "skipped", "failed"]

_FRAME = pl.Schema(
    {
        "table": pl.String,
        "exchange": pl.String,
        "symbol": pl.String,
        "day": pl.Date,
        "status": pl.String,
        "rows": pl.Int64,
        "issue_rows": pl.Int64,
        "path": pl.String,
        "error": pl.String,
    }
)


@dataclass(frozen=True, kw_only=True)
class Unit:
    """One table, exchange, symbol and UTC day."""

    table: str
    symbol: str
    day: dt.date
    exchange: str = "BINANCE"

    def __str__(self) -> str:
        return f"{self.table} {self.exchange} {self.symbol} {self.day}"

    def lake_dir(self, root: Path) -> Path:
        """The unit's partition folder under ``lake/<table>``."""
        return partition_dir(
            root, f"lake/{self.table}", exchange=self.exchange, symbol=self.symbol, day=self.day
        )


@dataclass(frozen=True, kw_only=True)
class AcquireRow:
    """What happened to one unit; ``error`` is set when ``status`` is ``failed``."""

    unit: Unit
    status: Status
    rows: int = 0
    issue_rows: int = 0
    path: Path | None = None
    error: RlxError | None = None


@dataclass(frozen=True)
class AcquireResult(StageResult):
    """Rows of :class:`AcquireRow`, in the order the units were planned."""

    rows: tuple[AcquireRow, ...] = ()

    def to_frame(self) -> pl.DataFrame:
        """One line per unit: its table, exchange, symbol and day, status, rows, issue rows,
        path and error."""
        return pl.DataFrame(
            [
                {
                    "table": row.unit.table,
                    "exchange": row.unit.exchange,
                    "symbol": row.unit.symbol,
                    "day": row.unit.day,
                    "status": row.status,
                    "rows": row.rows,
                    "issue_rows": row.issue_rows,
                    "path": None if row.path is None else str(row.path),
                    "error": None if row.error is None else str(row.error),
                }
                for row in self.rows
            ],
            schema=_FRAME,
        )

    def raise_for_failures(self) -> None:
        """Raise one error naming every failed unit (the class of the first failure)."""
        failed = [row for row in self.rows if row.status == "failed" and row.error is not None]
        if not failed:
            return
        kind: type[RlxError] = type(failed[0].error)
        if not all(isinstance(row.error, kind) for row in failed):
            same_family = all(isinstance(row.error, AcquisitionError) for row in failed)
            kind = AcquisitionError if same_family else RlxError
        lines = "; ".join(str(row.error) for row in failed[:3])
        more = f"; and {len(failed) - 3} more" if len(failed) > 3 else ""
        msg = f"{len(failed)} unit(s) not acquired (lake/ holds only verified units): {lines}{more}"
        raise kind(msg)
