"""Checks of trades and aggregate trades: their ids (``t``, ``a``) contiguous, never repeated."""

from __future__ import annotations

import numpy as np

from rlx_lib.validation.findings import Findings
from rlx_lib.validation.sequence import Verdict
from rlx_lib.validation.state import SymbolState, Where
from rlx_lib.validation.table import MISSING, Column, value

__all__ = ["TradeChecks"]


class TradeChecks:
    """Id continuity of ``trade`` and ``agg_trade`` messages."""

    def __init__(self, findings: Findings) -> None:
        self.findings = findings

    def message(self, state: SymbolState, what: str, trade_id: int | None, where: Where) -> None:
        """One trade (``what``: trade or agg_trade) with its id."""
        if trade_id is None:
            self.findings.add("bad_message", "error", state.symbol, f"{what} without an id", where)
            return
        ids = state.trade_ids if what == "trade" else state.agg_ids
        verdict, holes = ids.observe(trade_id, trade_id, where)
        if holes:
            self.findings.gaps(state, what, holes)
        if verdict is Verdict.LATE or verdict is Verdict.DUPLICATE:
            self.findings.out_of_order(state, what, verdict, trade_id, trade_id, where)

    def block(
        self,
        state: SymbolState,
        what: str,
        rows: np.ndarray,
        offsets: np.ndarray,
        first: int,
        source: str,
    ) -> None:
        """The trades ``rows`` of a scanned block: contiguous ids take one comparison."""
        state.counts[f"{what}_messages"] += len(rows)
        ids = rows[:, Column.ID]
        sequence = state.trade_ids if what == "trade" else state.agg_ids
        follows = sequence.last is None or ids[0] == sequence.last + 1
        if (
            follows
            and not sequence.holes
            and ids.min() != MISSING
            and (len(ids) == 1 or bool((np.diff(ids) == 1).all()))
        ):
            sequence.last = int(ids[-1])
            sequence.count += len(ids)
            return
        times = np.where(rows[:, Column.T] != MISSING, rows[:, Column.T], rows[:, Column.E])
        for row, offset in enumerate(offsets.tolist()):
            where = Where(source, first + offset, value(times[row]))
            self.message(state, what, value(ids[row]), where)
