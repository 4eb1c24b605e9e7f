"""The ``bookTicker`` check: the rebuilt top of book after update id ``X`` against the last
bookTicker with ``u <= X``, joined by id, never by arrival order."""

from __future__ import annotations

import msgspec
import numpy as np

from rlx_lib.validation.findings import Findings
from rlx_lib.validation.loader import Payload, raw_units
from rlx_lib.validation.sequence import Verdict
from rlx_lib.validation.state import SymbolState, Where, units_text
from rlx_lib.validation.table import MISSING, Column, value
from rlx_lib.venues import MARKETS

__all__ = ["BookTickerChecks"]

_TOPS = slice(Column.BID_PRICE, Column.ASK_SIZE + 1)


def _top_text(top: list[int]) -> str:
    bid_price, bid_size, ask_price, ask_size = map(units_text, top)
    return f"bid {bid_price} x {bid_size}, ask {ask_price} x {ask_size}"


def _units_or_missing(raw: msgspec.Raw) -> int:
    return raw_units(raw) if raw else MISSING


class BookTickerChecks:
    """bookTickers kept per symbol, book states waiting for theirs, and the comparison."""

    def __init__(self, findings: Findings) -> None:
        self.findings = findings

    def message(
        self,
        state: SymbolState,
        update_id: int | None,
        tops: Payload | np.ndarray,
        where: Where,
    ) -> None:
        """One bookTicker (``tops``: its payload or its (b, B, a, A) units) through the order
        check."""
        state.counts["book_ticker_messages"] += 1
        if update_id is None:
            return
        last = state.last_ticker_id
        if last is not None and update_id <= last:
            verdict = Verdict.DUPLICATE if update_id == last else Verdict.LATE
            self.findings.out_of_order(state, "bookTicker", verdict, update_id, update_id, where)
            return
        if not isinstance(tops, np.ndarray):
            tops = np.array([_units_or_missing(raw) for raw in (tops.b, tops.B, tops.a, tops.A)])
        self._add(state, np.array([update_id]), tops.reshape(1, 4))

    def block(
        self, state: SymbolState, rows: np.ndarray, offsets: np.ndarray, first: int, source: str
    ) -> None:
        """The bookTickers ``rows`` of a scanned block: increasing ids are taken in one go."""
        ids = rows[:, Column.LAST_ID]
        last = state.last_ticker_id
        if (
            ids.min() != MISSING
            and (last is None or ids[0] > last)
            and (len(ids) == 1 or bool((np.diff(ids) > 0).all()))
        ):
            state.counts["book_ticker_messages"] += len(ids)
            self._add(state, ids, rows[:, _TOPS])
            return
        for row, offset in enumerate(offsets.tolist()):
            self.message(state, value(ids[row]), rows[row, _TOPS], Where(source, first + offset))

    def _add(self, state: SymbolState, ids: np.ndarray, tops: np.ndarray) -> None:
        state.ticker_ids = np.concatenate([state.ticker_ids, ids])
        state.ticker_tops = np.concatenate([state.ticker_tops, tops])
        state.last_ticker_id = int(ids[-1])
        self._resolve(state)

    def wait(
        self, state: SymbolState, ids: np.ndarray, tops: np.ndarray, where: list[Where]
    ) -> None:
        """Book states after diffs ``ids`` (tops (b, B, a, A), 0 for an empty side) wait for
        their bookTicker."""
        state.pending_ids = np.concatenate([state.pending_ids, ids])
        state.pending_tops = np.concatenate([state.pending_tops, tops])
        state.pending_where.extend(where)
        self._resolve(state)

    def _resolve(self, state: SymbolState) -> None:
        """Compare the pending book states that now have their bookTicker (the last one with
        ``u <=`` the state's id, known once a later one arrived); trim the history."""
        last = state.last_ticker_id
        pending = state.pending_ids
        if len(pending) and last is not None and pending[0] < last:
            ready = pending < last
            index = np.searchsorted(state.ticker_ids, pending[ready], side="right") - 1
            self._compare(state, np.flatnonzero(ready), index)
            keep = np.flatnonzero(~ready)
            state.pending_ids = pending[keep]
            state.pending_tops = state.pending_tops[keep]
            state.pending_where = [state.pending_where[k] for k in keep.tolist()]
        if len(state.ticker_ids) > 8192:
            floor = state.pending_ids[0] if len(state.pending_ids) else state.sync.update_id
            if floor is None:
                cut = len(state.ticker_ids) - 4096
            else:
                cut = int(np.searchsorted(state.ticker_ids, floor, side="right")) - 1
            if cut > 0:
                state.ticker_ids = state.ticker_ids[cut:]
                state.ticker_tops = state.ticker_tops[cut:]

    def _compare(self, state: SymbolState, rows: np.ndarray, index: np.ndarray) -> None:
        """Compare pending states ``rows`` with tickers ``index`` (-1: none yet, not counted)."""
        known = index >= 0
        if MARKETS[state.market].chained:  # futures: only where the bookTicker's u is the diff's
            known &= state.ticker_ids[np.maximum(index, 0)] == state.pending_ids[rows]
        rows, index = rows[known], index[known]
        if not len(rows):
            return
        book = state.pending_tops[rows]
        seen = state.ticker_tops[index]
        equal = (book == seen).all(axis=1)
        state.counts["book_ticker_checks"] += len(rows)
        state.counts["book_ticker_matches"] += int(equal.sum())
        for k in np.flatnonzero(~equal).tolist():
            row = int(rows[k])
            update_id = int(state.pending_ids[row])
            self.findings.add(
                "book_ticker_mismatch",
                "warning",
                state.symbol,
                f"book after u={update_id}: {_top_text(book[k].tolist())}; bookTicker "
                f"u={int(state.ticker_ids[index[k]])}: {_top_text(seen[k].tolist())}",
                state.pending_where[row],
                update_id,
            )

    def finish(self, state: SymbolState) -> None:
        """Compare the book states still waiting: every bookTicker is known now."""
        if len(state.pending_ids):
            index = np.searchsorted(state.ticker_ids, state.pending_ids, side="right") - 1
            self._compare(state, np.arange(len(state.pending_ids)), index)
            state.pending_ids = state.pending_ids[:0]
            state.pending_where = []
