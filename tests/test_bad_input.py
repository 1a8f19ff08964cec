"""Every bad input gets a clear message, a true status, and no crash."""

from __future__ import annotations

import json
import time

from proto_trainer_tui.app import TrainerApp
from proto_trainer_tui.realtime.connection import MAX_FRAME_BYTES

from .conftest import TOKEN, open_sockets, wait_until
from .peers import free_port, scripted_server, silent_tcp_server

SCENARIO = "panic-attack-at-work"


def make_app(url: str, api_key: str | None = TOKEN, **kwargs) -> TrainerApp:
    return TrainerApp(server_url=url, api_key=api_key, scenario_id=SCENARIO, audio=False, **kwargs)


async def connect_and_settle(app: TrainerApp, pilot, until: str, timeout: float = 10.0) -> None:
    app.action_connect()
    await wait_until(lambda: app.connection_status == until, timeout=timeout, message=until)
    await pilot.pause()


async def test_unreachable_server_names_the_url():
    url = f"ws://127.0.0.1:{free_port()}/v1/realtime"
    app = make_app(url)
    async with app.run_test() as pilot:
        await connect_and_settle(app, pilot, "connecting", timeout=1)
        await wait_until(lambda: app.connection_status == "disconnected", timeout=10)
        assert url in app.last_error
        assert "could not reach" in app.last_error


async def test_stalled_handshake_gives_up_within_the_connect_timeout():
    async with silent_tcp_server() as url:
        app = make_app(url, connect_timeout=1.0)
        async with app.run_test() as pilot:
            started = time.monotonic()
            app.action_connect()
            await wait_until(lambda: app.connection_status == "disconnected", timeout=5)
            assert time.monotonic() - started < 3
            assert app.last_error == f"could not reach {url}: no answer within 1 s"
            await pilot.pause()


async def test_wrong_token_says_the_key_was_rejected(sim_server):
    app = make_app(sim_server.url, api_key="wrong-token")
    async with app.run_test() as pilot:
        app.action_connect()
        await wait_until(lambda: app.connection_status == "disconnected" and app.last_error, timeout=10)
        assert "rejected the API key" in app.last_error
        assert "wrong-token" not in app.last_error
        await pilot.pause()


async def test_malformed_binary_unknown_and_error_frames_are_survived():
    frames = [
        "{not json",
        b"\x00\x01binary",
        json.dumps({"type": "totally.unknown.event", "x": 1}),
        json.dumps({"type": "error", "error": {"type": "invalid_request_error", "code": "oops",
                                               "message": "Something went wrong"}}),
        json.dumps({"type": "response.output_audio_transcript.delta", "item_id": "i1", "delta": "still here"}),
    ]
    async with scripted_server(frames) as url:
        app = make_app(url, api_key=None)
        async with app.run_test() as pilot:
            await connect_and_settle(app, pilot, "connected")
            await wait_until(lambda: app.session and app.session.conversation.turns, message="the good frame")
            assert app.connection_status == "connected"
            assert app.session.connection.malformed_frames == 2
            assert app.last_error == "server error: Something went wrong (oops)"
            assert [t.text for t in app.session.conversation.turns] == ["still here"]
            await app.action_disconnect()


async def test_frame_over_16_mib_is_refused_and_reported():
    huge = json.dumps({"type": "response.output_audio.delta", "item_id": "i", "delta": "A" * MAX_FRAME_BYTES})
    async with scripted_server([huge]) as url:
        app = make_app(url, api_key=None)
        async with app.run_test() as pilot:
            await connect_and_settle(app, pilot, "connected")
            await wait_until(lambda: app.connection_status == "disconnected", timeout=10)
            assert app.last_error == "the server sent a frame over 16 MiB; connection closed"


async def test_server_closing_abnormally_is_reported_and_status_is_true():
    async with scripted_server([], close_code=1011) as url:
        app = make_app(url, api_key=None)
        async with app.run_test() as pilot:
            baseline = open_sockets()
            app.action_connect()
            await wait_until(lambda: app.connection_status == "disconnected" and app.last_error, timeout=10)
            assert "code 1011" in app.last_error
            assert app.session is None
            await wait_until(lambda: open_sockets() <= baseline, timeout=5)
            await pilot.pause()


async def test_rich_markup_in_turns_renders_literally(sim_server):
    app = make_app(sim_server.url)
    async with app.run_test() as pilot:
        await connect_and_settle(app, pilot, "connected")
        await pilot.press(*"[bold red]help[/bold red]", "enter")
        await wait_until(lambda: any(t.role == "caller" and t.finished for t in app.session.conversation.turns))
        await pilot.pause()
        shown = [str(view.render()) for view in app.screen.query("TurnView")]
        assert shown[0] == "You: [bold red]help[/bold red]"
        await app.action_disconnect()
