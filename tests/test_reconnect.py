"""Reconnect with backoff: an unexpected close keeps the call (and its stored session) going."""

from __future__ import annotations

import asyncio
import time

import pytest

from proto_trainer_tui.app import TrainerApp
from proto_trainer_tui.realtime.backoff import backoff_delay
from proto_trainer_tui.store import Store

from .conftest import TOKEN, CountingServer, open_sockets, session_tasks, wait_until


def test_backoff_doubles_with_full_jitter_and_a_cap():
    assert [backoff_delay(n, rng=lambda: 1.0) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert backoff_delay(3, rng=lambda: 0.0) == 0.0
    assert all(0 <= backoff_delay(4) <= 4.0 for _ in range(100))
    with pytest.raises(ValueError):
        backoff_delay(0)


class DroppableServer:
    """The real simulated caller on a fixed port, which a test can drop, stop and restart."""

    def __init__(self) -> None:
        self.port = 0
        self.server = None
        self.context = None

    async def start(self) -> None:
        self.context = CountingServer(TOKEN).serve("127.0.0.1", self.port, open_timeout=30)
        self.server = await self.context.__aenter__()
        self.port = self.server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1/realtime"

    async def drop(self, code: int = 1011) -> None:
        for connection in list(self.server.connections):
            await connection.close(code, "going away for a moment")

    async def stop(self) -> None:
        if self.context is not None:
            await self.context.__aexit__(None, None, None)
            self.context = None


@pytest.fixture
async def droppable():
    server = DroppableServer()
    await server.start()
    yield server
    await server.stop()


async def connect_watching(app: TrainerApp) -> list[str]:
    """Start the call; return the list that collects every status the app goes through."""
    statuses: list[str] = []
    app.watch(app, "connection_status", lambda status: statuses.append(status), init=False)
    app.action_connect()
    await wait_until(lambda: app.connection_status == "connected")
    return statuses


def store_turns(app: TrainerApp, session_id: int):
    with Store.open(app.store.data_dir) as store:
        return store.turns(session_id)


async def test_a_close_with_1011_reconnects_and_the_same_call_goes_on(droppable):
    app = TrainerApp(server_url=droppable.url, api_key=TOKEN, scenario_id="plan-and-means", audio=False)
    async with app.run_test():
        statuses = await connect_watching(app)
        session = app.session
        await app.send_text("Hello, you're through to the crisis line. What's on your mind?")
        turns = session.conversation.turns
        await wait_until(lambda: turns[-1].role == "caller" and turns[-1].finished, timeout=20)
        await droppable.drop(1011)
        await wait_until(lambda: statuses[-2:] == ["reconnecting", "connected"], timeout=20)
        assert app.session is session  # the same call, not a new one
        assert "reconnected" in app.notice_text
        await app.send_text("Are you thinking about suicide?")
        await wait_until(lambda: len(turns) == 4 and turns[-1].finished, timeout=20)
        session_id = session.journal.session_id
        await app.action_disconnect()
        stored = store_turns(app, session_id)
        assert [t.turn_order for t in stored] == [1, 2, 3, 4]
        assert [t.text for t in stored] == [t.text for t in turns]


async def test_hanging_up_during_the_wait_cancels_it_at_once(droppable):
    app = TrainerApp(server_url=droppable.url, api_key=TOKEN, scenario_id="plan-and-means", audio=False)
    async with app.run_test():
        sockets = open_sockets()
        app.action_connect()
        await wait_until(lambda: app.connection_status == "connected")
        await droppable.stop()  # gone: every retry fails, with waits in between
        await wait_until(lambda: app.connection_status == "reconnecting", timeout=10)
        started = time.monotonic()
        await app.action_disconnect()
        assert app.connection_status == "disconnected"
        assert time.monotonic() - started < 1.0
        assert session_tasks() == []
        await wait_until(lambda: open_sockets() <= sockets, timeout=5)


async def test_after_the_last_try_the_call_ends_with_the_reason(droppable):
    app = TrainerApp(server_url=droppable.url, api_key=TOKEN, scenario_id="plan-and-means", audio=False,
                     reconnect_tries=2)
    async with app.run_test():
        statuses = await connect_watching(app)
        await droppable.stop()
        await wait_until(lambda: app.connection_status == "disconnected", timeout=15)
        assert statuses.count("reconnecting") >= 1
        assert "could not reach" in app.last_error or "refused" in app.last_error


async def test_a_normal_close_is_not_retried(droppable):
    app = TrainerApp(server_url=droppable.url, api_key=TOKEN, scenario_id="plan-and-means", audio=False)
    async with app.run_test():
        statuses = await connect_watching(app)
        await droppable.drop(1000)
        await wait_until(lambda: app.connection_status == "disconnected", timeout=10)
        assert "reconnecting" not in statuses
        assert app.last_error == "the server ended the session"
        await asyncio.sleep(0.5)
        assert droppable.server is not None and len(droppable.server.connections) == 0
