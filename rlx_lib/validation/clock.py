"""Checks of the capture clock: latency ``capture_ns - E`` (its distribution, negative
latency, jumps) and capture time running backwards within a file."""

from __future__ import annotations

import numpy as np

from rlx_lib.validation.findings import Findings
from rlx_lib.validation.state import SymbolState, Where, latency_bins, latency_quantiles
from rlx_lib.validation.table import MISSING, Column

__all__ = ["ClockChecks"]


class ClockChecks:
    """The clock checks; ``jump_ms`` is the change of latency between consecutive messages
    reported as a jump."""

    def __init__(self, findings: Findings, jump_ms: int) -> None:
        self.findings = findings
        self.jump_ms = jump_ms

    def message(
        self, state: SymbolState, capture_ns: int, event_ms: int | None, where: Where
    ) -> None:
        """One message captured at ``capture_ns``, sent at ``event_ms`` (E); ``where`` carries
        its exchange time (T, else E)."""
        if event_ms is None:
            return
        origin_ms = where.origin_ms
        if state.first_ms is None or origin_ms < state.first_ms:
            state.first_ms = origin_ms
        if state.last_ms is None or origin_ms > state.last_ms:
            state.last_ms = origin_ms
        latency = capture_ns // 1_000_000 - event_ms
        state.latency[int(latency_bins(np.array([latency]))[0])] += 1
        previous = state.previous_latency
        if previous is not None and abs(latency - previous) > self.jump_ms:
            self._jump(state, previous, latency, where._replace(origin_ms=event_ms))
        state.previous_latency = latency

    def block(
        self, state: SymbolState, rows: np.ndarray, offsets: np.ndarray, first: int, source: str
    ) -> None:
        """The timed messages ``rows`` of a scanned block, at lines ``first + offsets``."""
        events = rows[:, Column.E]
        origins = np.where(rows[:, Column.T] != MISSING, rows[:, Column.T], events)
        low, high = int(origins.min()), int(origins.max())
        if state.first_ms is None or low < state.first_ms:
            state.first_ms = low
        if state.last_ms is None or high > state.last_ms:
            state.last_ms = high
        latency = rows[:, Column.CAPTURE] // 1_000_000 - events
        values, counts = np.unique(latency_bins(latency), return_counts=True)
        histogram = state.latency
        for value, count in zip(values.tolist(), counts.tolist(), strict=True):
            histogram[value] += count
        previous = np.empty_like(latency)
        previous[0] = latency[0] if state.previous_latency is None else state.previous_latency
        previous[1:] = latency[:-1]
        for row in np.flatnonzero(np.abs(latency - previous) > self.jump_ms).tolist():
            where = Where(source, first + int(offsets[row]), int(events[row]))
            self._jump(state, int(previous[row]), int(latency[row]), where)
        state.previous_latency = int(latency[-1])

    def _jump(self, state: SymbolState, previous: int, latency: int, where: Where) -> None:
        state.counts["capture_clock_jumps"] += 1
        detail = f"capture latency jumped from {previous} ms to {latency} ms"
        self.findings.add("capture_clock_jump", "warning", state.symbol, detail, where)

    def backwards(self, state: SymbolState, capture: int, previous: int, where: Where) -> None:
        """A line captured before the line above it."""
        self.findings.add(
            "capture_clock_backwards",
            "warning",
            state.symbol,
            f"capture_ns {capture} is {(previous - capture) / 1e6:.3f} ms before the previous "
            "line's",
            where,
        )
        state.counts["capture_clock_backwards"] += 1

    def finish(self, state: SymbolState) -> None:
        """Count negative latency and report a capture clock that runs behind."""
        total = sum(state.latency.values())
        negative = sum(n for latency, n in state.latency.items() if latency < 0)
        state.counts["negative_latency"] = negative
        if negative:
            median = latency_quantiles(state.latency)["p50"]
            self.findings.add(
                "capture_clock_behind",
                "warning",
                state.symbol,
                f"{negative} of {total} messages were captured before their exchange "
                f"time (median latency {median} ms): the capture clock runs behind",
            )
