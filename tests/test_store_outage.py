"""The PostgreSQL server goes away mid-call: the call goes on, its turns wait on this computer,
and they are written when the server is back: nothing lost, nothing written twice."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from proto_trainer_tui.app import TrainerApp
from proto_trainer_tui.store import Store, StoreError, StoreUnavailable
from proto_trainer_tui.store.journal import SessionJournal
from proto_trainer_tui.store.outbox import Outbox
from proto_trainer_tui.ui.paged_transcript import PagedTranscript, StoreTurns

from .conftest import TOKEN, wait_until
from .faults import FaultServer, caller_turn, send
from .postgres_fixtures import pg_cluster, pg_url  # noqa: F401 (fixtures)


@dataclass
class Line:  # the shape of realtime.conversation.Turn that the journal reads
    role: str
    text: str
    item_id: str
    status: str = "done"
    typed: bool = True


@pytest.fixture
def server_away(pg_cluster):
    """Call it to stop the server; it is started again at the end of the test in any case."""
    yield pg_cluster.stop
    if not pg_cluster.running:
        pg_cluster.start()


def open_journal(store: Store, problems: list[str]) -> SessionJournal:
    journal = SessionJournal(store, scenario_id="plan-and-means", scenario_title="A plan and the means",
                             server="embedded", mode="typed", record=False, on_problem=problems.append,
                             retry_after=0)
    journal.begin()  # the call connected
    return journal


def texts(store: Store, session_id: int) -> list[tuple[int, str, str, str]]:
    return [(t.turn_order, t.role, t.text, t.status) for t in store.turns(session_id)]


def test_turns_wait_while_the_server_is_down_and_are_written_once_when_it_is_back(
        tmp_path, pg_url, pg_cluster, server_away):
    problems: list[str] = []
    with Store.open(tmp_path, pg_url) as store:
        journal = open_journal(store, problems)
        journal.turn(Line("counselor", "Crisis line, this is Sam.", "c1"))
        journal.turn(Line("caller", "Hi.", "a1"))
        server_away()
        journal.turn(Line("counselor", "What's happening for you tonight?", "c2"))
        journal.turn(Line("caller", "I have the", "a2", status="partial"))
        journal.turn(Line("caller", "I have the pills here.", "a2"))
        journal.turn(Line("counselor", "Are you thinking about suicide?", "c3"))
        assert journal.waiting == 3  # the caller's line updated twice waits once
        assert problems and "turns are kept on this computer" in problems[0]
        assert pg_url.split("@")[0].split(":")[-1] not in problems[0]  # the password is never shown
        pg_cluster.start()
        journal.turn(Line("caller", "Yes", "a3", status="partial"))  # the next change writes what waited
        assert journal.waiting == 0
        journal.turn(Line("caller", "Yes. I am.", "a3"))
        journal.close()
        assert texts(store, journal.session_id) == [
            (1, "counselor", "Crisis line, this is Sam.", "done"),
            (2, "caller", "Hi.", "done"),
            (3, "counselor", "What's happening for you tonight?", "done"),
            (4, "caller", "I have the pills here.", "done"),
            (5, "counselor", "Are you thinking about suicide?", "done"),
            (6, "caller", "Yes. I am.", "done"),
        ]
        assert store.get_session(journal.session_id).status == "complete"
        assert store._sql("SELECT COUNT(*) FROM turns") == [(6,)]
    assert not Outbox(tmp_path, journal.session_id).path.exists()


def test_a_call_that_ends_while_the_server_is_down_is_written_at_the_next_start(
        tmp_path, pg_url, pg_cluster, server_away):
    with Store.open(tmp_path, pg_url) as store:
        journal = SessionJournal(store, scenario_id="plan-and-means", scenario_title="A plan and the means",
                                 server="embedded", mode="voice", record=True, retry_after=0)
        journal.begin()
        journal.caller_audio(b"\x10\x00" * 24_000)  # a second of the caller's voice
        journal.turn(Line("counselor", "Crisis line.", "c1"))
        server_away()
        journal.turn(Line("caller", "I'm not sure I should have called", "a1", status="partial"))
        journal.close()  # the reply was cut off by hanging up
        with pytest.raises(StoreUnavailable):
            store.recover()  # the next start, still without the server: nothing is lost meanwhile
    assert Outbox(tmp_path, journal.session_id).path.exists()
    pg_cluster.start()
    with Store.open(tmp_path, pg_url) as store:
        assert store.recover() == []  # ended by the replay, not "recovered" as a crash
        session = store.get_session(journal.session_id)
        assert session.status == "complete"
        assert session.recording_path.suffix == ".flac" and store.recording_bytes(journal.session_id) > 0
        assert texts(store, journal.session_id) == [
            (1, "counselor", "Crisis line.", "done"),
            (2, "caller", "I'm not sure I should have called", "interrupted"),
        ]
    assert not Outbox(tmp_path, journal.session_id).path.exists()


def test_reading_after_the_server_restarted_just_works(tmp_path, pg_url, pg_cluster, server_away):
    with Store.open(tmp_path, pg_url) as store:
        session = store.start_session(scenario_id="x", scenario_title="Before", server="embedded", mode="typed",
                                      record=False)
        assert [s.id for s in store.list_sessions()] == [session.id]
        server_away()
        pg_cluster.start()
        assert [s.id for s in store.list_sessions()] == [session.id]  # the dropped connection is replaced


async def test_the_app_goes_on_with_a_call_while_the_database_server_is_stopped(
        tmp_path, pg_url, pg_cluster, server_away):
    # A caller whose reply is still arriving when the counselor hangs up (it never finishes it).
    server = FaultServer([], on_response=[send(*caller_turn("c1", "I'm not sure I should have called",
                                                            finished=False))])
    async with server.running():
        app = TrainerApp(server_url=server.url, api_key=TOKEN, scenario_id="panic-attack-at-work", audio=False,
                         data_dir=str(tmp_path), database_url=pg_url)
        await in_a_call_while_the_server_is_away(app, pg_cluster, server_away)
    with Store.open(tmp_path, pg_url) as store:
        saved = store.turns(app.last_session_id)
        assert [(t.role, t.text, t.status) for t in saved] == [
            ("counselor", "Hi, this is the crisis line. What's happening for you right now?", "done"),
            ("caller", "I'm not sure I should have called", "interrupted")]  # the cut-off reply, kept
        assert store.get_session(app.last_session_id).status == "complete"


async def in_a_call_while_the_server_is_away(app: TrainerApp, pg_cluster, server_away) -> None:
    async with app.run_test():
        app.action_connect()
        await wait_until(lambda: app.connection_status == "connected")
        journal = app.session.journal
        turns = app.session.conversation.turns
        transcript = app.screen.query_one(PagedTranscript)
        await wait_until(lambda: isinstance(transcript.source, StoreTurns))  # the practice screen follows the call
        server_away()
        await app.send_text("Hi, this is the crisis line. What's happening for you right now?")
        # Hang up in the middle of the caller's reply, the database server still away.
        await wait_until(lambda: len(turns) == 2 and turns[1].text and not turns[1].finished, timeout=20)
        assert app.connection_status == "connected" and journal.waiting == 2
        await transcript.action_last()  # the transcript pages from the store: from memory while it is away
        assert len(transcript.views) == 2
        pg_cluster.start()
        await app.action_disconnect()
        assert journal.waiting == 0


def test_a_wrong_password_is_refused_without_showing_it(tmp_path, pg_cluster, pg_url):
    wrong = pg_url.replace(pg_cluster.password, "not-the-password-4711")
    with pytest.raises(StoreError) as refused:
        Store.open(tmp_path, wrong)
    assert "password authentication failed" in str(refused.value)
    assert "not-the-password-4711" not in str(refused.value) and not isinstance(refused.value, StoreUnavailable)


def test_the_outbox_keeps_the_latest_of_each_change_in_order_and_survives_a_torn_line(tmp_path):
    from datetime import UTC, datetime

    from proto_trainer_tui.store import TurnRecord

    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    class Away:
        def save_turn(self, session_id, turn):
            raise StoreUnavailable("away")

    class Back:
        def __init__(self):
            self.writes = []

        def save_turn(self, session_id, turn):
            self.writes.append(("turn", turn.turn_order, turn.text, turn.status))

        def set_mode(self, session_id, mode):
            self.writes.append(("mode", mode))

        def end_session(self, session_id, status, ended_at):
            self.writes.append(("end", status, ended_at))

    box = Outbox(tmp_path, 7)
    box.add_turn(TurnRecord(1, "counselor", "Hello", "done", "typed", at, at))
    box.add_turn(TurnRecord(2, "caller", "I", "partial", None, at))
    box.add_mode("typed")
    box.add_turn(TurnRecord(2, "caller", "I called", "partial", None, at))
    with pytest.raises(StoreUnavailable):
        box.flush(Away())
    with open(box.path, "a", encoding="utf-8") as file:
        file.write('{"kind": "turn", "turn_or')  # the app died mid-write
    again = Outbox(tmp_path, 7)  # the next start
    again.add_end("complete", at)
    back = Back()
    assert again.flush(back) and not again.path.exists()
    assert back.writes == [("turn", 1, "Hello", "done"), ("mode", "typed"), ("turn", 2, "I called", "partial"),
                           ("end", "complete", at)]


def test_a_change_kept_after_a_torn_line_is_read_back(tmp_path):
    from datetime import UTC, datetime

    from proto_trainer_tui.store import TurnRecord

    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    box = Outbox(tmp_path, 8)
    box.add_turn(TurnRecord(1, "counselor", "Hello", "done", "typed", at, at))
    with open(box.path, "a", encoding="utf-8") as file:
        file.write('{"kind": "turn", "turn_or')  # a crash cut the last write short
    again = Outbox(tmp_path, 8)  # the next start reads what is there
    again.add_turn(TurnRecord(2, "caller", "Hi.", "done", None, at, at))
    assert len(Outbox(tmp_path, 8)) == 2  # both whole changes come back; the torn one is dropped


def test_a_turn_removed_while_the_server_is_down_is_removed_when_it_is_back(
        tmp_path, pg_url, pg_cluster, server_away):
    problems: list[str] = []
    with Store.open(tmp_path, pg_url) as store:
        journal = open_journal(store, problems)
        journal.turn(Line("counselor", "Crisis line, this is Sam.", "c1"))
        journal.turn(Line("caller", "Hi.", "a1"))
        noise = Line("counselor", "", "c2", status="partial", typed=False)  # written before the outage
        journal.turn(noise)
        server_away()
        journal.turn(Line("caller", "Are you still there?", "a2"))  # waits as turn 4
        journal.forget(noise)  # the noise had no words: turn 3 goes, the caller's line moves up
        journal.turn(Line("counselor", "Yes, I'm here.", "c3"))
        assert journal.waiting == 3  # the delete, then the two lines at their new places
        pg_cluster.start()
        journal.close()
        assert texts(store, journal.session_id) == [
            (1, "counselor", "Crisis line, this is Sam.", "done"),
            (2, "caller", "Hi.", "done"),
            (3, "caller", "Are you still there?", "done"),
            (4, "counselor", "Yes, I'm here.", "done"),
        ]
    assert not Outbox(tmp_path, journal.session_id).path.exists()


def test_waiting_deletes_go_first_and_are_read_back_after_a_restart(tmp_path):
    from proto_trainer_tui.store import TurnRecord

    outbox = Outbox(tmp_path, 7)
    for order, text in ((3, "noise"), (4, "Are you there?"), (5, "Hello?")):
        outbox.add_turn(TurnRecord(turn_order=order, role="caller", text=text, status="done", input="typed",
                                   started_at=None))
    outbox.add_delete(3)  # the waiting turn 3 goes; 4 and 5 move up
    outbox.add_mode("voice")
    outbox.add_delete(1)  # one the server already has: everything waiting moves up again
    read_back = Outbox(tmp_path, 7)  # as the next start reads it
    assert [(c["kind"], c.get("turn_order"), c.get("text")) for c in read_back._waiting.values()] == [
        ("delete", 3, None), ("delete", 1, None), ("turn", 2, "Are you there?"), ("turn", 3, "Hello?"),
        ("mode", None, None)]
