"""A server that hangs, with the client's default limits: how soon do we notice, and what piles up?

Prints: seconds from the server freezing to the client's ConnectionProblem when the
call is idle (keepalive pings) and when audio is being sent (the send timeout), the
MiB the kernel accepted before sends stalled, and the largest user-space write
buffer seen (bounded by WRITE_LIMIT plus one frame).

    python -m benchmarks.hung_server
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from contextlib import asynccontextmanager

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from proto_trainer_tui.realtime import connection as conn
from proto_trainer_tui.realtime import events


@asynccontextmanager
async def freezing_server():
    """Answers session.update by freezing: it reads nothing more, so pings and data go unanswered."""

    async def handler(ws):
        try:
            await ws.send(json.dumps({"type": "session.created", "session": {"id": "sess_bench"}}))
            async for message in ws:
                if json.loads(message).get("type") == "session.update":
                    ws.transport.pause_reading()
                    await ws.wait_closed()
        except ConnectionClosed:
            pass  # aborted at the end of the run

    async with serve(handler, "127.0.0.1", 0, close_timeout=1) as server:
        yield f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1/realtime", server


async def hang(url: str):
    """An open connection to a server that has just frozen."""
    context = conn.open_connection(url, None)
    connection = await context.__aenter__()
    await connection.recv()
    await connection.send(events.session_update("benchmark"))
    await asyncio.sleep(0.2)
    return context, connection


async def idle_detection(url: str) -> float:
    context, connection = await hang(url)
    started = time.monotonic()
    try:
        await connection.recv()
    except conn.ConnectionProblem as exc:
        print(f"  idle call:      {time.monotonic() - started:5.1f} s  -> {exc}")
    finally:
        await context.__aexit__(None, None, None)
    return time.monotonic() - started


async def sending_detection(url: str) -> None:
    context, connection = await hang(url)
    transport = connection._ws.transport
    chunk = events.audio_append(base64.b64encode(os.urandom(3 << 16)).decode())  # 256 KiB of base64
    sent = peak = 0
    started = time.monotonic()
    stalled_at = None
    try:
        while True:
            before = time.monotonic()
            await connection.send(chunk)
            if stalled_at is None and time.monotonic() - before > 0.1:
                stalled_at = sent
            sent += len(json.dumps(chunk))
            peak = max(peak, transport.get_write_buffer_size())
    except conn.ConnectionProblem as exc:
        print(f"  sending audio:  {time.monotonic() - started:5.1f} s  -> {exc}")
    finally:
        await context.__aexit__(None, None, None)
    print(f"  accepted before the send gave up: {sent / 2**20:.1f} MiB (kernel socket buffers on loopback)")
    print(f"  largest user-space write buffer: {peak / 1024:.0f} KiB (limit {conn.WRITE_LIMIT // 1024} KiB + a frame)")


async def main() -> None:
    print(f"hung server (ping every {conn.PING_INTERVAL:g} s, pong within {conn.PING_TIMEOUT:g} s, "
          f"send timeout {conn.SEND_TIMEOUT:g} s)")
    async with freezing_server() as (url, server):
        await idle_detection(url)
        await sending_detection(url)
        for ws in server.connections:
            ws.transport.abort()


if __name__ == "__main__":
    asyncio.run(main())
