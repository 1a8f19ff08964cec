"""Full-duplex voice streaming through the client, on the PulseAudio rig.

A real voice session (``run_session``, PortAudio microphone and speaker) talks
to the embedded simulated caller running as a child process, so this process's
CPU time is the client's alone. The rig's microphone is fed espeak-ng counselor
lines every few seconds while the caller answers through the speaker. Prints,
once with the echo canceller and once as with ``--headphones``: client CPU time
as % of one core over the steady part of the run, p50/p99 time to process one
20 ms microphone frame and one received audio delta, the barge-in time (a
counselor line starts -> the speaker is flushed), underruns, drops and peak RSS,
beside the targets.

    python -m benchmarks.voice_streaming [--seconds N] [--headphones | --echo]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import threading
import time
from collections import deque

import numpy as np

from proto_trainer_tui.audio.devices import open_microphone, open_speaker
from proto_trainer_tui.audio.pcm import DEVICE_BLOCK_MS, FRAME_MS, samples_dbfs
from proto_trainer_tui.realtime.session import SessionConfig, VoiceSession, run_session
from proto_trainer_tui.scenarios import get_scenario
from proto_trainer_tui.sim.process import EmbeddedServer
from proto_trainer_tui.sim.speech import Synthesizer

from .typed_turns import percentile

WARM_UP_S = 3.0  # the rig's monitor source takes ~2 s to deliver its first frame
LINE_EVERY_S = 6.0  # a counselor line this often; the caller answers in between
FLOOR_S = 15.0
COUNSELOR_VOICE = "en-us+f3"
LINES = [
    "Hi, this is Sam at the crisis line. What's going on tonight?",
    "That sounds really hard. Can you tell me more about that?",
    "Are you thinking of killing yourself?",
    "Do you have a plan for how you would do it?",
    "What has kept you going so far?",
    "Would you be willing to make a safety plan with me?",
]
TARGETS = "targets: CPU <= 3 % of one core, p99 < 1 ms per frame, zero underruns, zero drops"
VOICED_DBFS = -40.0  # a 20 ms frame this loud is speech (espeak-ng's lines peak near -10 dBFS)
ONSET_GAP_S = 0.3  # a voiced frame after this much quiet starts an utterance
FLUSH_WITHIN_S = 3.0  # a flush later than this after a line started is not its barge-in


class Listener:
    """Keeps the session, counts turns and collects notices (any notice is worth printing)."""

    def __init__(self) -> None:
        self.session: VoiceSession | None = None
        self.connected = asyncio.Event()
        self.turn_ids: set[str] = set()
        self.notices: list[str] = []
        self.work_times: deque[float] = deque()  # of which spent in the session's own frame handling
        self.work_cpu: deque[float] = deque()  # the event loop thread's CPU time for it
        self.flushes: list[tuple[float, bool]] = []  # (when, caller audible at the time)
        self.voiced_onsets: list[float] = []  # callback time of the first voiced frame of each utterance
        self._last_voiced = float("-inf")

    def session_connected(self, session: VoiceSession, *, reconnected: bool = False) -> None:
        if reconnected:
            self.notices.append("reconnected (figures span two connections)")
        if self.session is not None:
            return
        self.session = session
        send_frames = session._send_frames

        async def timed_send_frames(frames) -> None:
            began, began_cpu = time.perf_counter(), time.thread_time()
            await send_frames(frames)
            done = time.perf_counter()
            # Per frame: a block's frames are handled, and written to the socket, together.
            self.work_cpu.append((time.thread_time() - began_cpu) / len(frames))
            self.work_times.append((done - began) / len(frames))
            for frame in frames:
                if samples_dbfs(frame.samples) > VOICED_DBFS:
                    if frame.captured - self._last_voiced > ONSET_GAP_S:
                        self.voiced_onsets.append(frame.captured)
                    self._last_voiced = frame.captured

        session._send_frames = timed_send_frames  # stream_microphone starts after this returns
        speaker, flush = session.speaker, session.speaker.flush

        def timed_flush() -> None:
            self.flushes.append((time.perf_counter(), speaker.playing))
            flush()

        speaker.flush = timed_flush
        self.connected.set()

    def reconnecting(self, attempt: int, tries: int, delay: float, reason: str) -> None:
        self.notices.append(f"reconnecting ({reason})")

    def turn_changed(self, turn) -> None:
        self.turn_ids.add(turn.item_id)

    def turns_renumbered(self) -> None:
        pass

    def notice(self, message: str, *, error: bool = False) -> None:
        self.notices.append(message)


def thread_cpu() -> dict[str, float]:
    """CPU seconds per thread name of this process (Linux /proc), to show where the time goes."""
    tick, seconds, loop_thread = os.sysconf("SC_CLK_TCK"), {}, str(threading.get_native_id())
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as comm, open(f"/proc/self/task/{tid}/stat") as stat:
                name, fields = comm.read().strip(), stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        name = "event loop" if tid == loop_thread else f"{name} (other)" if name == "python" else name
        seconds[name] = seconds.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return seconds


def print_cpu(cpu: float, wall: float, threads: dict[str, float]) -> None:
    busiest = sorted(threads.items(), key=lambda item: -item[1])[:5]
    print(f"    client CPU                    {cpu / wall * 100:6.2f} % of one core   (target <= 3 %)")
    print("      by thread: " + ", ".join(f"{name} {spent / wall * 100:.1f} %" for name, spent in busiest if spent > 0))


async def device_floor(seconds: float) -> None:
    """The same microphone and speaker streams with no session: the CPU floor of the audio I/O alone."""
    speaker, problem = open_speaker(True)
    microphone, mic_problem = open_microphone(True, reference=speaker.take_played)
    if microphone is None or problem:
        speaker.close()
        raise SystemExit(f"audio devices did not open: {problem or mic_problem}")

    async def drain() -> None:
        while True:
            await microphone.read()

    draining = asyncio.create_task(drain())
    try:
        await asyncio.sleep(WARM_UP_S)
        threads0, cpu0, wall0 = thread_cpu(), time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        threads = {name: spent - threads0.get(name, 0.0) for name, spent in thread_cpu().items()}
    finally:
        draining.cancel()
        await asyncio.gather(draining, return_exceptions=True)
        microphone.close()
        speaker.close()
    print(f"  audio devices alone (microphone read on the loop, speaker silent, no session): {wall:.0f} s")
    print_cpu(cpu, wall, threads)


def ms(values, share: float) -> str:
    return f"{percentile(list(values), share) * 1000:6.3f} ms" if values else "   n/a"


def onset_seconds(pcm: bytes) -> float:
    """Where the first voiced 20 ms of a line begins (espeak-ng leads with a little silence)."""
    samples, frame = np.frombuffer(pcm, dtype=np.int16), 24_000 * FRAME_MS // 1000
    for start in range(0, len(samples) - frame + 1, frame):
        if samples_dbfs(samples[start : start + frame]) > VOICED_DBFS:
            return start / 24_000
    return 0.0


def barge_ins(starts: list[float], flushes: list[tuple[float, bool]]) -> list[tuple[float, bool]]:
    """For each speech start, the first flush after it (seconds later, caller audible then)."""
    found = []
    for start in starts:
        later = [(when - start, audible) for when, audible in flushes if 0 < when - start < FLUSH_WITHIN_S]
        if later:
            found.append(later[0])
    return found


def print_barge_in(title: str, starts: list[float], flushes: list[tuple[float, bool]]) -> None:
    found = barge_ins(starts, flushes)
    delays = [delay for delay, _ in found]
    over_caller = [delay for delay, audible in found if audible]
    if not delays:
        print(f"    {title}  none flushed within {FLUSH_WITHIN_S:g} s of {len(starts)} starts")
        return
    print(f"    {title}  p50 {ms(delays, 0.5)}   max {max(delays) * 1000:6.0f} ms"
          f"   ({len(found)} of {len(starts)} starts; {len(over_caller)} over the caller's voice:"
          f" p50 {ms(over_caller, 0.5).strip()})")


async def stream(rig, url: str, token: str, lines: list[bytes], seconds: float, headphones: bool) -> None:
    onsets = [onset_seconds(line) for line in lines]
    line_starts: list[float] = []  # when each line's first voiced sample went into the rig's microphone
    config = SessionConfig(
        url=url, api_key=token, instructions=get_scenario("plan-and-means").caller_instructions(),
        audio=True, headphones=headphones,
    )
    listener = Listener()
    running = asyncio.create_task(run_session(config, listener))
    players = []
    try:
        connected = asyncio.create_task(listener.connected.wait())
        await asyncio.wait([connected, running], timeout=20, return_when=asyncio.FIRST_COMPLETED)
        connected.cancel()
        if running.done():
            running.result()  # the session failed to start: show why
        if listener.session is None:
            raise SystemExit(f"no session within 20 s: {listener.notices}")
        session = listener.session
        microphone, speaker = session.microphone, session.speaker
        if microphone is None:
            raise SystemExit(f"no microphone: {listener.notices}")
        await asyncio.sleep(WARM_UP_S)
        # Steady streaming from here: reset the figures so start-up is not counted.
        session.mic_frame_times.clear()
        session.delta_times.clear()
        listener.work_times.clear()
        listener.work_cpu.clear()
        listener.flushes.clear()
        listener.voiced_onsets.clear()
        threads0 = thread_cpu()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        frames0, underruns0 = microphone.stats.frames, speaker.stats.underruns
        dropped0, mic_dropped0 = speaker.stats.dropped_samples, microphone.stats.dropped_frames
        played0 = speaker.stats.played_samples
        echo = session._echo
        skipped0 = echo.skipped_samples if echo is not None else 0
        index = 0
        while (elapsed := time.perf_counter() - wall0) < seconds:
            line_starts.append(time.perf_counter() + onsets[index % len(lines)])
            players.append(rig.say(lines[index % len(lines)]))
            index += 1
            await asyncio.sleep(min(LINE_EVERY_S, seconds - elapsed))
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        threads = {name: spent - threads0.get(name, 0.0) for name, spent in thread_cpu().items()}
        if running.done():
            running.result()  # the session ended early: show why
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        for player in players:
            player.kill()
            player.wait()
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mode = "headphones (no echo canceller)" if headphones else "echo canceller on"
    print(f"  {mode}: {wall:.0f} s steady, {index} counselor lines, {len(listener.turn_ids)} turns,"
          f" {(speaker.stats.played_samples - played0) / 24_000:.1f} s of caller audio played")
    print_cpu(cpu, wall, threads)
    print(f"    mic frame, capture -> send    p50 {ms(session.mic_frame_times, 0.5)}   p99 {ms(session.mic_frame_times, 0.99)}"
          f"   ({len(session.mic_frame_times)} frames)")
    print(f"      (waits for the rest of its {DEVICE_BLOCK_MS} ms device block, and for the next frame's echo reference)")
    print(f"    mic frame handling (_send_frames, per frame of a block) p50 {ms(listener.work_times, 0.5)}"
          f"   p99 {ms(listener.work_times, 0.99)}   (target p99 < 1 ms)")
    print(f"      its CPU time                 p50 {ms(listener.work_cpu, 0.5)}   p99 {ms(listener.work_cpu, 0.99)}"
          "   (wall above minus this: preempted by other processes)")
    if echo is not None:
        share = (echo.skipped_samples - skipped0) / 24_000 / wall * 100
        print(f"    echo canceller rested {share:.0f} % of the time (the speaker silent beyond the echo tail)")
    print(f"    audio delta -> speaker ring   p50 {ms(session.delta_times, 0.5)}   p99 {ms(session.delta_times, 0.99)}"
          f"   ({len(session.delta_times)} deltas; target p99 < 1 ms)")
    print_barge_in("barge-in, line starts -> flush", line_starts, listener.flushes)
    print("      (from pacat starting the line into the rig's microphone: includes PulseAudio's own latency)")
    print_barge_in("barge-in, first voiced frame ->", listener.voiced_onsets, listener.flushes)
    print("      flush (from that frame's capture: the server's VAD onset and the round trip)")
    print(f"    device block {DEVICE_BLOCK_MS} ms; after a flush the speaker still plays what it handed to the"
          f" device: {speaker.device_latency * 1000:.0f} ms")
    print(f"    speaker underruns {speaker.stats.underruns - underruns0}, dropped samples"
          f" {speaker.stats.dropped_samples - dropped0}; mic dropped frames"
          f" {microphone.stats.dropped_frames - mic_dropped0}, overflows {microphone.stats.overflows},"
          f" frames {microphone.stats.frames - frames0}   (target: all zero but frames)")
    print(f"    peak RSS (process so far)     {peak_rss_mb:6.1f} MB")
    for message in dict.fromkeys(listener.notices):
        print(f"    notice: {message}")


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.voice_streaming", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="steady streaming time per mode (default 60)")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--headphones", action="store_true", help="only the run without the echo canceller")
    only.add_argument("--echo", action="store_true", help="only the run with the echo canceller")
    options = parser.parse_args(argv)

    from tests.audio_rig import PulseRig, missing_parts

    if reason := missing_parts():
        print(f"voice streaming: skipped, needs the PulseAudio null-sink rig: {reason}")
        return
    synthesizer = Synthesizer()
    silence = bytes(24_000)  # half a second after each line, so the VAD ends the turn
    lines = [synthesizer.synthesize_all(line, voice=COUNSELOR_VOICE) + silence for line in LINES]
    rig = PulseRig()
    rig.start()
    server = EmbeddedServer()
    try:
        await server.start()
        print(f"voice streaming, full duplex through PortAudio on the PulseAudio rig against the embedded"
              f" caller (child process, loopback); {TARGETS}")
        await device_floor(min(options.seconds, FLOOR_S))
        for headphones in (True,) if options.headphones else (False,) if options.echo else (False, True):
            await stream(rig, server.url, server.token, lines, options.seconds, headphones)
    finally:
        await server.stop()
        rig.stop()


if __name__ == "__main__":
    asyncio.run(main())
