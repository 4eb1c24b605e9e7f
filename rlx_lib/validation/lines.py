"""The line-by-line reading of golden lines (blocks the scan cannot read): a typed decode of
each line, then the checkers of its kind."""

from __future__ import annotations

import msgspec

from rlx_lib.validation.checkers import Checkers
from rlx_lib.validation.loader import MESSAGE, GoldenMessage, Payload
from rlx_lib.validation.state import SymbolState, Where

__all__ = ["LineReader", "payload_ids"]


def payload_ids(data: Payload) -> dict[str, int | None]:
    """The trade-id keys of a decoded payload (``a`` read as a number only where it is one)."""
    text = bytes(data.a)
    return {"t": data.t, "a": int(text) if text.isdigit() else None}


class LineReader:
    """Reads one line at a time; ``previous_capture`` is the capture time of the line above
    (0 at the start of a file)."""

    def __init__(self, checkers: Checkers) -> None:
        self.checkers = checkers
        self.previous_capture = 0

    def line(self, line: bytes, number: int, source: str, file_symbols: set[str]) -> None:
        """Check line ``number`` of ``source``; ``file_symbols`` collects the symbols seen."""
        checks = self.checkers
        try:
            message = MESSAGE.decode(line)
        except (msgspec.DecodeError, msgspec.ValidationError):
            if line.strip():
                symbol = next(iter(file_symbols), "")
                detail = "line is not a golden record"
                checks.findings.add("bad_line", "error", symbol, detail, Where(source, number))
            return
        symbol, kind = checks.symbols.stream(message.stream, message.data.e)
        capture = message.capture_ns
        if capture < self.previous_capture:
            where = Where(source, number, message.data.E)
            checks.clock.backwards(
                checks.symbols.state(symbol), capture, self.previous_capture, where
            )
        self.previous_capture = capture
        if kind == "session":
            self._session(message, file_symbols, Where(source, number))
            return
        state = checks.symbols.state(symbol)
        file_symbols.add(symbol)
        self._message(state, kind, message, Where(source, number))

    def _message(self, state: SymbolState, kind: str, message: GoldenMessage, at: Where) -> None:
        """One decoded message of ``kind`` to its checker."""
        checks, data = self.checkers, message.data
        if kind == "depth":
            at = at._replace(origin_ms=data.E)
            checks.clock.message(state, message.capture_ns, data.E, at)
            checks.depth.diff(state, data.U, data.u, (data.b, data.a), at, previous=data.pu)
            checks.depth.flush(state)
        elif kind == "book_ticker":
            checks.tickers.message(state, data.u, data, at)
        elif kind in ("trade", "agg_trade"):
            state.counts[f"{kind}_messages"] += 1
            at = at._replace(origin_ms=data.T if data.T is not None else data.E)
            checks.clock.message(state, message.capture_ns, data.E, at)
            trade_id = checks.symbols.market.trade_id(kind, payload_ids(data))
            checks.trades.message(state, kind, trade_id, at)
        elif kind == "snapshot":
            checks.depth.snapshot(state, message, at)
            checks.depth.flush(state)
        else:
            state.counts["other_messages"] += 1

    def _session(self, message: GoldenMessage, symbols: set[str], where: Where) -> None:
        """A capture session record: a cut-short capture is noted, a broken session resets
        the books of the file's symbols."""
        event = message.data.event
        checks = self.checkers
        for symbol in symbols:
            state = checks.symbols.state(symbol)
            state.counts["session_records"] += 1
            if event == "recovered":
                detail = (
                    "capture cut short: the file was closed afterwards by rlx capture --recover"
                )
                checks.findings.add("capture_cut_short", "warning", symbol, detail, where)
            if event in ("disconnected", "resync") or (
                event == "connected" and state.depth_since_reset
            ):
                checks.depth.reset(state)
                detail = f"capture session {event}: the book waits for a new snapshot"
                checks.findings.add("session_reset", "info", symbol, detail, where)
