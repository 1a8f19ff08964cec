"""The store on both engines (SQLite and PostgreSQL): turns, recovery after a crash, evaluations,
scenarios; SQLite's own migrations and file checks."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone

import pytest

from proto_trainer_tui.scenarios.csv_io import build_scenario
from proto_trainer_tui.store import DB_NAME, Store, StoreError, TurnRecord
from proto_trainer_tui.store.recorder import HEADER_BYTES, WavRecorder
from proto_trainer_tui.store.schema import MIGRATIONS, SCHEMA_VERSION

from .postgres_fixtures import open_store, pg_cluster, pg_url, store  # noqa: F401 (fixtures)

T0 = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)


def turn(order: int, role: str = "caller", text: str = "hello", status: str = "done", **kw) -> TurnRecord:
    started = kw.pop("started_at", T0 + timedelta(seconds=10 * order))
    ended = kw.pop("ended_at", None if status == "partial" else started + timedelta(seconds=5))
    return TurnRecord(order, role, text, status, kw.pop("input", None), started, ended)


def start(store: Store, **kw):
    values = {"scenario_id": "plan-and-means", "scenario_title": "A plan and the means", "server": "embedded",
              "mode": "voice"}
    values.update(kw)
    return store.start_session(**values)


def test_open_creates_folders_and_uses_wal(tmp_path):
    data = tmp_path / "new" / "data"
    with Store.open(data) as store:
        assert store.recordings_dir == data / "recordings" and store.recordings_dir.is_dir()
    connection = sqlite3.connect(data / DB_NAME)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_an_older_database_is_upgraded_and_keeps_its_sessions(tmp_path):
    connection = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    connection.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
    connection.execute(
        "INSERT INTO sessions (scenario_id, scenario_title, server, mode, started_at, status)"
        " VALUES ('x', 'Old one', 'embedded', 'typed', ?, 'complete')", (T0.isoformat(),))
    connection.close()
    with Store.open(tmp_path) as store:
        [old] = store.list_sessions()
        assert (old.scenario_title, old.status, old.grade) == ("Old one", "complete", None)
        store.save_evaluation(old.id, {"summary": "ok"}, grade="B", evaluator="rubric")
        assert store.list_sessions()[0].grade == "B"


def test_a_newer_schema_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / DB_NAME
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE future (x)")
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    connection.commit()
    connection.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match=rf"schema version {SCHEMA_VERSION + 5}.*up to {SCHEMA_VERSION}"):
        Store.open(tmp_path)
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    (tmp_path / DB_NAME).write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a proto-trainer database"):
        Store.open(tmp_path)


def test_session_and_turns_round_trip(store):
    session = start(store)
    assert session.status == "active" and session.ended_at is None
    assert session.started_at.tzinfo is not None
    assert session.recording_path == store.recordings_dir / f"session-{session.id:06d}.wav"
    store.save_turn(session.id, turn(1, "counselor", "Crisis line, this is Sam.", input="typed"))
    store.save_turn(session.id, turn(2, "caller", "Hi", status="partial"))
    store.save_turn(session.id, turn(2, "caller", "Hi... I don't know why I called.", status="done"))
    turns = store.turns(session.id)
    assert [(t.turn_order, t.role, t.text, t.status, t.input) for t in turns] == [
        (1, "counselor", "Crisis line, this is Sam.", "done", "typed"),
        (2, "caller", "Hi... I don't know why I called.", "done", None),
    ]
    assert turns[0].started_at == T0 + timedelta(seconds=10)
    assert store.turn_count(session.id) == 2


def test_timestamps_are_stored_in_utc(store):
    session = start(store)
    local = datetime(2026, 11, 27, 16, 0, tzinfo=timezone(timedelta(hours=2)))
    store.save_turn(session.id, turn(1, started_at=local))
    assert store.turns(session.id)[0].started_at == local
    assert store.turns(session.id)[0].started_at.utcoffset() == timedelta(0)
    with pytest.raises(StoreError, match="timezone-aware"):
        store.save_turn(session.id, turn(2, started_at=datetime(2026, 1, 1)))


def test_bad_values_are_refused_with_a_clear_message(store):
    session = start(store)
    with pytest.raises(StoreError, match="role"):
        store.save_turn(session.id, turn(1, role="narrator"))
    with pytest.raises(StoreError, match="mode"):
        start(store, mode="video")
    with pytest.raises(StoreError, match="session store error"):
        store.save_turn(9999, turn(1))  # foreign keys are on


def test_turns_page_in_order(store):
    session = start(store)
    for order in range(1, 51):
        store.save_turn(session.id, turn(order, text=f"turn {order}"))
    page = store.turns(session.id, offset=20, limit=5)
    assert [t.turn_order for t in page] == [21, 22, 23, 24, 25]
    assert len(store.turns(session.id, offset=45)) == 5


def test_end_session_marks_partial_turns_interrupted(store):
    session = start(store, record=False)
    store.save_turn(session.id, turn(1, "counselor", "Are you safe right now?"))
    store.save_turn(session.id, turn(2, "caller", "I don't", status="partial"))
    store.end_session(session.id)
    ended = store.get_session(session.id)
    assert ended.status == "complete" and ended.ended_at is not None and ended.recording_path is None
    assert [t.status for t in store.turns(session.id)] == ["done", "interrupted"]
    assert store.turns(session.id)[1].text == "I don't"
    with pytest.raises(StoreError, match="no session 4242"):
        store.end_session(4242)


def test_recover_closes_sessions_left_by_a_crash_and_repairs_their_wav(open_store):
    crashed = open_store()
    session = start(crashed)
    crashed.save_turn(session.id, turn(1, "counselor", "Hi, you're through to the line."))
    crashed.save_turn(session.id, turn(2, "caller", "I've been thinking", status="partial"))
    recorder = WavRecorder(session.recording_path)
    for step in range(150):  # 3 s of microphone; what is older than the reorder window reaches the disk
        recorder.learner(b"\x01\x00" * 480, at=step * 0.02)
    recorder._file.close()  # the process dies: no close(), header never fixed by close()
    with open(session.recording_path, "r+b") as raw:  # and the header still says "empty"
        raw.seek(HEADER_BYTES - 4)
        raw.write(b"\0\0\0\0")
    # (the crashed process is gone; this store is the next start)
    with open_store() as store:
        running = start(store, record=False)
        assert store.recover() == [session.id]
        assert store.get_session(running.id).status == "active"
        recovered = store.get_session(session.id)
        assert recovered.status == "incomplete"
        assert recovered.ended_at == T0 + timedelta(seconds=20)  # the last thing we know happened
        assert [t.status for t in store.turns(session.id)] == ["done", "interrupted"]
        assert store.turns(session.id)[1].text == "I've been thinking"
        import soundfile

        assert recovered.recording_path.suffix == ".flac"  # repaired, then kept compressed
        kept = soundfile.info(str(store.recording_file(session.id)))
        assert kept.channels == 2 and kept.samplerate == 24_000 and kept.frames >= 24_000
        assert store.recover() == []


def wait_for_zombie(pid: int) -> None:
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} did not die")


def test_recover_leaves_sessions_of_a_running_app_alone(store, open_store):
    import subprocess
    import sys

    session = start(store)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        store._sql("UPDATE sessions SET owner_pid = :pid WHERE id = :id", pid=other.pid, id=session.id)
        with open_store() as next_start:
            assert next_start.recover() == []
            assert next_start.get_session(session.id).status == "active"
            other.kill()  # not yet reaped: a zombie counts as dead
            wait_for_zombie(other.pid)
            other_gone = next_start.recover()
    finally:
        other.kill()
        other.wait()
    assert other_gone == [session.id]


def test_list_sessions_newest_first_with_search_and_grade(store):
    first = start(store, scenario_id="panic-attack-at-work", scenario_title="Panic attack at work")
    for order in (1, 2, 3):
        store.save_turn(first.id, turn(order))
    store.end_session(first.id)
    second = start(store, scenario_title="100% [bold]weird_title[/bold]")
    store.save_evaluation(second.id, {"summary": "first try"}, grade="C", evaluator="rubric")
    store.save_evaluation(second.id, {"summary": "second try"}, grade="B+", evaluator="rubric")
    listed = store.list_sessions()
    assert [s.id for s in listed] == [second.id, first.id]
    assert (listed[1].turn_count, listed[1].status, listed[1].grade) == (3, "complete", None)
    assert listed[1].duration is not None and listed[1].duration >= timedelta(0)
    assert (listed[0].grade, listed[0].duration) == ("B+", None)
    assert [s.id for s in store.list_sessions("PANIC")] == [first.id]
    assert [s.id for s in store.list_sessions("attack-at")] == [first.id]
    assert [s.id for s in store.list_sessions("100%")] == [second.id]
    assert store.list_sessions("_") == [listed[0]]  # LIKE wildcards are literal
    assert store.evaluation(second.id) == {"summary": "second try"}
    assert store.evaluation(first.id) is None


def test_save_evaluation_refuses_what_json_cannot_hold(store):
    session = start(store)
    with pytest.raises(StoreError, match="JSON"):
        store.save_evaluation(session.id, {"score": float("nan")}, grade="A", evaluator="x")
    with pytest.raises(StoreError, match="no session 77"):
        store.save_evaluation(77, {}, grade="A", evaluator="x")


def test_delete_session_removes_rows_and_recording(store):
    session = start(store)
    session.recording_path.write_bytes(b"RIFF")
    store.save_turn(session.id, turn(1))
    store.save_evaluation(session.id, {"summary": "x"}, grade="A", evaluator="rubric")
    store.delete_session(session.id)
    assert not session.recording_path.exists()
    assert store.list_sessions() == [] and store.turns(session.id) == []
    assert store._sql("SELECT COUNT(*) FROM evaluations") == [(0,)]
    with pytest.raises(StoreError, match=f"no session {session.id}"):
        store.get_session(session.id)


def test_imported_scenarios_are_saved_once_and_updated(store):
    scenario = build_scenario(id="night-shift", title="Night shift", prompt="You are a nurse named Kim who "
                              "lost your job.", category="onboarding", mode="chat")
    assert store.save_scenario(scenario) == "added"
    assert store.save_scenario(scenario) == "unchanged"
    from dataclasses import replace

    assert store.save_scenario(replace(scenario, evaluator_context="listen")) == "updated"
    [loaded] = store.imported_scenarios()
    assert (loaded.id, loaded.title, loaded.mode, loaded.category, loaded.persona.name) == (
        "night-shift", "Night shift", "chat", "onboarding", "Kim")
    assert loaded.evaluator_context == "listen"


def test_store_works_from_another_thread(store):
    import threading

    session = start(store)
    errors = []

    def write() -> None:
        try:
            for order in range(1, 101):
                store.save_turn(session.id, turn(order))
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and store.turn_count(session.id) == 100


def test_turn_log_gives_live_turns_stable_orders_and_times(store):
    from proto_trainer_tui.realtime.conversation import Turn
    from proto_trainer_tui.store.turn_log import TurnLog

    ticks = iter(T0 + timedelta(seconds=n) for n in range(100))
    log = TurnLog(clock=lambda: next(ticks))
    session = start(store)
    typed = Turn("counselor", "Hello, crisis line.", "item-a", status="done", typed=True)
    caller = Turn("caller", "Hi", "item-b")
    for live in (typed, caller):
        store.save_turn(session.id, log.record(live))
    caller.text, caller.status = "Hi, I need help", "interrupted"
    store.save_turn(session.id, log.record(caller))
    spoken = Turn("counselor", "I'm here.", "item-c", status="done")
    store.save_turn(session.id, log.record(spoken))
    assert [(t.turn_order, t.role, t.text, t.status, t.input) for t in store.turns(session.id)] == [
        (1, "counselor", "Hello, crisis line.", "done", "typed"),
        (2, "caller", "Hi, I need help", "interrupted", None),
        (3, "counselor", "I'm here.", "done", "spoken"),
    ]
    second = store.turns(session.id)[1]
    assert (second.started_at, second.ended_at) == (T0 + timedelta(seconds=1), T0 + timedelta(seconds=2))


def test_a_deleted_turn_moves_the_later_ones_up(store):
    from proto_trainer_tui.store.turn_log import TurnLog

    session = store.start_session(scenario_id="free", scenario_title="Free", server="test", mode="voice",
                                  record=False)
    log = TurnLog()

    class Live:
        def __init__(self, item_id, role, text):
            self.item_id, self.role, self.text, self.status, self.typed = item_id, role, text, "done", False

    turns = [Live("a", "counselor", "Hello?"), Live("noise", "counselor", ""), Live("b", "caller", "Hi."),
             Live("c", "counselor", "What's happening?")]
    for turn in turns:
        store.save_turn(session.id, log.record(turn))
    assert log.forget("noise") == 2 and log.forget("noise") is None
    store.delete_turn(session.id, 2)
    assert [(t.turn_order, t.text) for t in store.turns(session.id)] == [
        (1, "Hello?"), (2, "Hi."), (3, "What's happening?")]
    store.save_turn(session.id, log.record(turns[3]))  # later changes land on the new order
    store.save_turn(session.id, log.record(Live("d", "caller", "Not much.")))
    assert [t.turn_order for t in store.turns(session.id)] == [1, 2, 3, 4]


def test_the_migrations_build_exactly_the_schema_the_queries_use(store):
    """store/tables.py (what the queries use) and the Alembic migrations (what builds a database) agree."""
    from sqlalchemy import inspect

    from proto_trainer_tui.store.tables import metadata

    inspector = inspect(store._engine)
    built = {name: {c["name"] for c in inspector.get_columns(name)}
             for name in inspector.get_table_names() if name not in ("alembic_version", "sqlite_sequence")}
    assert built == {table.name: {c.name for c in table.columns} for table in metadata.tables.values()}


def test_an_old_sqlite_file_migrates_to_the_same_schema_as_a_new_one(tmp_path):
    from sqlalchemy import inspect

    old = tmp_path / "old"
    old.mkdir()
    connection = sqlite3.connect(old / DB_NAME, isolation_level=None)
    connection.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
    connection.close()

    def schema(folder):
        with Store.open(folder) as store:
            inspector = inspect(store._engine)
            return {name: sorted(c["name"] for c in inspector.get_columns(name))
                    for name in inspector.get_table_names()}

    assert schema(old) == schema(tmp_path / "new")


def test_a_data_folder_with_url_characters_in_its_name(tmp_path):
    folder = tmp_path / "odd?name%20#1"
    with Store.open(folder) as store:
        start(store)
    assert (folder / DB_NAME).exists()


def test_the_schema_version_is_the_head_alembic_revision():
    # The version stamped into SQLite files (and refused when newer) must follow the migrations.
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from proto_trainer_tui.store.engine import MIGRATIONS_DIR
    from proto_trainer_tui.store.schema import SCHEMA_VERSION

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == str(SCHEMA_VERSION)
