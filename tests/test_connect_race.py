"""The connect race of the web trainer, made impossible: pilot tests against a real server."""

from __future__ import annotations

import asyncio

from textual.widgets import Input

from proto_trainer_tui.app import TrainerApp
from proto_trainer_tui.audio.devices import NullSpeaker, Speaker

from .conftest import TOKEN, open_sockets, session_tasks, wait_until

SCENARIO = "first-call-passive-thoughts"


def make_app(server, **kwargs) -> TrainerApp:
    return TrainerApp(server_url=server.url, api_key=TOKEN, scenario_id=SCENARIO, audio=False, **kwargs)


def record_statuses(app: TrainerApp) -> list[str]:
    seen: list[str] = []
    app.watch(app, "connection_status", lambda status: seen.append(status), init=False)
    return seen


def live_speakers() -> int:
    return Speaker.live + NullSpeaker.live


async def test_rapid_clicks_and_keys_open_exactly_one_connection(held_server):
    app = make_app(held_server, connect_timeout=30)
    async with app.run_test() as pilot:
        statuses = record_statuses(app)
        sockets_before = open_sockets()
        presses_while_connecting = 0
        for press in range(100):
            if app.connection_status == "connecting":
                presses_while_connecting += 1
                # While connecting, keys reach the bindings, not the input line.
                assert not isinstance(app.focused, Input)
            if press % 2:
                await pilot.click("#connect")
            else:
                await pilot.press("c")
        assert presses_while_connecting == 99  # every press after the first hit the race window
        assert held_server.server.handshakes == 1
        held_server.server.release_handshakes()
        await wait_until(lambda: app.connection_status == "connected", timeout=20, message="connected")
        await pilot.pause()
        assert held_server.server.handshakes == 1
        assert live_speakers() == 1
        assert statuses == ["connecting", "connected"]
        assert open_sockets() == sockets_before + 2  # our end and the in-process server's end

        # Connect while connected: nothing changes.
        await pilot.press("escape")
        await pilot.press("c")
        await pilot.click("#connect")
        app.action_connect()
        await pilot.pause()
        assert held_server.server.handshakes == 1
        assert statuses == ["connecting", "connected"]
        await app.action_disconnect()
        assert statuses == ["connecting", "connected", "disconnecting", "disconnected"]
        assert live_speakers() == 0


async def test_direct_action_calls_open_exactly_one_connection(slow_server):
    app = make_app(slow_server)
    async with app.run_test() as pilot:
        statuses = record_statuses(app)
        for _ in range(100):
            app.action_connect()
        assert app.connection_status == "connecting"
        assert len([w for w in app.workers if w.group == "session"]) == 1
        await wait_until(lambda: app.connection_status == "connected", message="connected")
        await pilot.pause()
        assert slow_server.server.handshakes == 1
        assert live_speakers() == 1
        assert statuses == ["connecting", "connected"]
        await app.action_disconnect()


async def test_connect_button_is_disabled_while_connecting(slow_server):
    app = make_app(slow_server)
    async with app.run_test() as pilot:
        button = app.screen.query_one("#connect")
        assert not button.disabled
        app.action_connect()
        await pilot.pause()
        assert button.disabled
        await wait_until(lambda: app.connection_status == "connected")
        await pilot.pause()
        assert not button.disabled  # enabled, but a press is a no-op while connected
        await app.action_disconnect()
        await pilot.pause()
        assert not button.disabled


async def test_disconnect_during_handshake_closes_the_half_open_socket(slow_server):
    app = make_app(slow_server)
    async with app.run_test() as pilot:
        baseline = open_sockets()
        app.action_connect()
        await asyncio.wait_for(slow_server.server.handshake_started.wait(), 5)
        assert open_sockets() > baseline
        await pilot.press("d")
        await wait_until(lambda: app.connection_status == "disconnected")
        await wait_until(lambda: open_sockets() == baseline, timeout=5, message="sockets released")
        assert live_speakers() == 0
        await wait_until(lambda: session_tasks() == [], timeout=5, message="session tasks ended")


async def test_quit_during_handshake_releases_everything(slow_server):
    app = make_app(slow_server)
    async with app.run_test():
        baseline = open_sockets()
        app.action_connect()
        await asyncio.wait_for(slow_server.server.handshake_started.wait(), 5)
        await app.action_quit()
    await wait_until(lambda: open_sockets() == baseline, timeout=5, message="sockets released")
    assert app.connection_status == "disconnected"
    assert live_speakers() == 0


async def test_disconnect_leaves_no_socket_speaker_or_task(sim_server):
    app = make_app(sim_server)
    async with app.run_test() as pilot:
        baseline_sockets = open_sockets()
        baseline_tasks = len(session_tasks())
        for _ in range(3):
            app.action_connect()
            await wait_until(lambda: app.connection_status == "connected")
            assert app.session is not None and app.session.connection.is_open
            await app.send_text("Hi, this is the crisis line. My name is Sam.")
            await wait_until(lambda: any(t.role == "caller" and t.finished
                                         for t in app.session.conversation.turns), message="caller reply")
            await pilot.press("escape", "d")
            await wait_until(lambda: app.connection_status == "disconnected")
            assert app.session is None
            await wait_until(lambda: open_sockets() == baseline_sockets, timeout=5, message="sockets released")
            await wait_until(lambda: len(session_tasks()) == baseline_tasks, timeout=5, message="tasks ended")
            assert live_speakers() == 0
        assert sim_server.server.handshakes == 3
