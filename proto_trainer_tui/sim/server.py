"""The embedded simulated caller: a realtime-protocol websocket server.

Per connection a :class:`SimSession` keeps the conversation, asks the pure
caller engine for each reply, and streams it as transcript deltas and 24 kHz
PCM16 audio deltas synthesised offline with espeak-ng.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import threading
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode
from websockets.http11 import Request, Response

from ..audio.pcm import decode_b64, encode_b64
from ..realtime import events
from ..realtime.events import Event, MalformedEvent
from ..scenarios import scenario_for_instructions
from ..scenarios.model import Scenario
from .caller import CallerEngine
from .speech import SpeechUnavailable, Synthesizer

log = logging.getLogger(__name__)

REALTIME_PATH = "/v1/realtime"
MAX_FRAME_BYTES = 16 * 1024 * 1024
MAX_SESSIONS = 16
MAX_INPUT_AUDIO_BYTES = 24_000 * 2 * 120  # two minutes of speech per turn, then oldest is dropped
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def error_event(message: str, *, code: str = "invalid_request_error", event_id: str | None = None) -> Event:
    return {
        "type": "error",
        "error": {"type": "invalid_request_error", "code": code, "message": message, "event_id": event_id},
    }


class SimSession:
    """The server side of one connection."""

    def __init__(self, ws: ServerConnection, synthesizer: Synthesizer, seed: int = 0) -> None:
        self.ws = ws
        self.synthesizer = synthesizer
        self.seed = seed
        self.session_id = events.new_id("sess")
        self.scenario: Scenario = scenario_for_instructions("")
        self.caller = CallerEngine(self.scenario, seed)
        self.instructions = ""
        self.unanswered: list[str] = []  # counselor text since the caller last replied
        self.input_audio = bytearray()
        self.response_task: asyncio.Task[None] | None = None

    async def send(self, event: Event) -> None:
        await self.ws.send(events.dump_event(event))

    def session_object(self) -> dict:
        return {
            "id": self.session_id,
            "object": "realtime.session",
            "type": "realtime",
            "model": "proto-trainer-sim",
            "instructions": self.instructions,
            "output_modalities": ["audio"],
            "audio": {
                "input": {"format": events.PCM_FORMAT, "turn_detection": None},
                "output": {"format": events.PCM_FORMAT, "voice": self.scenario.persona.voice},
            },
        }

    async def run(self) -> None:
        await self.send({"type": "session.created", "session": self.session_object()})
        try:
            async for frame in self.ws:
                try:
                    event = events.parse_event(frame)
                except MalformedEvent as exc:
                    await self.send(error_event(f"malformed client event: {exc}"))
                    continue
                await self.dispatch(event)
        finally:
            await self.cancel_response()

    async def dispatch(self, event: Event) -> None:
        kind = event["type"]
        handler = self.HANDLERS.get(kind)
        if handler is None:
            await self.send(error_event(f"unsupported event type {kind!r}", event_id=event.get("event_id")))
            return
        await handler(self, event)

    async def on_session_update(self, event: Event) -> None:
        instructions = events.session_instructions(event)
        if instructions is not None and instructions != self.instructions:
            self.instructions = instructions
            self.scenario = scenario_for_instructions(instructions)
            self.caller = CallerEngine(self.scenario, self.seed)
        await self.send({"type": "session.updated", "session": self.session_object()})

    async def on_item_create(self, event: Event) -> None:
        item = event.get("item")
        if not isinstance(item, dict) or item.get("type") != "message" or item.get("role") != "user":
            await self.send(error_event("only user message items are supported", event_id=event.get("event_id")))
            return
        item_id = str(item.get("id") or events.new_id("item"))
        text = events.item_text(item)
        self.unanswered.append(text)
        stored = {"id": item_id, "object": "realtime.item", "type": "message", "role": "user",
                  "status": "completed", "content": [{"type": "input_text", "text": text}]}
        await self.send({"type": "conversation.item.added", "previous_item_id": None, "item": stored})
        await self.send({"type": "conversation.item.done", "previous_item_id": None, "item": stored})

    async def on_response_create(self, event: Event) -> None:
        if self.response_task is not None and not self.response_task.done():
            await self.send(error_event("the conversation already has an active response",
                                        code="conversation_already_has_active_response"))
            return
        counselor_text = " ".join(t for t in self.unanswered if t.strip())
        self.unanswered.clear()
        self.response_task = asyncio.create_task(self.respond(counselor_text))

    async def on_response_cancel(self, event: Event) -> None:
        await self.cancel_response()

    async def on_audio_append(self, event: Event) -> None:
        audio = event.get("audio")
        if not isinstance(audio, str):
            await self.send(error_event("input_audio_buffer.append needs base64 'audio'"))
            return
        try:
            self.input_audio += decode_b64(audio)
        except ValueError as exc:
            await self.send(error_event(f"bad audio: {exc}"))
            return
        del self.input_audio[:-MAX_INPUT_AUDIO_BYTES]

    async def on_audio_commit(self, event: Event) -> None:
        item_id = events.new_id("item")
        self.input_audio.clear()
        await self.send({"type": "input_audio_buffer.committed", "previous_item_id": None, "item_id": item_id})
        # Recognition of spoken turns is not in the embedded caller yet: say so, per protocol.
        await self.send({"type": "conversation.item.input_audio_transcription.failed", "item_id": item_id,
                         "content_index": 0,
                         "error": {"type": "transcription_error", "message": "speech recognition unavailable"}})

    async def on_audio_clear(self, event: Event) -> None:
        self.input_audio.clear()
        await self.send({"type": "input_audio_buffer.cleared"})

    async def on_item_truncate(self, event: Event) -> None:
        await self.send({"type": "conversation.item.truncated", "item_id": event.get("item_id"),
                         "content_index": 0, "audio_end_ms": event.get("audio_end_ms", 0)})

    HANDLERS: dict[str, Callable[[SimSession, Event], Awaitable[None]]] = {
        "session.update": on_session_update,
        "conversation.item.create": on_item_create,
        "response.create": on_response_create,
        "response.cancel": on_response_cancel,
        "input_audio_buffer.append": on_audio_append,
        "input_audio_buffer.commit": on_audio_commit,
        "input_audio_buffer.clear": on_audio_clear,
        "conversation.item.truncate": on_item_truncate,
    }

    async def cancel_response(self) -> None:
        task, self.response_task = self.response_task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def respond(self, counselor_text: str) -> None:
        """Stream one caller reply: transcript and audio, sentence by sentence."""
        response_id, item_id = events.new_id("resp"), events.new_id("item")
        reply = self.caller.reply(counselor_text)
        ids = {"response_id": response_id, "item_id": item_id, "output_index": 0, "content_index": 0}
        item = {"id": item_id, "object": "realtime.item", "type": "message", "role": "assistant",
                "status": "in_progress", "content": []}
        response = {"id": response_id, "object": "realtime.response", "status": "in_progress", "output": []}
        status = "completed"
        spoken = ""
        await self.send({"type": "response.created", "response": response})
        await self.send({"type": "response.output_item.added", "response_id": response_id,
                         "output_index": 0, "item": item})
        await self.send({"type": "conversation.item.added", "previous_item_id": None, "item": item})
        try:
            for sentence in split_sentences(reply):
                piece = sentence if not spoken else " " + sentence
                spoken += piece
                await self.send({"type": "response.output_audio_transcript.delta", **ids, "delta": piece})
                await self.speak(sentence, ids)
            await self.send({"type": "response.output_audio.done", **ids})
            await self.send({"type": "response.output_audio_transcript.done", **ids, "transcript": reply})
        except asyncio.CancelledError:
            status = "cancelled"
            raise
        finally:
            final = {**item, "status": "completed" if status == "completed" else "incomplete",
                     "content": [{"type": "output_audio", "transcript": spoken if status != "completed" else reply}]}
            done = {**response, "status": status, "output": [final]}
            try:
                await asyncio.shield(self._finish(response_id, final, done))
            except ConnectionClosed:
                pass

    async def _finish(self, response_id: str, item: dict, response: dict) -> None:
        await self.send({"type": "response.output_item.done", "response_id": response_id,
                         "output_index": 0, "item": item})
        await self.send({"type": "conversation.item.done", "previous_item_id": None, "item": item})
        await self.send({"type": "response.done", "response": response})

    async def speak(self, sentence: str, ids: dict) -> None:
        """Synthesise off the event loop and send each chunk as soon as it exists."""
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
        stop = threading.Event()

        def synthesise() -> None:
            try:
                self.synthesizer.synthesize(
                    sentence, self.scenario.persona.voice, self.scenario.persona.rate_wpm,
                    on_chunk=lambda pcm: loop.call_soon_threadsafe(chunks.put_nowait, pcm),
                    cancel=stop,
                )
            finally:
                loop.call_soon_threadsafe(chunks.put_nowait, None)

        worker = asyncio.create_task(asyncio.to_thread(synthesise))
        try:
            while (chunk := await chunks.get()) is not None:
                await self.send({"type": "response.output_audio.delta", **ids, "delta": encode_b64(chunk)})
            await worker  # re-raise a synthesis failure
        except SpeechUnavailable as exc:
            log.warning("caller voice unavailable: %s", exc)
        finally:
            # A thread cannot be interrupted: ask espeak to stop, then wait so
            # nothing outlives the response.
            stop.set()
            if not worker.done():
                await asyncio.gather(asyncio.shield(worker), return_exceptions=True)


def split_sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text.strip()) if s]


class SimServer:
    """Accepts authenticated connections on /v1/realtime, one SimSession each."""

    def __init__(self, token: str, *, max_sessions: int = MAX_SESSIONS) -> None:
        if not token:
            raise ValueError("the simulated caller server needs a token")
        self.token = token
        self.max_sessions = max_sessions
        self.synthesizer = Synthesizer()
        self.sessions = 0

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        if path != REALTIME_PATH:
            return connection.respond(HTTPStatus.NOT_FOUND, f"no endpoint at {path}; use {REALTIME_PATH}\n")
        if self.sessions >= self.max_sessions:
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "too many sessions\n")
        return None

    def authorized(self, headers: Headers) -> bool:
        supplied = headers.get("Authorization", "")
        expected = f"Bearer {self.token}"
        return hmac.compare_digest(supplied.encode(), expected.encode())

    async def handler(self, ws: ServerConnection) -> None:
        if not self.authorized(ws.request.headers):
            # A policy close, as the issue asks: the client explains the key was rejected.
            await ws.close(CloseCode.POLICY_VIOLATION, "invalid API key or token")
            return
        self.sessions += 1
        try:
            await SimSession(ws, self.synthesizer).run()
        except ConnectionClosed:
            pass
        finally:
            self.sessions -= 1

    def serve(self, host: str, port: int, *, open_timeout: float = 10.0) -> serve:
        """``async with server.serve(host, port) as ws_server: ...``"""
        return serve(
            self.handler,
            host,
            port,
            process_request=self.process_request,
            max_size=MAX_FRAME_BYTES,
            server_header="proto-trainer-sim",
            open_timeout=open_timeout,
        )


def listening_url(server: Server) -> str:
    host, port = server.sockets[0].getsockname()[:2]
    host = f"[{host}]" if ":" in host else host
    return f"ws://{host}:{port}{REALTIME_PATH}"
