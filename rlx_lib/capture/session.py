"""Live capture of Binance spot streams into golden files.

One :class:`CaptureSession` runs one combined-stream connection per 1024 streams (a *link*).
Each link subscribes (``SUBSCRIBE``, acknowledged by ``{"result":null,"id":..}``), and every
frame is timestamped, split out of its envelope byte for byte and appended to the journal of
its symbol. Per symbol, depth diffs go through :class:`~rlx_lib.venues.binance.DepthSync`: the
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
``trade_gap``, ``malformed``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from rlx_lib.capture.envelope import message_sequence, split_envelope
from rlx_lib.capture.health import CaptureHealth
from rlx_lib.capture.journal import Journal
from rlx_lib.catalog import lake_symbol
from rlx_lib.errors import CaptureError, ConfigError, ParseError
from rlx_lib.venues.binance import (
    MAX_STREAMS_PER_CONNECTION,
    REST_URL,
    SESSION_STREAM,
    SNAPSHOT_SUFFIX,
    STREAM_KINDS,
    WS_URL,
    DepthSync,
    SyncVerdict,
    parse_depth_snapshot,
)

__all__ = ["CaptureConfig", "CaptureSession", "run_capture"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class CaptureConfig:
    """What to capture and how; times in seconds. Defaults follow Binance's limits."""

    symbols: tuple[str, ...]
    streams: tuple[str, ...] = STREAM_KINDS
    ws_url: str = WS_URL
    rest_url: str = REST_URL
    duration: float | None = None  # None: until stopped
    snapshot_limit: int = 1000
    flush_interval: float = 1.0
    ping_interval: float = 20.0
    ping_timeout: float = 20.0
    stall_timeout: float = 60.0
    open_timeout: float = 10.0
    close_timeout: float = 2.0
    rotate_after: float = 23.5 * 3600  # Binance disconnects at 24 h
    handover_timeout: float = 5.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    attempts_per_window: int = 250  # Binance allows 300 per 5 minutes per IP
    attempt_window: float = 300.0
    max_streams_per_connection: int = MAX_STREAMS_PER_CONNECTION
    status_interval: float = 1.0  # status line on a terminal
    log_interval: float = 60.0  # the same figures in the log

    def __post_init__(self) -> None:
        if not self.symbols or not self.streams:
            msg = "capture needs at least one symbol and one stream"
            raise ConfigError(msg)
        for symbol in self.symbols:
            if not symbol.isalnum() or symbol != symbol.lower():
                msg = f"symbol must be a lower-case Binance symbol like 'btcusdt', got {symbol!r}"
                raise ConfigError(msg)
        if self.max_streams_per_connection < 1 or self.flush_interval <= 0:
            msg = "max_streams_per_connection and flush_interval must be positive"
            raise ConfigError(msg)

    def stream_names(self) -> list[str]:
        """Every ``<symbol>@<stream>`` name, symbol by symbol."""
        return [f"{symbol}@{kind}" for symbol in self.symbols for kind in self.streams]


@dataclass(eq=False)
class _Connection:
    number: int
    socket: ClientConnection
    link: _Link
    opened: float = field(default_factory=time.monotonic)
    last_seen: float = field(default_factory=time.monotonic)
    acked: asyncio.Future[None] | None = None
    closed: bool = False
    shutdown: bool = False  # a serverShutdown event arrived
    close_reason: str | None = None  # why we closed it ourselves
    reader: asyncio.Task[None] | None = None


@dataclass
class _SymbolState:
    lake: str
    sync: DepthSync[None] = field(default_factory=DepthSync)
    snapshot_task: asyncio.Task[None] | None = None
    last_trade: dict[str, int] = field(default_factory=dict)  # kind -> last t / a


class _AttemptLimiter:
    """At most ``limit`` connection attempts in any ``window`` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._times: deque[float] = deque()

    async def acquire(self) -> None:
        while True:
            now = time.monotonic()
            while self._times and now - self._times[0] > self.window:
                self._times.popleft()
            if len(self._times) < self.limit:
                self._times.append(now)
                return
            await asyncio.sleep(self.window - (now - self._times[0]))


class CaptureSession:
    """A live capture into golden files under ``root``; run it with :meth:`run`."""

    def __init__(
        self,
        config: CaptureConfig,
        root: Path,
        *,
        status: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        self.journal = Journal(root)
        self.health = CaptureHealth()
        self.status = status
        self._symbols = {s: _SymbolState(lake_symbol(s)) for s in config.symbols}
        self._limiter = _AttemptLimiter(config.attempts_per_window, config.attempt_window)
        self._numbers = itertools.count(1)
        self._stopping: asyncio.Event | None = None
        self._stop_reason = "duration reached"
        names = config.stream_names()
        size = config.max_streams_per_connection
        self._links = [_Link(self, names[i : i + size]) for i in range(0, len(names), size)]

    def stop(self, reason: str = "stopped") -> None:
        """Ask the capture to finish (safe from a signal handler on the loop's thread)."""
        self._stop_reason = reason
        if self._stopping is not None:
            self._stopping.set()
            for link in self._links:
                link.wake.set()

    @property
    def stopping(self) -> bool:
        """True once a stop was requested."""
        return self._stopping is not None and self._stopping.is_set()

    async def run(self) -> dict[str, Any]:
        """Capture until ``duration`` passes or :meth:`stop`; return the health summary."""
        self._stopping = asyncio.Event()
        for link in self._links:
            link.wake = asyncio.Event()
        tasks = [asyncio.create_task(link.run()) for link in self._links]
        ticker = asyncio.create_task(self._tick())
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.config.duration)
        finally:
            self.stop(self._stop_reason)
            await asyncio.gather(*tasks, return_exceptions=True)
            ticker.cancel()
            for state in self._symbols.values():
                if state.snapshot_task is not None:
                    state.snapshot_task.cancel()
            await asyncio.gather(ticker, return_exceptions=True)
            self.journal.close()
        summary = self.health.summary()
        summary["files"] = [str(path) for path in self.journal.closed_files]
        log.info("capture summary: %s", orjson.dumps({**summary, "files": len(summary["files"])}))
        return summary

    async def _tick(self) -> None:
        last_status = last_log = time.monotonic()
        while True:
            await asyncio.sleep(self.config.flush_interval)
            self.journal.flush()
            now = time.monotonic()
            if self.status is not None and now - last_status >= self.config.status_interval:
                last_status = now
                self.status(self.health.status_line())
            if now - last_log >= self.config.log_interval:
                last_log = now
                log.info("capture status: %s", orjson.dumps(self.health.summary()).decode())

    def note(self, event: str, symbols: list[str], **fields: Any) -> None:
        """Write a ``_session`` record into the file of each symbol."""
        now = time.time_ns()
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
        if kind.startswith("depth"):
            self._depth(symbol, state, data)
        elif sequence is not None and kind in ("trade", "aggTrade"):
            self._trade(symbol, state, kind, sequence)

    def _depth(self, symbol: str, state: _SymbolState, data: dict) -> None:
        first, final = data.get("U"), data.get("u")
        if not isinstance(first, int) or not isinstance(final, int):
            return
        for step in state.sync.diff(first, final, None):
            if step.verdict is SyncVerdict.GAP:
                self.health.depth_gaps[symbol] += 1
                self.health.resyncs += 1
                self.note(
                    "resync",
                    [symbol],
                    reason="gap",
                    expected_first=step.expected_first,
                    first=first,
                    final=final,
                )
        if not state.sync.synced:
            self._request_snapshot(symbol, state)

    def _trade(self, symbol: str, state: _SymbolState, kind: str, identity: int) -> None:
        last = state.last_trade.get(kind)
        if last is not None and identity > last + 1:
            self.health.trade_gaps[symbol] += 1
            self.note(
                "trade_gap",
                [symbol],
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
            f"{self.config.rest_url.rstrip('/')}/api/v3/depth"
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
            delay = retry_after if retry_after is not None else _backoff(self.config, failures)
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


def _backoff(config: CaptureConfig, failures: int) -> float:
    """Exponential backoff with jitter: half to all of ``initial * 2**(failures-1)``."""
    ceiling = min(config.backoff_max, config.backoff_initial * 2 ** max(failures - 1, 0))
    return ceiling * random.uniform(0.5, 1.0)


class _Link:
    """One combined-stream connection (and its successor during a rotation)."""

    def __init__(self, session: CaptureSession, streams: list[str]) -> None:
        self.session = session
        self.streams = streams
        self.symbols = sorted({stream.split("@", 1)[0] for stream in streams})
        self.current: _Connection | None = None
        self.candidate: _Connection | None = None
        self.wake = asyncio.Event()
        self.last_sequence: dict[str, int] = {}
        self.last_raw: dict[str, bytes] = {}
        self.switched: set[str] = set()  # streams the candidate has taken over
        self.pending: dict[str, list[tuple[Any, ...]]] = {}
        self.handover_done = asyncio.Event()
        self.catch_up: set[str] = set()  # streams the new connection may still repeat

    async def run(self) -> None:
        session, config = self.session, self.session.config
        failures = 0
        while not session.stopping:
            if self.current is None or self.current.closed:
                if failures or self.current is not None:
                    await self._sleep(_backoff(config, max(failures, 1)))
                    if session.stopping:
                        break
                    session.health.reconnects += 1
                self.current = None
                try:
                    self.current = await self._open(candidate=False)
                    failures = 0
                except (OSError, WebSocketException, TimeoutError, CaptureError) as error:
                    failures += 1
                    session.note("connect_failed", self.symbols, reason=_reason(error))
                    continue
            reason = await self._watch(self.current)
            if reason in ("rotate", "serverShutdown") and not session.stopping:
                await self._rotate(reason)
        for connection in (self.candidate, self.current):
            if connection is not None and not connection.closed:
                await self._close(connection, session._stop_reason)

    async def _sleep(self, seconds: float) -> None:
        self.wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), seconds)

    async def _watch(self, connection: _Connection) -> str:
        """Wait until the connection closes, must rotate, stalls, or the capture stops."""
        config = self.session.config
        while True:
            if self.session.stopping:
                return "stop"
            if connection.closed:
                return "closed"
            if connection.shutdown:
                return "serverShutdown"
            now = time.monotonic()
            if now - connection.opened >= config.rotate_after:
                return "rotate"
            if now - connection.last_seen >= config.stall_timeout:
                connection.close_reason = f"stall: no message for {config.stall_timeout:g} s"
                connection.socket.transport.abort()
                await self._sleep(config.close_timeout)
                continue
            remaining = min(
                config.rotate_after - (now - connection.opened),
                config.stall_timeout - (now - connection.last_seen),
            )
            await self._sleep(max(remaining, 0.01))

    async def _open(self, *, candidate: bool) -> _Connection:
        """Connect, subscribe and wait for the acknowledgement."""
        session, config = self.session, self.session.config
        await session._limiter.acquire()
        base = config.ws_url.rstrip("/")
        url = base if urlparse(base).path.endswith("/stream") else f"{base}/stream"
        loopback = urlparse(url).hostname in ("127.0.0.1", "localhost", "::1")
        socket = await connect(
            url,
            open_timeout=config.open_timeout,
            ping_interval=config.ping_interval,
            ping_timeout=config.ping_timeout,
            close_timeout=config.close_timeout,
            compression=None,
            max_size=None,
            max_queue=4096,
            proxy=None if loopback else True,
        )
        connection = _Connection(next(session._numbers), socket, self)
        connection.acked = asyncio.get_running_loop().create_future()
        if candidate:
            self.candidate = connection
        else:
            self.current = connection
        session.health.connections += 1
        session.note("connected", self.symbols, connection=connection.number, url=url)
        connection.reader = asyncio.create_task(self._read(connection))
        request = {"method": "SUBSCRIBE", "params": self.streams, "id": connection.number}
        try:
            await socket.send(orjson.dumps(request).decode())
            await asyncio.wait_for(asyncio.shield(connection.acked), config.open_timeout)
        except (TimeoutError, ConnectionClosed, CaptureError):
            connection.close_reason = "no subscription acknowledgement"
            await self._close(connection, connection.close_reason)
            if candidate:
                self.candidate = None
            raise
        session.note(
            "subscribed", self.symbols, connection=connection.number, streams=len(self.streams)
        )
        return connection

    async def _close(self, connection: _Connection, reason: str) -> None:
        connection.close_reason = connection.close_reason or reason
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                connection.socket.close(1000, reason[:100]), self.session.config.close_timeout
            )
        if connection.reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.reader, self.session.config.close_timeout)
        connection.socket.transport.abort()

    async def _read(self, connection: _Connection) -> None:
        reason = "closed"
        try:
            receive = connection.socket.recv
            while True:
                frame = await receive(decode=False)
                capture_ns = time.time_ns()
                connection.last_seen = time.monotonic()
                self._frame(connection, frame, capture_ns)
        except ConnectionClosed as closed:
            reason = _reason(closed)
        except Exception as error:  # any failure ends this connection; recorded below
            reason = _reason(error)
            log.exception("capture reader failed")
        finally:
            connection.closed = True
            if connection.acked is not None and not connection.acked.done():
                connection.acked.set_exception(
                    CaptureError(f"connection closed before ack: {reason}")
                )
                connection.acked.exception()
            self.session.note(
                "disconnected",
                self.symbols,
                connection=connection.number,
                reason=connection.close_reason or reason,
            )
            if connection is self.candidate or connection is self.current:
                self.handover_done.set()
            self.wake.set()

    def _control(self, connection: _Connection, frame: bytes) -> None:
        """A subscription reply, or a frame that is not a valid envelope (recorded as text)."""
        try:
            value = orjson.loads(frame)
        except orjson.JSONDecodeError:
            value = None
        if isinstance(value, dict) and "id" in value and ("result" in value or "error" in value):
            acked = connection.acked
            if value["id"] == connection.number and acked is not None and not acked.done():
                if value.get("error"):
                    acked.set_exception(CaptureError(f"subscription refused: {value['error']}"))
                else:
                    acked.set_result(None)
            return
        self.session.health.malformed += 1
        text = frame.decode("utf-8", "replace")[:65536]
        self.session.note("malformed", self.symbols, connection=connection.number, text=text)

    def _frame(self, connection: _Connection, frame: bytes, capture_ns: int) -> None:
        session = self.session
        parts = split_envelope(frame)
        if parts is None:
            self._control(connection, frame)
            return
        stream, raw, data = parts
        if stream.startswith("!"):
            if data.get("e") == "serverShutdown":
                connection.shutdown = True
                session.note(
                    "serverShutdown",
                    self.symbols,
                    connection=connection.number,
                    data=orjson.Fragment(raw),
                )
                self.wake.set()
            return
        symbol, _, kind = stream.partition("@")
        item = (capture_ns, stream, symbol, kind, raw, data, message_sequence(kind, data))
        if self.candidate is None:
            if connection is not self.current:
                session.health.duplicates += 1  # the old connection, closing after a rotation
            elif stream in self.catch_up and self._is_repeat(stream, item[6], raw):
                session.health.duplicates += 1  # the new connection, still behind the old one
            else:
                self.catch_up.discard(stream)
                self._deliver(*item)
            return
        self._handover(connection, *item)

    def _is_repeat(self, stream: str, sequence: int | None, raw: bytes) -> bool:
        """True for a message at or before the last one recorded on its stream."""
        last = self.last_sequence.get(stream)
        if sequence is None or last is None:
            return False
        return sequence < last or (sequence == last and raw == self.last_raw.get(stream))

    def _deliver(self, *item: Any) -> None:
        self.session.record(*item)
        stream, raw, sequence = item[1], item[4], item[6]
        if sequence is not None:
            self.last_sequence[stream] = sequence
            self.last_raw[stream] = raw

    def _handover(self, connection: _Connection, *item: Any) -> None:
        """Route a frame while an old (current) and a new (candidate) connection overlap.

        A stream stays with the old connection until the two are seen to overlap on it; from
        then the new one delivers it. Frames of the new connection ahead of the old one wait.
        """
        stream, raw, sequence = item[1], item[4], item[6]
        if connection is self.current:
            if stream in self.switched:
                self.session.health.duplicates += 1
                return
            waiting = self.pending.get(stream)
            if waiting and sequence is not None and sequence >= waiting[0][6]:
                self.session.health.duplicates += 1
                self._switch(stream)
                return
            self._deliver(*item)
            return
        if sequence is None:
            self.session.health.duplicates += 1  # the old connection delivers it
            return
        if self._is_repeat(stream, sequence, raw):
            self.session.health.duplicates += 1
            self.switched.add(stream)  # overlap seen: the new connection takes over
            self._check_handover()
            return
        if stream in self.switched:
            self._deliver(*item)
            return
        self.pending.setdefault(stream, []).append(item)

    def _switch(self, stream: str) -> None:
        """The candidate takes over ``stream``: deliver what it holds beyond the old one."""
        self.switched.add(stream)
        last = self.last_sequence.get(stream)
        for item in self.pending.pop(stream, []):
            if last is None or item[6] > last:
                self._deliver(*item)
        self._check_handover()

    def _check_handover(self) -> None:
        known = {s for s in self.last_sequence if s in self.streams}
        if known <= self.switched:
            self.handover_done.set()

    async def _rotate(self, reason: str) -> None:
        """Make before break: open the successor, hand every stream over, close the old one."""
        session, config = self.session, self.session.config
        old = self.current
        assert old is not None
        self.switched, self.pending = set(), {}
        self.handover_done = asyncio.Event()
        failures = 0
        while not session.stopping:
            try:
                await self._open(candidate=True)
                break
            except (OSError, WebSocketException, TimeoutError, CaptureError) as error:
                failures += 1
                session.note("connect_failed", self.symbols, reason=_reason(error))
                if old.closed:
                    return  # run() reconnects plainly
                await self._sleep(_backoff(config, failures))
        new = self.candidate
        if new is None or session.stopping:
            return
        if not old.closed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.handover_done.wait(), config.handover_timeout)
        if new.closed and not old.closed:  # the successor died: keep the old connection
            self.candidate, self.pending, self.switched = None, {}, set()
            self.catch_up = set(self.last_sequence)
            await self._sleep(_backoff(config, 1))
            return
        for stream in list(self.pending):
            self._switch(stream)
        self.current, self.candidate = new, None
        self.switched = set()
        self.catch_up = set(self.last_sequence)  # drop what the new one repeats until it leads
        session.note("rotated", self.symbols, old=old.number, new=new.number, reason=reason)
        if not old.closed:
            await self._close(old, f"rotation ({reason})")


def _reason(error: BaseException) -> str:
    if isinstance(error, ConnectionClosed):
        received = error.rcvd
        if received is not None:
            return f"close frame {received.code} {received.reason}".strip()
        return "connection lost without a close frame"
    return f"{type(error).__name__}: {error}"[:200]


def run_capture(config: CaptureConfig, root: Path, **options: Any) -> dict[str, Any]:
    """Run a capture to the end from synchronous code and return its summary.

    It runs on its own event loop in a worker thread, so it also works where a loop is already
    running (Jupyter, marimo).
    """
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["summary"] = asyncio.run(CaptureSession(config, root, **options).run())
        except BaseException as error:  # handed to the caller's thread
            outcome["error"] = error

    worker = threading.Thread(target=target, name="rlx-capture")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["summary"]
