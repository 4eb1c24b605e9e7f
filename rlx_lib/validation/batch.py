"""The block reading of golden lines: a compiled scan per block, then the checkers on arrays.

A block of canonical golden lines is scanned once (:func:`rlx_lib.validation.scan.scan_block`):
capture times, ids, event times and bookTicker tops land in one int64 table
(:mod:`rlx_lib.validation.table`). Trades and bookTickers are then checked as arrays
(contiguous ids take one comparison per block), the capture clock is checked as arrays, and
only depth diffs and snapshots go one by one through the sync rules, with their price levels
parsed by the compiled scan. A block holding any non-canonical line or a session record is
read line by line instead (:class:`~rlx_lib.validation.lines.LineReader`).
"""

from __future__ import annotations

import numpy as np

from rlx_lib.validation.checkers import Checkers
from rlx_lib.validation.depth import block_levels
from rlx_lib.validation.lines import LineReader
from rlx_lib.validation.loader import MESSAGE
from rlx_lib.validation.registry import Stream
from rlx_lib.validation.scan import scan_block
from rlx_lib.validation.state import SymbolState, Where
from rlx_lib.validation.table import MISSING, Column, Kind, LineSlices, value

__all__ = ["BlockReader"]


class BlockReader:
    """Reads blocks of lines through the scan, falling back to ``lines`` for odd blocks."""

    def __init__(self, checkers: Checkers, lines: LineReader) -> None:
        self.checkers = checkers
        self.lines = lines

    def block(self, block: bytes, count: int, first: int, source: str, symbols: set[str]) -> None:
        """Check ``count`` newline-terminated lines of ``block``, the first being line ``first``;
        ``symbols`` collects the symbols seen."""
        table = scan_block(block, count, self.checkers.symbols.market)
        if (
            len(table) != count
            or not table[:, Column.OK].all()
            or bool((table[:, Column.KIND] == Kind.SESSION).any())  # resets keep line order
        ):
            for offset, line in enumerate(block.split(b"\n")[:count]):
                self.lines.line(line, first + offset, source, symbols)
            return
        lines = LineSlices(block, table)
        names = self._names(table[:, Column.HASH], lines)
        self._capture_order(table, names, first, source)
        for symbol, mask in self._by_symbol(table[:, Column.HASH], names).items():
            if not symbol.isalnum():  # control streams such as !serverShutdown
                continue
            state = self.checkers.symbols.state(symbol)
            symbols.add(symbol)
            self._symbol(state, table, mask, lines, first, source)

    def _names(self, hashes: np.ndarray, lines: LineSlices) -> dict[int, Stream]:
        """The stream of every stream-name hash in the block (decoded once per name)."""
        names = self.checkers.symbols.hashes
        for value_ in np.unique(hashes).tolist():
            if value_ not in names:
                line = lines[int(np.argmax(hashes == value_))]
                start = line.index(b'"stream": "') + 11
                stream = line[start : line.index(b'"', start)].decode()
                names[value_] = self.checkers.symbols.stream(stream)
        return names

    def _capture_order(
        self, table: np.ndarray, names: dict[int, Stream], first: int, source: str
    ) -> None:
        """Lines captured before the line above them."""
        capture, hashes = table[:, Column.CAPTURE], table[:, Column.HASH]
        previous = np.empty_like(capture)
        previous[0] = self.lines.previous_capture
        previous[1:] = capture[:-1]
        for offset in np.flatnonzero(capture < previous).tolist():
            state = self.checkers.symbols.state(names[int(hashes[offset])].symbol)
            where = Where(source, first + offset, value(table[offset, Column.E]))
            self.checkers.clock.backwards(state, int(capture[offset]), int(previous[offset]), where)
        self.lines.previous_capture = int(capture[-1])

    @staticmethod
    def _by_symbol(hashes: np.ndarray, names: dict[int, Stream]) -> dict[str, np.ndarray]:
        """Each symbol's lines of the block, as a mask."""
        unique = np.unique(hashes)
        if len(unique) == 1 or len({names[int(h)].symbol for h in unique.tolist()}) == 1:
            return {names[int(unique[0])].symbol: np.ones(len(hashes), dtype=bool)}
        by_symbol: dict[str, np.ndarray] = {}
        for hashed in unique.tolist():
            symbol = names[hashed].symbol
            mask = hashes == hashed
            by_symbol[symbol] = by_symbol[symbol] | mask if symbol in by_symbol else mask
        return by_symbol

    def _symbol(
        self,
        state: SymbolState,
        table: np.ndarray,
        mask: np.ndarray,
        lines: LineSlices,
        first: int,
        source: str,
    ) -> None:
        """One symbol's lines of the block, each kind to its checker."""
        checks, kinds = self.checkers, table[:, Column.KIND]
        depth = np.flatnonzero(mask & (kinds == Kind.DEPTH))
        if not checks.depth.contiguous(state, table, depth, mask, lines.block, first, source):
            self._depth_one_by_one(state, table, mask, lines, depth, first, source)
        checks.depth.flush(state)
        for code, what in ((Kind.TRADE, "trade"), (Kind.AGG_TRADE, "agg_trade")):
            offsets = np.flatnonzero(mask & (kinds == code))
            if len(offsets):
                checks.trades.block(state, what, table[offsets], offsets, first, source)
        offsets = np.flatnonzero(mask & (kinds == Kind.BOOK_TICKER))
        if len(offsets):
            checks.tickers.block(state, table[offsets], offsets, first, source)
        timed = np.flatnonzero(
            mask
            & (kinds >= Kind.DEPTH)
            & (kinds <= Kind.AGG_TRADE)
            & (table[:, Column.E] != MISSING)
        )
        if len(timed):
            checks.clock.block(state, table[timed], timed, first, source)
        state.counts["other_messages"] += int(np.count_nonzero(mask & (kinds == Kind.OTHER)))

    def _depth_one_by_one(
        self,
        state: SymbolState,
        table: np.ndarray,
        mask: np.ndarray,
        lines: LineSlices,
        depth: np.ndarray,
        first: int,
        source: str,
    ) -> None:
        """Depth diffs and snapshots through the sync rules one at a time, in line order."""
        depth_checks, kinds = self.checkers.depth, table[:, Column.KIND]
        book_levels = block_levels(table, depth, lines.block)
        for offset in np.flatnonzero(
            mask & ((kinds == Kind.DEPTH) | (kinds == Kind.SNAPSHOT))
        ).tolist():
            at = Where(source, first + offset)
            if kinds[offset] == Kind.SNAPSHOT:
                depth_checks.snapshot(state, MESSAGE.decode(lines[offset]), at)
                continue
            changes = book_levels.get(offset)
            if changes is None:
                changes = depth_checks.decoded(state, lines[offset], at)
                if changes is None:
                    continue
            row = table[offset]
            at = at._replace(origin_ms=value(row[Column.E]))
            low, high, previous = (
                value(row[Column.FIRST_ID]),
                value(row[Column.LAST_ID]),
                value(row[Column.PU]),
            )
            depth_checks.diff(state, low, high, changes, at, previous=previous)
