"""Live capture of Binance streams (spot, or USD-M futures with ``market="usdm"``) into golden
files.

One :class:`CaptureSession` runs one combined-stream connection per 1024 streams (a *link*).
Each link subscribes (``SUBSCRIBE``, acknowledged by ``{"result":null,"id":..}``), and every
frame is timestamped, split out of its envelope byte for byte and appended to the journal of
its symbol. Per symbol, depth diffs go through the market's sync rules (spot ``U == u + 1``,
futures ``pu == previous u``, :meth:`~rlx_lib.venues.binance.Market.depth_sync`): the
first diff triggers a REST snapshot (recorded as ``<sym>@depthSnapshot``); a gap is recorded as a
``_session`` ``resync`` record and triggers a new snapshot. Sync is bookkeeping: every message
is recorded whatever the sync state.

Resilience: reconnect with exponential backoff and jitter under Binance's limit of 300
connection attempts per 5 minutes; make-before-break rotation before the 24 h disconnect and on
a ``serverShutdown`` event, where the new connection takes over each stream once it has been
seen to overlap the old one, so rotation leaves no gap and records nothing twice; websocket
ping/pong keepalive and a stall timeout; :meth:`CaptureSession.stop` (SIGINT/SIGTERM in the CLI)
flushes and closes every file. ``_session`` records: ``connected``, ``subscribed``,
``disconnected`` (with ``reason``), ``resync``, ``serverShutdown``, ``snapshot_failed``,
``trade_gap``, ``malformed``, ``write_failed`` (a span when nothing reached the disk; see
:class:`~rlx_lib.capture.journal.Journal`). Orphaned ``.part`` files under the root are closed
first (:mod:`rlx_lib.capture.recover`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import orjson

from rlx_lib.capture.config import CaptureConfig
from rlx_lib.capture.health import CaptureHealth
from rlx_lib.capture.journal import Journal
from rlx_lib.capture.link import AttemptLimiter, Link, backoff
from rlx_lib.capture.recover import recover_parts
from rlx_lib.catalog import lake_symbol
from rlx_lib.errors import ParseError
from rlx_lib.results import Progress, ProgressCallback
from rlx_lib.venues import market
from rlx_lib.venues.binance import (
    SESSION_STREAM,
    SNAPSHOT_SUFFIX,
    DepthSync,
    SyncVerdict,
    parse_depth_snapshot,
)

__all__ = ["CaptureSession"]

log = logging.getLogger(__name__)


@dataclass
class _SymbolState:
    lake: str
    sync: DepthSync[None]
    snapshot_task: asyncio.Task[None] | None = None
    last_trade: dict[str, int] = field(default_factory=dict)  # kind -> last t / a


class CaptureSession:
    """A live capture into golden files under ``root``; run it with :meth:`run`."""

    def __init__(
        self,
        config: CaptureConfig,
        root: Path,
        *,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.config = config
        self.journal = Journal(root, max_buffer_bytes=config.max_buffer_bytes)
        self.health = CaptureHealth()
        self.progress = progress
        self.market = market(config.market)
        self._symbols = {
            s: _SymbolState(lake_symbol(s, market=config.market), self.market.depth_sync())
            for s in config.symbols
        }
        self.limiter = AttemptLimiter(config.attempts_per_window, config.attempt_window)
        self.numbers = itertools.count(1)  # connection numbers
        self._stopping: asyncio.Event | None = None
        self.stop_reason = "duration reached"
        self.write_stopped = False  # stopped because writes failed for too long
        names = config.stream_names()
        size = config.max_streams_per_connection
        self._links = [Link(self, names[i : i + size]) for i in range(0, len(names), size)]

    def stop(self, reason: str = "stopped") -> None:
        """Ask the capture to finish (safe from a signal handler on the loop's thread)."""
        self.stop_reason = reason
        if self._stopping is not None:
            self._stopping.set()
            for link in self._links:
                link.wake.set()

    @property
    def stopping(self) -> bool:
        """True once a stop was requested."""
        return self._stopping is not None and self._stopping.is_set()

    async def run(self) -> dict[str, Any]:
        """Capture until ``duration`` passes or :meth:`stop`; return the health summary.

        ``.part`` files an earlier capture left open under the same root are finalised first.
        """
        recovered = recover_parts(self.journal.root)
        self._stopping = asyncio.Event()
        for link in self._links:
            link.wake = asyncio.Event()
        tasks = [asyncio.create_task(link.run()) for link in self._links]
        ticker = asyncio.create_task(self._tick())
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.config.duration)
        finally:
            self.stop(self.stop_reason)
            await asyncio.gather(*tasks, return_exceptions=True)
            ticker.cancel()
            for state in self._symbols.values():
                if state.snapshot_task is not None:
                    state.snapshot_task.cancel()
            await asyncio.gather(ticker, return_exceptions=True)
            self.journal.close()
        summary = self.health.summary()
        summary["files"] = [str(path) for path in self.journal.closed_files]
        summary["recovered"] = [str(closed) for _, closed in recovered]
        summary["stop_reason"] = self.stop_reason
        summary["write_failures"] = self.journal.write_failures
        summary["unwritten_records"] = self.journal.unwritten_records
        summary["ok"] = not summary["unwritten_records"] and not self.write_stopped
        if summary["unwritten_records"]:
            log.error(
                "capture: %d records could not be written (%s); the .part files hold the rest",
                summary["unwritten_records"],
                self.journal.failure.error if self.journal.failure else "write failed",
            )
        log.info("capture summary: %s", orjson.dumps({**summary, "files": len(summary["files"])}))
        return summary

    async def _tick(self) -> None:
        last_status = last_log = time.monotonic()
        while True:
            await asyncio.sleep(self.config.flush_interval)
            self.journal.flush()
            if self.journal.overflowing:
                self.write_stopped = True
                self.stop(
                    f"writes failing ({self.journal.failure.error}) and "
                    f"{self.journal.unwritten_bytes >> 20} MB held in memory: stopping before "
                    "anything is dropped"
                )
            now = time.monotonic()
            if self.progress is not None and now - last_status >= self.config.status_interval:
                last_status = now
                done = sum(self.health.messages.values())
                self.progress(Progress("capture", "messages", done, text=self.health.status_line()))
            if now - last_log >= self.config.log_interval:
                last_log = now
                log.info("capture status: %s", orjson.dumps(self.health.summary()).decode())

    def note(
        self, event: str, symbols: list[str], *, capture_ns: int | None = None, **fields: Any
    ) -> None:
        """Write a ``_session`` record into the file of each symbol, stamped ``capture_ns``
        (the receive time of the frame that caused it) or now."""
        now = time.time_ns() if capture_ns is None else capture_ns
        for symbol in symbols:
            data = orjson.dumps({"event": event, "symbol": symbol.upper(), **fields})
            self.journal.write(self._symbols[symbol].lake, now, SESSION_STREAM, data)
        log.info("capture %s %s %s", event, ",".join(symbols), fields or "")

    def record(
        self,
        capture_ns: int,
        stream: str,
        symbol: str,
        kind: str,
        raw: bytes,
        data: dict,
        sequence: int | None = None,
    ) -> None:
        """Journal one market message, then do the sync bookkeeping of its stream."""
        state = self._symbols.get(symbol)
        if state is None:
            log.warning("message for a symbol not subscribed: %s", stream)
            return
        self.journal.write(state.lake, capture_ns, stream, raw)
        self.health.message(stream, len(raw))
        if self.market.classify(stream) == "depth":
            self._depth(symbol, state, data, capture_ns)
        elif sequence is not None and kind in ("trade", "aggTrade"):
            self._trade(symbol, state, kind, sequence, capture_ns)

    def _depth(self, symbol: str, state: _SymbolState, data: dict, capture_ns: int) -> None:
        first, final = data.get("U"), data.get("u")
        if not isinstance(first, int) or not isinstance(final, int):
            return
        for step in state.sync.diff(first, final, None, data.get("pu")):
            if step.verdict is SyncVerdict.GAP:
                self.health.depth_gaps[symbol] += 1
                self.health.resyncs += 1
                self.note(
                    "resync",
                    [symbol],
                    capture_ns=capture_ns,
                    reason="gap",
                    expected_first=step.expected_first,
                    first=first,
                    final=final,
                )
        if not state.sync.synced:
            self._request_snapshot(symbol, state)

    def _trade(
        self, symbol: str, state: _SymbolState, kind: str, identity: int, capture_ns: int
    ) -> None:
        last = state.last_trade.get(kind)
        if last is not None and identity > last + 1:
            self.health.trade_gaps[symbol] += 1
            self.note(
                "trade_gap",
                [symbol],
                capture_ns=capture_ns,
                stream=f"{symbol}@{kind}",
                expected=last + 1,
                received=identity,
            )
        if last is None or identity > last:
            state.last_trade[kind] = identity

    def _request_snapshot(self, symbol: str, state: _SymbolState) -> None:
        if state.snapshot_task is None or state.snapshot_task.done():
            state.snapshot_task = asyncio.get_running_loop().create_task(
                self._snapshot(symbol, state)
            )

    async def _snapshot(self, symbol: str, state: _SymbolState) -> None:
        """Fetch REST snapshots until one is newer than the buffered diffs."""
        url = (
            f"{self.config.rest_url.rstrip('/')}{self.market.snapshot_path}"
            f"?symbol={symbol.upper()}&limit={self.config.snapshot_limit}"
        )
        failures = 0
        while not self.stopping:
            status, body, retry_after = await asyncio.to_thread(
                _http_get, url, self.config.open_timeout
            )
            capture_ns = time.time_ns()
            if status == 200:
                try:
                    last_update_id = parse_depth_snapshot(body).last_update_id
                except ParseError as error:
                    status, retry_after = -1, None
                    log.warning("bad snapshot for %s: %s", symbol, error)
                else:
                    stream = f"{symbol}@{SNAPSHOT_SUFFIX}"
                    self.journal.write(state.lake, capture_ns, stream, body)
                    self.health.snapshots[symbol] += 1
                    steps = state.sync.snapshot(last_update_id)
                    gaps = [s for s in steps if s.verdict is SyncVerdict.GAP]
                    if not gaps:
                        return
                    self.health.resyncs += 1
                    self.note(
                        "resync",
                        [symbol],
                        reason="snapshot older than the buffered diffs",
                        last_update_id=last_update_id,
                        first=gaps[0].first_update_id,
                    )
                    failures = 0
                    await asyncio.sleep(self.config.backoff_initial)
                    continue
            failures += 1
            self.health.snapshot_failures += 1
            self.note("snapshot_failed", [symbol], status=status)
            delay = retry_after if retry_after is not None else backoff(self.config, failures)
            await asyncio.sleep(delay)


def _http_get(url: str, timeout: float) -> tuple[int, bytes, float | None]:
    """GET ``url``: ``(status, body, Retry-After seconds)``; status 0 when unreachable."""
    loopback = urlparse(url).hostname in ("127.0.0.1", "localhost", "::1")
    handlers = [urllib.request.ProxyHandler({})] if loopback else []
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status, response.read(), None
    except urllib.error.HTTPError as error:
        retry = error.headers.get("Retry-After") if error.headers else None
        return error.code, error.read(), float(retry) if retry and retry.isdigit() else None
    except (OSError, ValueError) as error:
        log.warning("snapshot request failed: %s", error)
        return 0, b"", None
