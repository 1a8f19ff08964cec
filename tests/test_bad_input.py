"""Every bad input gets a clear message, a true status, and no crash.

Misbehaving servers (refused, stalled, malformed frames, huge frames, abnormal
closes, hung peers) are in test_faults.py."""

from __future__ import annotations

from proto_trainer_tui.app import TrainerApp

from .conftest import TOKEN, wait_until

SCENARIO = "panic-attack-at-work"


def make_app(url: str, api_key: str | None = TOKEN, **kwargs) -> TrainerApp:
    return TrainerApp(server_url=url, api_key=api_key, scenario_id=SCENARIO, audio=False, **kwargs)


async def connect_and_settle(app: TrainerApp, pilot, until: str, timeout: float = 10.0) -> None:
    app.action_connect()
    await wait_until(lambda: app.connection_status == until, timeout=timeout, message=until)
    await pilot.pause()


async def test_wrong_token_says_the_key_was_rejected(sim_server):
    app = make_app(sim_server.url, api_key="wrong-token")
    async with app.run_test() as pilot:
        app.action_connect()
        await wait_until(lambda: app.connection_status == "disconnected" and app.last_error, timeout=10)
        assert "rejected the API key" in app.last_error
        assert "wrong-token" not in app.last_error
        await pilot.pause()


async def test_rich_markup_in_turns_renders_literally(sim_server):
    app = make_app(sim_server.url)
    async with app.run_test() as pilot:
        await connect_and_settle(app, pilot, "connected")
        await pilot.press(*"[bold red]help[/bold red]", "enter")
        await wait_until(lambda: any(t.role == "caller" and t.finished for t in app.session.conversation.turns))
        await pilot.pause()
        shown = [str(view.render()) for view in app.screen.query("TurnView")]
        assert shown[0] == "#1 You: [bold red]help[/bold red]"
        await app.action_disconnect()
