"""The session store and recorder: how fast turns are saved, how fast history and pages load.

Run: ``python -m benchmarks.store``. Prints: turn upserts per second (every
partial update is a committed write), list_sessions time with 1,000 sessions,
the time to read one 50-turn page at the end and in the middle of a 10,000-turn
session, recovery time, and the recorder's cost per second of stereo audio and
its peak buffered frames.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from proto_trainer_tui.store import Store, TurnRecord
from proto_trainer_tui.store.recorder import RATE, WavRecorder
from proto_trainer_tui.store.tables import sessions, turns

T0 = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


async def review_screen_figures(store: Store, session_id: int) -> str:
    """Open the review of the 10,000-turn session headless; page back ten times."""
    from textual.app import App

    from proto_trainer_tui.ui.paged_transcript import PagedTranscript
    from proto_trainer_tui.ui.review import ReviewScreen

    class Host(App):
        def on_mount(self) -> None:
            self.push_screen(ReviewScreen(store, session_id))

    app = Host()
    start = time.perf_counter()
    async with app.run_test(size=(100, 30)) as pilot:
        transcript = app.screen.query_one(PagedTranscript)
        while len(transcript.views) < 50:
            await asyncio.sleep(0.005)
        opened = time.perf_counter() - start
        pages = []
        for _ in range(10):
            before, begin = transcript.window.start, time.perf_counter()
            transcript.scroll_home(animate=False)
            while transcript.window.start == before or transcript._busy:
                await asyncio.sleep(0.005)
            pages.append(time.perf_counter() - begin)
        await pilot.pause()
        mounted = len(transcript.views)
    return (f"review screen, 10,000 turns: open {opened * 1e3:.0f} ms (app start included); page back "
            f"median {sorted(pages)[5] * 1e3:.0f} ms, max {max(pages) * 1e3:.0f} ms; "
            f"{mounted} turn widgets mounted after 10 pages")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, Store.open(Path(folder)) as store:
        session = store.start_session(scenario_id="x", scenario_title="Benchmark", server="embedded",
                                      mode="voice", record=False)
        updates = 2_000

        def save_partials() -> None:
            for n in range(updates):  # 20 partial updates per turn, as transcript deltas arrive
                order = n // 20 + 1
                store.save_turn(session.id, TurnRecord(order, "caller", "word " * (n % 20 + 1), "partial",
                                                       None, T0 + timedelta(seconds=order)))

        elapsed = timed(save_partials)
        print(f"turn upserts: {updates / elapsed:,.0f}/s ({elapsed / updates * 1e6:.0f} µs each, committed)")

        big = store.start_session(scenario_id="x", scenario_title="Marathon", server="embedded", mode="typed",
                                  record=False)
        with store._transaction() as db:
            db.execute(turns.insert(), [
                {"session_id": big.id, "turn_order": n, "role": "caller", "text": f"turn {n} " * 8, "status": "done",
                 "input": None, "started_at": T0} for n in range(1, 10_001)])
            db.execute(sessions.insert(), [
                {"scenario_id": "x", "scenario_title": f"Scenario {n % 12}", "server": "embedded", "mode": "typed",
                 "started_at": T0 + timedelta(minutes=n), "status": "complete"} for n in range(1_000)])
        runs = 20
        listing = timed(lambda: [store.list_sessions() for _ in range(runs)]) / runs
        search = timed(lambda: [store.list_sessions("scenario 7") for _ in range(runs)]) / runs
        print(f"list_sessions, 1,002 sessions: {listing * 1e3:.1f} ms; with a search: {search * 1e3:.1f} ms")
        last = timed(lambda: [store.turns(big.id, offset=9_950, limit=50) for _ in range(runs)]) / runs
        middle = timed(lambda: [store.turns(big.id, offset=5_000, limit=50) for _ in range(runs)]) / runs
        count = timed(lambda: [store.turn_count(big.id) for _ in range(runs)]) / runs
        print(f"10,000-turn session: last page {last * 1e3:.2f} ms, middle page {middle * 1e3:.2f} ms, "
              f"turn_count {count * 1e3:.2f} ms")
        print(asyncio.run(review_screen_figures(store, big.id)))
        recovery = timed(store.recover)
        print(f"recover() with no crashed sessions: {recovery * 1e3:.2f} ms")

        recorder = WavRecorder(Path(folder) / "bench.wav")
        chunk = b"\x01\x00" * 480
        peak = 0
        seconds = 120

        def record() -> None:
            nonlocal peak
            for step in range(seconds * 50):
                recorder.learner(chunk, at=step * 0.02)
                recorder.caller(chunk, at=step * 0.02)
                peak = max(peak, len(recorder._pending))
            recorder.close()

        elapsed = timed(record)
        print(f"recorder: {elapsed / seconds * 1e3:.2f} ms of CPU per second of stereo audio; "
              f"peak buffer {peak / RATE:.1f} s ({peak * 4 / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
