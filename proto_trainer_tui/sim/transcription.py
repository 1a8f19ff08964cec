"""Optional recognition through an OpenAI-compatible transcription endpoint.

``proto-trainer serve --stt-base-url URL`` (a local whisper server, vLLM, or OpenAI):
each finished counselor turn is sent as a WAV file to ``/audio/transcriptions``.
The local recogniser (pocketsphinx) still listens to every turn as it is spoken, so
when the endpoint errors or is slow its transcript is used instead; the problem
is logged and told to the client once per call (``sim/endpoints.py``) and the call goes on.
"""

from __future__ import annotations

import asyncio
import io
import logging
import wave
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ..audio.pcm import SAMPLE_RATE
from .endpoints import ProblemOnce, check_base_url, endpoint_key, sdk_client
from .listening import Listener, Recognition

log = logging.getLogger(__name__)

STT_KEY_ENV = "PROTO_TRAINER_STT_API_KEY"
DEFAULT_STT_MODEL = "whisper-1"
TRANSCRIBE_TIMEOUT = 5.0  # seconds before the local transcript is used instead
MAX_TURN_BYTES = 120 * SAMPLE_RATE * 2  # two minutes, as the server's push-to-talk limit


def stt_key(env: Mapping[str, str] | None = None) -> str | None:
    return endpoint_key(STT_KEY_ENV, env)


@dataclass(frozen=True)
class TranscriptionSettings:
    base_url: str
    model: str = DEFAULT_STT_MODEL
    api_key: str | None = field(default=None, repr=False)  # never printed or logged
    timeout: float = TRANSCRIBE_TIMEOUT

    def __post_init__(self) -> None:
        check_base_url(self.base_url, "transcription", required=True)

    def client(self):
        return sdk_client(self.api_key, self.base_url, timeout=self.timeout)


def wav_of(pcm: bytes) -> bytes:
    """PCM16 mono 24 kHz as a WAV file's bytes."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm)
    return out.getvalue()


class RemoteTranscriber:
    """One call's use of the transcription endpoint; shares the server's HTTP client."""

    def __init__(self, settings: TranscriptionSettings, client) -> None:
        self.settings = settings
        self.client = client
        self.problem = ProblemOnce(log, "transcription endpoint", "the transcription endpoint",
                                   "the local recogniser's words are used")

    async def transcribe(self, pcm: bytes) -> str | None:
        """The endpoint's transcript of one turn, or None when it failed (said once per call)."""
        try:
            async with asyncio.timeout(self.settings.timeout):
                result = await self.client.audio.transcriptions.create(
                    model=self.settings.model, file=("turn.wav", wav_of(pcm), "audio/wav"))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the SDK's errors, timeouts, refused connections
            self.problem.say("the endpoint is slow" if isinstance(exc, TimeoutError) else exc)
            return None
        text = getattr(result, "text", None)
        return text.strip() if isinstance(text, str) else None


class RemoteListening:
    """A session's listening (the Listener's interface): the endpoint's words, the local ones as fallback."""

    def __init__(self, local: Listener, transcriber: RemoteTranscriber) -> None:
        self.local = local
        self.transcriber = transcriber
        self.audio = bytearray()  # the turn so far, for the endpoint

    @property
    def has_audio(self) -> bool:
        return self.local.has_audio

    def start(self) -> None:
        self.audio.clear()
        self.local.start()

    def feed(self, pcm: bytes) -> None:
        if len(self.audio) + len(pcm) <= MAX_TURN_BYTES:
            self.audio += pcm
        self.local.feed(pcm)

    def cancel(self) -> None:
        self.audio.clear()
        self.local.cancel()

    def use_sentences(self, sentences: tuple[str, ...]) -> None:
        self.local.use_sentences(sentences)

    async def finish(self) -> Recognition:
        pcm, self.audio = bytes(self.audio), bytearray()
        if not pcm:
            return await self.local.finish()
        local, text = await asyncio.gather(self.local.finish(), self.transcriber.transcribe(pcm))
        return local if text is None else replace(local, text=text, error=None)

    async def close(self) -> None:
        await self.local.close()
