"""The batch receiver: every message of a read in one call, in order, byte for byte; fragments
joined; pings answered; the close handshake as usual."""

from __future__ import annotations

import asyncio

from websockets.asyncio.server import ServerConnection, serve

from rlx_lib.capture.receiver import open_connection

MESSAGES = [b'{"n":%d}' % number for number in range(300)]


def _text_frame(payload: bytes) -> bytes:
    return bytes((0x81, len(payload))) + payload  # unmasked, under 126 bytes


async def _scenario() -> tuple[list[tuple[list[bytes], int]], float, object]:
    latencies: list[float] = []

    async def handler(connection: ServerConnection) -> None:
        await connection.send(["frag", "mented ", "message"])
        pong = await connection.ping(b"keepalive")
        latencies.append(await asyncio.wait_for(pong, 30))  # answered by the client (no hang)
        connection.transport.write(b"".join(_text_frame(message) for message in MESSAGES))
        await connection.close(1000, "done")

    batches: list[tuple[list[bytes], int]] = []
    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        socket = await open_connection(
            f"ws://127.0.0.1:{port}",
            lambda messages, receive_ns: batches.append((messages, receive_ns)),
            open_timeout=5.0,
            ping_interval=20.0,
            ping_timeout=20.0,
            close_timeout=5.0,
        )
        await socket.wait_closed()
    return batches, latencies[0], socket.close_exc.rcvd


def test_batches_hold_every_message_in_order() -> None:
    batches, latency, close = asyncio.run(_scenario())
    messages = [message for batch, _ in batches for message in batch]
    assert messages == [b"fragmented message", *MESSAGES]
    assert all(type(message) is bytes for message in messages)
    assert len(batches) < len(messages) // 2  # one socket read, many messages
    stamps = [receive_ns for _, receive_ns in batches]
    assert stamps == sorted(stamps)
    assert latency >= 0
    assert close is not None
    assert (close.code, close.reason) == (1000, "done")
