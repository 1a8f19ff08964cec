"""The caller's words from a chat-completions model: first-audio latency and the reply guard.

Latency: the embedded simulated caller (a child process, as the app runs it) takes its
words from the loopback fake chat endpoint (tests/fake_chat.py), which streams server-sent
events at 30 tokens/s (a token being about 4 characters, as OpenAI's are) after a 300 ms
first token. Prints p50/p95 of typed line sent -> first caller audio delta, and of
``speech_stopped`` -> first caller audio delta for lines spoken with espeak-ng and
streamed in real time (server VAD defaults).

Guard: planted replies (benchmarks/guard_set/*.csv: scenario, facts disclosed so far,
block or pass, the reply). dev1-dev5 are the sets the guard's phrases were revised
on, each written before the revision it prompted; test.csv was written after the
last revision and never tuned on. benchmarks/guard_holdout/ holds the set written
for the content check (concepts from the facts' own words) before it existed, kept
apart from every set the rules were revised on. Prints leaks blocked and clean
replies held back per set.
"""

from __future__ import annotations

import asyncio
import csv
import statistics
import time
from pathlib import Path

from proto_trainer_tui.realtime import events
from proto_trainer_tui.realtime.connection import open_connection
from proto_trainer_tui.scenarios import get_scenario
from proto_trainer_tui.sim.process import EmbeddedServer, SimOptions
from proto_trainer_tui.sim.reply_guard import Disclosure, check_reply
from proto_trainer_tui.sim.speech import Synthesizer

from .spoken_turns import LINES as SPOKEN_LINES
from .spoken_turns import one_turn as spoken_turn
from .typed_turns import percentile

GUARD_SETS = Path(__file__).parent / "guard_set"
GUARD_HOLDOUT = Path(__file__).parent / "guard_holdout"
TYPED_TURNS = 20
SPOKEN_TURNS = 10
GUARD_CHECKS = 300
FIRST_TOKEN_S = 0.300
TOKENS_PER_S = 30
# What a model playing the caller might say: first sentences of different lengths.
REPLIES = [
    "I don't know. It's just been really hard since the divorce.",
    "Yeah. I'm still here, sorry.",
    "It's the evenings, mostly, when the flat goes quiet and there's nobody to talk to.",
    "Honestly? I feel like I've failed at everything that mattered. The kids deserve better.",
    "Mm. I suppose so.",
    "I haven't really said any of this out loud before, so bear with me.",
    "Work's fine, I go in and I come home. That's about it really.",
    "Thanks. That actually helps a bit, hearing you say that.",
]
COUNSELOR = [
    "Hi, crisis line, this is Sam. What's going on tonight?",
    "That sounds really hard. Can you tell me more?",
    "What are the evenings like for you?",
    "It makes sense that you feel worn out.",
]


def guard_figures(path: Path) -> tuple[int, int, int, int]:
    """(leaks blocked, leaks, clean replies held back, clean replies) for one set."""
    blocked = leaks = held = clean = 0
    with path.open(newline="", encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            disclosure = Disclosure.of(get_scenario(row["scenario"]), [f for f in row["disclosed"].split(";") if f])
            ok = check_reply(row["reply"], disclosure).ok
            if row["expect"] == "block":
                leaks += 1
                blocked += not ok
            else:
                clean += 1
                held += not ok
    return blocked, leaks, held, clean


async def typed_turn(connection, text: str) -> float:
    """Send a line, ask for the reply; seconds to its first audio delta (the rest is cancelled)."""
    sent = time.perf_counter()
    await connection.send(events.user_text_item(text))
    await connection.send(events.response_create())
    first_audio = None
    while (event := await connection.recv())["type"] != "response.done":
        if event["type"] == "response.output_audio.delta" and first_audio is None:
            first_audio = time.perf_counter() - sent
            await connection.send(events.response_cancel())  # no need to hear it all
    return first_audio


async def latencies() -> tuple[list[float], list[float], int]:
    from tests.fake_chat import FakeChatEndpoint

    turn = iter(range(10_000))
    chat = FakeChatEndpoint(first_token_s=FIRST_TOKEN_S, token_interval_s=1 / TOKENS_PER_S, token_chars=4,
                            reply_for=lambda messages: REPLIES[next(turn) % len(REPLIES)])
    await chat.start()
    server = EmbeddedServer(SimOptions(caller_model="fake-caller", caller_base_url=chat.base_url))
    await server.start()
    scenario = get_scenario("plan-and-means")
    try:
        async with open_connection(server.url, server.token) as connection:
            assert (await connection.recv())["type"] == "session.created"
            await connection.send(events.session_update(scenario.caller_instructions(), turn_detection=None))
            await connection.recv()  # session.updated
            typed = [await typed_turn(connection, COUNSELOR[n % len(COUNSELOR)]) * 1000 for n in range(TYPED_TURNS)]
            vad = {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300, "silence_duration_ms": 500}
            await connection.send(events.session_update(scenario.caller_instructions(), turn_detection=vad))
            await connection.recv()  # session.updated
            synthesizer = Synthesizer()
            spoken = []
            for n in range(SPOKEN_TURNS):
                pcm = synthesizer.synthesize_all(SPOKEN_LINES[n % len(SPOKEN_LINES)])
                gap, _, _ = await spoken_turn(connection, pcm)
                spoken.append(gap * 1000)
    finally:
        await server.stop()
        await chat.stop()
    return typed, spoken, len(chat.requests)


def guard_speed() -> float:
    """Milliseconds per check of a clean two-sentence reply with every fact withheld."""
    disclosure = Disclosure.of(get_scenario("plan-and-means"), [])
    reply = " ".join(REPLIES[2:4])
    start = time.perf_counter()
    for _ in range(GUARD_CHECKS):
        check_reply(reply, disclosure)
    return (time.perf_counter() - start) / GUARD_CHECKS * 1000


async def main(guard_only: bool = False) -> None:
    if not guard_only:
        typed, spoken, asked = await latencies()
        print(f"caller model over the loopback fake chat endpoint ({FIRST_TOKEN_S * 1000:.0f} ms to the first token, "
              f"then {TOKENS_PER_S} tokens/s; {asked} chat requests)")
        print(f"  typed line -> first caller audio      p50 {statistics.median(typed):6.1f} ms"
              f"   p95 {percentile(typed, 0.95):6.1f} ms   ({len(typed)} turns)")
        print(f"  speech_stopped -> first caller audio  p50 {statistics.median(spoken):6.1f} ms"
              f"   p95 {percentile(spoken, 0.95):6.1f} ms   ({len(spoken)} spoken turns, real time)")
    print("reply guard on planted replies (block = a leak, an AI admission, role-play or grading talk)")
    roles = {"test": "no phrase tuned on it, the content check was"}
    for path in [*sorted(GUARD_SETS.glob("*.csv")), *sorted(GUARD_HOLDOUT.glob("*.csv"))]:
        blocked, leaks, held, clean = guard_figures(path)
        held_out = path.parent == GUARD_HOLDOUT
        role = "held out, never tuned on" if held_out else roles.get(path.stem, "rules revised on it")
        print(f"  {path.stem:7} leaks blocked {blocked:3}/{leaks:<3} ({blocked / leaks:6.1%})   "
              f"clean held back {held:2}/{clean:<3}   ({role})")
    print(f"  one check of a two-sentence reply: {guard_speed():.2f} ms")


if __name__ == "__main__":
    import sys

    asyncio.run(main(guard_only="--guard" in sys.argv[1:]))  # --guard: the guard's figures only
