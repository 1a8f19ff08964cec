"""Typed turns against the embedded simulated caller, over real loopback sockets.

Prints: child server start-up time, connect time (handshake to session.created),
time from sending a typed line to the first caller transcript delta and to the
first audio delta (p50/p95), and offline synthesis speed.
"""

from __future__ import annotations

import statistics
import time

from proto_trainer_tui.realtime import events
from proto_trainer_tui.realtime.connection import open_connection
from proto_trainer_tui.scenarios import get_scenario
from proto_trainer_tui.sim.process import EmbeddedServer
from proto_trainer_tui.sim.speech import Synthesizer

TURNS = 20
LINES = [
    "Hi, crisis line, this is Sam. What's going on tonight?",
    "That sounds really hard. Can you tell me more?",
    "Are you thinking of killing yourself?",
    "It makes sense that you feel worn out.",
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def one_turn(connection, text: str) -> tuple[float, float]:
    sent = time.perf_counter()
    await connection.send(events.user_text_item(text))
    await connection.send(events.response_create())
    first_text = first_audio = None
    while True:
        event = await connection.recv()
        now = time.perf_counter()
        if event["type"] == "response.output_audio_transcript.delta" and first_text is None:
            first_text = now - sent
        elif event["type"] == "response.output_audio.delta" and first_audio is None:
            first_audio = now - sent
        elif event["type"] == "response.done":
            return first_text, first_audio


async def main() -> None:
    server = EmbeddedServer()
    started = time.perf_counter()
    url = await server.start()
    startup = time.perf_counter() - started
    try:
        scenario = get_scenario("first-call-passive-thoughts")
        connect_started = time.perf_counter()
        async with open_connection(url, server.token) as connection:
            assert (await connection.recv())["type"] == "session.created"
            connect = time.perf_counter() - connect_started
            await connection.send(events.session_update(scenario.caller_instructions()))
            await connection.recv()  # session.updated
            text_gaps, audio_gaps = [], []
            for turn in range(TURNS):
                first_text, first_audio = await one_turn(connection, LINES[turn % len(LINES)])
                text_gaps.append(first_text * 1000)
                audio_gaps.append(first_audio * 1000)
    finally:
        await server.stop()

    synthesizer = Synthesizer()
    synthesizer.synthesize_all("Warm up.")
    sample = "I don't really know why I'm calling. Things have been hard since I lost my job. " * 4
    synth_started = time.perf_counter()
    audio = synthesizer.synthesize_all(sample)
    synth_seconds = time.perf_counter() - synth_started
    audio_seconds = len(audio) / 2 / 24_000

    print("typed turns against the embedded simulated caller (loopback)")
    print(f"  embedded server start-up        {startup * 1000:8.0f} ms")
    print(f"  connect (to session.created)    {connect * 1000:8.1f} ms")
    print(f"  send -> first transcript delta  p50 {statistics.median(text_gaps):6.1f} ms"
          f"   p95 {percentile(text_gaps, 0.95):6.1f} ms   ({TURNS} turns)")
    print(f"  send -> first audio delta       p50 {statistics.median(audio_gaps):6.1f} ms"
          f"   p95 {percentile(audio_gaps, 0.95):6.1f} ms")
    print(f"  synthesis speed                 {synth_seconds / audio_seconds * 1000:8.1f} ms per second of audio")
