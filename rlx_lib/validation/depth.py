"""Checks of depth diffs and snapshots: continuity of ``U..u`` (gaps, late and repeated
messages), the official sync rules after each REST snapshot, and the book rebuilt exactly and
checked for crossing after every applied diff (its tops then wait for their bookTicker)."""

from __future__ import annotations

from typing import Any, NamedTuple

import msgspec
import numpy as np

from rlx_lib.reconstruction import L2Book
from rlx_lib.validation.findings import Findings
from rlx_lib.validation.loader import MESSAGE, GoldenMessage, levels
from rlx_lib.validation.scan import parse_levels
from rlx_lib.validation.sequence import Verdict
from rlx_lib.validation.state import BookOp, SnapshotLevels, SymbolState, Where, units_text
from rlx_lib.validation.table import MISSING, Column, Kind
from rlx_lib.validation.tickers import BookTickerChecks
from rlx_lib.venues import MARKETS
from rlx_lib.venues.binance import SyncStep, SyncVerdict

__all__ = ["DepthChecks", "Diff"]


class Diff(NamedTuple):
    """A depth diff as the sync rules hold it: where it is and its level changes."""

    where: Where
    changes: tuple  # (bids, asks) raw JSON arrays or level lists, or (is_bid, price, size)


def _level_arrays(changes: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(is_bid, price, size)`` arrays from parsed arrays, raw JSON arrays or level lists."""
    if len(changes) == 3:
        return changes
    bids, asks = changes
    if isinstance(bids, msgspec.Raw):
        bids, asks = levels(bids), levels(asks)
    rows = bids + asks
    is_bid = np.zeros(len(rows), dtype=bool)
    is_bid[: len(bids)] = True
    price = np.array([p for p, _ in rows], dtype=np.int64)
    size = np.array([q for _, q in rows], dtype=np.int64)
    return is_bid, price, size


class DepthChecks:
    """Depth diffs and snapshots of each symbol through its sync rules and its exact book."""

    def __init__(self, findings: Findings, tickers: BookTickerChecks) -> None:
        self.findings = findings
        self.tickers = tickers

    def diff(
        self,
        state: SymbolState,
        first: int | None,
        last: int | None,
        changes: tuple,
        where: Where,
        previous: int | None = None,
    ) -> None:
        """One depth diff ``U..u``; ``changes`` is ``(bids, asks)`` as raw JSON arrays, or
        parsed ``(is_bid, price, size)`` arrays. On a chained market (futures) continuity is
        ``pu == previous u``: the diff's range starts at ``previous + 1``."""
        state.counts["depth_messages"] += 1
        state.depth_since_reset = True
        if first is None or last is None:
            self._bad(state, "depth diff without U or u", where)
            return
        low = first
        if MARKETS[state.market].chained:
            if previous is None:
                self._bad(state, "futures depth diff without pu", where)
                return
            low = previous + 1
        verdict, holes = state.depth_ids.observe(low, last, where)
        if holes:
            self.findings.gaps(state, "depth", holes)
        if verdict is Verdict.LATE or verdict is Verdict.DUPLICATE:
            self.findings.out_of_order(state, "depth", verdict, first, last, where)
            return
        steps = state.sync.diff(first, last, Diff(where, changes), previous)
        self._sync_steps(state, steps, replay=False)

    def _bad(self, state: SymbolState, detail: str, where: Where) -> None:
        self.findings.add("bad_message", "error", state.symbol, detail, where)

    def _sync_steps(self, state: SymbolState, steps: list[SyncStep], *, replay: bool) -> None:
        for step in steps:
            verdict = step.verdict
            if verdict is SyncVerdict.APPLY:
                if not state.book_valid:
                    continue
                state.counts["depth_applied"] += 1
                diff = step.item
                changes = _level_arrays(diff.changes)
                state.ops.append(BookOp(False, *changes, step.final_update_id, diff.where))
            elif verdict is SyncVerdict.STALE:
                state.counts["depth_stale"] += 1
            elif verdict is SyncVerdict.GAP:
                self._lost(state, step, replay=replay)

    def _lost(self, state: SymbolState, step: SyncStep, *, replay: bool) -> None:
        """The sync rules lost the book: checks wait for the next snapshot."""
        state.book_valid = False
        state.counts["book_resets"] += 1
        check = "snapshot_stale" if replay else "book_desynced"
        why = "the snapshot is older than the buffered diffs" if replay else "updates are missing"
        self.findings.add(
            check,
            "warning",
            state.symbol,
            f"sync lost: expected U <= {step.expected_first}, received "
            f"U={step.first_update_id} ({why}); book checks wait for the next snapshot",
            step.item.where,
            step.first_update_id,
        )

    def snapshot(self, state: SymbolState, message: GoldenMessage, where: Where) -> None:
        """A REST depth snapshot: the book starts again from it, buffered diffs are replayed."""
        data = message.data
        last_id = data.lastUpdateId
        state.counts["snapshots"] += 1
        if last_id is None:
            self._bad(state, "depth snapshot without lastUpdateId", where)
            return
        bids, asks = levels(data.bids), levels(data.asks)
        state.snapshot_levels.append(SnapshotLevels(last_id, len(bids), len(asks)))
        if state.book is None:
            state.book = L2Book()
        state.book_valid = True
        state.ops.append(BookOp(True, *_level_arrays((bids, asks))))
        self._sync_steps(state, state.sync.snapshot(last_id), replay=True)

    def reset(self, state: SymbolState) -> None:
        """The capture session broke: the book waits for a new snapshot."""
        state.sync.reset()
        state.book_valid = False
        state.depth_since_reset = False
        state.counts["session_resets"] += 1

    def flush(self, state: SymbolState) -> None:
        """Replay the queued snapshots and diffs on the book in one compiled call, then check
        each diff's top of book."""
        ops = state.ops
        if not ops or state.book is None:
            ops.clear()
            return
        starts = np.zeros(len(ops) + 1, dtype=np.int64)
        np.cumsum([len(op.price) for op in ops], out=starts[1:])
        top = state.book.replay(
            np.concatenate([op.is_bid for op in ops]),
            np.concatenate([op.price for op in ops]),
            np.concatenate([op.size for op in ops]),
            starts,
            np.array([op.snapshot for op in ops], dtype=bool),
            depth=1,
        )
        applied = np.array([not op.snapshot for op in ops], dtype=bool)
        diffs = [op for op in ops if not op.snapshot]
        ops.clear()
        if diffs:
            ids = np.array([op.update_id for op in diffs], dtype=np.int64)
            self._checked_tops(state, ids, top, applied, [op.where for op in diffs])

    def _checked_tops(
        self, state: SymbolState, ids: np.ndarray, top: Any, rows: np.ndarray, where: list[Where]
    ) -> None:
        """Crossed-book check of the tops ``top[rows]`` after diffs ``ids``; then they wait
        for their bookTicker."""
        tops = np.stack(
            [top.bid_price[:, 0], top.bid_size[:, 0], top.ask_price[:, 0], top.ask_size[:, 0]],
            axis=1,
        )[rows]
        crossed = (tops[:, 0] > 0) & (tops[:, 2] > 0) & (tops[:, 0] >= tops[:, 2])
        for k in np.flatnonzero(crossed).tolist():
            update_id = int(ids[k])
            state.counts["crossed_books"] += 1
            self.findings.add(
                "crossed_book",
                "error",
                state.symbol,
                f"best bid {units_text(int(tops[k, 0]))} >= best ask "
                f"{units_text(int(tops[k, 2]))} after u={update_id}",
                where[k],
                update_id,
            )
        self.tickers.wait(state, ids, tops, where)

    def contiguous(
        self,
        state: SymbolState,
        table: np.ndarray,
        depth: np.ndarray,
        mask: np.ndarray,
        block: bytes,
        first: int,
        source: str,
    ) -> bool:
        """Apply the diffs ``depth`` of a scanned block in one go when the book is synced and
        every ``U`` follows the previous ``u``: the sync rules would say APPLY to each, so they
        are not asked one by one. Return False (nothing done) otherwise."""
        if not self._follows(state, table, depth, mask):
            return False
        highs = table[depth, Column.LAST_ID]
        line, is_bid, price, size, ok = parse_levels(
            block, table[depth, Column.START], table[depth, Column.END]
        )
        if not ok.all():
            return False
        count = len(depth)
        starts = np.searchsorted(line, np.arange(count + 1)).astype(np.int64)
        top = state.book.replay(is_bid, price, size, starts, np.zeros(count, dtype=bool), depth=1)
        state.counts["depth_messages"] += count
        state.counts["depth_applied"] += count
        state.depth_since_reset = True
        state.depth_ids.last = int(highs[-1])
        state.depth_ids.count += count
        state.sync.update_id = int(highs[-1])
        events = table[depth, Column.E].tolist()
        where = [
            Where(source, first + offset, None if event == MISSING else event)
            for offset, event in zip(depth.tolist(), events, strict=True)
        ]
        self._checked_tops(state, highs.copy(), top, np.arange(count), where)
        return True

    @staticmethod
    def _follows(
        state: SymbolState, table: np.ndarray, depth: np.ndarray, mask: np.ndarray
    ) -> bool:
        """Whether the diffs ``depth`` run on from the synced book without a hole."""
        if not len(depth) or not state.book_valid or state.depth_ids.holes:
            return False
        if state.sync.first_pending:
            return False
        if (mask & (table[:, Column.KIND] == Kind.SNAPSHOT)).any():
            return False
        lows, highs = _sequence_lows(state, table[depth]), table[depth, Column.LAST_ID]
        synced = state.sync.update_id
        if synced is None or state.depth_ids.last != synced or lows[0] != synced + 1:
            return False
        if lows.min() == MISSING or highs.min() == MISSING or (highs < lows).any():
            return False
        return len(depth) == 1 or bool((lows[1:] == highs[:-1] + 1).all())

    def decoded(self, state: SymbolState, line: bytes, where: Where) -> tuple | None:
        """Levels of a diff the scan could not read, by the typed decoder (None: a bad line)."""
        try:
            data = MESSAGE.decode(line).data
        except (msgspec.DecodeError, msgspec.ValidationError):
            detail = "depth diff is not valid JSON"
            self.findings.add("bad_line", "error", state.symbol, detail, where)
            return None
        return data.b, data.a


def _sequence_lows(state: SymbolState, rows: np.ndarray) -> np.ndarray:
    """Where each diff's id range starts for continuity: ``U``, or on a chained market
    ``pu + 1`` (so a diff follows on when it names the previous one's ``u``)."""
    if not MARKETS[state.market].chained:
        return rows[:, Column.FIRST_ID]
    previous = rows[:, Column.PU]
    return np.where(previous == MISSING, MISSING, previous + 1)


def block_levels(table: np.ndarray, depth: np.ndarray, block: bytes) -> dict[int, tuple]:
    """Parsed ``(is_bid, price, size)`` per depth line offset of a scanned block (lines the
    scan could not read are left out and decoded one by one)."""
    if not len(depth):
        return {}
    line, is_bid, price, size, ok = parse_levels(
        block, table[depth, Column.START], table[depth, Column.END]
    )
    bounds = np.searchsorted(line, np.arange(len(depth) + 1))
    parsed = {}
    for index, offset in enumerate(depth.tolist()):
        if not ok[index]:
            continue
        low, high = int(bounds[index]), int(bounds[index + 1])
        parsed[offset] = (is_bid[low:high], price[low:high], size[low:high])
    return parsed
