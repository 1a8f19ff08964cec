"""The offline caller on counselor lines it was not written from (issue 14).

Prints:
- move recognition on the held-out set (benchmarks/caller_set/moves_heldout.csv, 203 lines by move;
  ``--dev``: the development set moves_dev.csv instead, 84 lines the recogniser was tuned on):
  typed as written, and lowercase without punctuation as speech recognition gives it; with
  ``--spoken``, synthesised with several espeak-ng voices, framed as the server's VAD hands a turn
  to the recogniser (300 ms before the speech, 500 ms of silence after) and recognised by each local
  recogniser (``--recogniser``: moonshine, pocketsphinx or both, the default);
- coherence: the share of probes (caller_set/coherence.toml) whose reply holds a fact that answers
  the question asked and none of the facts it must not;
- verbatim repeats: replies said twice in one call, over long calls on every bundled scenario.

``--verbose`` lists every miss.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import tomllib
from collections import Counter
from pathlib import Path

from proto_trainer_tui.scenarios import get_scenario, load_library
from proto_trainer_tui.sim.caller import CallerEngine, classify, primary_move
from proto_trainer_tui.sim.listening import local_model_name

SET = Path(__file__).parent / "caller_set"
GREETING = "Hi, this is Sam at the crisis line. What's going on tonight?"
VOICES = ("en-us", "en-gb+m3", "en-us+f3")
CALL_TURNS = 60


def held_out(name: str = "moves_heldout.csv") -> list[tuple[str, str]]:
    with open(SET / name, newline="", encoding="utf-8") as f:
        return [(row["move"], row["text"]) for row in csv.DictReader(f)]


def as_spoken(text: str) -> str:
    return re.sub(r"[^\w' ]+", " ", text.lower()).strip()


def recognition(lines: list[tuple[str, str]], transform, verbose: bool) -> tuple[int, Counter]:
    right, misses = 0, Counter()
    for move, text in lines:
        heard = transform(text)
        got = primary_move(classify(heard)).value
        if got == move:
            right += 1
        else:
            misses[move] += 1
            if verbose:
                print(f"    {move:>16} -> {got:<16} {heard!r}")
    return right, misses


def library_sentences() -> tuple[str, ...]:
    """What the bundled scenarios add to the recogniser's model. A held-out line is not tied to one
    scenario, so the benchmark listens with all of their names at once (a call hears only its own)."""
    from proto_trainer_tui.sim.counselor_corpus import scenario_sentences

    return tuple(sorted({s for scenario in load_library() for s in scenario_sentences(scenario)}))


def as_turn(pcm: bytes) -> bytes:
    """Speech as the server's VAD hands it to the recogniser: its prefix padding before the speech and
    the silence that ended the turn after (the VAD's defaults)."""
    from proto_trainer_tui.audio.pcm import SAMPLE_RATE
    from proto_trainer_tui.sim.vad import DEFAULTS

    def silence(ms: int) -> bytes:
        return bytes(SAMPLE_RATE * ms // 1000 * 2)

    return silence(DEFAULTS["prefix_padding_ms"]) + pcm + silence(DEFAULTS["silence_duration_ms"])


def spoken_transform(sentences: tuple[str, ...] = (), engine: str = "auto"):
    from proto_trainer_tui.audio.pcm import frames
    from proto_trainer_tui.sim.listening import warmed_recognizer
    from proto_trainer_tui.sim.speech import Synthesizer

    synthesizer, recognizer = Synthesizer(), warmed_recognizer(sentences, engine)

    def hear(text: str, voice: str) -> str:
        recognizer.start()
        for frame in frames(as_turn(synthesizer.synthesize_all(text, voice, 160))):
            recognizer.feed(frame)
        return recognizer.finish()

    return hear


def coherence(verbose: bool) -> tuple[int, int]:
    probes = tomllib.loads((SET / "coherence.toml").read_text(encoding="utf-8"))["probe"]
    right = 0
    for seed, probe in enumerate(probes):
        caller = CallerEngine(get_scenario(probe["scenario"]), seed=seed)
        caller.reply(GREETING)
        reply = caller.reply(probe["say"]).lower()
        good = any(e.lower() in reply for e in probe["expect"]) and not any(
            f.lower() in reply for f in probe.get("forbid", ()))
        right += good
        if verbose and not good:
            print(f"    {probe['scenario']}: {probe['say']!r} -> {reply!r}")
    return right, len(probes)


def repeats(lines: list[str]) -> tuple[int, int, int]:
    """(calls, replies, replies said before in the same call) over long calls."""
    calls = replies = repeated = 0
    for scenario in load_library():
        for seed in range(3):
            rng = random.Random(seed)
            caller = CallerEngine(scenario, seed=seed)
            said: set[str] = set()
            for turn in range(CALL_TURNS):
                text = GREETING if turn == 0 else rng.choice(lines)
                reply = caller.reply(text).strip()
                if not reply:
                    continue
                replies += 1
                repeated += reply in said
                said.add(reply)
                if caller.ended:
                    caller = CallerEngine(scenario, seed=seed + 100)  # a call that ended: start again
                    said = set()
                    calls += 1
            calls += 1
    return calls, replies, repeated


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.caller_turns", description=__doc__.splitlines()[0])
    parser.add_argument("--spoken", action="store_true", help="also synthesise and recognise each line")
    parser.add_argument("--recogniser", choices=("moonshine", "pocketsphinx", "both"), default="both",
                        help="which local recogniser hears the spoken lines (default both, one after the other)")
    parser.add_argument("--verbose", action="store_true", help="list every miss")
    parser.add_argument("--dev", action="store_true",
                        help="score the development set (caller_set/moves_dev.csv, for tuning) instead")
    args = parser.parse_args(argv)
    lines = held_out("moves_dev.csv" if args.dev else "moves_heldout.csv")
    print(f"the offline caller on {'development' if args.dev else 'held-out'} counselor lines ({len(lines)} lines, "
          f"{len({m for m, _ in lines})} moves)")
    typed, misses = recognition(lines, str, args.verbose)
    print(f"  move recognition, typed                 {typed}/{len(lines)} = {typed / len(lines):.1%}")
    if misses:
        print("    misses by move: " + ", ".join(f"{m} {n}" for m, n in misses.most_common()))
    lower, _ = recognition(lines, as_spoken, args.verbose)
    print(f"  move recognition, lowercase unpunctuated {lower}/{len(lines)} = {lower / len(lines):.1%}")
    engines = ("moonshine", "pocketsphinx") if args.recogniser == "both" else (args.recogniser,)
    for engine in engines if args.spoken else ():
        hear = spoken_transform(library_sentences(), engine)
        right = total = 0
        print(f"  spoken, {local_model_name(engine)}:")
        for voice in VOICES:
            got, _ = recognition(lines, lambda text, voice=voice: hear(text, voice), args.verbose)
            right, total = right + got, total + len(lines)
            print(f"    move recognition ({voice:<9})         {got}/{len(lines)} = {got / len(lines):.1%}")
        print(f"    move recognition (all voices)         {right}/{total} = {right / total:.1%}")
    good, probes = coherence(args.verbose)
    print(f"  coherence: reply answers the question   {good}/{probes} = {good / probes:.1%}")
    calls, replies, repeated = repeats([text for _, text in lines])
    print(f"  verbatim repeats within a call          {repeated} in {replies} replies "
          f"({calls} calls of up to {CALL_TURNS} turns)")


if __name__ == "__main__":
    main()
