"""Every call is kept: the live session writes its row, turns and recording as it goes."""

from __future__ import annotations

import os
import pty
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from proto_trainer_tui.app import TrainerApp
from proto_trainer_tui.store import Store

from .conftest import TOKEN, wait_until
from .faults import FaultServer, caller_turn, send


def stored(data_dir: Path, session_id: int):
    with Store.open(data_dir) as store:
        return store.get_session(session_id), store.turns(session_id)


def typed_app(sim_server, tmp_path: Path, scenario_id: str) -> TrainerApp:
    return TrainerApp(server_url=sim_server.url, api_key=TOKEN, scenario_id=scenario_id, audio=False,
                      data_dir=str(tmp_path))


async def connect(app: TrainerApp) -> int:
    """Start the call; return the id of its stored session."""
    app.action_connect()
    await wait_until(lambda: app.connection_status == "connected")
    return app.session.journal.session_id


async def test_a_typed_call_is_saved_turn_by_turn(sim_server, tmp_path):
    app = typed_app(sim_server, tmp_path, "panic-attack-at-work")
    async with app.run_test():
        session_id = await connect(app)
        await app.send_text("Hi, this is the crisis line. What's happening for you right now?")
        turns = app.session.conversation.turns
        await wait_until(lambda: turns[-1].role == "caller" and turns[-1].finished, timeout=20)
        # Saved as it happened, before the call ends.
        row, saved = stored(tmp_path, session_id)
        assert row.status == "active" and row.mode == "typed" and row.recording_path is None
        assert [(t.role, t.text, t.status) for t in saved] == [(t.role, t.text, t.status) for t in turns]
        assert saved[0].input == "typed" and saved[1].input is None
        await app.action_disconnect()
        assert app.last_session_id == session_id
    row, saved = stored(tmp_path, session_id)
    assert row.status == "complete" and row.ended_at is not None
    assert row.scenario_id == "panic-attack-at-work" and row.server.startswith("ws://127.0.0.1:")
    assert TOKEN not in row.server


async def test_a_reply_cut_off_by_hanging_up_is_kept_as_interrupted(tmp_path):
    # A server whose reply is still arriving when the counselor hangs up (it never finishes it).
    server = FaultServer([send(*caller_turn("c1", "I've been saving them up, and this weekend",
                                            finished=False))])
    async with server.running():
        app = TrainerApp(server_url=server.url, api_key=TOKEN, scenario_id="plan-and-means", audio=False,
                         data_dir=str(tmp_path))
        async with app.run_test():
            session_id = await connect(app)
            turns = app.session.conversation.turns
            await wait_until(lambda: len(turns) == 1 and turns[0].text and not turns[0].finished, timeout=20)
            await app.action_disconnect()
    _, saved = stored(tmp_path, session_id)
    assert [(t.role, t.text, t.status) for t in saved] == [
        ("caller", "I've been saving them up, and this weekend", "interrupted")]


async def test_a_call_that_never_connected_leaves_no_session(tmp_path):
    app = TrainerApp(server_url="ws://127.0.0.1:9/v1/realtime", api_key=TOKEN, scenario_id="plan-and-means",
                     audio=False, data_dir=str(tmp_path), connect_timeout=2)
    async with app.run_test():
        app.action_connect()
        await wait_until(lambda: app.connection_status == "disconnected" and app.last_error, timeout=10)
    with Store.open(tmp_path) as store:
        assert store.list_sessions() == []


def read_rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as connection:
        return connection.execute(sql).fetchall()


def test_sigkill_in_the_middle_of_a_call_loses_no_finished_turn(pulse_rig, tmp_path):
    """The app as a user runs it, in a terminal, with a real call and real audio, killed with SIGKILL."""
    data_dir = tmp_path / "data"
    primary, secondary = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "PROTO_TRAINER_DATA_DIR": str(data_dir),
           "PROTO_TRAINER_CONFIG": str(tmp_path / "none.toml")}
    app = subprocess.Popen(
        [sys.executable, "-m", "proto_trainer_tui", "--scenario", "plan-and-means", "--turn-mode", "ptt"],
        stdin=secondary, stdout=secondary, stderr=secondary, env=env, start_new_session=True,
    )
    os.close(secondary)
    threading.Thread(target=lambda: _drain(primary), daemon=True).start()
    db = data_dir / "proto-trainer.sqlite3"
    try:
        deadline = time.monotonic() + 60
        while not db.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)
        os.write(primary, b"c")  # connect
        _wait(lambda: read_rows(db, "SELECT id FROM sessions"), "the session row")
        time.sleep(1.0)
        os.write(primary, b"i")  # to the input line
        time.sleep(0.3)
        os.write(primary, b"Can you tell me about the last few weeks, and about your kids?\r")
        _wait(lambda: read_rows(db, "SELECT 1 FROM turns WHERE role = 'caller' AND status = 'done'"), "a first reply")
        time.sleep(2.5)  # the recorder's reorder window has moved past the first reply
        os.write(primary, b"That sounds so hard. What are the nights like for you?\r")
        _wait(lambda: read_rows(db, "SELECT 1 FROM turns WHERE turn_order = 4 AND status = 'partial' AND text != ''"),
              "the caller half-way through a reply", lambda: read_rows(db, "SELECT role, status, text FROM turns"))
        os.kill(app.pid, signal.SIGKILL)
        app.wait(timeout=10)
    finally:
        if app.poll() is None:
            app.kill()
        os.close(primary)

    with Store.open(data_dir) as store:
        (session_id,) = store.recover()
        session = store.get_session(session_id)
        turns = store.turns(session_id)
    assert session.status == "incomplete"
    assert turns[0].role == "counselor" and turns[0].status == "done" and "last few weeks" in turns[0].text
    assert turns[-1].role == "caller" and turns[-1].status == "interrupted" and turns[-1].text
    import soundfile

    recording = soundfile.info(str(session.recording_path))  # the header was repaired, then kept as FLAC
    assert session.recording_path.suffix == ".flac"
    assert recording.channels == 2 and recording.samplerate == 24_000
    assert recording.frames > 24_000 // 2  # the audio written before the kill


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


def _wait(condition, what: str, state=lambda: "", timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except sqlite3.OperationalError:
            pass  # the database is being created
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}: {state()}")


async def test_a_noise_with_no_words_leaves_no_turn_in_the_store_or_on_screen(tmp_path):
    noise = [
        {"type": "input_audio_buffer.speech_started", "audio_start_ms": 0, "item_id": "u_noise"},
        {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": 400, "item_id": "u_noise"},
        {"type": "conversation.item.added",
         "item": {"id": "u_noise", "type": "message", "role": "user",
                  "content": [{"type": "input_audio", "transcript": None}]}},
        {"type": "conversation.item.input_audio_transcription.failed", "item_id": "u_noise",
         "error": {"type": "transcription_error", "code": "no_speech", "message": "no words"}},
    ]
    server = FaultServer([send(*caller_turn("c0", "Hello?"), *noise, *caller_turn("c1", "Are you there?"))])
    async with server.running():
        app = TrainerApp(server_url=server.url, api_key=TOKEN, scenario_id="plan-and-means", audio=False,
                         data_dir=str(tmp_path))
        async with app.run_test() as pilot:
            session_id = await connect(app)
            turns = app.session.conversation.turns
            await wait_until(lambda: [t.text for t in turns if t.finished] == ["Hello?", "Are you there?"])
            def shown() -> list[str]:
                return [str(view.render()) for view in app.screen.query_one("#transcript").query("TurnView")]

            expected = ["#1 Caller: Hello?", "#2 Caller: Are you there?"]
            await wait_until(lambda: shown() == expected, timeout=5, message=f"{expected}, showing {shown()}")
            await app.action_disconnect()
    _, saved = stored(tmp_path, session_id)
    assert [(t.turn_order, t.text) for t in saved] == [(1, "Hello?"), (2, "Are you there?")]


async def test_calls_that_never_connected_take_no_session_number(sim_server, tmp_path):
    refused = TrainerApp(server_url="ws://127.0.0.1:9/v1/realtime", api_key=TOKEN, scenario_id="plan-and-means",
                         audio=False, data_dir=str(tmp_path), connect_timeout=2)
    async with refused.run_test():
        for _ in range(3):
            refused.action_connect()
            await wait_until(lambda: refused.connection_status == "disconnected" and refused.last_error)
            assert "nothing is listening at 127.0.0.1:9" in refused.last_error
            refused.last_error = ""
    app = typed_app(sim_server, tmp_path, "plan-and-means")
    async with app.run_test():
        assert await connect(app) == 1
        await app.action_disconnect()
