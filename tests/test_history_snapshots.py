"""The history and review screens: snapshots with fixed data, search, paging a 10,000-turn session."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from textual.app import App
from textual.widgets import DataTable, Input

from proto_trainer_tui.store import Store, TurnRecord
from proto_trainer_tui.store.tables import turns
from proto_trainer_tui.ui.history import HistoryScreen
from proto_trainer_tui.ui.paged_transcript import PagedTranscript
from proto_trainer_tui.ui.review import ReviewScreen

from .conftest import steady_cursors, wait_until

SIZE = (100, 30)
SIZES = pytest.mark.parametrize("size", [(80, 24), (140, 45)], ids=["80x24", "140x45"])
T0 = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def utc_clock(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def add_turns(store: Store, session_id: int, lines: list[tuple[str, str, str]], start: datetime) -> None:
    for order, (role, text, status) in enumerate(lines, 1):
        at = start + timedelta(seconds=15 * order)
        store.save_turn(session_id, TurnRecord(order, role, text, status, "typed" if role == "counselor" else None,
                                               at, None if status == "partial" else at + timedelta(seconds=10)))


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path) as opened:
        first = opened.start_session(scenario_id="panic-attack-at-work", scenario_title="Panic attack at work",
                                     server="embedded", mode="typed", record=False, started_at=T0)
        add_turns(opened, first.id, [
            ("counselor", "Crisis line, this is Sam. What's going on?", "done"),
            ("caller", "My heart is racing and I can't breathe.", "done"),
            ("counselor", "Let's slow down together. Breathe in with me.", "done"),
        ], T0)
        opened.end_session(first.id, ended_at=T0 + timedelta(minutes=6, seconds=5))
        opened.save_evaluation(first.id, {"summary": "Calm grounding; did not ask about suicide."}, grade="B",
                               evaluator="rubric")
        second = opened.start_session(scenario_id="plan-and-means", scenario_title="Caller with a plan [red]and[/] means",
                                      server="embedded", mode="voice", record=False,
                                      started_at=T0 + timedelta(days=1))
        add_turns(opened, second.id, [
            ("counselor", "Are you thinking about [bold]suicide[/bold]?", "done"),
            ("caller", "Yes. I have the pills `here`", "interrupted"),
        ], T0 + timedelta(days=1))
        opened._sql("UPDATE sessions SET status = 'incomplete', ended_at = :ended WHERE id = :id",
                    ended=(T0 + timedelta(days=1, minutes=1)).isoformat(), id=second.id)
        yield opened


class HostApp(App):
    TITLE = "proto-trainer"

    def __init__(self, screen_factory, output_device: str | None = None) -> None:
        super().__init__()
        self.screen_factory = screen_factory
        self.output_device = output_device  # as TrainerApp has it

    def on_mount(self) -> None:
        self.push_screen(self.screen_factory())


@SIZES
def test_history_screen(snap_compare, store, size):
    assert snap_compare(HostApp(lambda: HistoryScreen(store)), terminal_size=size, run_before=steady_cursors)


@SIZES
def test_history_search_filters_by_scenario(snap_compare, store, size):
    async def search(pilot) -> None:
        await pilot.press("slash", *"panic")
        await steady_cursors(pilot)

    assert snap_compare(HostApp(lambda: HistoryScreen(store)), terminal_size=size, run_before=search)


@SIZES
def test_review_of_an_evaluated_session(snap_compare, store, size):
    assert snap_compare(HostApp(lambda: ReviewScreen(store, 1)), terminal_size=size)


@SIZES
def test_review_marks_cut_off_turns_and_shows_markup_literally(snap_compare, store, size):
    assert snap_compare(HostApp(lambda: ReviewScreen(store, 2)), terminal_size=size)


async def test_enter_opens_the_review_and_escape_comes_back(store):
    app = HostApp(lambda: HistoryScreen(store))
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(DataTable)
        assert table.row_count == 2
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen) and app.screen.session_id == 1
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("slash", *"nothing like this")
        await pilot.pause()
        assert table.row_count == 0
        await pilot.press("escape")  # clears the search first
        await pilot.pause()
        assert app.screen.query_one(Input).value == "" and table.row_count == 2


async def test_p_without_a_recording_says_so(store):
    app = HostApp(lambda: ReviewScreen(store, 1))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["This session has no recording."]


def record_a_second(store: Store) -> int:
    from proto_trainer_tui.store.recorder import WavRecorder

    session = store.start_session(scenario_id="x", scenario_title="Recorded", server="embedded", mode="voice")
    with WavRecorder(session.recording_path) as recorder:
        recorder.caller(b"\x00\x10" * 24_000, at=0.0)
    store.end_session(session.id)
    return session.id


async def test_p_with_an_unusable_output_device_says_why(store):
    session_id = record_a_second(store)
    app = HostApp(lambda: ReviewScreen(store, session_id), output_device="no-such-device")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await pilot.pause()
        [notice] = [n.message for n in app._notifications]
        assert notice.startswith("Cannot play the recording: ")
        assert "no-such-device" in notice or "libportaudio2" in notice or "no output device" in notice


async def test_p_plays_the_recording_through_portaudio_and_p_again_stops(pulse_rig, store):
    import sounddevice

    # PortAudio lists devices once; an earlier test may have loaded it before the rig existed.
    sounddevice._terminate()
    sounddevice._initialize()
    session_id = record_a_second(store)
    app = HostApp(lambda: ReviewScreen(store, session_id))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.press("p")
        assert screen.playback is not None, [n.message for n in app._notifications]
        line = screen.query_one("#playback")
        await wait_until(lambda: line.display and "/ 0:01" in str(line.render()), message="the progress line")
        await wait_until(lambda: screen.playback is None, timeout=15, message="the second played to its end")
        assert not line.display
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("p")
        await wait_until(lambda: screen.playback is None, timeout=5)
        messages = [n.message for n in app._notifications]
        assert messages == ["Playing the recording (p stops).", "Playing the recording (p stops).",
                            "Playback stopped."]


def test_playback_seeks_within_the_recording_and_shows_where_it_is(store):
    from proto_trainer_tui.ui.playback import Playback, progress_line

    playback = Playback(store.get_session(record_a_second(store)).recording_path)
    assert playback.seconds == (0.0, 1.0)
    playback.seek(5)  # past the end: stops at the end
    assert playback.take_seek() == 24_000 and playback.take_seek() is None
    playback.position = 12_000
    playback.seek(-5)
    assert playback.take_seek() == 0
    playback.seek(0.25)
    playback.seek(0.25)  # two presses before the player moves: both count
    assert playback.take_seek() == 24_000
    assert progress_line(30, 120, cells=8) == "▶ 0:30 / 2:00  ██░░░░░░"


async def test_a_10000_turn_session_stays_bounded_while_paging(tmp_path):
    with Store.open(tmp_path) as store:
        session = store.start_session(scenario_id="x", scenario_title="Marathon", server="embedded", mode="typed",
                                      record=False, started_at=T0)
        with store._transaction() as db:  # bulk insert: this test is about reading
            db.execute(turns.insert(), [
                {"session_id": session.id, "turn_order": n, "role": "caller" if n % 2 else "counselor",
                 "text": f"turn number {n}", "status": "done", "input": None, "started_at": T0}
                for n in range(1, 10_001)])
        app = HostApp(lambda: ReviewScreen(store, session.id))
        async with app.run_test(size=SIZE) as pilot:
            transcript = app.screen.query_one(PagedTranscript)
            await wait_until(lambda: len(transcript.views) == 50)
            assert transcript.window.start == 9_950 and "turn number 10000" in str(transcript.views[-1].render())
            capacity = transcript.window.capacity
            for _ in range(6):  # scroll to the top again and again: older pages come in
                before = transcript.window.start
                transcript.scroll_home(animate=False)
                await wait_until(lambda before=before: transcript.window.start < before and not transcript._busy)
                await pilot.pause()
                assert len(transcript.views) == len(transcript.window.turns) <= capacity
            assert transcript.window.start == 9_950 - 6 * 50
            shown = [int(str(v.render()).rsplit(" ", 1)[1]) for v in transcript.views]
            assert shown == list(range(transcript.window.start + 1, transcript.window.end + 1))
            await pilot.press("home")
            await wait_until(lambda: transcript.window.start == 0)
            assert "turn number 1" in str(transcript.views[0].render())
            before_end = transcript.window.end
            transcript.scroll_end(animate=False)
            await wait_until(lambda: transcript.window.end > before_end and not transcript._busy)
            assert len(transcript.views) <= capacity
            await pilot.press("end")
            await wait_until(lambda: transcript.window.end == 10_000)
