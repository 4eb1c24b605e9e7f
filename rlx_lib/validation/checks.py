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

import bisect
import datetime as dt
import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlx_lib.golden import ReadReport
from rlx_lib.validation.book import ExactBook, Top
from rlx_lib.validation.loader import GoldenMessage, iter_messages, levels, raw_units
from rlx_lib.validation.sequence import Hole, IdSequence, Verdict
from rlx_lib.venues.binance import DepthSync, SyncVerdict

__all__ = ["STAGE", "GoldenValidator", "SymbolState", "issue_row"]

log = logging.getLogger(__name__)

STAGE = "validation"
_PATH_SYMBOL = re.compile(r"symbol=([A-Z0-9-]+)")
_KINDS = {
    "depth@100ms": "depth",
    "depth": "depth",
    "trade": "trade",
    "aggTrade": "agg_trade",
    "bookTicker": "book_ticker",
    "depthSnapshot": "snapshot",
}


def issue_row(
    check: str,
    severity: str,
    symbol: str,
    detail: str,
    *,
    source: str | None = None,
    position: int | None = None,
    origin_ms: int | None = None,
    update_id: int | None = None,
) -> dict[str, Any]:
    """One ``ISSUE`` row (``origin_ms`` is exchange time in ms, stored as ns)."""
    return {
        "stage": STAGE,
        "check": check,
        "severity": severity,
        "symbol": symbol,
        "source": source,
        "position": position,
        "origin_time": None if origin_ms is None else origin_ms * 1_000_000,
        "update_id": update_id,
        "detail": detail,
    }


def _iso_ms(ms: int | None) -> str | None:
    if ms is None:
        return None
    moment = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _fmt(units: int | None) -> str:
    if units is None:
        return "-"
    whole, frac = divmod(units, 100_000_000)
    return f"{whole}.{frac:08d}".rstrip("0").rstrip(".")


@dataclass
class SymbolState:
    """Everything the validator knows about one symbol so far."""

    symbol: str
    window: int
    counts: Counter = field(default_factory=Counter)
    depth_ids: IdSequence = field(init=False)
    trade_ids: IdSequence = field(init=False)
    agg_ids: IdSequence = field(init=False)
    sync: DepthSync = field(default_factory=lambda: DepthSync(max_buffer=20_000))
    book: ExactBook | None = None
    last_ticker_id: int | None = None
    tickers: list[tuple[int, Any]] = field(default_factory=list)  # (u, payload), sorted by u
    pending: list[tuple[int, Top, str, int, int | None]] = field(default_factory=list)
    latency: Counter = field(default_factory=Counter)  # ms -> messages
    previous_latency: int | None = None
    first_ms: int | None = None
    last_ms: int | None = None
    snapshot_levels: list[tuple[int, int, int]] = field(default_factory=list)
    depth_since_reset: bool = False

    def __post_init__(self) -> None:
        self.depth_ids = IdSequence(self.window)
        self.trade_ids = IdSequence(self.window)
        self.agg_ids = IdSequence(self.window)


class GoldenValidator:
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
        self.states: dict[str, SymbolState] = {}
        self.issues: list[dict[str, Any]] = []
        self.reports: list[ReadReport] = []
        self.files_done: list[str] = []
        self.position: tuple[str, int] | None = None  # file and line reached (for resume)
        self._rows: Counter = Counter()
        self._streams: dict[str, tuple[str, str]] = {}
        self._finished = False

    # -- issues ---------------------------------------------------------------------------

    def _issue(self, check: str, severity: str, symbol: str, detail: str, **where: Any) -> None:
        key = (symbol, check)
        self._rows[key] += 1
        if self._rows[key] <= self.max_rows:
            self.issues.append(issue_row(check, severity, symbol, detail, **where))

    def _state(self, symbol: str) -> SymbolState:
        state = self.states.get(symbol)
        if state is None:
            state = self.states[symbol] = SymbolState(symbol, self.window)
        return state

    def _stream(self, stream: str) -> tuple[str, str]:
        known = self._streams.get(stream)
        if known is None:
            name, _, kind = stream.partition("@")
            known = (name.upper(), _KINDS.get(kind, "other") if kind else "session")
            self._streams[stream] = known
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

        ``skip_lines`` resumes inside a file; ``checkpoint(validator)`` is called every
        ``every`` lines.
        """
        source = str(path)
        report = ReadReport(source)
        match = _PATH_SYMBOL.search(source)
        file_symbols = {match.group(1).replace("-", "")} if match else set()
        previous_capture = 0
        stream_of = self._stream
        states = self.states
        for number, message in iter_messages(Path(path), report):
            if number <= skip_lines:
                continue
            if message is None:
                self._issue(
                    "bad_line",
                    "error",
                    next(iter(file_symbols), ""),
                    "line is not a golden record",
                    source=source,
                    position=number,
                )
                continue
            symbol, kind = stream_of(message.stream)
            capture = message.capture_ns
            if capture < previous_capture:
                self._issue(
                    "capture_clock_backwards",
                    "warning",
                    symbol,
                    f"capture_ns {capture} is {(previous_capture - capture) / 1e6:.3f} ms "
                    "before the previous line's",
                    source=source,
                    position=number,
                    origin_ms=message.data.E,
                )
                (states.get(symbol) or self._state(symbol)).counts["capture_clock_backwards"] += 1
            previous_capture = capture
            if kind == "session":
                self._session(message, file_symbols, source, number)
                continue
            state = states.get(symbol) or self._state(symbol)
            file_symbols.add(symbol)
            if kind == "depth":
                self._depth(state, message, source, number)
            elif kind == "book_ticker":
                self._book_ticker(state, message, source, number)
            elif kind == "trade":
                self._trade(state, message, source, number, "trade", message.data.t)
            elif kind == "agg_trade":
                self._trade(state, message, source, number, "agg_trade", int(bytes(message.data.a)))
            elif kind == "snapshot":
                self._snapshot(state, message, source, number)
            else:
                state.counts["other_messages"] += 1
            if checkpoint is not None and number % every == 0:
                self.position = (source, number)
                checkpoint(self)
        self._file_damage(report, file_symbols)
        self.reports.append(report)
        self.files_done.append(source)
        self.position = None
        return report

    def _file_damage(self, report: ReadReport, symbols: set[str]) -> None:
        symbol = ",".join(sorted(symbols))
        if report.truncated:
            self._issue(
                "truncated_file",
                "error",
                symbol,
                report.truncated,
                source=report.path,
                position=report.lines,
            )
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
        state.latency[latency] += 1
        previous = state.previous_latency
        if previous is not None and abs(latency - previous) > self.jump_ms:
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
        state.previous_latency = latency

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

    def _depth(self, state: SymbolState, message: GoldenMessage, source: str, number: int) -> None:
        data = message.data
        first, last, event_ms = data.U, data.u, data.E
        state.counts["depth_messages"] += 1
        state.depth_since_reset = True
        self._clock(state, message.capture_ns, event_ms, source, number)
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
        verdict, holes = state.depth_ids.observe(first, last, (source, number, event_ms))
        if holes:
            self._gaps(state, "depth", holes)
        if verdict is Verdict.LATE or verdict is Verdict.DUPLICATE:
            self._sequence_issue(state, "depth", verdict, first, last, source, number, event_ms)
            return
        steps = state.sync.diff(first, last, (source, number, event_ms, data.b, data.a))
        self._sync_steps(state, steps, replay=False)

    def _sync_steps(self, state: SymbolState, steps: list, *, replay: bool) -> None:
        for step in steps:
            verdict = step.verdict
            if verdict is SyncVerdict.APPLY:
                source, number, event_ms, bids, asks = step.item
                book = state.book
                if book is None:
                    continue
                book.apply(levels(bids), levels(asks))
                state.counts["depth_applied"] += 1
                top = book.top()
                if top[0] is not None and top[2] is not None and top[0] >= top[2]:
                    state.counts["crossed_books"] += 1
                    self._issue(
                        "crossed_book",
                        "error",
                        state.symbol,
                        f"best bid {_fmt(top[0])} >= best ask {_fmt(top[2])} after u="
                        f"{step.final_update_id}",
                        source=source,
                        position=number,
                        origin_ms=event_ms,
                        update_id=step.final_update_id,
                    )
                self._book_state(state, step.final_update_id, top, source, number, event_ms)
            elif verdict is SyncVerdict.STALE:
                state.counts["depth_stale"] += 1
            elif verdict is SyncVerdict.GAP:
                source, number, event_ms = step.item[:3]
                state.book = None
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
        state.book = ExactBook(bids, asks)
        self._sync_steps(state, state.sync.snapshot(last_id), replay=True)

    def _session(self, message: GoldenMessage, symbols: set[str], source: str, number: int) -> None:
        event = message.data.event
        for symbol in symbols:
            state = self._state(symbol)
            state.counts["session_records"] += 1
            if event in ("disconnected", "resync") or (
                event == "connected" and state.depth_since_reset
            ):
                state.sync.reset()
                state.book = None
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

    def _trade(
        self,
        state: SymbolState,
        message: GoldenMessage,
        source: str,
        number: int,
        what: str,
        trade_id: int | None,
    ) -> None:
        data = message.data
        state.counts[f"{what}_messages"] += 1
        event_ms = data.T if data.T is not None else data.E
        self._clock(state, message.capture_ns, data.E, source, number, event_ms)
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

    def _book_ticker(
        self, state: SymbolState, message: GoldenMessage, source: str, number: int
    ) -> None:
        data = message.data
        update_id = data.u
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
        state.last_ticker_id = update_id
        tickers = state.tickers
        pending = state.pending
        if pending and pending[0][0] < update_id:
            # The previous ticker is the last one with u <= each resolved state's id.
            previous = tickers[-1] if tickers else None
            keep = 0
            while keep < len(pending) and pending[keep][0] < update_id:
                self._compare(state, pending[keep], previous)
                keep += 1
            del pending[:keep]
        tickers.append((update_id, data))
        if len(tickers) > 8192:
            floor = pending[0][0] if pending else state.sync.update_id
            if floor is None:
                cut = len(tickers) - 4096
            else:
                cut = bisect.bisect_right(tickers, floor, key=lambda item: item[0]) - 1
            if cut > 0:
                del tickers[:cut]

    def _book_state(
        self,
        state: SymbolState,
        update_id: int,
        top: Top,
        source: str,
        number: int,
        event_ms: int | None,
    ) -> None:
        entry = (update_id, top, source, number, event_ms)
        last = state.last_ticker_id
        if last is not None and last > update_id:
            tickers = state.tickers
            index = bisect.bisect_right(tickers, update_id, key=lambda item: item[0]) - 1
            self._compare(state, entry, tickers[index] if index >= 0 else None)
        else:
            state.pending.append(entry)

    def _compare(self, state: SymbolState, entry: tuple, ticker: tuple[int, Any] | None) -> None:
        if ticker is None:
            return
        update_id, top, source, number, event_ms = entry
        ticker_id, data = ticker
        seen = (raw_units(data.b), raw_units(data.B), raw_units(data.a), raw_units(data.A))
        state.counts["book_ticker_checks"] += 1
        if seen == top:
            state.counts["book_ticker_matches"] += 1
            return
        self._issue(
            "book_ticker_mismatch",
            "warning",
            state.symbol,
            f"book after u={update_id}: bid {_fmt(top[0])} x {_fmt(top[1])}, ask {_fmt(top[2])} x "
            f"{_fmt(top[3])}; bookTicker u={ticker_id}: bid {_fmt(seen[0])} x {_fmt(seen[1])}, "
            f"ask {_fmt(seen[2])} x {_fmt(seen[3])}",
            source=source,
            position=number,
            origin_ms=event_ms,
            update_id=update_id,
        )

    # -- end ------------------------------------------------------------------------------

    def finish(self) -> None:
        """Close open holes, resolve the last book states, and add per-symbol summaries."""
        if self._finished:
            return
        self._finished = True
        for state in self.states.values():
            self._gaps(state, "depth", state.depth_ids.close())
            self._gaps(state, "trade", state.trade_ids.close())
            self._gaps(state, "agg_trade", state.agg_ids.close())
            previous = state.tickers[-1] if state.tickers else None
            for entry in state.pending:
                self._compare(state, entry, previous)
            state.pending.clear()
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


def latency_quantiles(latency: Counter) -> dict[str, int | None]:
    """Min, p1, p50, p99 and max of a ``latency_ms -> count`` histogram."""
    total = sum(latency.values())
    if not total:
        return {"min": None, "p1": None, "p50": None, "p99": None, "max": None}
    ordered = sorted(latency.items())
    marks = {"p1": 0.01, "p50": 0.5, "p99": 0.99}
    found: dict[str, int | None] = {"min": ordered[0][0]}
    seen = 0
    pending = sorted(marks.items(), key=lambda item: item[1])
    for value, count in ordered:
        seen += count
        while pending and seen >= pending[0][1] * total:
            found[pending.pop(0)[0]] = value
    found["max"] = ordered[-1][0]
    return found


def state_summary(state: SymbolState) -> dict[str, Any]:
    """The ``validation.json`` entry of one symbol (DESIGN's fields first, then extras)."""
    counts = state.counts
    checks = counts["book_ticker_checks"]
    summary: dict[str, Any] = {
        "depth_messages": counts["depth_messages"],
        "depth_gaps": counts["depth_gaps"],
        "trade_messages": counts["trade_messages"],
        "trade_id_gaps": counts["trade_id_gaps"],
        "out_of_order": counts["out_of_order"],
        "duplicates": counts["duplicates"],
        "snapshots": counts["snapshots"],
        "book_ticker_checks": checks,
        "book_ticker_agreement": counts["book_ticker_matches"] / checks if checks else None,
    }
    if not checks:
        summary["book_ticker_note"] = _ticker_note(state)
    summary.update(
        first_origin_time=_iso_ms(state.first_ms),
        last_origin_time=_iso_ms(state.last_ms),
        book_ticker_mismatches=checks - counts["book_ticker_matches"],
        book_ticker_messages=counts["book_ticker_messages"],
        agg_trade_messages=counts["agg_trade_messages"],
        agg_trade_id_gaps=counts["agg_trade_id_gaps"],
        missing_update_ids=counts["missing_depth_ids"],
        missing_trade_ids=counts["missing_trade_ids"],
        depth_applied=counts["depth_applied"],
        depth_stale=counts["depth_stale"],
        crossed_books=counts["crossed_books"],
        book_resets=counts["book_resets"],
        session_resets=counts["session_resets"],
        snapshot_levels=[
            {"last_update_id": last_id, "bids": bids, "asks": asks}
            for last_id, bids, asks in state.snapshot_levels
        ],
        latency_ms=latency_quantiles(state.latency),
        negative_latency=counts["negative_latency"],
        capture_clock_jumps=counts["capture_clock_jumps"],
        capture_clock_backwards=counts["capture_clock_backwards"],
    )
    return summary


def _ticker_note(state: SymbolState) -> str:
    if not state.counts["book_ticker_messages"]:
        return "no bookTicker stream in the capture"
    if not state.counts["snapshots"]:
        return "no depth snapshot: the book could not be rebuilt"
    if not state.counts["depth_applied"]:
        return "no diff could be applied after the snapshots"
    return "no rebuilt book state had a bookTicker at or before its update id"
