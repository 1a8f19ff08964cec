"""A counselor who talks to the simulated caller with real synthesised speech, over a real socket."""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.client import connect

from proto_trainer_tui.audio.pcm import encode_b64, frames
from proto_trainer_tui.realtime import events

from .speech_samples import speech_pcm

FRAME_BYTES = 960  # 20 ms of 24 kHz PCM16
SILENCE_FRAME = bytes(FRAME_BYTES)
SERVER_VAD = {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300, "silence_duration_ms": 500}


def spoken(text: str, voice: str = "en-us") -> bytes:
    """The counselor's line as 24 kHz PCM16 (espeak-ng), identical on every call."""
    return speech_pcm(text, voice, 165)


class Client:
    def __init__(self, ws) -> None:
        self.ws = ws
        self.received: list[dict] = []

    async def send(self, event: dict) -> None:
        await self.ws.send(json.dumps(event))

    async def recv(self, timeout: float = 20.0) -> dict:
        event = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.received.append(event)
        return event

    async def until(self, kind: str, timeout: float = 20.0) -> dict:
        while (event := await self.recv(timeout))["type"] != kind:
            pass
        return event

    async def say(self, text: str, *, silence_ms: int = 800, pace: float = 0.0) -> None:
        """Stream the line as 20 ms appends, then silence; ``pace`` seconds between frames (0 = flat out)."""
        pcm = spoken(text) + SILENCE_FRAME * (silence_ms // 20)
        for frame in frames(pcm):
            await self.send(events.audio_append(encode_b64(frame)))
            if pace:
                await asyncio.sleep(pace)

    def types(self) -> list[str]:
        return [event["type"] for event in self.received]


async def open_client(url: str, token: str, instructions: str = "", turn_detection: dict | None = SERVER_VAD):
    ws = await connect(url, additional_headers={"Authorization": f"Bearer {token}"}, max_size=None)
    client = Client(ws)
    assert (await client.recv())["type"] == "session.created"
    await client.send(events.session_update(instructions, turn_detection=turn_detection))
    await client.until("session.updated")
    return client
