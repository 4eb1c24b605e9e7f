"""Data-quality checks over golden samples: one streaming pass, every finding an ``ISSUE`` row.

Per Binance symbol (``BTCUSDT``) the validator follows:

- depth diffs: continuity of ``U..u`` (gaps, late and duplicated messages, see
  :mod:`rlx_lib.validation.sequence`) and the official sync rules after each REST snapshot
  (:class:`~rlx_lib.venues.binance.DepthSync`); the book is rebuilt exactly and checked for
  crossing after every applied diff;
- trades and aggregate trades: id continuity (``t``, ``a``);
- ``bookTicker``: the rebuilt top of book after update id ``X`` against the last bookTicker
  with ``u <= X`` (joined by id, never by arrival order);
- the capture clock: latency ``capture_ns - E`` (distribution, negative, jumps) and capture
  time running backwards within a file.

Findings are capped per symbol and check (``max_rows``); the counters stay exact.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from rlx_lib.catalog import binance_symbol, lake_symbol
from rlx_lib.golden import ReadReport, iter_line_blocks
from rlx_lib.reconstruction import L2Book
from rlx_lib.schemas import issue_row
from rlx_lib.validation.batch import MISSING, BatchChecks
from rlx_lib.validation.loader import GoldenMessage, levels, raw_units
from rlx_lib.validation.sequence import Hole, Verdict
from rlx_lib.validation.state import (
    STAGE,
    SymbolState,
    latency_bins,
    latency_quantiles,
    state_summary,
    units_text,
    where_fields,
)
from rlx_lib.venues import MARKETS, market_of_exchange
from rlx_lib.venues.binance import SPOT, Market, SyncVerdict

__all__ = [
    "STAGE",
    "GoldenValidator",
    "SymbolState",
    "latency_quantiles",
    "state_summary",
]

log = logging.getLogger(__name__)

_PATH_SYMBOL = re.compile(r"symbol=([A-Z0-9-]+)")
_PATH_EXCHANGE = re.compile(r"exchange=([A-Z0-9_]+)")


_DECODER = msgspec.json.Decoder(GoldenMessage)


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


def _top_text(top: list[int]) -> str:
    bid_price, bid_size, ask_price, ask_size = map(units_text, top)
    return f"bid {bid_price} x {bid_size}, ask {ask_price} x {ask_size}"


def _payload_ids(data: Any) -> dict[str, int | None]:
    """The trade-id keys of a decoded payload (``a`` read as a number only where it is one)."""
    text = bytes(data.a)
    return {"t": data.t, "a": int(text) if text.isdigit() else None}


def _units_or_missing(raw: msgspec.Raw) -> int:
    return raw_units(raw) if raw else MISSING


class GoldenValidator(BatchChecks):
    """Validate golden files in one streaming pass; call :meth:`add_file`, then :meth:`finish`.

    Parameters
    ----------
    window
        Messages a hole may stay open before it counts as a gap (late arrivals fill it).
    jump_ms
        Change of capture latency between consecutive messages reported as a clock jump.
    max_rows
        Issue rows kept per symbol and check; counters are never capped.
    """

    def __init__(self, *, window: int = 1000, jump_ms: int = 1000, max_rows: int = 1000) -> None:
        self.window = window
        self.jump_ms = jump_ms
        self.max_rows = max_rows
        self.market: Market = SPOT  # the market of the file being read (from its path)
        self.states: dict[str, SymbolState] = {}  # spot, by Binance symbol
        self.futures_states: dict[str, SymbolState] = {}  # USD-M futures, by Binance symbol
        self.issues: list[dict[str, Any]] = []
        self.reports: list[ReadReport] = []
        self.files_done: list[str] = []
        self.position: tuple[str, int] | None = None  # file and line reached (for resume)
        self._rows: Counter = Counter()
        self._streams: dict[tuple, tuple[str, str]] = {}
        self._hashes: dict[int, tuple[str, str]] = {}  # stream-name hash -> (symbol, kind)
        self._previous_capture = 0
        self._finished = False
        self._read_issues = 0  # issues found while reading, before finish() adds its own

    @classmethod
    def merged(cls, parts: list[GoldenValidator]) -> GoldenValidator:
        """One finished validator from finished ones over disjoint symbols and files: what one
        validator reading their files in turn would hold (issues found while reading, part by
        part, then those found when finishing)."""
        whole = cls()
        whole._finished = True
        for part in parts:
            whole.window, whole.jump_ms, whole.max_rows = part.window, part.jump_ms, part.max_rows
            whole.states.update(part.states)
            whole.futures_states.update(part.futures_states)
            whole.issues += part.issues[: part._read_issues]
            whole.reports += part.reports
            whole.files_done += part.files_done
            whole._rows.update(part._rows)
        whole._read_issues = len(whole.issues)
        for part in parts:
            whole.issues += part.issues[part._read_issues :]
        return whole

    # -- issues ---------------------------------------------------------------------------

    def _issue(self, check: str, severity: str, symbol: str, detail: str, **where: Any) -> None:
        if self.market.chained and symbol.isalnum():  # futures rows name Lake's -PERP symbol
            symbol = lake_symbol(symbol, market=self.market.name)
        key = (symbol, check)
        self._rows[key] += 1
        if self._rows[key] <= self.max_rows:
            self.issues.append(
                issue_row(STAGE, check, severity, symbol, detail, **where_fields(where))
            )

    def _state(self, symbol: str) -> SymbolState:
        states = self.futures_states if self.market.chained else self.states
        state = states.get(symbol)
        if state is None:
            state = states[symbol] = SymbolState(symbol, self.window, self.market.name)
        return state

    def _stream(self, stream: str, event: str | None = None) -> tuple[str, str]:
        """``(Binance symbol, kind)`` of a stream; the market's classifier decides the kind."""
        key = (self.market.name, stream, event)
        known = self._streams.get(key)
        if known is None:
            known = (stream.partition("@")[0].upper(), self.market.classify(stream, event))
            self._streams[key] = known
        return known

    # -- files ----------------------------------------------------------------------------

    def add_files(self, paths: Iterable[Path]) -> None:
        """Validate files in order (hours of one symbol must follow each other)."""
        for path in paths:
            if str(path) not in self.files_done:
                self.add_file(path)

    def add_file(
        self, path: Path, *, skip_lines: int = 0, checkpoint: Any = None, every: int = 200_000
    ) -> ReadReport:
        """Validate one golden file, continuing the state left by earlier files.

        Lines are read in batches: a compiled scan (:mod:`rlx_lib.validation.scan`) takes the
        ids and clocks of canonical lines and the checks run on arrays; only depth diffs,
        snapshots and anomalies are decoded one by one. A batch holding any non-canonical line
        is read line by line with the typed decoder. ``skip_lines`` resumes inside a file;
        ``checkpoint(validator)`` is called about every ``every`` lines.
        """
        source = str(path)
        report = ReadReport(source)
        exchange = _PATH_EXCHANGE.search(source)
        self.market = market_of_exchange(exchange.group(1)) if exchange else SPOT
        match = _PATH_SYMBOL.search(source)
        file_symbols = {binance_symbol(match.group(1)).upper()} if match else set()
        self._previous_capture = 0
        number = 0  # lines before the current block
        next_checkpoint = skip_lines + every
        for block in iter_line_blocks(Path(path), report):
            count = block.count(b"\n")
            if number + count <= skip_lines:
                number += count
                continue
            if number < skip_lines:  # resume inside this block
                cut = 0
                for _ in range(skip_lines - number):
                    cut = block.index(b"\n", cut) + 1
                block, count, number = block[cut:], count - (skip_lines - number), skip_lines
            self._batch(block, count, number + 1, source, file_symbols)
            number += count
            if checkpoint is not None and number >= next_checkpoint:
                self.position = (source, number)
                checkpoint(self)
                next_checkpoint = number + every
        self._file_damage(report, file_symbols)
        self.reports.append(report)
        self.files_done.append(source)
        self.position = None
        return report

    def _line(self, line: bytes, number: int, source: str, file_symbols: set[str]) -> None:
        """The line-by-line path (non-canonical batches): typed decode, then the checks."""
        try:
            message = _DECODER.decode(line)
        except (msgspec.DecodeError, msgspec.ValidationError):
            if not line.strip():
                return
            self._issue(
                "bad_line",
                "error",
                next(iter(file_symbols), ""),
                "line is not a golden record",
                source=source,
                position=number,
            )
            return
        symbol, kind = self._stream(message.stream, message.data.e)
        capture = message.capture_ns
        if capture < self._previous_capture:
            self._capture_backwards(
                symbol, capture, self._previous_capture, message.data.E, source, number
            )
        self._previous_capture = capture
        if kind == "session":
            self._session(message, file_symbols, source, number)
            return
        state = self._state(symbol)
        file_symbols.add(symbol)
        data = message.data
        if kind == "depth":
            self._depth(state, message, source, number)
        elif kind == "book_ticker":
            self._book_ticker_id(state, data.u, data, source, number)
        elif kind in ("trade", "agg_trade"):
            state.counts[f"{kind}_messages"] += 1
            event_ms = data.T if data.T is not None else data.E
            self._clock(state, capture, data.E, source, number, event_ms)
            trade_id = self.market.trade_id(kind, _payload_ids(data))
            self._trade_id(state, kind, trade_id, event_ms, source, number)
        elif kind == "snapshot":
            self._snapshot(state, message, source, number)
            self._flush(state)
        else:
            state.counts["other_messages"] += 1

    def _capture_backwards(
        self,
        symbol: str,
        capture: int,
        previous: int,
        event_ms: int | None,
        source: str,
        number: int,
    ) -> None:
        self._issue(
            "capture_clock_backwards",
            "warning",
            symbol,
            f"capture_ns {capture} is {(previous - capture) / 1e6:.3f} ms before the previous "
            "line's",
            source=source,
            position=number,
            origin_ms=event_ms,
        )
        self._state(symbol).counts["capture_clock_backwards"] += 1

    def _file_damage(self, report: ReadReport, symbols: set[str]) -> None:
        symbol = ",".join(sorted(symbols))
        for check, severity, line, detail in report.findings():
            self._issue(check, severity, symbol, detail, source=report.path, position=line)
        for number, why in report.bad_lines:
            if why.startswith("truncated last line"):
                self._issue(
                    "broken_last_line", "error", symbol, why, source=report.path, position=number
                )

    # -- messages -------------------------------------------------------------------------

    def _clock(
        self,
        state: SymbolState,
        capture_ns: int,
        event_ms: int | None,
        source: str,
        number: int,
        origin_ms: int | None = None,
    ) -> None:
        if event_ms is None:
            return
        origin_ms = event_ms if origin_ms is None else origin_ms
        if state.first_ms is None or origin_ms < state.first_ms:
            state.first_ms = origin_ms
        if state.last_ms is None or origin_ms > state.last_ms:
            state.last_ms = origin_ms
        latency = capture_ns // 1_000_000 - event_ms
        state.latency[int(latency_bins(np.array([latency]))[0])] += 1
        previous = state.previous_latency
        if previous is not None and abs(latency - previous) > self.jump_ms:
            self._clock_jump(state, previous, latency, source, number, event_ms)
        state.previous_latency = latency

    def _clock_jump(
        self,
        state: SymbolState,
        previous: int,
        latency: int,
        source: str,
        number: int,
        event_ms: int,
    ) -> None:
        state.counts["capture_clock_jumps"] += 1
        self._issue(
            "capture_clock_jump",
            "warning",
            state.symbol,
            f"capture latency jumped from {previous} ms to {latency} ms",
            source=source,
            position=number,
            origin_ms=event_ms,
        )

    def _sequence_issue(
        self,
        state: SymbolState,
        what: str,
        verdict: Verdict,
        first: int,
        last: int,
        source: str,
        number: int,
        event_ms: int | None,
    ) -> None:
        ids = f"{first}..{last}" if first != last else str(first)
        if verdict is Verdict.DUPLICATE:
            state.counts["duplicates"] += 1
            self._issue(
                "duplicate",
                "warning",
                state.symbol,
                f"{what} ids {ids} were already seen",
                source=source,
                position=number,
                origin_ms=event_ms,
                update_id=last,
            )
        else:
            state.counts["out_of_order"] += 1
            self._issue(
                "out_of_order",
                "warning",
                state.symbol,
                f"{what} ids {ids} arrived after later ids ({verdict.value})",
                source=source,
                position=number,
                origin_ms=event_ms,
                update_id=last,
            )

    def _gaps(self, state: SymbolState, what: str, holes: list[Hole]) -> None:
        check = {"depth": "depth_gap", "trade": "trade_id_gap", "agg_trade": "agg_trade_id_gap"}
        for hole in holes:
            state.counts[check[what] + "s"] += 1
            state.counts[f"missing_{what}_ids"] += hole.size
            source, number, event_ms = hole.where
            self._issue(
                check[what],
                "error",
                state.symbol,
                f"{what} ids {hole.first}..{hole.last} missing ({hole.size}) before this message",
                source=source,
                position=number,
                origin_ms=event_ms,
                update_id=hole.first,
            )

    def _depth(
        self,
        state: SymbolState,
        message: GoldenMessage,
        source: str,
        number: int,
    ) -> None:
        data = message.data
        self._clock(state, message.capture_ns, data.E, source, number)
        self._depth_ids(
            state, data.U, data.u, data.E, (data.b, data.a), source, number, previous=data.pu
        )
        self._flush(state)

    def _depth_ids(
        self,
        state: SymbolState,
        first: int | None,
        last: int | None,
        event_ms: int | None,
        changes: tuple,
        source: str,
        number: int,
        previous: int | None = None,
    ) -> None:
        """One depth diff; ``changes`` is ``(bids, asks)`` as raw JSON arrays, or parsed
        ``(is_bid, price, size)`` arrays. On a chained market (futures) continuity is
        ``pu == previous u``: the diff's range starts at ``previous + 1``."""
        state.counts["depth_messages"] += 1
        state.depth_since_reset = True
        if first is None or last is None:
            self._issue(
                "bad_message",
                "error",
                state.symbol,
                "depth diff without U or u",
                source=source,
                position=number,
                origin_ms=event_ms,
            )
            return
        low = first
        if self.market.chained:
            if previous is None:
                self._issue(
                    "bad_message",
                    "error",
                    state.symbol,
                    "futures depth diff without pu",
                    source=source,
                    position=number,
                    origin_ms=event_ms,
                )
                return
            low = previous + 1
        verdict, holes = state.depth_ids.observe(low, last, (source, number, event_ms))
        if holes:
            self._gaps(state, "depth", holes)
        if verdict is Verdict.LATE or verdict is Verdict.DUPLICATE:
            self._sequence_issue(state, "depth", verdict, first, last, source, number, event_ms)
            return
        steps = state.sync.diff(first, last, (source, number, event_ms, changes), previous)
        self._sync_steps(state, steps, replay=False)

    def _sync_steps(self, state: SymbolState, steps: list, *, replay: bool) -> None:
        for step in steps:
            verdict = step.verdict
            if verdict is SyncVerdict.APPLY:
                source, number, event_ms, changes = step.item
                if not state.book_valid:
                    continue
                state.counts["depth_applied"] += 1
                state.ops.append(
                    (
                        False,
                        *_level_arrays(changes),
                        (step.final_update_id, source, number, event_ms),
                    )
                )
            elif verdict is SyncVerdict.STALE:
                state.counts["depth_stale"] += 1
            elif verdict is SyncVerdict.GAP:
                source, number, event_ms = step.item[:3]
                state.book_valid = False
                state.counts["book_resets"] += 1
                check = "snapshot_stale" if replay else "book_desynced"
                why = (
                    "the snapshot is older than the buffered diffs"
                    if replay
                    else "updates are missing"
                )
                self._issue(
                    check,
                    "warning",
                    state.symbol,
                    f"sync lost: expected U <= {step.expected_first}, received "
                    f"U={step.first_update_id} ({why}); book checks wait for the next "
                    "snapshot",
                    source=source,
                    position=number,
                    origin_ms=event_ms,
                    update_id=step.first_update_id,
                )

    def _snapshot(
        self, state: SymbolState, message: GoldenMessage, source: str, number: int
    ) -> None:
        data = message.data
        last_id = data.lastUpdateId
        state.counts["snapshots"] += 1
        if last_id is None:
            self._issue(
                "bad_message",
                "error",
                state.symbol,
                "depth snapshot without lastUpdateId",
                source=source,
                position=number,
            )
            return
        bids, asks = levels(data.bids), levels(data.asks)
        state.snapshot_levels.append((last_id, len(bids), len(asks)))
        if state.book is None:
            state.book = L2Book()
        state.book_valid = True
        state.ops.append((True, *_level_arrays((bids, asks)), None))
        self._sync_steps(state, state.sync.snapshot(last_id), replay=True)

    def _session(self, message: GoldenMessage, symbols: set[str], source: str, number: int) -> None:
        event = message.data.event
        for symbol in symbols:
            state = self._state(symbol)
            state.counts["session_records"] += 1
            if event == "recovered":
                detail = (
                    "capture cut short: the file was closed afterwards by rlx capture --recover"
                )
                self._issue(
                    "capture_cut_short", "warning", symbol, detail, source=source, position=number
                )
            if event in ("disconnected", "resync") or (
                event == "connected" and state.depth_since_reset
            ):
                state.sync.reset()
                state.book_valid = False
                state.depth_since_reset = False
                state.counts["session_resets"] += 1
                self._issue(
                    "session_reset",
                    "info",
                    symbol,
                    f"capture session {event}: the book waits for a new snapshot",
                    source=source,
                    position=number,
                )

    def _trade_id(
        self,
        state: SymbolState,
        what: str,
        trade_id: int | None,
        event_ms: int | None,
        source: str,
        number: int,
    ) -> None:
        if trade_id is None:
            self._issue(
                "bad_message",
                "error",
                state.symbol,
                f"{what} without an id",
                source=source,
                position=number,
                origin_ms=event_ms,
            )
            return
        ids = state.trade_ids if what == "trade" else state.agg_ids
        verdict, holes = ids.observe(trade_id, trade_id, (source, number, event_ms))
        if holes:
            self._gaps(state, what, holes)
        if verdict is Verdict.LATE or verdict is Verdict.DUPLICATE:
            self._sequence_issue(state, what, verdict, trade_id, trade_id, source, number, event_ms)

    # -- bookTicker join by update id -------------------------------------------------------

    def _book_ticker_id(
        self, state: SymbolState, update_id: int | None, tops: Any, source: str, number: int
    ) -> None:
        """One bookTicker (``tops``: its payload or its (b, B, a, A) units) through the order
        check."""
        state.counts["book_ticker_messages"] += 1
        if update_id is None:
            return
        last = state.last_ticker_id
        if last is not None and update_id <= last:
            verdict = Verdict.DUPLICATE if update_id == last else Verdict.LATE
            self._sequence_issue(
                state, "bookTicker", verdict, update_id, update_id, source, number, None
            )
            return
        if not isinstance(tops, np.ndarray):
            tops = np.array(
                [
                    _units_or_missing(tops.b),
                    _units_or_missing(tops.B),
                    _units_or_missing(tops.a),
                    _units_or_missing(tops.A),
                ]
            )
        self._add_tickers(state, np.array([update_id]), tops.reshape(1, 4))

    def _add_tickers(self, state: SymbolState, ids: np.ndarray, tops: np.ndarray) -> None:
        state.ticker_ids = np.concatenate([state.ticker_ids, ids])
        state.ticker_tops = np.concatenate([state.ticker_tops, tops])
        state.last_ticker_id = int(ids[-1])
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
            top, ticker = book[k].tolist(), seen[k].tolist()
            source, number, event_ms = state.pending_where[row]
            self._issue(
                "book_ticker_mismatch",
                "warning",
                state.symbol,
                f"book after u={int(state.pending_ids[row])}: {_top_text(top)}; bookTicker "
                f"u={int(state.ticker_ids[index[k]])}: {_top_text(ticker)}",
                source=source,
                position=number,
                origin_ms=event_ms,
                update_id=int(state.pending_ids[row]),
            )

    def _flush(self, state: SymbolState) -> None:
        """Replay the queued snapshots and diffs on the book in one compiled call, then check
        each diff's top of book (crossed, bookTicker)."""
        ops = state.ops
        if not ops or state.book is None:
            ops.clear()
            return
        starts = np.zeros(len(ops) + 1, dtype=np.int64)
        np.cumsum([len(op[2]) for op in ops], out=starts[1:])
        top = state.book.replay(
            np.concatenate([op[1] for op in ops]),
            np.concatenate([op[2] for op in ops]),
            np.concatenate([op[3] for op in ops]),
            starts,
            np.array([op[0] for op in ops], dtype=bool),
            depth=1,
        )
        applied = np.array([not op[0] for op in ops], dtype=bool)
        meta = [op[4] for op in ops if not op[0]]
        ops.clear()
        if meta:
            self._checked_tops(
                state,
                np.array([m[0] for m in meta], dtype=np.int64),
                top,
                applied,
                [m[1:] for m in meta],
            )

    def _checked_tops(
        self,
        state: SymbolState,
        ids: np.ndarray,
        top: Any,
        rows: np.ndarray,
        where: list[tuple[str, int, int | None]],
    ) -> None:
        """Crossed-book check of the tops ``top[rows]`` after diffs ``ids``; then queue them
        for the bookTicker join."""
        tops = np.stack(
            [top.bid_price[:, 0], top.bid_size[:, 0], top.ask_price[:, 0], top.ask_size[:, 0]],
            axis=1,
        )[rows]
        crossed = (tops[:, 0] > 0) & (tops[:, 2] > 0) & (tops[:, 0] >= tops[:, 2])
        for k in np.flatnonzero(crossed).tolist():
            source, number, event_ms = where[k]
            update_id = int(ids[k])
            state.counts["crossed_books"] += 1
            self._issue(
                "crossed_book",
                "error",
                state.symbol,
                f"best bid {units_text(int(tops[k, 0]))} >= best ask "
                f"{units_text(int(tops[k, 2]))} after u={update_id}",
                source=source,
                position=number,
                origin_ms=event_ms,
                update_id=update_id,
            )
        state.pending_ids = np.concatenate([state.pending_ids, ids])
        state.pending_tops = np.concatenate([state.pending_tops, tops])
        state.pending_where.extend(where)
        self._resolve(state)

    # -- end ------------------------------------------------------------------------------

    def finish(self) -> None:
        """Close open holes, resolve the last book states, and add per-symbol summaries."""
        if self._finished:
            return
        self._finished = True
        self._read_issues = len(self.issues)
        for state in [*self.states.values(), *self.futures_states.values()]:
            self.market = MARKETS[state.market]
            self._gaps(state, "depth", state.depth_ids.close())
            self._gaps(state, "trade", state.trade_ids.close())
            self._gaps(state, "agg_trade", state.agg_ids.close())
            if len(state.pending_ids):  # every bookTicker is known now
                index = np.searchsorted(state.ticker_ids, state.pending_ids, side="right") - 1
                self._compare(state, np.arange(len(state.pending_ids)), index)
                state.pending_ids = state.pending_ids[:0]
                state.pending_where = []
            self._clock_summary(state)
            if state.counts["depth_messages"] and not state.counts["snapshots"]:
                self._issue(
                    "no_snapshot",
                    "warning",
                    state.symbol,
                    "depth diffs but no depth snapshot: the book cannot be rebuilt",
                )

    def _clock_summary(self, state: SymbolState) -> None:
        total = sum(state.latency.values())
        negative = sum(n for latency, n in state.latency.items() if latency < 0)
        state.counts["negative_latency"] = negative
        if negative:
            median = latency_quantiles(state.latency)["p50"]
            self._issue(
                "capture_clock_behind",
                "warning",
                state.symbol,
                f"{negative} of {total} messages were captured before their exchange "
                f"time (median latency {median} ms): the capture clock runs behind",
            )
