"""Spoken turns against the embedded simulated caller, over real loopback sockets.

The counselor's lines are synthesised with espeak-ng and streamed as 20 ms
``input_audio_buffer.append`` frames in real time (one frame every 20 ms, as a
microphone delivers them), followed by silence, with the server VAD at its
defaults (threshold 0.5, prefix 300 ms, silence 500 ms). Prints p50/p95 of
``speech_stopped`` -> first ``response.output_audio.delta`` at the client, the
end-to-end gap from the last voiced microphone frame to the first caller audio,
and recognition and synthesis time per second of audio. Then ten push-to-talk
turns (no turn detection): commit + response.create -> first audio delta.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from proto_trainer_tui.audio.pcm import encode_b64, frames
from proto_trainer_tui.realtime import events
from proto_trainer_tui.realtime.connection import open_connection
from proto_trainer_tui.scenarios import get_scenario
from proto_trainer_tui.sim.caller import classify, primary_move
from proto_trainer_tui.sim.listening import local_model_name, warmed_recognizer
from proto_trainer_tui.sim.process import EmbeddedServer
from proto_trainer_tui.sim.speech import Synthesizer
from proto_trainer_tui.sim.vad import frame_dbfs, threshold_dbfs

from .caller_turns import as_turn
from .typed_turns import percentile

TURNS = 20
FRAME_S = 0.020
LINES = [
    "Hi, this is Sam at the crisis line. What's going on tonight?",
    "That sounds really hard. Can you tell me more about that?",
    "Are you thinking of killing yourself?",
    "Do you have a plan for how you would do it?",
    "Do you have access to pills?",
    "When were you thinking of doing it?",
    "Have you ever tried to end your life before?",
    "What has kept you going so far?",
    "Would you be willing to make a safety plan with me?",
    "It makes sense that you feel worn out.",
]


# Counselor lines worded unlike the recogniser's corpus, to measure how often the caller
# still hears the right move (same primary move as the written line).
HELD_OUT = [
    "Good evening, crisis support, my name is Robin.", "Tell me what happened after you got home.",
    "That must have been terrifying for you.", "Are you thinking about ending your life?",
    "Do you know how you would do it?", "Are there firearms in your home?", "Have you picked a day?",
    "Did you ever try to kill yourself before?", "What stops you from acting on these thoughts?",
    "Could we make a safety plan for tonight?", "There is a support group that meets on Tuesdays.",
    "Calm down, you're overreacting.", "I have to go now, take care of yourself.",
    "It makes sense that you're exhausted.", "How long have you been feeling like this?",
    "Do you want to tell me more about your brother?",
]
VOICES = ("en-us", "en-gb+m3", "en-us+f3", "en-us+m1")


def last_voiced_offset(pcm: bytes) -> float:
    """Seconds from the start of `pcm` to the end of its last frame the VAD calls voiced."""
    level, last = threshold_dbfs(0.5), 0
    for index, frame in enumerate(frames(pcm)):
        if frame_dbfs(frame) >= level:
            last = index + 1
    return last * FRAME_S


async def send_in_real_time(connection, pcm: bytes, started: float, until: asyncio.Task | None = None) -> None:
    """Append ``pcm`` frame by frame as a microphone would, from ``started``; stop early once ``until`` is done."""
    for index, frame in enumerate(frames(pcm)):
        # Real-time pacing against the clock, so send jitter does not accumulate.
        delay = started + index * FRAME_S - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await connection.send(events.audio_append(encode_b64(frame)))
        if until is not None and until.done():
            return


async def one_turn(connection, pcm: bytes) -> tuple[float, float, str]:
    """Stream one line in real time; returns (stop->audio, last voice->audio, transcript)."""
    voiced_end = last_voiced_offset(pcm)
    audio = pcm + bytes(960 * 50)  # one second of silence after the line
    received: asyncio.Queue = asyncio.Queue()

    async def reader():
        while True:
            event = await connection.recv()
            await received.put((time.perf_counter(), event))
            if event["type"] == "response.done":
                return

    reading = asyncio.create_task(reader())
    started = time.perf_counter()
    await send_in_real_time(connection, audio, started, until=reading)
    await reading
    stopped = first_audio = None
    transcript = ""
    while not received.empty():
        at, event = received.get_nowait()
        if event["type"] == "input_audio_buffer.speech_stopped" and stopped is None:
            stopped = at
        elif event["type"] == "conversation.item.input_audio_transcription.completed":
            transcript = event["transcript"]
        elif event["type"] == "response.output_audio.delta" and first_audio is None and stopped is not None:
            first_audio = at
    return first_audio - stopped, first_audio - (started + voiced_end), transcript


async def push_to_talk_turn(connection, pcm: bytes) -> float:
    """Stream a line in real time, commit, ask for a response; returns commit -> first audio delta."""
    await send_in_real_time(connection, pcm, time.perf_counter())
    committed = time.perf_counter()
    await connection.send(events.audio_commit())
    await connection.send(events.response_create())
    first_audio = None
    while (event := await connection.recv())["type"] != "response.done":
        if event["type"] == "response.output_audio.delta" and first_audio is None:
            first_audio = time.perf_counter()
    return first_audio - committed


async def main() -> None:
    synthesizer = Synthesizer()
    counselor = {line: synthesizer.synthesize_all(line) for line in LINES}
    server = EmbeddedServer()
    await server.start()
    try:
        scenario = get_scenario("plan-and-means")
        async with open_connection(server.url, server.token) as connection:
            assert (await connection.recv())["type"] == "session.created"
            vad = {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300, "silence_duration_ms": 500}
            await connection.send(events.session_update(scenario.caller_instructions(), turn_detection=vad))
            await connection.recv()  # session.updated
            gaps, end_to_end, heard = [], [], []
            for turn in range(TURNS):
                line = LINES[turn % len(LINES)]
                gap, e2e, transcript = await one_turn(connection, counselor[line])
                gaps.append(gap * 1000)
                end_to_end.append(e2e * 1000)
                heard.append((line, transcript))
            await connection.send(events.session_update(scenario.caller_instructions(), turn_detection=None))
            await connection.recv()  # session.updated
            ptt = [await push_to_talk_turn(connection, counselor[line]) * 1000 for line in LINES]
    finally:
        await server.stop()

    recognizer = warmed_recognizer()
    decode_s = audio_s = tail_s = 0.0
    moves_right = total = 0
    for voice in VOICES:
        for line in HELD_OUT:
            pcm = as_turn(synthesizer.synthesize_all(line, voice, 160))
            began = time.perf_counter()
            recognizer.start()
            for frame in frames(pcm):
                recognizer.feed(frame)
            tail_began = time.perf_counter()
            text = recognizer.finish()
            tail_s = max(tail_s, time.perf_counter() - tail_began)
            decode_s += time.perf_counter() - began
            audio_s += len(pcm) / 48_000
            moves_right += primary_move(classify(text)) == primary_move(classify(line))
            total += 1
    sample = "I don't really know why I'm calling. Things have been hard since I lost my job. " * 4
    synthesizer.synthesize_all("Warm up.")
    synth_began = time.perf_counter()
    voiced = synthesizer.synthesize_all(sample)
    synth_s = time.perf_counter() - synth_began

    print(f"spoken turns against the embedded simulated caller (loopback, {TURNS} turns, "
          "mic audio streamed in real time as 20 ms frames, server VAD defaults)")
    print(f"  speech_stopped -> first audio delta   p50 {statistics.median(gaps):6.1f} ms"
          f"   p95 {percentile(gaps, 0.95):6.1f} ms")
    print(f"  push-to-talk commit -> first audio    p50 {statistics.median(ptt):6.1f} ms"
          f"   p95 {percentile(ptt, 0.95):6.1f} ms   ({len(ptt)} turns)")
    print(f"  last voiced frame -> first audio      p50 {statistics.median(end_to_end):6.1f} ms"
          f"   p95 {percentile(end_to_end, 0.95):6.1f} ms   (includes the 500 ms silence duration)")
    print(f"  recognition ({local_model_name()})")
    print(f"                                        {decode_s / audio_s * 1000:6.1f} ms per second of audio"
          f"   (tail at end of turn: max {tail_s * 1000:.1f} ms)")
    print(f"  synthesis                             {synth_s / (len(voiced) / 48_000) * 1000:6.1f} ms per second of audio")
    print(f"  counselor move heard right (held-out lines, {len(VOICES)} voices): {moves_right}/{total}"
          f"; spoken turns above, e.g. {heard[2][0]!r} -> {heard[2][1]!r}")

if __name__ == "__main__":
    asyncio.run(main())
