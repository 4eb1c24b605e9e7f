"""A local stand-in for Binance: a server speaking its market-data protocol, with faults.

It serves the combined stream (``/stream`` with ``SUBSCRIBE`` or ``/stream?streams=a/b``) over
``websockets`` and ``GET /api/v3/depth?symbol=..&limit=..`` (spot) or ``/fapi/v1/depth`` (USD-M
futures: fed futures records, its snapshots carry ``E`` and ``T``) on the same port, fed by any
iterable of golden records (the synthetic market's live view, or a real capture). Market
records are broadcast to every subscribed connection at ``rate`` messages per second; the
server keeps the book the depth stream describes, so its REST snapshots are consistent with
what it has sent. Every message handed to a live connection is logged in :attr:`sent`.

Faults (``faults=[("abort", 500), ...]``: kind and the feed position that triggers it):
``abort`` (abrupt TCP close), ``close`` (close frame), ``stall`` (no data, no pongs),
``expire`` (the 24 h disconnect, also automatic after ``max_age`` seconds), ``shutdown``
(a ``serverShutdown`` event, then a close after ``shutdown_lead``), ``malformed`` (a broken
frame). ``rest_failures=[429, 500]`` answers the next snapshot requests with those statuses.

:func:`capture_local` serves records (:func:`synthetic_feed`, the synthetic market's live view,
a real capture) from a :class:`BinanceServer` on 127.0.0.1 and captures them through the real
capture, for the demo, notebooks and tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import orjson
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from rlx_lib.capture import CaptureResult, CaptureTuning, capture
from rlx_lib.errors import ConfigError
from rlx_lib.golden import GoldenRecord
from rlx_lib.local.binance_feed import synthetic_feed
from rlx_lib.results import ProgressCallback
from rlx_lib.venues.binance import SESSION_STREAM, SNAPSHOT_SUFFIX, split_stream

__all__ = [
    "FAULT_KINDS",
    "BinanceServer",
    "LocalCaptureResult",
    "ServerThread",
    "capture_local",
    "synthetic_feed",
]

log = logging.getLogger(__name__)

FAULT_KINDS = ("abort", "close", "stall", "expire", "shutdown", "malformed")
MALFORMED_FRAME = '{"stream":"!malformed","data":{"e":"trade","E":17'


@dataclass
class _Book:
    """The book the depth stream describes: price text -> quantity text per side."""

    last_update_id: int = 0
    event_ms: int | None = None  # futures snapshots carry E and T: the last diff's
    bids: dict[str, str] = field(default_factory=dict)
    asks: dict[str, str] = field(default_factory=dict)
    recent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=512))

    def reset(self, body: dict[str, Any]) -> None:
        """Take a recorded snapshot, then re-apply the diffs already sent after it."""
        self.last_update_id = body["lastUpdateId"]
        self.event_ms = body.get("E")
        self.bids = {price: size for price, size in body["bids"]}
        self.asks = {price: size for price, size in body["asks"]}
        for diff in [d for d in self.recent if d["u"] > body["lastUpdateId"]]:
            self.apply(diff)

    def apply(self, diff: dict[str, Any]) -> None:
        for side, levels in ((self.bids, diff["b"]), (self.asks, diff["a"])):
            for price, size in levels:
                if Decimal(size) == 0:
                    side.pop(price, None)
                else:
                    side[price] = size
        self.last_update_id = diff["u"]
        if self.event_ms is not None:
            self.event_ms = diff.get("E", self.event_ms)
        self.recent.append(diff)

    def body(self, limit: int) -> bytes:
        bids = sorted(self.bids.items(), key=lambda level: -Decimal(level[0]))[:limit]
        asks = sorted(self.asks.items(), key=lambda level: Decimal(level[0]))[:limit]
        times = {} if self.event_ms is None else {"E": self.event_ms, "T": self.event_ms}
        return orjson.dumps(
            {"lastUpdateId": self.last_update_id, **times, "bids": bids, "asks": asks}
        )


@dataclass(eq=False)
class _Client:
    number: int
    connection: ServerConnection
    streams: set[str] = field(default_factory=set)
    live: bool = True  # receives the feed
    opened: float = field(default_factory=time.monotonic)
    outbox: list[bytes] = field(default_factory=list)  # flat out: frames not yet written
    unsent: list[tuple[int, str, bytes]] = field(default_factory=list)  # their ``sent`` entries


class BinanceServer:
    """Binance-protocol server on 127.0.0.1 fed by golden records.

    Parameters
    ----------
    records
        Golden records; market streams are sent, ``@depthSnapshot`` records reset the book the
        REST endpoint serves, ``_session`` records are skipped.
    rate
        Messages per second (``None``: as fast as the connections take them).
    faults
        ``(kind, position)`` pairs: inject ``kind`` on every live connection once the feed has
        sent ``position`` messages.
    rest_failures
        HTTP statuses for the next snapshot requests (``429`` carries ``Retry-After: 0``).
    max_age
        Seconds after which a connection is closed, like Binance's 24 h limit.
    shutdown_lead, settle
        Seconds between a ``serverShutdown`` event and the close; seconds a faulty connection
        stays quiet before an abrupt close (so what was sent has arrived).
    wait_for_clients
        Start the feed only once a connection has subscribed.
    """

    def __init__(
        self,
        records: Iterable[GoldenRecord],
        *,
        rate: float | None = 1000.0,
        faults: Sequence[tuple[str, int]] = (),
        rest_failures: Sequence[int] = (),
        max_age: float | None = None,
        shutdown_lead: float = 0.3,
        settle: float = 0.1,
        wait_for_clients: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        for kind, _ in faults:
            if kind not in FAULT_KINDS:
                msg = f"fault must be one of {', '.join(FAULT_KINDS)}, received {kind!r}"
                raise ConfigError(msg)
        self.records = records
        self.rate = rate
        self.faults = sorted(faults, key=lambda fault: fault[1])
        self.rest_failures = list(rest_failures)
        self.max_age = max_age
        self.shutdown_lead = shutdown_lead
        self.settle = settle
        self.wait_for_clients = wait_for_clients
        self.host, self.port = host, port
        self.sent: list[tuple[int, str, bytes]] = []  # (connection, stream, data) sent live
        self.feed_position = 0
        self.injected: list[tuple[str, int, int]] = []  # (kind, connection, position)
        self.connections = 0
        self.rest_requests: list[tuple[str, int]] = []  # (symbol, status)
        self.finished = asyncio.Event()
        self._books: dict[str, _Book] = {}
        self._clients: set[_Client] = set()
        self._numbers = itertools.count(1)
        self._subscribed = asyncio.Event()
        self._server: Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def ws_url(self) -> str:
        """``ws://127.0.0.1:<port>``."""
        return f"ws://{self.host}:{self.port}"

    @property
    def rest_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self.host}:{self.port}"

    @property
    def live_connections(self) -> int:
        """Connections currently open."""
        return len(self._clients)

    async def start(self) -> None:
        """Listen (an ephemeral port unless ``port`` was given) and start the feed."""
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            process_request=self._process_request,
            compression=None,
            ping_interval=None,
            max_size=None,
            max_queue=None,
            write_limit=1 << 20,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._spawn(self._feed())
        log.info("binance test server on %s", self.ws_url)

    async def stop(self) -> None:
        """Drop every connection and stop listening."""
        for task in list(self._tasks):
            task.cancel()
        for client in list(self._clients):
            if client.connection.transport is not None:
                client.connection.transport.abort()
        if self._server is not None:
            self._server.close(close_connections=False)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        url = urlparse(request.path)
        if url.path.rstrip("/") not in ("/api/v3/depth", "/fapi/v1/depth"):
            return None
        query = parse_qs(url.query)
        symbol = query.get("symbol", [""])[0].lower()
        limit = int(query.get("limit", ["100"])[0])
        if self.rest_failures:
            status = self.rest_failures.pop(0)
            self.rest_requests.append((symbol, status))
            response = connection.respond(HTTPStatus(status), '{"code":-1003,"msg":"fault"}')
            if status == 429:
                response.headers["Retry-After"] = "0"
            return response
        book = self._books.get(symbol)
        if book is None:
            self.rest_requests.append((symbol, 400))
            return connection.respond(HTTPStatus.BAD_REQUEST, '{"code":-1121,"msg":"symbol"}')
        self.rest_requests.append((symbol, 200))
        body = book.body(limit)
        headers = Headers(
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return Response(200, "OK", headers, body)

    async def _handle(self, connection: ServerConnection) -> None:
        client = _Client(next(self._numbers), connection)
        self.connections += 1
        url = urlparse(connection.request.path if connection.request else "/stream")
        wanted = parse_qs(url.query).get("streams", [""])[0]
        client.streams.update(s for s in wanted.split("/") if s)
        self._clients.add(client)
        if client.streams:
            self._subscribed.set()
        if self.max_age is not None:
            self._spawn(self._expire_later(client))
        try:
            async for message in connection:
                request = orjson.loads(message)
                if request.get("method") == "SUBSCRIBE":
                    client.streams.update(request.get("params", []))
                    await connection.send(
                        orjson.dumps({"result": None, "id": request.get("id")}).decode()
                    )
                    self._subscribed.set()
        except (ConnectionClosed, orjson.JSONDecodeError):
            pass
        finally:
            client.live = False
            self._clients.discard(client)

    async def _expire_later(self, client: _Client) -> None:
        await asyncio.sleep(self.max_age or 0)
        if client in self._clients:
            await self._inject("expire", client)

    async def _feed(self) -> None:
        if self.wait_for_clients:
            await self._subscribed.wait()
        interval = 1.0 / self.rate if self.rate else 0.0
        start = time.monotonic()
        faults = list(self.faults)
        for record in self.records:
            if record.stream == SESSION_STREAM:
                continue
            symbol, kind = split_stream(record.stream)
            if kind == SNAPSHOT_SUFFIX:
                self._books.setdefault(symbol, _Book()).reset(orjson.loads(record.data))
                continue
            while faults and faults[0][1] <= self.feed_position:
                await self._flush()
                fault = faults.pop(0)[0]
                for client in [c for c in self._clients if c.live]:
                    self._spawn(self._inject(fault, client))
                await asyncio.sleep(0)  # the fault takes effect before the next message
            if not interval:
                if self.feed_position % 256 == 0:
                    await self._flush()
            else:
                delay = start + self.feed_position * interval - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                else:
                    start -= min(delay + 0.05, 0.0)  # behind: keep the pace, never burst
                    if self.feed_position % 64 == 0:
                        await asyncio.sleep(0)
            if kind.startswith("depth"):
                self._books.setdefault(symbol, _Book()).apply(orjson.loads(record.data))
            frame = b'{"stream":"%s","data":%s}' % (record.stream.encode(), record.data)
            for client in list(self._clients):
                if client.live and record.stream in client.streams:
                    if not interval:
                        client.outbox.append(_text_frame(frame))
                        client.unsent.append((client.number, record.stream, record.data))
                    elif await self._send(client, frame):
                        self.sent.append((client.number, record.stream, record.data))
            self.feed_position += 1
        await self._flush()
        self.finished.set()

    async def _send(self, client: _Client, frame: bytes) -> bool:
        """Send one text frame through the websocket layer."""
        try:
            await client.connection.send(frame.decode())
        except ConnectionClosed:
            client.live = False
            return False
        return True

    async def _flush(self) -> None:
        """Flat out: write the frames queued for each connection in one go (not through the
        websocket layer), then wait while a connection has more than 8 MiB unread."""
        for client in list(self._clients):
            if not client.outbox:
                continue
            transport = client.connection.transport
            if transport.is_closing():
                client.live = False
            else:
                transport.write(b"".join(client.outbox))
                self.sent.extend(client.unsent)
            client.outbox.clear()
            client.unsent.clear()
        for client in list(self._clients):
            transport = client.connection.transport
            while transport.get_write_buffer_size() > 1 << 23 and not transport.is_closing():
                await asyncio.sleep(0.001)
        await asyncio.sleep(0)

    async def _inject(self, kind: str, client: _Client) -> None:
        """Apply one fault to one connection."""
        self.injected.append((kind, client.number, self.feed_position))
        log.info("fault %s on connection %d", kind, client.number)
        connection = client.connection
        transport = connection.transport
        with contextlib.suppress(ConnectionClosed):
            if kind == "malformed":
                await connection.send(MALFORMED_FRAME)
            elif kind == "shutdown":
                event = {"e": "serverShutdown", "E": time.time_ns() // 1_000_000}
                frame = b'{"stream":"!serverShutdown","data":%s}' % orjson.dumps(event)
                await connection.send(frame.decode())
                await asyncio.sleep(self.shutdown_lead)
                client.live = False
                await connection.close(1001, "server shutdown")
            elif kind in ("close", "expire"):
                client.live = False
                await connection.close(1000 if kind == "expire" else 1001, kind)
            elif kind == "abort":
                client.live = False
                await asyncio.sleep(self.settle)
                transport.abort()
            elif kind == "stall":
                client.live = False
                transport.pause_reading()


def _text_frame(payload: bytes) -> bytes:
    """An unmasked (server) websocket text frame."""
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 1 << 16:
        return bytes((0x81, 126)) + size.to_bytes(2, "big") + payload
    return bytes((0x81, 127)) + size.to_bytes(8, "big") + payload


class ServerThread:
    """Run a :class:`BinanceServer` on its own event loop in a background thread.

    ``with ServerThread(BinanceServer(records)) as server: ...`` gives ``server.ws_url``.
    """

    def __init__(self, server: BinanceServer) -> None:
        self.server = server
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> BinanceServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._started(), self._loop).result(10)
        return self.server

    async def _started(self) -> None:
        await self.server.start()

    def wait_finished(self, timeout: float) -> bool:
        """Block until the feed is exhausted; False on timeout."""
        future = asyncio.run_coroutine_threadsafe(self.server.finished.wait(), self._loop)
        try:
            future.result(timeout)
        except TimeoutError:
            future.cancel()
            return False
        return True

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@dataclass(frozen=True)
class LocalCaptureResult(CaptureResult):
    """A capture from the local server, with what the server did."""

    sent: int = 0  # messages handed to live connections
    feed_position: int = 0  # feed messages the server went through
    faults: tuple[tuple[str, int, int], ...] = ()  # (kind, connection, position) injected


def capture_local(
    root: Path,
    *,
    records: Iterable[GoldenRecord],
    symbols: Sequence[str],
    rate: float = 2000.0,
    seconds: float | None = None,
    faults: Sequence[tuple[str, int]] = (),
    progress: ProgressCallback | None = None,
) -> LocalCaptureResult:
    """Serve ``records`` at ``rate`` messages/s with ``faults`` and capture ``symbols`` (Binance
    names) into golden files under ``root``.

    The capture lasts ``seconds`` (default: the feed's length at ``rate`` plus one second).
    """
    records = list(records)
    market = sum(1 for r in records if "@" in r.stream and not r.stream.endswith("Snapshot"))
    duration = seconds if seconds is not None else market / rate + 1.0
    server = BinanceServer(records, rate=rate, faults=faults)
    with ServerThread(server) as running:
        result = capture(
            Path(root),
            symbols=symbols,
            ws_url=running.ws_url,
            rest_url=running.rest_url,
            duration=duration,
            flush_interval=0.5,
            tuning=CaptureTuning(backoff_initial=0.05),
            progress=progress,
        )
    return LocalCaptureResult(
        **{f.name: getattr(result, f.name) for f in fields(result)},
        sent=len(server.sent),
        feed_position=server.feed_position,
        faults=tuple(server.injected),
    )
