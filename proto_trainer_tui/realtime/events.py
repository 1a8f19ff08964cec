"""Build and parse the OpenAI Realtime protocol subset we speak (GA names).

Pure functions over plain dicts: no sockets, no clocks beyond id generation.
Both the client and the embedded simulated-caller server use them, so the two
ends cannot drift apart.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from ..text import printable

Event = dict[str, Any]

SAMPLE_RATE = 24_000
PCM_FORMAT = {"type": "audio/pcm", "rate": SAMPLE_RATE}

# Beta event names still sent by some servers, mapped to the GA names we handle.
BETA_ALIASES = {
    "conversation.item.created": "conversation.item.added",
    "response.audio.delta": "response.output_audio.delta",
    "response.audio.done": "response.output_audio.done",
    "response.audio_transcript.delta": "response.output_audio_transcript.delta",
    "response.audio_transcript.done": "response.output_audio_transcript.done",
    "response.text.delta": "response.output_text.delta",
    "response.text.done": "response.output_text.done",
}

# Non-fatal `error` codes the embedded caller sends once per call when an endpoint it uses fails and
# its local fallback takes over: the call goes on, so the client shows them as notices, not errors.
CALLER_MODEL_UNAVAILABLE = "caller_model_unavailable"
TRANSCRIPTION_UNAVAILABLE = "transcription_unavailable"
RECOGNISER_FALLBACK = "recogniser_fallback"  # the embedded caller listens with pocketsphinx alone
FALLBACK_NOTICES = frozenset({CALLER_MODEL_UNAVAILABLE, TRANSCRIPTION_UNAVAILABLE, RECOGNISER_FALLBACK})


class MalformedEvent(ValueError):
    """A frame that is not a JSON object with a string ``type``."""


def new_id(prefix: str) -> str:
    # OpenAI ids are short opaque strings; 32 characters is the documented maximum.
    return f"{prefix}_{secrets.token_hex(8)}"


def parse_event(frame: str | bytes) -> Event:
    """Decode one text frame into an event dict with a GA ``type``.

    Raises MalformedEvent for binary frames, invalid JSON, or a missing type.
    """
    if isinstance(frame, bytes):
        raise MalformedEvent(f"binary frame of {len(frame)} bytes (the protocol is JSON text)")
    try:
        event = json.loads(frame)
    except json.JSONDecodeError as exc:
        raise MalformedEvent(f"invalid JSON: {exc.msg} at position {exc.pos}") from None
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise MalformedEvent("event is not an object with a string 'type'")
    event["type"] = BETA_ALIASES.get(event["type"], event["type"])
    return event


def dump_event(event: Event) -> str:
    if "event_id" not in event:
        event = {"event_id": new_id("event"), **event}
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


# --- client events -------------------------------------------------------------


def session_update(
    instructions: str,
    *,
    voice: str | None = None,
    turn_detection: dict[str, Any] | None = None,
    transcription_model: str | None = "whisper-1",
    text_replies: bool = False,
) -> Event:
    """``session.update`` asking for PCM16 24 kHz audio both ways.

    ``turn_detection=None`` means push-to-talk / typed turns (no server VAD).
    ``text_replies`` asks for the caller's replies as text only (nothing could play them).
    """
    audio_input: dict[str, Any] = {"format": PCM_FORMAT, "turn_detection": turn_detection}
    if transcription_model:
        audio_input["transcription"] = {"model": transcription_model}
    audio_output: dict[str, Any] = {"format": PCM_FORMAT}
    if voice:
        audio_output["voice"] = voice
    return {
        "type": "session.update",
        "session": {
            "type": "realtime",
            "instructions": instructions,
            "output_modalities": ["text"] if text_replies else ["audio"],
            "audio": {"input": audio_input, "output": audio_output},
        },
    }


def user_text_item(text: str, item_id: str | None = None) -> Event:
    """``conversation.item.create`` for a typed counselor turn."""
    return _text_item("user", "input_text", text, item_id)


def caller_text_item(text: str, item_id: str | None = None) -> Event:
    """``conversation.item.create`` for what the caller already said (restoring a conversation)."""
    return _text_item("assistant", "output_text", text, item_id)


def _text_item(role: str, part: str, text: str, item_id: str | None) -> Event:
    item: dict[str, Any] = {"type": "message", "role": role, "content": [{"type": part, "text": text}]}
    if item_id:
        item["id"] = item_id
    return {"type": "conversation.item.create", "item": item}


def response_create() -> Event:
    return {"type": "response.create"}


def response_cancel() -> Event:
    return {"type": "response.cancel"}


def audio_append(audio_b64: str) -> Event:
    return {"type": "input_audio_buffer.append", "audio": audio_b64}


def audio_commit() -> Event:
    return {"type": "input_audio_buffer.commit"}


def audio_clear() -> Event:
    return {"type": "input_audio_buffer.clear"}


def item_truncate(item_id: str, audio_end_ms: int, content_index: int = 0) -> Event:
    return {
        "type": "conversation.item.truncate",
        "item_id": item_id,
        "content_index": content_index,
        "audio_end_ms": max(0, int(audio_end_ms)),
    }


# --- reading helpers ------------------------------------------------------------


def session_instructions(event: Event) -> str | None:
    """The instructions of a ``session.update`` (None when not given)."""
    session = event.get("session")
    if isinstance(session, dict) and isinstance(session.get("instructions"), str):
        return session["instructions"]
    return None


def item_text(item: dict[str, Any]) -> str:
    """Concatenated text (input_text, text, or transcripts) of a message item."""
    parts = []
    for part in item.get("content") or []:
        if not isinstance(part, dict):
            continue
        for key in ("text", "transcript"):
            if isinstance(part.get(key), str):
                parts.append(part[key])
                break
    return "".join(parts)


def fallback_notice(event: Event) -> str | None:
    """The message of an ``error`` event that only says a fallback took over (FALLBACK_NOTICES), else None."""
    error = event.get("error")
    if not isinstance(error, dict) or error.get("code") not in FALLBACK_NOTICES:
        return None
    return printable(str(error.get("message") or "an endpoint failed; the call goes on"))


def error_message(event: Event) -> str:
    """A one-line description of an ``error`` event."""
    error = event.get("error")
    if not isinstance(error, dict):
        return "server error (no details)"
    message = printable(str(error.get("message") or "no message"))
    code = error.get("code") or error.get("type")
    return f"{message} ({printable(str(code))})" if code else message
