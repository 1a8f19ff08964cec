"""VoiceSession: one connection, its microphone, speaker and conversation, end to end.

:func:`run_session` is the single owner of everything a session opens. It is
awaited by the app's session worker; cancelling that worker (disconnect, quit)
or any error unwinds the ``async with`` blocks and releases the websocket, the
microphone stream and the speaker stream on every path.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from contextlib import AsyncExitStack
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from ..audio.devices import Microphone, MicrophoneStopped, NullSpeaker, Speaker, open_microphone, open_speaker
from ..audio.echo import EchoCanceller, EchoGate
from ..audio.microphone import MicFrame
from ..audio.pcm import SILENCE_FLOOR_DBFS, decode_b64, encode_b64, samples_dbfs
from . import events
from .connection import DEFAULT_CONNECT_TIMEOUT, ConnectionProblem, RealtimeConnection, open_connection
from .conversation import Conversation, Turn
from .backoff import DEFAULT_TRIES, backoff_delay
from .turn_taking import CallerAudio, LatencyTracker, SentAudio

log = logging.getLogger(__name__)

TurnMode = Literal["vad", "ptt"]
TURN_MODES: tuple[TurnMode, ...] = ("vad", "ptt")
SERVER_VAD = {
    "type": "server_vad",
    "threshold": 0.5,
    "prefix_padding_ms": 300,
    "silence_duration_ms": 500,
    "create_response": True,
    "interrupt_response": True,
}
TIMING_WINDOW = 3000  # per-frame processing times kept for the benchmark (a minute of frames)


class SessionListener(Protocol):
    """What the UI hears from a session. Called on the event loop."""

    def session_connected(self, session: VoiceSession, *, reconnected: bool = False) -> None: ...
    def reconnecting(self, attempt: int, tries: int, delay: float, reason: str) -> None: ...
    def turn_changed(self, turn: Turn) -> None: ...
    def turns_renumbered(self) -> None: ...
    def notice(self, message: str, *, error: bool = False) -> None: ...


class Journal(Protocol):
    """Where a call is kept (store.journal.SessionJournal); the session reports to it."""

    def begin(self) -> None: ...
    def turn(self, turn: Turn) -> None: ...
    def learner_audio(self, pcm: bytes) -> None: ...
    def caller_audio(self, pcm: bytes) -> None: ...
    def caller_cut(self) -> None: ...
    def set_mode(self, mode: str) -> None: ...
    def forget(self, turn: Turn) -> None: ...


@dataclass(frozen=True)
class SessionConfig:
    url: str
    api_key: str | None
    instructions: str
    voice: str | None = None
    audio: bool = True
    output_device: int | str | None = None
    input_device: int | str | None = None
    turn_mode: TurnMode = "vad"
    headphones: bool = False  # no echo path: skip echo cancelling and gating
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    reconnect_tries: int = DEFAULT_TRIES
    ca_file: str | None = None  # trusted CAs for wss:// instead of the system's
    # Where the server is before each reconnect (the embedded caller restarts on a new port).
    locate: Callable[[], Awaitable[str]] | None = field(default=None, compare=False)

    def session_update(self, turn_mode: TurnMode, *, text_replies: bool = False) -> events.Event:
        detection = SERVER_VAD if turn_mode == "vad" else None
        return events.session_update(self.instructions, voice=self.voice, turn_detection=detection,
                                     text_replies=text_replies)


@dataclass(frozen=True)
class Levels:
    mic_dbfs: float
    caller_dbfs: float
    counselor_speaking: bool
    caller_speaking: bool


class VoiceSession:
    """The live half of a session: counselor turns out, server events in, audio both ways."""

    def __init__(
        self,
        connection: RealtimeConnection | None,
        speaker: Speaker | NullSpeaker,
        listener: SessionListener,
        config: SessionConfig,
        microphone: Microphone | None = None,
        journal: Journal | None = None,
    ) -> None:
        self.connection = connection  # replaced on each reconnect (see attach)
        self.journal = journal
        self.speaker = speaker
        self.microphone = microphone
        self.listener = listener
        self.config = config
        self.conversation = Conversation()  # kept across reconnects: one call, one transcript
        self.turn_mode: TurnMode = config.turn_mode
        self.muted = False
        self.talking = False  # push-to-talk held open
        self.counselor_speaking = False  # the server's VAD hears the counselor
        self.responding = False
        self.reply_wanted = False  # a typed turn arrived while the caller was still answering in text
        self.latency = LatencyTracker()
        self.mic_dbfs = self.caller_dbfs = SILENCE_FLOOR_DBFS
        self._caller_audio = CallerAudio()
        self._sent = SentAudio()
        self._turn_started_at = 0  # samples sent when push-to-talk began
        self._held_frame: MicFrame | None = None
        self._echo: EchoCanceller | None = None
        self._gate: EchoGate | None = None
        if microphone is not None and not config.headphones:
            self._gate = EchoGate()
            try:
                self._echo = EchoCanceller()
            except Exception as exc:  # ImportError or a native-library failure
                listener.notice(f"echo canceller unavailable ({exc}); using half-duplex gating")
        # Processing times in seconds, for the benchmark: mic frame (capture to send), audio delta.
        self.mic_frame_times: deque[float] = deque(maxlen=TIMING_WINDOW)
        self.delta_times: deque[float] = deque(maxlen=TIMING_WINDOW)

    def attach(self, connection: RealtimeConnection) -> None:
        """A new connection for this call: forget what belonged to the old one."""
        self.connection = connection
        self.responding = self.talking = self.counselor_speaking = self.reply_wanted = False
        self._caller_audio = CallerAudio()
        self._sent = SentAudio()
        self._held_frame = None
        self.latency.cancel()

    def _changed(self, turns: list[Turn]) -> None:
        for turn in turns:
            if self.journal is not None:
                self.journal.turn(turn)  # stored first: the transcript pages from the store
            self.listener.turn_changed(turn)

    # --- counselor actions -----------------------------------------------------------

    @property
    def voice_out(self) -> bool:
        """Whether the caller's replies can be heard (otherwise they come as text only)."""
        return isinstance(self.speaker, Speaker)

    def session_update(self) -> events.Event:
        return self.config.session_update(self.turn_mode, text_replies=not self.voice_out)

    async def send_text(self, text: str) -> Turn:
        """A typed counselor turn: shown and recorded at once, then sent."""
        turn = self.conversation.add_typed(text, events.new_id("item"))
        self._changed([turn])
        if self.voice_out:
            await self.barge_in()  # typing over the caller's voice interrupts it, as speaking would
        await self.connection.send(events.user_text_item(text, turn.item_id))
        if self.responding and not self.voice_out:
            # As in a text chat, a line sent while the caller is still answering does not cut the
            # answer off: the caller replies to it once the current answer is done.
            self.reply_wanted = True
        else:
            await self.connection.send(events.response_create())
            self.latency.counselor_done(time.perf_counter())
        return turn

    def toggle_mute(self) -> bool:
        self.muted = not self.muted
        return self.muted

    async def set_turn_mode(self, mode: TurnMode) -> None:
        if mode == self.turn_mode:
            return
        if self.talking:
            await self.connection.send(events.audio_clear())
            self.talking = False
        self.turn_mode = mode
        await self.connection.send(self.session_update())

    async def start_talking(self) -> None:
        """Push-to-talk pressed: the caller stops at once and a fresh turn begins."""
        if self.talking:
            return
        self.talking = True
        self._turn_started_at = self._sent.samples_sent
        await self.barge_in()
        await self.connection.send(events.audio_clear())

    async def stop_talking(self) -> None:
        """Push-to-talk released: commit what was said and ask for the caller's reply."""
        if not self.talking:
            return
        self.talking = False
        if self._sent.samples_sent == self._turn_started_at:
            return  # nothing was captured (muted, or no microphone): no empty turn
        await self.connection.send(events.audio_commit())
        await self.connection.send(events.response_create())
        self.latency.counselor_done(time.perf_counter())

    async def barge_in(self, *, cancel_response: bool = True) -> None:
        """Stop the caller's voice and tell the server how much of the item was heard."""
        if cancel_response and self.responding:
            await self.connection.send(events.response_cancel())
        cut = self._caller_audio.cut_at(self.speaker.position())
        self.speaker.flush()
        if cut is not None:
            item_id, heard = cut
            await self.connection.send(events.item_truncate(item_id, heard))
            self._caller_audio = CallerAudio()
            if self.journal is not None:
                self.journal.caller_cut()

    # --- server events ------------------------------------------------------------------

    async def receive(self) -> None:
        """Route server events until the server closes the connection."""
        while (event := await self.connection.recv()) is not None:
            await self.handle(event)

    async def handle(self, event: events.Event) -> None:
        kind = event["type"]
        if kind == "response.output_audio.delta":
            self._play(event)
        elif kind == "response.created":
            self.responding = True
        elif kind == "response.output_audio.done":
            self.speaker.expecting_more = False
        elif kind == "response.done":
            self.speaker.expecting_more = False
            self.responding = False
            if self.reply_wanted:
                self.reply_wanted = False
                await self.connection.send(events.response_create())
                self.latency.counselor_done(time.perf_counter())
        elif kind == "input_audio_buffer.speech_started":
            self.counselor_speaking = True
            self.latency.cancel()
            if self.turn_mode == "vad":
                # The server cancels its own response (interrupt_response); we stop the audio.
                await self.barge_in(cancel_response=False)
        elif kind == "input_audio_buffer.speech_stopped":
            self.counselor_speaking = False
            end_ms = event.get("audio_end_ms")
            spoken = self._sent.captured_at(end_ms) if isinstance(end_ms, int) else None
            self.latency.counselor_done(spoken or time.perf_counter())
        elif kind == "error":
            fallback = events.fallback_notice(event)  # an endpoint failed, the server's fallback goes on
            if fallback is not None:
                self.listener.notice(fallback)
            else:
                self.listener.notice(f"server error: {events.error_message(event)}", error=True)
        self._changed(self.conversation.apply(event))
        removed = self.conversation.take_removed()
        for turn in removed:
            if self.journal is not None:
                self.journal.forget(turn)
        if removed:
            self.listener.turns_renumbered()

    def _play(self, event: events.Event) -> None:
        received = time.perf_counter()
        delta, item_id = event.get("delta"), event.get("item_id")
        if not isinstance(delta, str):
            return
        try:
            pcm = decode_b64(delta)
        except ValueError as exc:
            log.debug("skipped bad audio delta: %s", exc)
            return
        self.latency.caller_audio(received)
        self.speaker.expecting_more = True
        start = self.speaker.write(pcm)
        if self.journal is not None:
            self.journal.caller_audio(pcm)
        if isinstance(item_id, str):
            self._caller_audio.wrote(item_id, start, len(pcm) // 2)
        self.delta_times.append(time.perf_counter() - received)

    # --- microphone --------------------------------------------------------------------

    async def stream_microphone(self) -> None:
        """Send the counselor's voice while connected; a lost device leaves typed practice."""
        microphone = self.microphone
        if microphone is None:
            return
        try:
            while True:
                await self._send_frames(await microphone.read_block())
        except MicrophoneStopped as exc:
            self.listener.notice(f"microphone off: {exc}; type your side of the call", error=True)
            self.microphone = None
            microphone.close()

    async def _send_frames(self, frames: list[MicFrame]) -> None:
        """A device block's frames, each its own 20 ms append, written to the socket together."""
        appends, captured = [], []
        for frame in frames:
            released = self._hold(frame)
            if released is None:
                continue
            held, played = released
            append = self._append_for(held, played)
            if append is not None:
                appends.append(append)
                captured.append(held.captured)
        if appends:
            await self.connection.send_all(appends)
            sent = time.perf_counter()
            # The sent audio's age: its device block and the one-frame hold included.
            self.mic_frame_times.extend(sent - when for when in captured)

    def _hold(self, frame: MicFrame) -> tuple[MicFrame, np.ndarray] | None:
        """Hold ``frame`` back; release the one held before, with the speaker's audio up to one
        frame *after* it as its echo reference, so the reference leads the echo as the canceller needs."""
        held, self._held_frame = self._held_frame, frame
        if held is None:
            return None
        return held, frame.played if frame.played is not None else np.zeros_like(held.samples)

    def _append_for(self, held: MicFrame, played: np.ndarray) -> events.Event | None:
        """Clean one frame of the echo, meter it, and make its append (None when nothing is sent)."""
        samples = held.samples
        if not self.config.headphones:  # with headphones there is no reference: levels() measures the caller
            self.caller_dbfs = samples_dbfs(played)
        if self._echo is not None:
            samples = self._echo.process(samples, played)
        self.mic_dbfs = samples_dbfs(samples)
        if self.muted or (self.turn_mode == "ptt" and not self.talking):
            return None  # muted (or not holding the turn) sends nothing at all
        if self._gate is not None and not self._gate.admit(self.mic_dbfs, self.caller_dbfs):
            samples = np.zeros_like(samples)
        self._sent.sent(len(samples), held.captured)
        pcm = samples.tobytes()
        if self.journal is not None:
            self.journal.learner_audio(pcm)
        return events.audio_append(encode_b64(pcm))

    def check_speaker(self) -> None:
        """A speaker whose device went away is replaced by silence; the call goes on in text."""
        if isinstance(self.speaker, Speaker) and not self.speaker.active:
            lost, self.speaker = self.speaker, NullSpeaker()
            lost.close()
            self.listener.notice(
                "voice off: the speaker stopped playing (was it unplugged?); the caller's words still show; "
                "pick another with --output-device or the settings screen", error=True)

    def levels(self) -> Levels:
        """For the meters (polled ~15 times a second by the UI)."""
        self.check_speaker()
        if self.microphone is None or self.config.headphones:
            # No microphone loop drains the speaker's played audio (no microphone, or no echo
            # reference with headphones): measure it here.
            played = np.zeros(4800, dtype=np.int16)
            got = self.speaker.take_played(played)
            self.caller_dbfs = samples_dbfs(played[:got])
            if self.microphone is None:
                self.mic_dbfs = SILENCE_FLOOR_DBFS
        return Levels(
            mic_dbfs=self.mic_dbfs,
            caller_dbfs=self.caller_dbfs,
            counselor_speaking=self.counselor_speaking or self.talking,
            caller_speaking=self.speaker.playing,
        )

    def interrupt(self) -> None:
        """Connection over: stop the caller's voice, keep cut-off turns as interrupted."""
        self.speaker.flush()
        self._changed(self.conversation.interrupt_open_turns())

    def close_devices(self) -> None:
        """Idempotent; the call's exit stack also closes the devices it opened."""
        self.speaker.close()
        if self.microphone is not None:
            self.microphone.close()

    async def run_connection(self) -> None:
        """Receive until the server closes; stream the microphone meanwhile."""
        streaming = asyncio.create_task(self.stream_microphone()) if self.microphone else None
        try:
            await self.receive()
        finally:
            if streaming is not None:
                # The receive loop reports connection errors; the sender's copy of them adds nothing.
                streaming.cancel()
                await asyncio.gather(streaming, return_exceptions=True)


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


async def run_session(config: SessionConfig, listener: SessionListener, journal: Journal | None = None) -> None:
    """Run one call until it ends, reconnecting after unexpected closes, and release everything.

    The devices and the conversation live for the whole call; each connection
    lives inside it. Returns when the server closes normally; raises
    ConnectionProblem with a user-facing message when the call cannot go on.
    Cancellation is the way to hang up, and also cancels a wait between tries.
    """
    async with AsyncExitStack() as stack:
        speaker, voice_problem = open_speaker(config.audio, config.output_device)
        stack.callback(speaker.close)
        reference = None if config.headphones else speaker.take_played
        microphone, mic_problem = open_microphone(config.audio, config.input_device, reference=reference)
        if microphone is not None:
            stack.callback(microphone.close)
        # One message: no sound card at all is said once, as "voice off".
        if voice_problem or mic_problem:
            listener.notice(voice_problem or mic_problem)
        if journal is not None:
            journal.set_mode("voice" if microphone is not None else "typed")
        session = VoiceSession(None, speaker, listener, config, microphone, journal)
        stack.callback(session.close_devices)  # also whatever replaced a device that went away
        stack.callback(session.interrupt)
        attempt = 0
        while True:
            try:
                url = await config.locate() if attempt and config.locate else config.url
                await _one_connection(config, url, listener, session, reconnected=attempt > 0)
                return
            except ConnectionProblem as exc:
                connected_before = session.connection is not None
                if not (connected_before and exc.retryable) or attempt >= config.reconnect_tries:
                    raise
                attempt += 1
                session.interrupt()
                delay = backoff_delay(attempt)
                listener.reconnecting(attempt, config.reconnect_tries, delay, str(exc))
                await asyncio.sleep(delay)


async def _one_connection(
    config: SessionConfig, url: str, listener: SessionListener, session: VoiceSession, *, reconnected: bool
) -> None:
    async with open_connection(
        url,
        config.api_key,
        timeout=config.connect_timeout,
        on_malformed=lambda why: listener.notice(f"skipped a malformed frame: {why}", error=True),
        ca_file=config.ca_file,
    ) as connection:
        await wait_for_session_created(connection, config.connect_timeout)
        session.attach(connection)
        if not reconnected and session.journal is not None:
            _begin_journal(session, listener)
        await connection.send(session.session_update())
        if reconnected:  # the call so far, so the caller (ours or OpenAI's) continues where it was
            for event in session.conversation.restore_events():
                await connection.send(event)
        listener.session_connected(session, reconnected=reconnected)
        await session.run_connection()


def _begin_journal(session: VoiceSession, listener: SessionListener) -> None:
    from ..store import StoreError  # the adapter's error; the session itself knows no database

    try:
        session.journal.begin()
    except StoreError as exc:
        listener.notice(f"this call will not be saved: {exc}", error=True)
        session.journal = None
