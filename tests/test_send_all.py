"""A device block's audio frames go out together, each still its own event, in order."""

from __future__ import annotations

import asyncio
import json
import socket

from websockets.asyncio.server import serve

from proto_trainer_tui.realtime import events
from proto_trainer_tui.realtime.connection import open_connection


async def test_send_all_delivers_each_event_as_its_own_message_in_order_and_uncorks():
    received: list[dict] = []
    all_in = asyncio.Event()

    async def record(ws) -> None:
        async for message in ws:
            received.append(json.loads(message))
            if len(received) == 3:
                all_in.set()

    async with serve(record, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        async with open_connection(f"ws://127.0.0.1:{port}", None) as connection:
            sock = connection._ws.transport.get_extra_info("socket")
            corked_during: list[int] = []  # the cork as each event of the batch is sent
            send = connection.send

            async def watched_send(event) -> None:
                if hasattr(socket, "TCP_CORK"):
                    corked_during.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_CORK))
                await send(event)

            connection.send = watched_send
            await connection.send_all([events.audio_append(f"AAA{index}") for index in range(3)])
            await asyncio.wait_for(all_in.wait(), 10)
            if hasattr(socket, "TCP_CORK"):
                assert corked_during == [1, 1, 1]  # held back while the batch is written
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_CORK) == 0  # nothing left held back
    assert [(event["type"], event["audio"]) for event in received] == [
        ("input_audio_buffer.append", f"AAA{index}") for index in range(3)
    ]
