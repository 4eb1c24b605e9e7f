"""What a reconstruction run returns: one :class:`DayResult` per symbol-day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rlx_lib.results import StageResult

__all__ = ["DayResult", "ReconstructResult"]


@dataclass(frozen=True, kw_only=True)
class DayResult:
    """One symbol-day: ``status`` is ``done``, ``skipped`` (finished before from the same
    inputs and settings) or ``failed`` (``error`` says why); ``carried``/``kept`` for a day
    whose final book alone was saved (the first pass of a parallel run)."""

    symbol: str
    day: dt.date
    status: str
    source: str = ""
    messages: int = 0  # book messages applied
    events: int = 0  # rows written to events/
    book_rows: int = 0
    issue_rows: int = 0
    drift_rows: int | None = None  # lake only
    trade_rows: int | None = None  # golden with @trade: single fills written to trades/
    seeded_from: str = ""  # previous_day, snapshot, vendor_book or none
    seeding: Mapping[str, Any] = field(default_factory=dict)  # as the manifest records it
    notes: Mapping[str, Any] = field(default_factory=dict)  # counts from reading the input
    drift: Mapping[str, Any] | None = None  # summary of the drift against Lake's book rows
    segments: int = 0
    resumed_at_segment: int = 0
    carried_in: tuple[str, ...] = ()  # earlier days replayed first to carry the book in
    seconds: float = 0.0
    error: str = ""

    def summary(self) -> str:
        """One line: status, counts, seeding, drift, or the reason it failed."""
        head = f"{self.symbol} {self.day}: {self.status}"
        if self.status == "failed":
            return f"{head}: {self.error}"
        if self.status == "skipped":
            return f"{head} (already reconstructed from the same inputs; --force to redo)"
        text = (
            f"{head}, {self.messages:,} messages, {self.events:,} events, {self.book_rows:,} "
            f"book rows, {self.issue_rows} issue rows, seeded from {self.seeded_from}"
        )
        if self.trade_rows is not None:
            text += f", {self.trade_rows:,} single fills"
        if self.carried_in:
            text += f" (the book carried over from {self.carried_in[0]})"
        if self.drift and self.drift.get("compared"):
            exact, compared = self.drift["exact"], self.drift["compared"]
            text += f", drift vs Lake's book: {exact}/{compared} exact"
        return f"{text} ({self.seconds:.1f} s)"


@dataclass(frozen=True)
class ReconstructResult(StageResult):
    """The symbol-days of one :func:`~rlx_lib.reconstruction.reconstruct` run, sorted."""

    rows: tuple[DayResult, ...] = ()

    @property
    def events(self) -> int:
        """Rows written to ``events/`` over every symbol-day."""
        return sum(row.events for row in self.rows)

    @property
    def book_rows(self) -> int:
        """Rows written to ``book/`` over every symbol-day."""
        return sum(row.book_rows for row in self.rows)
