"""Fault injection: the real app (pilot) against a misbehaving server on loopback.

For every fault: no crash, a true ``connection_status``, a clear message, every
finished turn kept (shown once, in order), and nothing leaked: socket, file
descriptor, thread or session task.

Faults after which connecting again may help (a dropped connection, 1011, a hung
server) follow the reconnect spec of issue 6: "reconnecting", then either
"connected" again with ``session.update`` re-sent and a "reconnected" marker, or
"disconnected" with the reason once the tries run out.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import time
from contextlib import asynccontextmanager

import pytest

from proto_trainer_tui.app import TrainerApp
from proto_trainer_tui.realtime import connection as connection_module
from proto_trainer_tui.realtime import events
from proto_trainer_tui.realtime.connection import ConnectionProblem

from .conftest import live_threads, open_sockets, session_tasks, wait_until
from .faults import (
    FaultServer,
    caller_turn,
    close,
    drop,
    error_event,
    send,
    stop_reading,
)
from .peers import free_port

SCENARIO = "panic-attack-at-work"
RETRIES_DONE = 40  # seconds: five tries with backoff up to 8 s, plus their handshakes


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


class Watched:
    """The app under test, with every status it passed through."""

    def __init__(self, app: TrainerApp, pilot) -> None:
        self.app = app
        self.pilot = pilot
        self.statuses: list[str] = []
        self.reasons: list[str] = []  # why each reconnect began, as the app was told

    def record(self, status: str) -> None:
        self.statuses.append(status)
        retry = getattr(self.app, "retry", None)  # (attempt, tries, until, reason) while reconnecting
        if status == "reconnecting" and retry:
            self.reasons.append(str(retry[-1]))

    def said(self, text: str) -> bool:
        """Whether the counselor was told ``text``: as the error, or as the reason for reconnecting."""
        return text in self.app.last_error or any(text in reason for reason in self.reasons)

    def shown(self) -> list[str]:
        """Every line of the transcript widget, as the counselor sees it (less any "#N " turn number)."""
        transcript = self.app.screen.query_one("#transcript")
        return [re.sub(r"^#\d+ ", "", str(widget.render())) for widget in transcript.query("Static")]

    async def shows(self, expected: list[str], *, callers_only: bool = False) -> None:
        """Wait for the transcript to show ``expected`` (the UI applies turns after the event loop turns)."""

        def lines() -> list[str]:
            return [line for line in self.shown() if line.startswith("Caller:") or not callers_only]

        await wait_until(lambda: lines() == expected, timeout=5, message=f"{expected}, showing {lines()}")

    async def connect(self, until: str = "connected", timeout: float = 10.0) -> None:
        """Connect and wait until the status has been ``until`` (every change is recorded, so a
        state the app passes through between two looks still counts)."""
        before = len(self.statuses)
        self.app.action_connect()
        await wait_until(lambda: until in self.statuses[before:], timeout=timeout,
                         message=f"{until} (seen {self.statuses[before:]})")

    async def reach(self, status: str, timeout: float = 10.0, *, after: str | None = None) -> None:
        """Wait until the status is ``status`` (and, with ``after``, has been ``after`` first)."""

        def reached() -> bool:
            if after is not None and after not in self.statuses:
                return False
            return self.app.connection_status == status

        await wait_until(reached, timeout=timeout, message=f"{status} (seen {self.statuses})")


@asynccontextmanager
async def watched_app(url: str, server: FaultServer | None = None, **kwargs):
    app = TrainerApp(server_url=url, api_key=None, scenario_id=SCENARIO, audio=False, **kwargs)
    async with app.run_test() as pilot:
        await pilot.pause()
        watched = Watched(app, pilot)
        app.watch(app, "connection_status", watched.record, init=False)
        sockets, fds, threads = open_sockets(), open_fds(), live_threads()
        yield watched
        await app.action_disconnect()
        await wait_until(lambda: app.connection_status == "disconnected", timeout=10, message="disconnected")
        await pilot.pause()
        assert app.session is None
        if server is not None:
            server.release_hung()
        await wait_until(lambda: not client_tasks(), timeout=5, message=f"session tasks to end: {client_tasks()}")
        await wait_until(lambda: open_sockets() <= sockets, timeout=5, message="sockets to close")
        await wait_until(lambda: open_fds() <= fds, timeout=5, message="file descriptors to close")
        assert live_threads() <= threads


def client_tasks() -> list:
    """Session tasks of the app; the fault server's own handlers (same process) are not the client's."""
    return [task for task in session_tasks() if "Server.conn_handler" not in repr(task.get_coro())]


def finished_caller_turns(app: TrainerApp) -> list[str]:
    return [t.text for t in app.session.conversation.turns if t.role == "caller" and t.status == "done"]


# --- faults before a session exists -------------------------------------------------------


async def test_refused_connection():
    url = f"ws://127.0.0.1:{free_port()}/v1/realtime"
    async with watched_app(url) as run:
        await run.connect(until="disconnected")
        assert run.app.last_error.startswith(f"could not reach {url}: ")
        assert run.statuses == ["connecting", "disconnected"]


async def test_handshake_that_stalls_past_the_connect_timeout():
    server = FaultServer([], stall_handshake=True)
    async with server.running(), watched_app(server.url, connect_timeout=1.0) as run:
        started = time.monotonic()
        await run.connect(until="disconnected", timeout=5)
        assert time.monotonic() - started < 3
        assert run.app.last_error == f"could not reach {server.url}: no answer within 1 s"
        assert run.statuses == ["connecting", "disconnected"]


# --- frames the client must survive ----------------------------------------------------------


async def test_malformed_json_binary_frames_and_unknown_events_are_skipped():
    server = FaultServer([send("{not json", b"\x00\x01binary", {"type": "totally.unknown.event", "x": 1},
                               *caller_turn("c1", "still here"))])
    async with server.running(), watched_app(server.url) as run:
        await run.connect()
        await wait_until(lambda: finished_caller_turns(run.app) == ["still here"], message="the good turn")
        assert run.app.connection_status == "connected"
        assert run.app.session.connection.malformed_frames == 2
        assert run.app.last_error.startswith("skipped a malformed frame: binary frame of 8 bytes")
        assert run.statuses == ["connecting", "connected"]


async def test_a_32_mib_frame_is_refused_and_earlier_turns_are_kept():
    huge = json.dumps({"type": "response.output_audio.delta", "item_id": "c2", "delta": "A" * (32 << 20)})
    server = FaultServer([send(*caller_turn("c1", "Before the flood."), huge)])
    async with server.running(), watched_app(server.url) as run:
        await run.connect()
        await run.reach("disconnected", timeout=20)
        assert run.app.last_error == "the server sent a frame over 16 MiB; connection closed"
        assert "reconnecting" not in run.statuses  # the next frame would be just as big
        await run.shows(["Caller: Before the flood."])


async def test_a_non_fatal_error_event_is_shown_and_the_call_goes_on():
    server = FaultServer([send(error_event("Audio \x1b[2Jtoo short", "input_audio_buffer_commit_empty",
                                           "invalid_request_error"), *caller_turn("c1", "Are you there?"))])
    async with server.running(), watched_app(server.url) as run:
        await run.connect()
        await wait_until(lambda: finished_caller_turns(run.app) == ["Are you there?"])
        assert run.app.connection_status == "connected"
        assert run.app.last_error == "server error: Audio ␛[2Jtoo short (input_audio_buffer_commit_empty)"


async def test_a_fatal_error_event_ends_the_call_with_its_reason():
    server = FaultServer([send(*caller_turn("c1", "Hello?"),
                               error_event("Your session hit the maximum duration of 60 minutes.",
                                           "session_expired", "invalid_request_error")),
                          close(1000, "")])
    async with server.running(), watched_app(server.url) as run:
        await run.connect()
        await run.reach("disconnected", after="connected")
        assert "maximum duration of 60 minutes" in run.app.last_error
        assert "reconnecting" not in run.statuses  # a normal close is never retried
        await run.shows(["Caller: Hello?"])


async def test_events_out_of_order_keep_the_text_and_never_crash():
    frames = [
        # A delta for an item never announced, then its done; a done for nothing at all.
        {"type": "response.output_audio_transcript.delta", "item_id": "ghost", "delta": "I never "},
        {"type": "response.output_audio_transcript.delta", "item_id": "ghost", "delta": "arrived"},
        {"type": "response.output_audio_transcript.done", "item_id": "nobody", "transcript": "?"},
        {"type": "response.done", "response": {"id": "resp_unknown", "status": "completed"}},
        {"type": "conversation.item.done", "item": {"id": "later", "type": "message", "role": "assistant"}},
        {"type": "response.output_audio.delta", "item_id": "nowhere", "delta": "AAAA"},
        *caller_turn("c1", "In order now."),
    ]
    server = FaultServer([send(*frames)])
    async with server.running(), watched_app(server.url) as run:
        await run.connect()
        await wait_until(lambda: "In order now." in finished_caller_turns(run.app))
        assert run.app.connection_status == "connected"
        await run.shows(["Caller: I never arrived …", "Caller: In order now."])


async def test_duplicate_event_ids_are_applied_once():
    delta = {"event_id": "event_dup1", "type": "response.output_audio_transcript.delta", "item_id": "c1",
             "delta": "only once"}
    turn = caller_turn("c1", "", finished=False)[:2]
    done = {"type": "response.output_audio_transcript.done", "item_id": "c1"}
    server = FaultServer([send(*turn, delta, delta, dict(delta), done)])
    async with server.running(), watched_app(server.url) as run:
        await run.connect()
        await wait_until(lambda: finished_caller_turns(run.app) == ["only once"], message="the turn, once")
        assert run.app.session.connection.duplicate_events == 2
        await run.shows(["Caller: only once"])


# --- faults that end the connection: reconnect (issue 6) -------------------------------------


async def test_a_drop_in_the_middle_of_caller_audio_reconnects_and_keeps_every_turn():
    server = FaultServer([send(*caller_turn("c1", "I need help."), *caller_turn("c2", "I was going", finished=False)),
                          drop()])
    async with server.running(), watched_app(server.url) as run:
        await run.connect()
        await run.reach("connected", timeout=20, after="reconnecting")
        await wait_until(lambda: server.updates == 2, message="session.update sent again on the new connection")
        await run.shows(["Caller: I need help.", "Caller: I was going  (cut off)"], callers_only=True)
        await wait_until(lambda: any("reconnected" in line.lower() for line in run.shown()), message="the marker")
        shown = run.shown()
        assert shown[:2] == ["Caller: I need help.", "Caller: I was going  (cut off)"]
        assert any("reconnected" in line.lower() for line in shown[2:])
        assert sum(line.startswith("Caller:") for line in shown) == 2  # nothing duplicated


async def test_close_1011_reconnects_when_the_server_is_back():
    server = FaultServer([send(*caller_turn("c1", "Still with me?")), close(1011, "internal error")])
    async with server.running(), watched_app(server.url) as run:
        await run.connect()
        await run.reach("connected", timeout=20, after="reconnecting")
        await wait_until(lambda: server.updates == 2, message="session.update sent again")
        assert server.connections == 2
        await run.shows(["Caller: Still with me?"], callers_only=True)
        # The call goes on: a typed line reaches the new connection.
        assert await run.app.send_text("I'm here.")


async def test_close_1001_going_away_is_not_a_normal_end():
    server = FaultServer([send(*caller_turn("c1", "Hold on.")), close(1001, "server restarting")])
    async with server.running(), watched_app(server.url) as run:
        await run.connect()
        await run.reach("connected", timeout=20, after="reconnecting")
        assert run.said("the server closed the connection (code 1001: server restarting)")
        await wait_until(lambda: server.updates == 2, message="session.update sent again")


async def test_close_1011_gives_up_after_the_tries_with_the_reason():
    server = FaultServer([close(1011, "internal error")], then=None)  # later handshakes: HTTP 503
    async with server.running(), watched_app(server.url) as run:
        await run.connect()
        await run.reach("disconnected", timeout=RETRIES_DONE, after="reconnecting")
        assert 2 <= server.connections <= 6  # the first, then at most five tries
        assert "1011" in run.app.last_error or "503" in run.app.last_error
        assert run.statuses[-1] == "disconnected"


async def test_a_server_that_stops_answering_pings_is_noticed(monkeypatch):
    monkeypatch.setattr(connection_module, "PING_INTERVAL", 0.2)
    monkeypatch.setattr(connection_module, "PING_TIMEOUT", 0.5)
    server = FaultServer([send(*caller_turn("c1", "Hello?")), stop_reading()])
    async with server.running(), watched_app(server.url, server) as run:
        await run.connect()
        await wait_until(lambda: run.said("stopped answering"), timeout=5, message="the ping timeout")
        assert run.said("the server stopped answering: no reply to a ping within 0.5 s")
        await run.reach("connected", timeout=20, after="reconnecting")
        await run.shows(["Caller: Hello?"], callers_only=True)


async def test_a_server_that_stops_reading_cannot_make_the_client_buffer_without_bound(monkeypatch):
    monkeypatch.setattr(connection_module, "SEND_TIMEOUT", 0.5)
    server = FaultServer([stop_reading()])
    # 1 MiB of base64 per event, from random bytes so permessage-deflate cannot shrink it away.
    chunk = events.audio_append(base64.b64encode(os.urandom(3 << 18)).decode())
    async with server.running(), watched_app(server.url, server) as run:
        await run.connect()
        await wait_until(lambda: server.updates == 1, message="the server to stop reading")
        connection = run.app.session.connection
        transport = connection._ws.transport
        sent, most_buffered = 0, 0
        with pytest.raises(ConnectionProblem) as stuck:
            while sent < 512:  # 512 MiB: far past any socket buffer
                most_buffered = max(most_buffered, transport.get_write_buffer_size())
                async with asyncio.timeout(30):  # without a send timeout this would wait forever
                    await connection.send(chunk)
                sent += 1
        assert str(stuck.value) == "the server stopped reading: nothing could be sent for 0.5 s; connection closed"
        assert stuck.value.retryable
        # In user space: at most the write limit plus the frame being written.
        assert most_buffered <= connection_module.WRITE_LIMIT + len(json.dumps(chunk)) + 1024
        # The kernel's socket buffers (tens of MiB at most on loopback) hold the rest.
        assert sent < 128, f"{sent} MiB were accepted before the send gave up"
        await wait_until(lambda: run.said("stopped reading"), message="the reason shown")
        await run.reach("connected", timeout=20, after="reconnecting")
