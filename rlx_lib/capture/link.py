"""One combined-stream connection of a capture and its rotation (make before break).

A :class:`Link` keeps one websocket subscribed to up to 1024 streams: connect, ``SUBSCRIBE``
and wait for the acknowledgement; take the frames of each socket read (a batch, see
:mod:`~rlx_lib.capture.receiver`) and hand them to the session; reconnect with
backoff under the connection-attempt limit; watch for the 24 h rotation, ``serverShutdown`` and
stalls. On rotation a successor connects while the old one still runs; each stream is handed
over once the two are seen to overlap on it (by the stream's sequence id), so the hand-over
neither loses nor repeats a message. Frames the new connection holds back until then are
stamped with the moment the hand-over lets them through (the receive time of the old
connection's frame that showed the overlap), so a file's ``capture_ns`` never runs back.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlparse

import orjson
from websockets.exceptions import ConnectionClosed, WebSocketException

from rlx_lib.capture.config import CaptureConfig
from rlx_lib.capture.envelope import message_sequence, split_envelope
from rlx_lib.capture.health import CaptureHealth
from rlx_lib.capture.receiver import BatchConnection, open_connection
from rlx_lib.errors import CaptureError
from rlx_lib.golden import json_object

__all__ = ["AttemptLimiter", "Connection", "Link", "LinkHost", "backoff", "reason_of"]

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Connection:
    link: Link
    number: int = 0  # given once connected
    socket: BatchConnection | None = None
    opened: float = field(default_factory=time.monotonic)
    last_seen: float = field(default_factory=time.monotonic)
    acked: asyncio.Future[None] | None = None
    closed: bool = False
    shutdown: bool = False  # a serverShutdown event arrived
    close_reason: str | None = None  # why we closed it ourselves
    ended: asyncio.Task[None] | None = None  # waits for the close, then records it


class AttemptLimiter:
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


def backoff(config: CaptureConfig, failures: int) -> float:
    """Exponential backoff with jitter: half to all of ``initial * 2**(failures-1)``."""
    ceiling = min(config.backoff_max, config.backoff_initial * 2 ** max(failures - 1, 0))
    return ceiling * random.uniform(0.5, 1.0)


class LinkHost(Protocol):
    """What a link needs from the capture it belongs to (a :class:`CaptureSession`)."""

    config: CaptureConfig
    health: CaptureHealth
    limiter: AttemptLimiter
    numbers: Iterator[int]  # connection numbers
    stop_reason: str

    @property
    def stopping(self) -> bool: ...

    def note(
        self, event: str, symbols: list[str], *, capture_ns: int | None = None, **fields: Any
    ) -> None: ...

    def record(self, *item: Any) -> None: ...


class Link:
    """One combined-stream connection (and its successor during a rotation)."""

    def __init__(self, session: LinkHost, streams: list[str]) -> None:
        self.session = session
        self.streams = streams
        self.symbols = sorted({stream.split("@", 1)[0] for stream in streams})
        self.current: Connection | None = None
        self.candidate: Connection | None = None
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
                    await self._sleep(backoff(config, max(failures, 1)))
                    if session.stopping:
                        break
                    session.health.reconnects += 1
                self.current = None
                try:
                    self.current = await self._open(candidate=False)
                    failures = 0
                except (OSError, WebSocketException, TimeoutError, CaptureError) as error:
                    failures += 1
                    session.note("connect_failed", self.symbols, reason=reason_of(error))
                    continue
            reason = await self._watch(self.current)
            if reason in ("rotate", "serverShutdown") and not session.stopping:
                await self._rotate(reason)
        for connection in (self.candidate, self.current):
            if connection is not None and not connection.closed:
                await self._close(connection, session.stop_reason)

    async def _sleep(self, seconds: float) -> None:
        self.wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), seconds)

    async def _watch(self, connection: Connection) -> str:
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

    async def _open(self, *, candidate: bool) -> Connection:
        """Connect, subscribe and wait for the acknowledgement."""
        session, config = self.session, self.session.config
        await session.limiter.acquire()
        base = config.ws_url.rstrip("/")
        url = base if urlparse(base).path.endswith("/stream") else f"{base}/stream"
        connection = Connection(self)
        socket = connection.socket = await open_connection(
            url,
            functools.partial(self._receive, connection),
            open_timeout=config.open_timeout,
            ping_interval=config.ping_interval,
            ping_timeout=config.ping_timeout,
            close_timeout=config.close_timeout,
        )
        connection.number = next(session.numbers)
        connection.acked = asyncio.get_running_loop().create_future()
        if candidate:
            self.candidate = connection
        else:
            self.current = connection
        session.health.connections += 1
        session.note("connected", self.symbols, connection=connection.number, url=url)
        connection.ended = asyncio.create_task(self._ended(connection))
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

    async def _close(self, connection: Connection, reason: str) -> None:
        connection.close_reason = connection.close_reason or reason
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                connection.socket.close(1000, reason[:100]), self.session.config.close_timeout
            )
        if connection.ended is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.ended, self.session.config.close_timeout)
        connection.socket.transport.abort()

    def _receive(self, connection: Connection, frames: list[bytes], capture_ns: int) -> None:
        """Hand over the frames of one socket read; a failure ends the connection."""
        connection.last_seen = time.monotonic()
        try:
            for frame in frames:
                self._frame(connection, frame, capture_ns)
        except Exception as error:  # recorded as the reason when the connection ends
            log.exception("capture of a frame failed")
            connection.close_reason = connection.close_reason or reason_of(error)
            connection.socket.transport.abort()

    async def _ended(self, connection: Connection) -> None:
        """Once the connection is closed: record why and wake the link."""
        reason = "closed"
        try:
            await connection.socket.wait_closed()
            reason = reason_of(connection.socket.close_exc)
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

    def _control(self, connection: Connection, frame: bytes, capture_ns: int) -> None:
        """A subscription reply, or a frame that is not a valid envelope (recorded as text)."""
        value = json_object(frame)
        if value is not None and "id" in value and ("result" in value or "error" in value):
            acked = connection.acked
            if value["id"] == connection.number and acked is not None and not acked.done():
                if value.get("error"):
                    acked.set_exception(CaptureError(f"subscription refused: {value['error']}"))
                else:
                    acked.set_result(None)
            return
        self.session.health.malformed += 1
        text = frame.decode("utf-8", "replace")[:65536]
        self.session.note(
            "malformed",
            self.symbols,
            capture_ns=capture_ns,
            connection=connection.number,
            text=text,
        )

    def _frame(self, connection: Connection, frame: bytes, capture_ns: int) -> None:
        session = self.session
        parts = split_envelope(frame)
        if parts is None:
            self._control(connection, frame, capture_ns)
            return
        stream, raw, data = parts
        if stream.startswith("!"):
            if data.get("e") == "serverShutdown":
                connection.shutdown = True
                session.note(
                    "serverShutdown",
                    self.symbols,
                    capture_ns=capture_ns,
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

    def _handover(self, connection: Connection, *item: Any) -> None:
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
                self._switch(stream, item[0])
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

    def _switch(self, stream: str, now: int) -> None:
        """The candidate takes over ``stream``: deliver what it holds beyond the old one,
        stamped ``now`` (frames of other streams may have been written since they arrived)."""
        self.switched.add(stream)
        last = self.last_sequence.get(stream)
        for item in self.pending.pop(stream, []):
            if last is None or item[6] > last:
                self._deliver(max(item[0], now), *item[1:])
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
                session.note("connect_failed", self.symbols, reason=reason_of(error))
                if old.closed:
                    return  # run() reconnects plainly
                await self._sleep(backoff(config, failures))
        new = self.candidate
        if new is None or session.stopping:
            return
        if not old.closed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.handover_done.wait(), config.handover_timeout)
        if new.closed and not old.closed:  # the successor died: keep the old connection
            self.candidate, self.pending, self.switched = None, {}, set()
            self.catch_up = set(self.last_sequence)
            await self._sleep(backoff(config, 1))
            return
        for stream in list(self.pending):
            self._switch(stream, time.time_ns())
        self.current, self.candidate = new, None
        self.switched = set()
        self.catch_up = set(self.last_sequence)  # drop what the new one repeats until it leads
        session.note("rotated", self.symbols, old=old.number, new=new.number, reason=reason)
        if not old.closed:
            await self._close(old, f"rotation ({reason})")


def reason_of(error: BaseException) -> str:
    if isinstance(error, ConnectionClosed):
        received = error.rcvd
        if received is not None:
            return f"close frame {received.code} {received.reason}".strip()
        return "connection lost without a close frame"
    return f"{type(error).__name__}: {error}"[:200]
