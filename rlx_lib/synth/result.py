"""What a synthetic session (or a vendor view made from golden files) wrote: one row per symbol."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlx_lib.results import StageResult

__all__ = ["SynthResult", "SynthRow"]


@dataclass(frozen=True)
class SynthRow:
    """What was written for one symbol.

    ``messages`` (golden records) and ``level_changes`` (of the ground truth) are ``None``
    for a vendor view made from golden files, which simulates nothing.
    """

    symbol: str
    status: str  # "written"
    messages: int | None
    level_changes: int | None
    vendor_rows: int
    golden_files: tuple[Path, ...] = ()
    lake_files: tuple[Path, ...] = ()


@dataclass(frozen=True)
class SynthResult(StageResult):
    """Rows of :class:`SynthRow`, and what the session wrote beside them."""

    rows: tuple[SynthRow, ...] = ()
    root: Path = Path()
    table_rows: dict[str, int] = field(default_factory=dict)  # vendor rows per table
    injected: dict[str, Any] = field(default_factory=dict)  # {"golden": {...}, "lake": {...}}
    planted: tuple[dict[str, Any], ...] = ()  # what _planted.json lists

    @property
    def golden_files(self) -> list[Path]:
        """Every golden file written, symbol after symbol."""
        return [path for row in self.rows for path in row.golden_files]

    @property
    def lake_files(self) -> list[Path]:
        """Every ``lake/`` file written, symbol after symbol."""
        return [path for row in self.rows for path in row.lake_files]

    def lines(self) -> list[str]:
        """A short human summary."""
        out = [f"data root: {self.root}"]
        for row in self.rows:
            if row.level_changes is not None:
                out.append(
                    f"{row.symbol}: {row.level_changes} level changes, "
                    f"{row.messages or 0} golden records"
                )
        if self.table_rows:
            counts = ", ".join(f"{t} {n}" for t, n in sorted(self.table_rows.items()))
            out.append("lake rows: " + counts)
        written = {"golden": len(self.golden_files), "lake": len(self.lake_files)}
        out.append("files: " + ", ".join(f"{n} {view}" for view, n in written.items() if n))
        return out
