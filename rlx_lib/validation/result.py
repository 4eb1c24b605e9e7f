"""What :func:`rlx_lib.validation.validate` returns: one row per symbol checked, and the report.

A row sums up one symbol of one source (``golden`` captures or ``lake`` vendor tables); its
``status`` is ``"issues"`` when a sequence gap or an error finding was counted for it. The full
:class:`~rlx_lib.validation.report.ValidationReport` (``validation.json`` and the issue rows)
stays reachable as ``result.report``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlx_lib.results import StageResult
from rlx_lib.validation.report import GAP_FIELDS, ValidationReport

__all__ = ["SymbolValidation", "ValidationResult", "golden_line", "lake_line"]


@dataclass(frozen=True)
class SymbolValidation:
    """One symbol's validation, in the words of ``rlx validate``'s summary line."""

    symbol: str  # as in validation.json: ``BTCUSDT``; USD-M futures as ``BTC-USDT-PERP``
    source: str  # "golden" | "lake"
    status: str  # "ok" | "issues" (a gap or an error finding)
    messages: int  # depth diffs (golden) or delta messages (lake)
    gaps: int  # depth, trade and aggregate-trade id gaps (golden); trade id gaps (lake)
    errors: int  # error findings of this symbol
    book_ticker_agreement: float | None  # golden only: share of matching bookTicker checks
    detail: str  # the summary line ``rlx validate`` prints


@dataclass(frozen=True)
class ValidationResult(StageResult):
    """Per-symbol rows, the report they come from, and where it was written."""

    rows: tuple[SymbolValidation, ...] = ()
    report: ValidationReport = field(default_factory=ValidationReport)
    path: Path | None = None  # the written ``validation.json``

    @property
    def gaps(self) -> int:
        """Every sequence gap found (golden and vendor)."""
        return self.report.gaps

    @property
    def errors(self) -> int:
        """Issue rows of severity ``error``."""
        return self.report.errors

    @classmethod
    def of(cls, report: ValidationReport, path: Path | None = None) -> ValidationResult:
        """The rows of ``report``: golden symbols first, then vendor ones."""
        errors = report.issues.filter(report.issues["severity"] == "error")["symbol"].to_list()
        rows = [
            _row(name, "golden", summary, golden_line(name, summary), errors)
            for name, summary in report.all_symbols()
        ]
        rows += [
            _row(name, "lake", summary, lake_line(name, summary), errors)
            for name, summary in report.lake.items()
        ]
        return cls(rows=tuple(rows), report=report, path=path)


def _row(
    name: str, source: str, summary: dict[str, Any], line: str, errors: list[str]
) -> SymbolValidation:
    if source == "golden":
        messages = summary["depth_messages"]
        gaps = sum(summary.get(key, 0) or 0 for key in GAP_FIELDS)
        agreement = summary["book_ticker_agreement"]
    else:
        messages, gaps, agreement = summary["delta_messages"], summary["trade_id_gaps"], None
    found = errors.count(name)
    return SymbolValidation(
        symbol=name,
        source=source,
        status="issues" if gaps or found else "ok",
        messages=messages,
        gaps=gaps,
        errors=found,
        book_ticker_agreement=agreement,
        detail=line,
    )


def golden_line(name: str, s: dict[str, Any]) -> str:
    """The summary line of one golden symbol."""
    agreement = s["book_ticker_agreement"]
    shown = f"{agreement:.4%}" if agreement is not None else "n/a"
    return (
        f"{name}: {s['depth_messages']} depth msgs, {s['depth_gaps']} depth gaps, "
        f"{s['trade_messages']} trades, {s['trade_id_gaps']} trade-id gaps, "
        f"{s['out_of_order']} out of order, {s['duplicates']} duplicates, "
        f"bookTicker agreement {shown} of {s['book_ticker_checks']}"
    )


def lake_line(name: str, s: dict[str, Any]) -> str:
    """The summary line of one vendor symbol."""
    return (
        f"{name} (lake): {s['delta_messages']} delta msgs, {s['sequence_regressions']} "
        f"sequence regressions, {s['trade_id_gaps']} trade-id gaps, {s['off_grid_values']} "
        f"off-grid, {s['crossed_books']} crossed, {len(s['days_without_data'])} empty days, "
        f"{s['unreadable_files']} unreadable files"
    )
