"""VoiceSession: one connection, its speaker and its conversation, end to end.

:func:`run_session` is the single owner of everything a session opens. It is
awaited by the app's session worker; cancelling that worker (disconnect, quit)
or any error unwinds the ``async with`` blocks and releases the websocket and
the speaker on every path.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Protocol

from ..audio.devices import NullSpeaker, Speaker, open_speaker
from ..audio.pcm import decode_b64
from . import events
from .connection import DEFAULT_CONNECT_TIMEOUT, ConnectionProblem, RealtimeConnection, open_connection
from .conversation import Conversation, Turn

log = logging.getLogger(__name__)


class SessionListener(Protocol):
    """What the UI hears from a session. Called on the event loop."""

    def session_connected(self, session: VoiceSession) -> None: ...
    def turn_changed(self, turn: Turn) -> None: ...
    def notice(self, message: str, *, error: bool = False) -> None: ...


@dataclass(frozen=True)
class SessionConfig:
    url: str
    api_key: str | None
    instructions: str
    voice: str | None = None
    audio: bool = True
    output_device: int | str | None = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT


class VoiceSession:
    """The live half of a session: send counselor turns, route server events."""

    def __init__(
        self, connection: RealtimeConnection, speaker: Speaker | NullSpeaker, listener: SessionListener
    ) -> None:
        self.connection = connection
        self.speaker = speaker
        self.listener = listener
        self.conversation = Conversation()

    async def send_text(self, text: str) -> Turn:
        """A typed counselor turn: shown and recorded at once, then sent."""
        turn = self.conversation.add_typed(text, events.new_id("item"))
        self.listener.turn_changed(turn)
        await self.connection.send(events.user_text_item(text, turn.item_id))
        await self.connection.send(events.response_create())
        return turn

    async def receive(self) -> None:
        """Route server events until the server closes the connection."""
        while (event := await self.connection.recv()) is not None:
            self.handle(event)

    def handle(self, event: events.Event) -> None:
        kind = event["type"]
        if kind == "response.output_audio.delta":
            self._play(event.get("delta"))
        elif kind == "error":
            self.listener.notice(f"server error: {events.error_message(event)}", error=True)
        for turn in self.conversation.apply(event):
            self.listener.turn_changed(turn)

    def _play(self, delta: object) -> None:
        if not isinstance(delta, str):
            return
        try:
            self.speaker.write(decode_b64(delta))
        except ValueError as exc:
            log.debug("skipped bad audio delta: %s", exc)

    def interrupt(self) -> None:
        """Session over: stop the caller's voice, keep cut-off turns as interrupted."""
        self.speaker.flush()
        for turn in self.conversation.interrupt_open_turns():
            self.listener.turn_changed(turn)


async def wait_for_session_created(connection: RealtimeConnection, timeout: float) -> None:
    """The server speaks first; anything else before ``session.created`` is a protocol error."""
    try:
        event = await asyncio.wait_for(connection.recv(), timeout)
    except TimeoutError:
        raise ConnectionProblem(f"{connection.url} sent no session.created within {timeout:g} s") from None
    if event is None:
        raise ConnectionProblem(f"{connection.url} closed the connection before the session started")
    if event["type"] == "error":
        raise ConnectionProblem(f"server error: {events.error_message(event)}")
    if event["type"] != "session.created":
        raise ConnectionProblem(f"expected session.created first, got {event['type']}")


async def run_session(
    config: SessionConfig,
    listener: SessionListener,
) -> None:
    """Connect, run one session until it ends, and release everything.

    Returns when the server closes normally; raises ConnectionProblem with a
    user-facing message otherwise. Cancellation is the way to disconnect.
    """
    async with AsyncExitStack() as stack:
        connection = await stack.enter_async_context(
            open_connection(
                config.url,
                config.api_key,
                timeout=config.connect_timeout,
                on_malformed=lambda why: listener.notice(f"skipped a malformed frame: {why}", error=True),
            )
        )
        speaker, voice_problem = open_speaker(config.audio, config.output_device)
        stack.callback(speaker.close)
        if voice_problem:
            listener.notice(voice_problem)
        await wait_for_session_created(connection, config.connect_timeout)
        await connection.send(events.session_update(config.instructions, voice=config.voice))
        session = VoiceSession(connection, speaker, listener)
        stack.callback(session.interrupt)
        listener.session_connected(session)
        await session.receive()
