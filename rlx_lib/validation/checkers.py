"""The per-kind checkers of one validation, sharing its symbols and its findings."""

from __future__ import annotations

from dataclasses import dataclass

from rlx_lib.validation.clock import ClockChecks
from rlx_lib.validation.depth import DepthChecks
from rlx_lib.validation.findings import Findings
from rlx_lib.validation.registry import Symbols
from rlx_lib.validation.tickers import BookTickerChecks
from rlx_lib.validation.trades import TradeChecks

__all__ = ["Checkers"]


@dataclass(frozen=True)
class Checkers:
    """Every checker, each told the messages of its kind."""

    symbols: Symbols
    findings: Findings
    clock: ClockChecks
    depth: DepthChecks
    trades: TradeChecks
    tickers: BookTickerChecks

    @classmethod
    def build(cls, *, window: int, jump_ms: int, max_rows: int) -> Checkers:
        """Checkers over fresh symbol states and findings."""
        symbols = Symbols(window)
        findings = Findings(symbols, max_rows)
        tickers = BookTickerChecks(findings)
        return cls(
            symbols=symbols,
            findings=findings,
            clock=ClockChecks(findings, jump_ms),
            depth=DepthChecks(findings, tickers),
            trades=TradeChecks(findings),
            tickers=tickers,
        )
