"""One shared store for a training programme: PostgreSQL on loopback, SQLite beside it.

Run: ``python -m benchmarks.shared_store [--trainees 50] [--turns 20] [--sessions 10000]``.
Needs PostgreSQL's binaries (Debian: apt-get install postgresql); a throwaway cluster with
fsync on is started in a temporary folder and removed at the end.

1. Concurrent typed calls: each simulated trainee, in its own process with its own store
   (on PostgreSQL: its own role, row-level security on), runs a typed call through the
   SessionJournal the app uses: a counselor line, then the caller's reply as 4 partial
   updates and a final one. Every change is a committed write. Printed: writes per second,
   finished turns per second, and commit latency (p50, p95, p99) for saturated writers and
   for writers paced as in PACES.
2. The supervisor's review queue over N evaluated sessions (30% with critical flags): the
   time to open it (200 entries), as the supervisor's role through row-level security.
3. A call's recording kept as FLAC: bytes per minute of call (speech-like audio: the
   embedded caller's synthesised voice on one channel, the other silent but for breath noise).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from proto_trainer_tui.store import Store
from proto_trainer_tui.store import team
from proto_trainer_tui.store.journal import SessionJournal
from proto_trainer_tui.store.tables import evaluations, sessions

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
PASSWORD = "bench-password"
# Seconds between one trainee's changes. In the app a reply's text arrives over seconds (as fast as
# the caller speaks) and a counselor types a line in several: 0.2 s per change is already busier.
PACES = (("saturated", 0.0), ("a change every 50 ms each", 0.05), ("a change every 200 ms each, app-like", 0.2))


@dataclass
class Line:  # what the journal reads of a live conversation turn
    role: str
    text: str
    item_id: str
    status: str = "done"
    typed: bool = True


class TimedStore:
    """The store, with the time of every committed turn write taken."""

    def __init__(self, store: Store, latencies: list[float]) -> None:
        self._store, self._latencies = store, latencies

    def save_turn(self, session_id, turn) -> None:
        start = time.perf_counter()
        self._store.save_turn(session_id, turn)
        self._latencies.append(time.perf_counter() - start)

    def __getattr__(self, name):
        return getattr(self._store, name)


def typed_call(open_store, turns: int, pace: float, start, results) -> None:
    """One trainee's call, in its own process (as each trainee runs their own app)."""
    latencies: list[float] = []
    store = open_store()
    journal = SessionJournal(TimedStore(store, latencies), scenario_id="plan-and-means",
                             scenario_title="A plan and the means", server="embedded", mode="typed", record=False)
    journal.begin()
    start.wait()
    for n in range(turns // 2):
        journal.turn(Line("counselor", f"Counselor line {n}: what is happening for you tonight?", f"c{n}"))
        time.sleep(pace)
        words = "I don't know where to start, it has been a long week and".split()
        for step in range(1, 5):
            journal.turn(Line("caller", " ".join(words[: step * 3]), f"a{n}", status="partial", typed=False))
            time.sleep(pace)
        journal.turn(Line("caller", " ".join(words), f"a{n}", typed=False))
        time.sleep(pace)
    journal.close()
    store.close()
    results.put(latencies)


def run_calls(open_store, trainees: int, turns: int, pace: float) -> str:
    """``trainees`` processes at once, each one call; ``open_store(n)`` opens trainee n's store."""
    import functools
    import multiprocessing

    context = multiprocessing.get_context("fork")  # the children share the parent's imports
    start, results = context.Barrier(trainees + 1), context.Queue()
    workers = [context.Process(target=typed_call, args=(functools.partial(open_store, n), turns, pace, start,
                                                        results)) for n in range(trainees)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    latencies = [x for _ in workers for x in results.get(timeout=600)]
    elapsed = time.perf_counter() - began
    for worker in workers:
        worker.join()
    ms = sorted(x * 1e3 for x in latencies)
    finished = trainees * turns
    return (f"{len(ms) / elapsed:,.0f} writes/s, {finished / elapsed:,.0f} finished turns/s; commit latency "
            f"p50 {ms[len(ms) // 2]:.1f} ms, p95 {ms[int(len(ms) * 0.95)]:.1f} ms, p99 {ms[int(len(ms) * 0.99)]:.1f} ms")


def fill_sessions(store: Store, owners: list[str], count: int) -> None:
    """``count`` finished, evaluated calls spread over the trainees; 30% carry a critical flag."""
    rng = random.Random(3)
    critical = {"flags": [{"severity": "critical", "kind": "missed_risk_inquiry", "message": "never asked"}]}
    with store._transaction() as db:
        ids = [row[0] for row in db.execute(sessions.insert().returning(sessions.c.id), [
            {"scenario_id": "plan-and-means", "scenario_title": "A plan and the means", "server": "embedded",
             "mode": "typed", "started_at": T0 + timedelta(minutes=n), "ended_at": T0 + timedelta(minutes=n + 5),
             "status": "complete", "owner": owners[n % len(owners)]} for n in range(count)])]
        flagged = [rng.random() < 0.3 for _ in ids]
        db.execute(evaluations.insert(), [
            {"session_id": i, "created_at": T0, "grade": "B", "evaluator": "rubric",
             "report": json.dumps(critical if f else {"flags": []}),
             "critical_flags": "missed_risk_inquiry" if f else None} for i, f in zip(ids, flagged, strict=True)])
    if store.dialect == "postgresql":  # what autovacuum does soon after a bulk load: fresh planner statistics
        store._sql("ANALYZE sessions")
        store._sql("ANALYZE evaluations")


def queue_time(store: Store) -> str:
    runs = []
    for _ in range(6):
        start = time.perf_counter()
        queue = store.review_queue(200)
        runs.append(time.perf_counter() - start)
    assert len(queue) == 200 and queue[0].critical_flags
    return f"first {runs[0] * 1e3:.0f} ms, then median {statistics.median(runs[1:]) * 1e3:.0f} ms"


def recording_size(folder: Path) -> str:
    """FLAC bytes per minute for a minute of synthesised caller speech (right) and quiet noise (left)."""
    import numpy as np

    from proto_trainer_tui.sim.speech import Synthesizer
    from proto_trainer_tui.store.compress import wav_to_flac
    from proto_trainer_tui.store.recorder import RATE, WavRecorder

    lines = ["I don't really know why I called. It's been a hard few weeks and I can't sleep.",
             "My sister says I should talk to someone, but I don't want to be a burden to anyone.",
             "Sometimes I think everyone would be better off without me, honestly."]
    pieces: list[bytes] = []
    synthesizer = Synthesizer()
    for line in lines:
        synthesizer.synthesize(line, on_chunk=pieces.append)
        pieces.append(b"\0\0" * RATE)  # a second of the counselor's turn: silence on this channel
    speech = b"".join(pieces)
    wav = folder / "call.wav"
    rng = np.random.default_rng(1)
    with WavRecorder(wav) as recorder:
        at, placed = 0.0, 0
        while at < 60.0:
            chunk = speech[placed % len(speech):][: RATE * 2 // 10]  # 100 ms
            recorder.caller(chunk, at)
            recorder.learner(rng.integers(-60, 60, size=len(chunk) // 2, dtype=np.int16).tobytes(), at)
            placed += len(chunk)
            at += len(chunk) / 2 / RATE
    seconds = wav_to_flac(wav, folder / "call.flac")
    per_minute = (folder / "call.flac").stat().st_size / seconds * 60
    raw = wav.stat().st_size / seconds * 60
    return f"recording as FLAC: {per_minute / 1e6:.2f} MB per minute of call (WAV: {raw / 1e6:.2f} MB/min)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.shared_store")
    parser.add_argument("--trainees", type=int, default=50)
    parser.add_argument("--turns", type=int, default=20, help="turns per call (half counselor, half caller)")
    parser.add_argument("--sessions", type=int, default=10_000)
    args = parser.parse_args(argv)
    from tests.pg_cluster import Cluster, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("shared_store: PostgreSQL is not installed (apt-get install postgresql); skipped")
        return
    names = [f"bench_trainee_{n:02d}" for n in range(args.trainees)]
    cluster = Cluster(bin_dir, durable=True)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        try:
            cluster.start()
            url = cluster.new_database("bench")
            with Store.open(folder / "admin", url) as admin:
                team.init(admin)
                for name in names:
                    team.add_person(admin, name, "trainee", "bench", PASSWORD)
                team.add_person(admin, "bench_supervisor", "supervisor", "bench", PASSWORD)

            def as_person(name: str) -> str:
                return cluster.url("bench", user=name, password=PASSWORD)

            for label, pace in PACES:
                figures = run_calls(lambda n: Store.open(folder / names[n], as_person(names[n])), args.trainees,
                                    args.turns, pace)
                print(f"PostgreSQL, {args.trainees} concurrent typed calls ({label}): {figures}")
            sqlite_dir = folder / "sqlite"
            for label, pace in PACES:
                figures = run_calls(lambda n: Store.open(sqlite_dir), args.trainees, args.turns, pace)
                print(f"SQLite (one file), {args.trainees} concurrent typed calls ({label}): {figures}")

            with Store.open(folder / "admin", url) as admin:
                fill_sessions(admin, names, args.sessions)
            with Store.open(folder / "supervisor", as_person("bench_supervisor")) as supervisor:
                print(f"PostgreSQL, review queue over {args.sessions:,} sessions (supervisor, row-level security): "
                      f"{queue_time(supervisor)}")
            with Store.open(sqlite_dir) as local:
                fill_sessions(local, names, args.sessions)
                print(f"SQLite, review queue over {args.sessions:,} sessions: {queue_time(local)}")
        finally:
            cluster.remove()
        print(recording_size(folder))


if __name__ == "__main__":
    main()
