"""The batch path of the golden validator: a compiled scan per block of lines, checks on arrays.

A block of canonical golden lines is scanned once (:func:`rlx_lib.validation.scan.scan_block`):
capture times, ids, event times and bookTicker tops land in one int64 table. Trades and
bookTickers are then checked as arrays (contiguous ids take one comparison per block), the
capture clock is checked as arrays, and only depth diffs and snapshots go one by one through
the sync rules, with their price levels parsed by the compiled scan. A block holding any
non-canonical line or a session record is read line by line instead.
"""

from __future__ import annotations

from typing import Any

import msgspec
import numpy as np

from rlx_lib.validation.loader import GoldenMessage
from rlx_lib.validation.scan import FIELDS, parse_levels, scan_block
from rlx_lib.validation.state import SymbolState, latency_bins

__all__ = ["MISSING", "BatchChecks"]

MISSING = np.iinfo(np.int64).min
"""Marks a number the scan did not find."""

_DECODER = msgspec.json.Decoder(GoldenMessage)
(
    _CAPTURE,
    _E,
    _T,
    _FIRST_ID,
    _LAST_ID,
    _ID,
    _HASH,
    _KIND,
    _START,
    _END,
    _OK,
    _BID_PRICE,
    _BID_SIZE,
    _ASK_PRICE,
    _ASK_SIZE,
    _PU,
) = range(len(FIELDS))
_OTHER, _DEPTH, _TRADE, _AGG_TRADE, _BOOK_TICKER, _SNAPSHOT, _SESSION = range(7)


class _Lines:
    """Lines of a scanned block by offset, sliced only when needed."""

    __slots__ = ("block", "table")

    def __init__(self, block: bytes, table: np.ndarray) -> None:
        self.block = block
        self.table = table

    def __getitem__(self, offset: int) -> bytes:
        return self.block[int(self.table[offset, _START]) : int(self.table[offset, _END])]


def _value(number: Any) -> int | None:
    return None if number == MISSING else int(number)


class BatchChecks:
    """Mixin of :class:`~rlx_lib.validation.checks.GoldenValidator`: the block-at-a-time path."""

    def _batch(self, block: bytes, count: int, first: int, source: str, symbols: set[str]) -> None:
        """Check ``count`` newline-terminated lines of ``block``, the first being line ``first``."""
        table = scan_block(block, count, self.market)
        if (
            len(table) != count
            or not table[:, _OK].all()
            or bool((table[:, _KIND] == _SESSION).any())  # resets must keep their line order
        ):
            for offset, line in enumerate(block.split(b"\n")[:count]):
                self._line(line, first + offset, source, symbols)
            return
        lines = _Lines(block, table)
        hashes = table[:, _HASH]
        names = self._hash_names(hashes, lines)
        capture = table[:, _CAPTURE]
        previous = np.empty_like(capture)
        previous[0] = self._previous_capture
        previous[1:] = capture[:-1]
        for offset in np.flatnonzero(capture < previous).tolist():
            self._capture_backwards(
                names[int(hashes[offset])][0],
                int(capture[offset]),
                int(previous[offset]),
                _value(table[offset, _E]),
                source,
                first + offset,
            )
        self._previous_capture = int(capture[-1])
        unique = np.unique(hashes)
        by_symbol: dict[str, np.ndarray] = {}
        if len(unique) == 1 or len({names[int(h)][0] for h in unique.tolist()}) == 1:
            by_symbol[names[int(unique[0])][0]] = np.ones(count, dtype=bool)
        else:
            for value in unique.tolist():
                symbol = names[value][0]
                mask = hashes == value
                by_symbol[symbol] = by_symbol[symbol] | mask if symbol in by_symbol else mask
        for symbol, mask in by_symbol.items():
            if not symbol.isalnum():  # control streams such as !serverShutdown
                continue
            state = self._state(symbol)
            symbols.add(symbol)
            self._symbol_batch(state, table, mask, lines, block, first, source)

    def _hash_names(self, hashes: np.ndarray, lines: _Lines) -> dict[int, tuple[str, str]]:
        names = self._hashes
        for value in np.unique(hashes).tolist():
            if value not in names:
                line = lines[int(np.argmax(hashes == value))]
                start = line.index(b'"stream": "') + 11
                stream = line[start : line.index(b'"', start)].decode()
                names[value] = self._stream(stream)
        return names

    def _symbol_batch(
        self,
        state: SymbolState,
        table: np.ndarray,
        mask: np.ndarray,
        lines: _Lines,
        block: bytes,
        first: int,
        source: str,
    ) -> None:
        kinds = table[:, _KIND]
        counts = state.counts
        depth = np.flatnonzero(mask & (kinds == _DEPTH))
        if not self._contiguous_depth(state, table, depth, mask, block, first, source):
            book_levels = self._depth_levels(table, depth, block)
            for offset in np.flatnonzero(
                mask & ((kinds == _DEPTH) | (kinds == _SNAPSHOT))
            ).tolist():
                if kinds[offset] == _SNAPSHOT:
                    self._snapshot(state, _DECODER.decode(lines[offset]), source, first + offset)
                    continue
                changes = book_levels.get(offset)
                if changes is None:
                    changes = self._decoded_levels(state, lines[offset], source, first + offset)
                    if changes is None:
                        continue
                row = table[offset]
                self._depth_ids(
                    state,
                    _value(row[_FIRST_ID]),
                    _value(row[_LAST_ID]),
                    _value(row[_E]),
                    changes,
                    source,
                    first + offset,
                    previous=_value(row[_PU]),
                )
        self._flush(state)
        for code, what in ((_TRADE, "trade"), (_AGG_TRADE, "agg_trade")):
            offsets = np.flatnonzero(mask & (kinds == code))
            if len(offsets):
                self._trades(state, what, table[offsets], offsets, first, source)
        offsets = np.flatnonzero(mask & (kinds == _BOOK_TICKER))
        if len(offsets):
            self._book_tickers(state, table[offsets], offsets, first, source)
        timed = np.flatnonzero(
            mask & (kinds >= _DEPTH) & (kinds <= _AGG_TRADE) & (table[:, _E] != MISSING)
        )
        if len(timed):
            self._clocks(state, table[timed], timed, first, source)
        counts["other_messages"] += int(np.count_nonzero(mask & (kinds == _OTHER)))

    def _contiguous_depth(
        self,
        state: SymbolState,
        table: np.ndarray,
        depth: np.ndarray,
        mask: np.ndarray,
        block: bytes,
        first: int,
        source: str,
    ) -> bool:
        """Apply a run of diffs in one go when the book is synced and every ``U`` follows the
        previous ``u``: the sync rules would say APPLY to each, so they are not asked one by
        one. Return False (nothing done) otherwise."""
        if not len(depth) or not state.book_valid or state.depth_ids.holes:
            return False
        if state.sync.first_pending:
            return False
        if (mask & (table[:, _KIND] == _SNAPSHOT)).any():
            return False
        lows, highs = self._sequence_lows(table[depth]), table[depth, _LAST_ID]
        synced = state.sync.update_id
        if synced is None or state.depth_ids.last != synced or lows[0] != synced + 1:
            return False
        if lows.min() == MISSING or highs.min() == MISSING or (highs < lows).any():
            return False
        if len(depth) > 1 and not (lows[1:] == highs[:-1] + 1).all():
            return False
        line, is_bid, price, size, ok = parse_levels(
            block, table[depth, _START], table[depth, _END]
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
        events = table[depth, _E].tolist()
        where = [
            (source, first + offset, None if event == MISSING else event)
            for offset, event in zip(depth.tolist(), events, strict=True)
        ]
        self._checked_tops(state, highs.copy(), top, np.arange(count), where)
        return True

    def _sequence_lows(self, rows: np.ndarray) -> np.ndarray:
        """Where each diff's id range starts for continuity: ``U``, or on a chained market
        ``pu + 1`` (so a diff follows on when it names the previous one's ``u``)."""
        if not self.market.chained:
            return rows[:, _FIRST_ID]
        previous = rows[:, _PU]
        return np.where(previous == MISSING, MISSING, previous + 1)

    def _decoded_levels(
        self, state: SymbolState, line: bytes, source: str, number: int
    ) -> tuple | None:
        """Levels of a diff the scan could not read, by the typed decoder (None: a bad line)."""
        try:
            data = _DECODER.decode(line).data
        except (msgspec.DecodeError, msgspec.ValidationError):
            self._issue(
                "bad_line",
                "error",
                state.symbol,
                "depth diff is not valid JSON",
                source=source,
                position=number,
            )
            return None
        return data.b, data.a

    @staticmethod
    def _depth_levels(table: np.ndarray, depth: np.ndarray, block: bytes) -> dict[int, tuple]:
        """Parsed ``(bids, asks)`` per depth line offset (lines the scan could not read are
        left out and decoded one by one)."""
        if not len(depth):
            return {}
        line, is_bid, price, size, ok = parse_levels(
            block, table[depth, _START], table[depth, _END]
        )
        bounds = np.searchsorted(line, np.arange(len(depth) + 1))
        parsed = {}
        for index, offset in enumerate(depth.tolist()):
            if not ok[index]:
                continue
            low, high = int(bounds[index]), int(bounds[index + 1])
            parsed[offset] = (is_bid[low:high], price[low:high], size[low:high])
        return parsed

    def _trades(
        self,
        state: SymbolState,
        what: str,
        rows: np.ndarray,
        offsets: np.ndarray,
        first: int,
        source: str,
    ) -> None:
        state.counts[f"{what}_messages"] += len(rows)
        ids = rows[:, _ID]
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
        times = np.where(rows[:, _T] != MISSING, rows[:, _T], rows[:, _E])
        for row, offset in enumerate(offsets.tolist()):
            self._trade_id(
                state, what, _value(ids[row]), _value(times[row]), source, first + offset
            )

    def _book_tickers(
        self,
        state: SymbolState,
        rows: np.ndarray,
        offsets: np.ndarray,
        first: int,
        source: str,
    ) -> None:
        ids = rows[:, _LAST_ID]
        last = state.last_ticker_id
        if (
            ids.min() != MISSING
            and (last is None or ids[0] > last)
            and (len(ids) == 1 or bool((np.diff(ids) > 0).all()))
        ):
            state.counts["book_ticker_messages"] += len(ids)
            self._add_tickers(state, ids, rows[:, _BID_PRICE : _ASK_SIZE + 1])
            return
        for row, offset in enumerate(offsets.tolist()):
            tops = rows[row, _BID_PRICE : _ASK_SIZE + 1]
            self._book_ticker_id(state, _value(ids[row]), tops, source, first + offset)

    def _clocks(
        self, state: SymbolState, rows: np.ndarray, offsets: np.ndarray, first: int, source: str
    ) -> None:
        events = rows[:, _E]
        origins = np.where(rows[:, _T] != MISSING, rows[:, _T], events)
        low, high = int(origins.min()), int(origins.max())
        if state.first_ms is None or low < state.first_ms:
            state.first_ms = low
        if state.last_ms is None or high > state.last_ms:
            state.last_ms = high
        latency = rows[:, _CAPTURE] // 1_000_000 - events
        values, counts = np.unique(latency_bins(latency), return_counts=True)
        histogram = state.latency
        for value, count in zip(values.tolist(), counts.tolist(), strict=True):
            histogram[value] += count
        previous = np.empty_like(latency)
        previous[0] = latency[0] if state.previous_latency is None else state.previous_latency
        previous[1:] = latency[:-1]
        for row in np.flatnonzero(np.abs(latency - previous) > self.jump_ms).tolist():
            self._clock_jump(
                state,
                int(previous[row]),
                int(latency[row]),
                source,
                first + int(offsets[row]),
                int(events[row]),
            )
        state.previous_latency = int(latency[-1])
