"""A realtime peer on loopback that misbehaves on demand, for the fault-injection suite.

Each connection gets ``session.created``; once the client's ``session.update``
arrives the server plays a script: a list of steps (send frames, close with a
code, drop the TCP connection, stop reading, pause). Afterwards it keeps reading
(and answering pings) until the client leaves, unless a step stopped that.

Connections after the first play ``then`` (by default: behave, send nothing);
``then=None`` refuses them with HTTP 503, as a server that went away would.
"""

from __future__ import annotations

import asyncio
import base64
import http
import json
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

Step = Callable[[ServerConnection], Awaitable[None]]


def send(*frames: str | bytes | dict) -> Step:
    async def step(ws: ServerConnection) -> None:
        for frame in frames:
            await ws.send(json.dumps(frame) if isinstance(frame, dict) else frame)

    return step


def close(code: int, reason: str = "") -> Step:
    async def step(ws: ServerConnection) -> None:
        await ws.close(code, reason)

    return step


def drop() -> Step:
    """The TCP connection vanishes: no close frame (the client sees 1006)."""

    async def step(ws: ServerConnection) -> None:
        ws.transport.abort()

    return step


def stop_reading() -> Step:
    """The server hangs: it reads nothing more, so pings go unanswered and sends back up.

    The handler also stops consuming messages, or websockets would resume reading."""

    async def step(ws: ServerConnection) -> None:
        ws.transport.pause_reading()
        ws.hung = True

    return step


def pause(seconds: float) -> Step:
    async def step(ws: ServerConnection) -> None:
        await asyncio.sleep(seconds)

    return step


def caller_turn(item_id: str, text: str, *, finished: bool = True, audio_ms: int = 200) -> list[dict]:
    """The events of one caller turn (transcript and audio); unfinished stops mid audio."""
    response_id = f"resp_{item_id}"
    audio = base64.b64encode(bytes(48 * audio_ms)).decode()  # silence, PCM16 24 kHz
    events: list[dict] = [
        {"type": "response.created", "response": {"id": response_id, "status": "in_progress"}},
        {"type": "response.output_item.added", "response_id": response_id,
         "item": {"id": item_id, "type": "message", "role": "assistant", "content": []}},
        {"type": "response.output_audio.delta", "response_id": response_id, "item_id": item_id, "delta": audio},
        {"type": "response.output_audio_transcript.delta", "response_id": response_id, "item_id": item_id,
         "delta": text},
    ]
    if finished:
        events += [
            {"type": "response.output_audio.done", "response_id": response_id, "item_id": item_id},
            {"type": "response.output_audio_transcript.done", "response_id": response_id, "item_id": item_id,
             "transcript": text},
            {"type": "response.done", "response": {"id": response_id, "status": "completed",
                                                   "output": [{"id": item_id}]}},
        ]
    return events


def error_event(message: str, code: str = "server_error", kind: str = "server_error") -> dict:
    return {"type": "error", "error": {"type": kind, "code": code, "message": message}}


class FaultServer:
    def __init__(self, script: list[Step], *, then: list[Step] | None = (), stall_handshake: bool = False,
                 on_response: list[Step] = ()) -> None:
        self.script = script
        self.on_response = list(on_response)  # run (once) when the client first asks for a response
        self.then = then
        self.stall_handshake = stall_handshake
        self.connections = 0  # handshakes attempted
        self.updates = 0  # session.update events received, over all connections
        self.url = ""
        self._held: list[asyncio.Event] = []
        self._hung: list[ServerConnection] = []

    def release_hung(self) -> None:
        """Drop the server's side of hung connections (the client's side is the one under test)."""
        for ws in self._hung:
            ws.transport.abort()

    async def _process_request(self, connection: ServerConnection, request):
        self.connections += 1
        if self.stall_handshake:
            gate = asyncio.Event()
            self._held.append(gate)
            await gate.wait()  # released when the server stops
        if self.connections > 1 and self.then is None:
            return connection.respond(http.HTTPStatus.SERVICE_UNAVAILABLE, "gone\n")
        return None

    async def _handler(self, ws: ServerConnection) -> None:
        steps = self.script if self.connections == 1 else list(self.then or ())
        try:
            await ws.send(json.dumps({"type": "session.created", "session": {"id": f"sess_{self.connections}"}}))
            async for message in ws:
                kind = json.loads(message).get("type") if isinstance(message, str) else None
                if kind == "response.create":
                    replies, self.on_response = self.on_response, []
                    for step in replies:
                        await step(ws)
                if kind == "session.update":
                    self.updates += 1
                    for step in steps:
                        await step(ws)
                    steps = []
                    if getattr(ws, "hung", False):
                        # Not reading, it cannot even see the client leave: release_hung() ends it.
                        self._hung.append(ws)
                        await ws.wait_closed()
        except ConnectionClosed:
            pass  # the faults end connections abruptly on purpose

    @asynccontextmanager
    async def running(self):
        async with serve(self._handler, "127.0.0.1", 0, max_size=None, close_timeout=1,
                         process_request=self._process_request) as server:
            self.url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1/realtime"
            try:
                yield self
            finally:
                for gate in self._held:
                    gate.set()
