"""The issue rows of one validation: each finding an ``ISSUE`` row, capped per symbol and check.

Counters live in each symbol's state and stay exact; only the rows are capped (``max_rows``).
"""

from __future__ import annotations

from collections import Counter

from rlx_lib.catalog import lake_symbol
from rlx_lib.schemas import issue_row
from rlx_lib.validation.registry import Symbols
from rlx_lib.validation.sequence import Hole, Verdict
from rlx_lib.validation.state import STAGE, SymbolState, Where

__all__ = ["Findings"]

_GAP_CHECKS = {"depth": "depth_gap", "trade": "trade_id_gap", "agg_trade": "agg_trade_id_gap"}


class Findings:
    """Issue rows in the order found; futures rows name Lake's ``-PERP`` symbol (the market is
    the one ``symbols`` is reading)."""

    def __init__(self, symbols: Symbols, max_rows: int) -> None:
        self.symbols = symbols
        self.max_rows = max_rows
        self.rows: list[dict[str, object]] = []
        self.counts: Counter = Counter()  # (symbol, check) -> findings, capped or not

    def add(
        self,
        check: str,
        severity: str,
        symbol: str,
        detail: str,
        where: Where | None = None,
        update_id: int | None = None,
    ) -> None:
        """One finding at ``where`` (a message) or of the whole symbol (None)."""
        market = self.symbols.market
        if market.chained and symbol.isalnum():
            symbol = lake_symbol(symbol, market=market.name)
        key = (symbol, check)
        self.counts[key] += 1
        if self.counts[key] > self.max_rows:
            return
        source, position, origin_ms = where if where is not None else (None, None, None)
        self.rows.append(
            issue_row(
                STAGE,
                check,
                severity,
                symbol,
                detail,
                source=source,
                position=position,
                origin_time=None if origin_ms is None else origin_ms * 1_000_000,
                update_id=update_id,
            )
        )

    def gaps(self, state: SymbolState, what: str, holes: list[Hole]) -> None:
        """Ids that never came (``what``: depth, trade, agg_trade), counted and reported."""
        check = _GAP_CHECKS[what]
        for hole in holes:
            state.counts[check + "s"] += 1
            state.counts[f"missing_{what}_ids"] += hole.size
            self.add(
                check,
                "error",
                state.symbol,
                f"{what} ids {hole.first}..{hole.last} missing ({hole.size}) before this message",
                hole.where,
                hole.first,
            )

    def out_of_order(
        self, state: SymbolState, what: str, verdict: Verdict, first: int, last: int, where: Where
    ) -> None:
        """A message whose ids came already (duplicate) or after later ones (late)."""
        ids = f"{first}..{last}" if first != last else str(first)
        if verdict is Verdict.DUPLICATE:
            state.counts["duplicates"] += 1
            detail = f"{what} ids {ids} were already seen"
            self.add("duplicate", "warning", state.symbol, detail, where, last)
        else:
            state.counts["out_of_order"] += 1
            detail = f"{what} ids {ids} arrived after later ids ({verdict.value})"
            self.add("out_of_order", "warning", state.symbol, detail, where, last)
