"""The caller's words from a chat-completions model: first-audio latency and the reply guard.

Latency: the embedded simulated caller (a child process, as the app runs it) takes its
words from the loopback fake chat endpoint (tests/fake_chat.py), which streams server-sent
events at 30 tokens/s (a token being about 4 characters, as OpenAI's are) after a 300 ms
first token. Prints p50/p95 of typed line sent -> first caller audio delta, and of
``speech_stopped`` -> first caller audio delta for lines spoken with espeak-ng and
streamed in real time (server VAD defaults).

Guard: planted replies (scenario, facts disclosed so far, block or pass, the reply).
benchmarks/guard_set/*.csv are development data: each set was written before the revision it
prompted, and the rules were revised on all of them (docs/benchmarks.md says when each was first
met; facts.csv was the first held-out set). benchmarks/guard_holdout/*.csv are held out: written
by someone who had not seen the guard, never used to revise it. Prints leaks blocked and clean
replies held back per set; then the offline
caller's own lines (every everyday line, every denial and deflection, each scenario's lines and
its persona's own everyday lines and story fallbacks, nothing disclosed) and its safety-planning
lines, shared and each persona's own (thoughts, plan and means told), which must all pass; then
the time of one check.
"""

from __future__ import annotations

import asyncio
import csv
import re
import statistics
import time
from pathlib import Path

from proto_trainer_tui.realtime import events
from proto_trainer_tui.realtime.connection import open_connection
from proto_trainer_tui.scenarios import get_scenario, load_library
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


# The offline caller's lines that answer no risk question, or deny or deflect one: a model saying
# the like must pass. Placeholders get plain words.
DENIAL_KEYS = ("none", "no", "not_stated", "third_party_none", "third_party_not_stated", "who_unknown",
               "age_person_not_stated", "age_self_not_stated", "duration_not_stated", "work_not_stated",
               "coping_not_stated", "nothing", "nobody", "refuse")
PLACEHOLDER_WORDS = {"name": "Sam", "them": "them", "Help": "My sister", "help": "my sister",
                     "coping": "I go for a walk.", "about": "my friend"}


def _filled(line: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PLACEHOLDER_WORDS.get(m.group(1), "my sister"), line)


def offline_lines() -> tuple[list[tuple[str, Disclosure]], list[tuple[str, Disclosure]]]:
    """The offline caller's lines, each with what is disclosed when a model might say the like: its everyday
    lines, denials and each scenario's lines with nothing disclosed; its safety-planning lines with
    thoughts, plan and means told. Placeholders filled."""
    import tomllib
    from importlib import resources

    from proto_trainer_tui.sim.lines import _generic_lines, persona_lines

    profile = tomllib.loads((resources.files("proto_trainer_tui.sim") / "caller_lines.toml").read_text("utf-8"))
    everyday = [line for group in _generic_lines().values() for lines in group.values() for line in lines]
    denials = [line for table in profile.values() for key, lines in table.items()
               if key in DENIAL_KEYS and isinstance(lines, list) for line in lines]
    safety = [line for table in profile["help"].values() for lines in table.values() for line in lines]
    plain, planning = [], []
    for scenario in load_library():
        own = persona_lines().get(scenario.id, {})  # the caller's own everyday lines and answers
        own_everyday = [line for lines in own.values() if isinstance(lines, list) for line in lines]
        own_story = [line for key, lines in own.get("story", {}).items() if key != "again" for line in lines]
        own_safety = [line for table in own.get("help", {}).values() for lines in table.values() for line in lines]
        nothing = Disclosure.of(scenario, [])
        plain += [(_filled(line), nothing) for line in
                  [*everyday, *denials, *own_everyday, *own_story,
                   *(line for lines in scenario.lines.values() for line in lines)]]
        told = Disclosure.of(scenario, ["thoughts", "plan", "means"])
        planning += [(_filled(line), told) for line in [*safety, *own_safety]]
    return plain, planning


def offline_lines_held_back() -> tuple[int, int, int, int]:
    """(held back, checked) for the offline caller's everyday lines and denials with nothing
    disclosed, then for its safety-planning lines with thoughts, plan and means told."""
    plain, planning = offline_lines()
    held = sum(not check_reply(line, disclosure).ok for line, disclosure in plain)
    safety_held = sum(not check_reply(line, disclosure).ok for line, disclosure in planning)
    return held, len(plain), safety_held, len(planning)


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
    for path in [*sorted(GUARD_SETS.glob("*.csv")), *sorted(GUARD_HOLDOUT.glob("*.csv"))]:
        blocked, leaks, held, clean = guard_figures(path)
        kind = "held out: never revised on" if path.parent == GUARD_HOLDOUT else "development: rules revised on it"
        print(f"  {path.stem:7} leaks blocked {blocked:3}/{leaks:<3} ({blocked / leaks:6.1%})   "
              f"clean held back {held:2}/{clean:<3}   ({kind})")
    held, checked, safety_held, safety_checked = offline_lines_held_back()
    print(f"  the offline caller's everyday lines and denials, nothing disclosed: held back {held}/{checked}")
    print(f"  its safety-planning lines, thoughts, plan and means told: held back {safety_held}/{safety_checked}")
    print(f"  one check of a two-sentence reply: {guard_speed():.2f} ms")


if __name__ == "__main__":
    import sys

    asyncio.run(main(guard_only="--guard" in sys.argv[1:]))  # --guard: the guard's figures only
