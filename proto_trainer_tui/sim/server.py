"""The embedded simulated caller: a realtime-protocol websocket server.

Per connection a :class:`SimSession` keeps the conversation, asks the pure
caller engine for each reply, and streams it as transcript deltas and 24 kHz
PCM16 audio deltas synthesised offline with espeak-ng.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import random
import re
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from http import HTTPStatus

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode
from websockets.http11 import Request, Response

from ..audio.pcm import decode_b64, duration_ms, encode_b64
from ..realtime import events
from ..realtime.events import Event, MalformedEvent
from ..scenarios import select_scenario
from ..scenarios.model import Scenario
from .caller import CallerEngine
from .caller_model import CallerModelSettings, ModelCaller
from .caller_prompt import CallHistory, chat_messages
from .counselor_corpus import scenario_sentences
from .endpoints import ProblemOnce
from .listening import Listener, RecognizerPool
from .reply_guard import Disclosure
from .selection import scenario_id_from_path
from .speech import SpeechUnavailable, Synthesizer
from .spoken import SpokenItem
from .transcription import RemoteListening, RemoteTranscriber, TranscriptionSettings
from .vad import ServerVad, SpeechAudio, SpeechStarted, SpeechStopped, VadSettings

log = logging.getLogger(__name__)

REALTIME_PATH = "/v1/realtime"
MAX_FRAME_BYTES = 16 * 1024 * 1024
MAX_SESSIONS = 16
MAX_TURN_MS = 120_000  # a push-to-talk turn longer than two minutes is refused
MAX_REMEMBERED_ITEMS = 32  # caller items kept for conversation.item.truncate
# Stands in for a spoken turn nothing could be recognised from: the caller asks again.
UNHEARD = "\x00unheard"
# Caller audio runs at most this far ahead of real time, as a live voice does: the
# client's bounded speaker buffer is not flooded, and the counselor can still talk
# over a reply that is being produced (barge-in).
PACE_LEAD_MS = 1500
# A chat scenario's caller types: text only, each sentence after a typing pause (when pacing is on).
CHAT_MODES = ("chat", "text")
TYPING_CHARS_PER_SECOND = 8.0
MAX_TYPING_SECONDS = 4.0
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
ITEM_ROLES = ("user", "assistant", "system")  # conversation.item.create messages, as OpenAI's accepts


def error_event(message: str, *, code: str = "invalid_request_error", event_id: str | None = None,
                kind: str = "invalid_request_error") -> Event:
    return {
        "type": "error",
        "error": {"type": kind, "code": code, "message": message, "event_id": event_id},
    }


def turn_detection_of(session: dict) -> tuple[bool, object]:
    """(given, value) of the turn detection in a session.update: GA place first, then the beta one."""
    audio_input = (session.get("audio") or {}).get("input") if isinstance(session.get("audio"), dict) else None
    if isinstance(audio_input, dict) and "turn_detection" in audio_input:
        return True, audio_input["turn_detection"]
    if "turn_detection" in session:
        return True, session["turn_detection"]
    return False, None


def modality_of(options: dict, current: str) -> str:
    """"audio" or "text" from ``output_modalities`` (GA) or ``modalities`` (beta); else ``current``."""
    given = options.get("output_modalities", options.get("modalities"))
    if given is None:
        return current
    if not isinstance(given, list) or not set(given) <= {"audio", "text"} or not given:
        raise ValueError("output_modalities must be [\"audio\"] or [\"text\"]")
    return "audio" if "audio" in given else "text"


class SimSession:
    """The server side of one connection."""

    def __init__(self, ws: ServerConnection, synthesizer: Synthesizer, seed: int = 0,
                 pace_lead_ms: int | None = PACE_LEAD_MS,
                 recognizers: RecognizerPool | None = None, scenario_id: str | None = None,
                 model: ModelCaller | None = None, transcriber: RemoteTranscriber | None = None) -> None:
        self.ws = ws
        self.scenario_id = scenario_id  # asked for with ?scenario=ID (sim/selection.py)
        self.model = model  # the caller's words from a chat-completions model; None: the engine's
        self.transcriber = transcriber  # a transcription endpoint's words; None: the local recogniser's
        self.pace_lead_ms = pace_lead_ms
        self.synthesizer = synthesizer
        self.seed = seed
        self.session_id = events.new_id("sess")
        self.scenario: Scenario = select_scenario(scenario_id, "")
        self.caller = CallerEngine(self.scenario, seed)
        self.instructions = ""
        self.unanswered: list[str] = []  # counselor text since the caller last replied
        self.history = CallHistory()  # the whole call, for the model and to restore the engine
        self.response_task: asyncio.Task[None] | None = None
        self.active_item: SpokenItem | None = None  # the caller item being streamed
        self.spoken: dict[str, SpokenItem] = {}  # recent caller items, for truncation
        self.last_item_id: str | None = None
        # Listening: server VAD by default, as OpenAI's realtime sessions do.
        self.vad_settings: VadSettings | None = VadSettings()
        self.vad = ServerVad(self.vad_settings)
        pool = recognizers or RecognizerPool()
        self.listening = Listener(pool.take, pool.give_back)
        if transcriber is not None:  # an endpoint's words, the local recogniser's as fallback
            self.listening = RemoteListening(self.listening, transcriber)
        self.transcription_model = transcriber.settings.model if transcriber else pool.model_name
        self.recogniser_notice = None if transcriber else pool.fallback_notice  # told once, with the first audio
        self.listening.use_sentences(scenario_sentences(self.scenario))  # its names become hearable
        self.speech_item_id: str | None = None  # the counselor item being spoken (VAD)
        self.buffered_ms = 0  # push-to-talk audio since the last commit or clear
        # How the caller answers: "audio" (with transcript) or "text"; a chat scenario always types.
        self.modality = "text" if self.scenario.mode in CHAT_MODES else "audio"

    async def send(self, event: Event) -> None:
        await self.ws.send(events.dump_event(event))

    def session_object(self) -> dict:
        turn_detection = self.vad_settings.as_turn_detection() if self.vad_settings else None
        return {
            "id": self.session_id,
            "object": "realtime.session",
            "type": "realtime",
            "model": "proto-trainer-sim",
            "instructions": self.instructions,
            "output_modalities": [self.modality],
            "audio": {
                "input": {"format": events.PCM_FORMAT, "turn_detection": turn_detection,
                          "transcription": {"model": self.transcription_model}},
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
            await self.listening.close()

    async def dispatch(self, event: Event) -> None:
        kind = event["type"]
        handler = self.HANDLERS.get(kind)
        if handler is None:
            await self.send(error_event(f"unsupported event type {kind!r}", event_id=event.get("event_id")))
            return
        try:
            await handler(self, event)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # A client event of the right type but the wrong shape: say so, keep the session.
            log.debug("bad %s: %r", kind, exc)
            await self.send(error_event(f"invalid {kind}: {exc}", event_id=event.get("event_id")))

    # --- session and typed turns ------------------------------------------------

    async def on_session_update(self, event: Event) -> None:
        session = event.get("session")
        if not isinstance(session, dict):
            raise ValueError("'session' must be an object")
        # Validate everything before changing anything: a bad update leaves the session as it was.
        given, turn_detection = turn_detection_of(session)
        settings = VadSettings.from_turn_detection(turn_detection) if given else self.vad_settings
        self.modality = modality_of(session, self.modality)
        if settings != self.vad_settings:
            self.vad_settings = settings
            self.vad = ServerVad(settings or VadSettings())
            await self.abandon_speech()
        instructions = events.session_instructions(event)
        if instructions is not None and instructions != self.instructions:
            self.instructions = instructions
            self.scenario = select_scenario(self.scenario_id, instructions)
            self.caller = CallerEngine(self.scenario, self.seed)
            self.listening.use_sentences(scenario_sentences(self.scenario))
            for said in self.history.answered_turns():  # a new persona, the same conversation
                self.caller.reply_each(said)
        if self.scenario.mode in CHAT_MODES:
            self.modality = "text"  # a chat caller types, whatever the client asked for
        await self.send({"type": "session.updated", "session": self.session_object()})

    async def on_item_create(self, event: Event) -> None:
        item = event.get("item")
        role = item.get("role") if isinstance(item, dict) else None
        if not isinstance(item, dict) or item.get("type") != "message" or role not in ITEM_ROLES:
            await self.send(error_event("only message items (user, assistant, system) are supported",
                                        event_id=event.get("event_id")))
            return
        item_id = str(item.get("id") or events.new_id("item"))
        text = events.item_text(item)
        if role == "user":
            self.unanswered.append(text)
        elif role == "assistant":  # the caller said this (a restored conversation): the engine catches up
            said = self.take_unanswered()
            if said and said != [UNHEARD]:
                self.caller.reply_each(said)
        self.history.add(role, text, item_id)
        part = "output_text" if role == "assistant" else "input_text"
        stored = {"id": item_id, "object": "realtime.item", "type": "message", "role": role,
                  "status": "completed", "content": [{"type": part, "text": text}]}
        await self.add_item(stored)

    async def add_item(self, item: dict) -> None:
        previous, self.last_item_id = self.last_item_id, item["id"]
        await self.send({"type": "conversation.item.added", "previous_item_id": previous, "item": item})
        await self.send({"type": "conversation.item.done", "previous_item_id": previous, "item": item})

    async def on_response_create(self, event: Event) -> None:
        if self.response_task is not None and not self.response_task.done():
            await self.send(error_event("the conversation already has an active response",
                                        code="conversation_already_has_active_response"))
            return
        options = event.get("response")
        self.start_response(modality_of(options, self.modality) if isinstance(options, dict) else self.modality)

    def take_unanswered(self) -> list[str]:
        """The counselor's items since the caller last replied, each kept apart for the engine's one reply."""
        counselor_items = [t for t in self.unanswered if t.strip() and t != UNHEARD]
        if not counselor_items and UNHEARD in self.unanswered:
            counselor_items = [UNHEARD]  # only unrecognisable speech since the last reply
        self.unanswered.clear()
        return counselor_items

    def start_response(self, modality: str | None = None) -> None:
        counselor_items = self.take_unanswered()
        if self.scenario.mode in CHAT_MODES:
            modality = "text"
        self.response_task = asyncio.create_task(self.respond(counselor_items, modality or self.modality))

    async def on_response_cancel(self, event: Event) -> None:
        await self.cancel_response()

    # --- listening ------------------------------------------------------------------

    async def on_audio_append(self, event: Event) -> None:
        audio = event.get("audio")
        if not isinstance(audio, str):
            await self.send(error_event("input_audio_buffer.append needs base64 'audio'"))
            return
        try:
            pcm = decode_b64(audio)
        except ValueError as exc:
            await self.send(error_event(f"bad audio: {exc}"))
            return
        if self.recogniser_notice is not None:
            notice, self.recogniser_notice = self.recogniser_notice, None
            await self.send(error_event(notice, code=events.RECOGNISER_FALLBACK, kind="server_error"))
        if self.vad_settings is None:  # push-to-talk: everything until the commit is the turn
            if self.buffered_ms + duration_ms(len(pcm)) > MAX_TURN_MS:
                await self.send(error_event("push-to-talk turn longer than two minutes; commit or clear it",
                                            code="input_audio_buffer_too_long"))
                return
            self.buffered_ms += duration_ms(len(pcm))
            self.listening.feed(pcm)
            return
        for vad_event in self.vad.feed(pcm):
            if isinstance(vad_event, SpeechStarted):
                await self.speech_started(vad_event.audio_start_ms)
            elif isinstance(vad_event, SpeechAudio):
                self.listening.feed(vad_event.pcm)
            elif isinstance(vad_event, SpeechStopped):
                await self.speech_stopped(vad_event.audio_end_ms)

    async def speech_started(self, audio_start_ms: int) -> None:
        self.speech_item_id = events.new_id("item")
        self.listening.start()
        await self.send({"type": "input_audio_buffer.speech_started", "audio_start_ms": audio_start_ms,
                         "item_id": self.speech_item_id})
        if self.vad_settings and self.vad_settings.interrupt_response:
            await self.cancel_response("turn_detected")  # barge-in: the counselor talks over the caller

    async def speech_stopped(self, audio_end_ms: int) -> None:
        item_id, self.speech_item_id = self.speech_item_id or events.new_id("item"), None
        await self.send({"type": "input_audio_buffer.speech_stopped", "audio_end_ms": audio_end_ms,
                         "item_id": item_id})
        await self.commit_turn(item_id)
        if self.vad_settings and self.vad_settings.create_response:
            if self.response_task is None or self.response_task.done():
                self.start_response()

    async def on_audio_commit(self, event: Event) -> None:
        if self.vad_settings is not None and self.vad.in_speech:
            self.vad.reset()
            await self.speech_stopped(self.vad.elapsed_ms)
            return
        if not self.listening.has_audio:
            await self.send(error_event("the input audio buffer is empty; nothing to commit",
                                        code="input_audio_buffer_commit_empty", event_id=event.get("event_id")))
            return
        self.buffered_ms = 0
        await self.commit_turn(events.new_id("item"))

    async def commit_turn(self, item_id: str) -> None:
        """committed, the user item, then its transcript once the last frames are decoded."""
        await self.send({"type": "input_audio_buffer.committed", "previous_item_id": self.last_item_id,
                         "item_id": item_id})
        previous, self.last_item_id = self.last_item_id, item_id
        item = {"id": item_id, "object": "realtime.item", "type": "message", "role": "user",
                "status": "completed", "content": [{"type": "input_audio", "transcript": None}]}
        await self.send({"type": "conversation.item.added", "previous_item_id": previous, "item": item})
        result = await self.listening.finish()
        if self.transcriber is not None:
            await self.tell_fallback(self.transcriber.problem, events.TRANSCRIPTION_UNAVAILABLE)
        done = {**item, "content": [{"type": "input_audio", "transcript": result.text}]}
        await self.send({"type": "conversation.item.done", "previous_item_id": previous, "item": done})
        if result.error or not result.text:
            reason = result.error or "no words were recognised"
            await self.send({"type": "conversation.item.input_audio_transcription.failed", "item_id": item_id,
                             "content_index": 0,
                             "error": {"type": "transcription_error", "code": "no_speech" if not result.error
                                       else "recognizer_unavailable", "message": reason}})
            self.unanswered.append(UNHEARD)
            return
        await self.send({"type": "conversation.item.input_audio_transcription.delta", "item_id": item_id,
                         "content_index": 0, "delta": result.text})
        await self.send({"type": "conversation.item.input_audio_transcription.completed", "item_id": item_id,
                         "content_index": 0, "transcript": result.text,
                         "usage": {"type": "duration", "seconds": round(result.audio_seconds, 3)}})
        self.unanswered.append(result.text)
        self.history.add("user", result.text, item_id)

    async def abandon_speech(self) -> None:
        self.listening.cancel()
        self.speech_item_id = None
        self.buffered_ms = 0

    async def on_audio_clear(self, event: Event) -> None:
        self.vad.reset()
        await self.abandon_speech()
        await self.send({"type": "input_audio_buffer.cleared"})

    async def on_item_truncate(self, event: Event) -> None:
        item_id, audio_end_ms = event.get("item_id"), event.get("audio_end_ms")
        if not isinstance(item_id, str) or not isinstance(audio_end_ms, int) or audio_end_ms < 0:
            raise ValueError("needs a string 'item_id' and a non-negative integer 'audio_end_ms'")
        item = self.spoken.get(item_id)
        if item is None:
            await self.send(error_event(f"no caller audio item {item_id!r} to truncate",
                                        code="item_truncate_invalid_item_id", event_id=event.get("event_id")))
            return
        if self.active_item is item:
            await self.cancel_response()  # the client stopped playing it: stop producing it
        heard = item.truncate(audio_end_ms)
        self.history.set_text(item_id, heard)
        if item_id == self.caller_item_id and not self.model_spoke:
            self.caller.heard(heard)
        await self.send({"type": "conversation.item.truncated", "item_id": item_id,
                         "content_index": int(event.get("content_index") or 0),
                         "audio_end_ms": item.truncated_at_ms})

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

    # --- speaking -------------------------------------------------------------------

    caller_item_id: str | None = None  # the item holding the engine's last reply
    model_spoke = False  # the last reply was the model's words: the engine's disclosures stand
    cancel_reason = "client_cancelled"

    async def cancel_response(self, reason: str = "client_cancelled") -> None:
        self.cancel_reason = reason
        task, self.response_task = self.response_task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def respond(self, counselor_items: list[str], modality: str = "audio") -> None:
        """Stream one caller reply sentence by sentence: transcript and audio, or text only."""
        response_id, item_id = events.new_id("resp"), events.new_id("item")
        # The engine answers at once, even if the reply is cancelled before a word is voiced.
        unheard = counselor_items == [UNHEARD]
        offline = self.caller.reply_unheard() if unheard else self.caller.reply_each(counselor_items)
        sentences = self.reply_sentences(bool(counselor_items) and not unheard, split_sentences(offline))
        self.caller_item_id = item_id
        spoken = self.active_item = SpokenItem(item_id, started_at=asyncio.get_running_loop().time())
        if modality == "audio":
            self.remember(spoken)  # only audio items can be truncated
        ids = {"response_id": response_id, "item_id": item_id, "output_index": 0, "content_index": 0}
        item = {"id": item_id, "object": "realtime.item", "type": "message", "role": "assistant",
                "status": "in_progress", "content": []}
        response = {"id": response_id, "object": "realtime.response", "status": "in_progress", "output": [],
                    "output_modalities": [modality]}
        status = "completed"
        sentence, start_ms = "", 0  # the sentence being voiced, if any
        previous, self.last_item_id = self.last_item_id, item_id
        await self.send({"type": "response.created", "response": response})
        await self.send({"type": "response.output_item.added", "response_id": response_id,
                         "output_index": 0, "item": item})
        await self.send({"type": "conversation.item.added", "previous_item_id": previous, "item": item})
        try:
            async for sentence in sentences:
                piece = sentence if not spoken.sentences else " " + sentence
                start_ms = spoken.begin_sentence()
                if modality == "text":
                    await self.type_pause(sentence)
                    await self.send({"type": "response.output_text.delta", **ids, "delta": piece})
                else:
                    await self.send({"type": "response.output_audio_transcript.delta", **ids, "delta": piece})
                    await self.speak(sentence, ids, spoken)
                spoken.end_sentence(start_ms, sentence)
                sentence = ""
            reply = spoken.transcript
            if modality == "text":
                await self.send({"type": "response.output_text.done", **ids, "text": reply})
            else:
                await self.send({"type": "response.output_audio.done", **ids})
                await self.send({"type": "response.output_audio_transcript.done", **ids, "transcript": reply})
        except asyncio.CancelledError:
            status = "cancelled"
            raise
        finally:
            await sentences.aclose()
            self.active_item = None
            if status == "cancelled":
                if sentence:  # cut mid-sentence: keep the share of words its audio so far carried
                    spoken.end_partial(start_ms, sentence, self.scenario.persona.rate_wpm)
                # What was streamed is what the counselor may have heard; a truncate may cut it further.
                if not self.model_spoke:
                    self.caller.heard(spoken.transcript)
            transcript = spoken.transcript
            self.history.add("assistant", transcript, item_id)
            part = ({"type": "output_text", "text": transcript} if modality == "text"
                    else {"type": "output_audio", "transcript": transcript})
            final = {**item, "status": "completed" if status == "completed" else "incomplete", "content": [part]}
            done = {**response, "status": status, "output": [final]}
            if status == "cancelled":
                done["status_details"] = {"type": "cancelled", "reason": self.cancel_reason}
            try:
                await asyncio.shield(self._finish(response_id, previous, final, done))
            except ConnectionClosed:
                pass

    async def reply_sentences(self, heard: bool, offline: list[str]) -> AsyncIterator[str]:
        """The engine has decided (its reply ``offline``, what may be disclosed); a model, if any, finds the words
        (only when the counselor said something it could hear)."""
        self.model_spoke = False
        if self.model is None or not heard:
            for sentence in offline:
                yield sentence
            return
        caller = self.caller
        disclosure = Disclosure.of(caller.scenario, caller.disclosed)
        messages = chat_messages(caller.scenario, disclosure, caller.mood, self.history.messages)
        fallbacks = self.model.fallbacks
        async for sentence in self.model.sentences(messages, disclosure, offline):
            self.model_spoke = self.model.fallbacks == fallbacks
            await self.tell_fallback(self.model.problem, events.CALLER_MODEL_UNAVAILABLE)
            yield sentence
        await self.tell_fallback(self.model.problem, events.CALLER_MODEL_UNAVAILABLE)  # a stall after the last

    async def tell_fallback(self, problem: ProblemOnce, code: str) -> None:
        """An endpoint's first failure in this call, as a non-fatal error event: the fallback goes on."""
        notice = problem.take_notice()
        if notice is not None:
            await self.send(error_event(notice, code=code, kind="server_error"))

    async def type_pause(self, sentence: str) -> None:
        """A chat caller takes a moment to type each sentence (off when pacing is off, as in tests)."""
        if self.scenario.mode in CHAT_MODES and self.pace_lead_ms is not None:
            await asyncio.sleep(min(MAX_TYPING_SECONDS, len(sentence) / TYPING_CHARS_PER_SECOND))

    def remember(self, item: SpokenItem) -> SpokenItem:
        self.spoken[item.item_id] = item
        while len(self.spoken) > MAX_REMEMBERED_ITEMS:
            del self.spoken[next(iter(self.spoken))]
        return item

    async def _finish(self, response_id: str, previous: str | None, item: dict, response: dict) -> None:
        await self.send({"type": "response.output_item.done", "response_id": response_id,
                         "output_index": 0, "item": item})
        await self.send({"type": "conversation.item.done", "previous_item_id": previous, "item": item})
        await self.send({"type": "response.done", "response": response})

    async def speak(self, sentence: str, ids: dict, spoken: SpokenItem) -> None:
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
                spoken.add_audio(len(chunk))
                if self.pace_lead_ms is not None:
                    ahead_ms = spoken.audio_ms - (loop.time() - spoken.started_at) * 1000
                    if ahead_ms > self.pace_lead_ms:
                        await asyncio.sleep((ahead_ms - self.pace_lead_ms) / 1000)
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

    def __init__(self, token: str, *, max_sessions: int = MAX_SESSIONS,
                 pace_lead_ms: int | None = PACE_LEAD_MS, caller_model: CallerModelSettings | None = None,
                 transcription: TranscriptionSettings | None = None,
                 seed: int | None = None, recogniser: str = "auto") -> None:
        if not token:
            raise ValueError("the simulated caller server needs a token")
        self.token = token
        self.max_sessions = max_sessions
        self.pace_lead_ms = pace_lead_ms
        # The local recogniser (engine: config.RECOGNISERS); set .recognizers.factory to change how
        # they are made.
        self.recognizers = RecognizerPool(engine=recogniser)
        self.synthesizer = Synthesizer()
        self.sessions = 0
        self.caller_model = caller_model
        self.transcription = transcription
        # One HTTP client (connection pool) per endpoint for every call, made when first needed.
        self._clients: dict[CallerModelSettings | TranscriptionSettings, object] = {}
        self.seed = seed  # the caller's seed for every call; None: a random one per call

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        if path != REALTIME_PATH:
            return connection.respond(HTTPStatus.NOT_FOUND, f"no endpoint at {path}; use {REALTIME_PATH}\n")
        if self.sessions >= self.max_sessions:
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "too many sessions\n")
        return None

    def call_seed(self) -> int:
        """The caller's seed for a new call: the server's own, else a fresh random one."""
        return self.seed if self.seed is not None else random.randrange(2**32)

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
            await SimSession(ws, self.synthesizer, self.call_seed(), pace_lead_ms=self.pace_lead_ms,
                             recognizers=self.recognizers,
                             scenario_id=scenario_id_from_path(ws.request.path), model=self.model_caller(),
                             transcriber=self.transcriber()).run()
        except ConnectionClosed:
            pass
        finally:
            self.sessions -= 1

    def _client(self, settings: CallerModelSettings | TranscriptionSettings):
        if settings not in self._clients:
            self._clients[settings] = settings.client()
        return self._clients[settings]

    def model_caller(self) -> ModelCaller | None:
        return ModelCaller(self.caller_model, self._client(self.caller_model)) if self.caller_model else None

    def transcriber(self) -> RemoteTranscriber | None:
        return RemoteTranscriber(self.transcription, self._client(self.transcription)) if self.transcription else None

    async def close(self) -> None:
        """Release what outlives the connections (the endpoints' HTTP clients), after serving."""
        clients, self._clients = list(self._clients.values()), {}
        # Every client is closed even when one of them fails to.
        await asyncio.gather(*(client.close() for client in clients), return_exceptions=True)

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
