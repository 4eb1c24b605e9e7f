"""A websocket client connection that hands received messages over in batches.

``websockets`` queues every message for its own ``await recv()``; at tens of thousands of
messages per second that await per message costs more than everything the capture does with the
message. :class:`BatchConnection` keeps all of ``websockets`` (handshake, proxies, TLS, framing
by its sans-I/O protocol, keepalive pings, answering pings, the closing handshake) and only
replaces the delivery: each socket read is parsed into all the messages it completes, handed to
``handler(messages, receive_ns)`` in one call, with the time of the read.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from websockets.asyncio.client import ClientConnection, connect
from websockets.frames import Frame, Opcode
from websockets.protocol import Event

__all__ = ["BatchConnection", "Handler", "open_connection"]

Handler = Callable[[list[bytes], int], None]
"""``handler(messages, receive_ns)``: complete messages (text or binary, as bytes) in order."""

_DATA = (Opcode.TEXT, Opcode.BINARY, Opcode.CONT)


class BatchConnection(ClientConnection):
    """A :class:`websockets.asyncio.client.ClientConnection` delivering through a handler.

    The handler runs inside the read, so a slow handler slows the reads and TCP flow control
    holds the sender back; it must not raise. ``recv()`` is not used.
    """

    def __init__(self, *args: Any, handler: Handler, **options: Any) -> None:
        super().__init__(*args, **options)
        self.handler = handler
        self._batch: list[bytes] = []
        self._fragments: list[bytes] = []

    def data_received(self, data: bytes) -> None:
        receive_ns = time.time_ns()
        super().data_received(data)  # parses, answers pings and closes, calls process_event
        if self._batch:
            batch, self._batch = self._batch, []
            self.handler(batch, receive_ns)

    def process_event(self, event: Event) -> None:
        if self.response is None or not isinstance(event, Frame) or event.opcode not in _DATA:
            super().process_event(event)  # the handshake response, pongs
        elif event.fin and event.opcode is not Opcode.CONT:
            self._batch.append(bytes(event.data))
        else:  # a fragmented message (the protocol checks the order of fragments)
            self._fragments.append(bytes(event.data))
            if event.fin:
                self._batch.append(b"".join(self._fragments))
                self._fragments.clear()


async def open_connection(
    url: str,
    handler: Handler,
    *,
    open_timeout: float,
    ping_interval: float,
    ping_timeout: float,
    close_timeout: float,
) -> BatchConnection:
    """Connect to ``url`` (through the environment's proxy unless it is the loopback)."""
    loopback = urlparse(url).hostname in ("127.0.0.1", "localhost", "::1")
    return await connect(  # type: ignore[return-value]
        url,
        open_timeout=open_timeout,
        ping_interval=ping_interval,
        ping_timeout=ping_timeout,
        close_timeout=close_timeout,
        compression=None,
        max_size=None,
        proxy=None if loopback else True,
        create_connection=functools.partial(BatchConnection, handler=handler),  # type: ignore[arg-type]
    )
