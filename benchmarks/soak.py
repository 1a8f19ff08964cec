"""Soak: many calls, and one long full-duplex call, against the embedded simulated caller.

Prints file descriptors, threads, asyncio tasks and RSS before and after
(after a warm-up), for:

* 500 connect/disconnect cycles of the real app (TrainerApp, headless), and
* a 30-minute call of simulated full-duplex audio, accelerated: counselor speech
  (espeak-ng) is streamed as 20 ms microphone frames as fast as the session can
  send them, while the caller answers and its audio is received, stored and
  recorded (the journal writes SQLite and the WAV file as in a real call).

Target: flat descriptors, threads and tasks; RSS growth at most 5 MB after warm-up.

    python -m benchmarks.soak [--cycles N] [--minutes M]
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import ctypes.util
import gc
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from proto_trainer_tui.audio.microphone import MicFrame
from proto_trainer_tui.audio.pcm import SAMPLE_RATE
from proto_trainer_tui.realtime.session import SessionConfig, run_session
from proto_trainer_tui.scenarios import get_scenario
from proto_trainer_tui.sim.process import EmbeddedServer
from proto_trainer_tui.sim.speech import Synthesizer
from proto_trainer_tui.store import Store
from proto_trainer_tui.store.journal import SessionJournal

FRAME = SAMPLE_RATE // 50
_LIBC = ctypes.util.find_library("c")
TRIM = getattr(ctypes.CDLL(_LIBC), "malloc_trim", None) if _LIBC else None  # glibc only
RSS_TARGET_MB = 5.0
LINES = [
    "Hello, this is the crisis line. What is going on for you tonight?",
    "That sounds really hard. Can you tell me more about it?",
    "Are you thinking about killing yourself?",
    "Have you thought about how you would do it?",
    "What has kept you going so far?",
    "Could we make a plan together for tonight?",
]


def resources() -> dict[str, float]:
    gc.collect()
    if TRIM is not None:
        TRIM(0)  # hand freed heap pages back, so RSS shows what is in use rather than the high-water mark
    rss_kb = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
                  if line.startswith("VmRSS:"))
    return {
        "fds": len(os.listdir("/proc/self/fd")),
        "threads": threading.active_count(),
        "tasks": len(asyncio.all_tasks()),
        "rss_mb": rss_kb / 1024,
    }


def report(title: str, before: dict[str, float], after: dict[str, float]) -> None:
    growth = after["rss_mb"] - before["rss_mb"]
    flat = all(after[k] <= before[k] for k in ("fds", "threads", "tasks"))
    print(f"{title}:")
    print(f"  fds {before['fds']:.0f} -> {after['fds']:.0f}, threads {before['threads']:.0f} -> "
          f"{after['threads']:.0f}, tasks {before['tasks']:.0f} -> {after['tasks']:.0f}"
          f"  ({'flat' if flat else 'GREW'})")
    print(f"  RSS {before['rss_mb']:.1f} -> {after['rss_mb']:.1f} MB, growth {growth:+.1f} MB "
          f"(target <= {RSS_TARGET_MB:.0f} MB: {'met' if growth <= RSS_TARGET_MB else 'MISSED'})")


async def connect_cycles(count: int, data_dir: Path) -> None:
    from proto_trainer_tui.app import TrainerApp

    app = TrainerApp(scenario_id="plan-and-means", audio=False, data_dir=str(data_dir))
    async with app.run_test():
        async def one() -> None:
            app.action_connect()
            while app.connection_status != "connected":
                if app.connection_status == "disconnected" and app.last_error:
                    raise RuntimeError(app.last_error)
                await asyncio.sleep(0.005)
            await app.action_disconnect()

        for _ in range(20):  # warm-up: the child server, pools and caches
            await one()
        await asyncio.sleep(1.0)  # let the UI's own short-lived tasks (repaints, timers) settle
        before = resources()
        started = time.perf_counter()
        for _ in range(count):
            await one()
        elapsed = time.perf_counter() - started
        await asyncio.sleep(1.0)
        after = resources()
    report(f"{count} connect/disconnect cycles ({elapsed / count * 1000:.0f} ms each)", before, after)


class Listener:
    def __init__(self) -> None:
        self.session = None
        self.connected = asyncio.Event()
        self.turns = 0

    def session_connected(self, session, *, reconnected: bool = False) -> None:
        self.session = session
        self.connected.set()

    def reconnecting(self, attempt, tries, delay, reason) -> None:
        print(f"  reconnecting ({reason})")

    def turn_changed(self, turn) -> None:
        self.turns += turn.finished

    def turns_renumbered(self) -> None:
        pass

    def notice(self, message: str, *, error: bool = False) -> None:
        if error:
            print(f"  notice: {message}")


async def long_call(minutes: float, data_dir: Path) -> None:
    synth = Synthesizer()
    silence = np.zeros(SAMPLE_RATE * 2, dtype=np.int16)  # the server's VAD ends the turn in the pause
    speech = [np.concatenate([np.frombuffer(synth.synthesize_all(line, voice="en-us+f3"), np.int16), silence])
              for line in LINES]
    server = EmbeddedServer()
    url = await server.start()
    listener = Listener()
    scenario = get_scenario("plan-and-means")
    config = SessionConfig(url=url, api_key=server.token, instructions=scenario.caller_instructions(),
                           voice=scenario.persona.voice, audio=False)
    sent = 0
    with Store.open(data_dir) as store:
        # The recording follows audio time, not the wall clock: the call runs faster than real time.
        journal = SessionJournal(store, scenario_id=scenario.id, scenario_title=scenario.title,
                                 server="embedded", mode="voice", record=True, clock=lambda: sent * 0.02)
        call = asyncio.create_task(run_session(config, listener, journal))
        try:
            await asyncio.wait_for(listener.connected.wait(), 30)
            session = listener.session
            total_frames = int(minutes * 60 * 50)
            checkpoints = {int(total_frames * share) for share in (0.1, 1.0)}
            samples_before = None
            started = time.perf_counter()
            while sent < total_frames:
                for utterance in speech:
                    for start in range(0, len(utterance) - FRAME + 1, FRAME):
                        frame = MicFrame(utterance[start : start + FRAME], time.perf_counter(),
                                         np.zeros(FRAME, dtype=np.int16))
                        await session._send_frames([frame])
                        sent += 1
                        if sent % 25 == 0:
                            await asyncio.sleep(0)  # let the receive loop keep up
                        if sent in checkpoints:
                            if samples_before is None:
                                samples_before = resources()  # after a tenth: warmed up
                            else:
                                after = resources()
                        if sent >= total_frames:
                            break
                    if sent >= total_frames:
                        break
            elapsed = time.perf_counter() - started
        finally:
            call.cancel()
            await asyncio.gather(call, return_exceptions=True)
            journal.close()
            await server.stop()
        recording = journal.session.recording_path
        size_mb = recording.stat().st_size / 2**20 if recording and recording.exists() else 0.0
    report(f"a {minutes:g}-minute full-duplex call in {elapsed:.0f} s ({minutes * 60 / elapsed:.1f}x real time), "
           f"{listener.turns} finished turns, recording {size_mb:.0f} MB on disk", samples_before, after)


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=500)
    parser.add_argument("--minutes", type=float, default=30.0)
    args = parser.parse_args(argv)
    print("soak (issue 6)")
    with tempfile.TemporaryDirectory() as folder:
        await connect_cycles(args.cycles, Path(folder) / "cycles")
        await long_call(args.minutes, Path(folder) / "long")


if __name__ == "__main__":
    asyncio.run(main())
