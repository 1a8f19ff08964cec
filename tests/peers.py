"""Misbehaving realtime peers on loopback, for the error paths."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager

from websockets.asyncio.server import serve


@asynccontextmanager
async def scripted_server(frames: list[str | bytes], *, close_code: int | None = None):
    """Sends session.created, then after the client's session.update sends ``frames``
    (and closes with ``close_code`` when given). Yields the URL."""

    async def handler(ws):
        await ws.send(json.dumps({"type": "session.created", "session": {"id": "sess_x"}}))
        async for message in ws:
            if json.loads(message).get("type") == "session.update":
                for frame in frames:
                    await ws.send(frame)
                if close_code is not None:
                    await ws.close(close_code, "scripted close")
                    return

    async with serve(handler, "127.0.0.1", 0, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/v1/realtime"


@asynccontextmanager
async def silent_tcp_server():
    """Accepts TCP connections and never answers the websocket handshake."""
    writers = []

    async def accept(reader, writer):
        writers.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1/realtime"
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
