"""Snapshot tests of what a counselor sees (pytest-textual-snapshot, SVG files beside this test)."""

from __future__ import annotations

import pytest

from proto_trainer_tui.app import TrainerApp
from proto_trainer_tui.sim.process import SEED_ENV

from .conftest import steady_cursors, wait_until

# Every screen must work in the smallest common terminal and at full size.
SIZES = pytest.mark.parametrize("size", [(80, 24), (140, 45)], ids=["80x24", "140x45"])
NOWHERE = "ws://127.0.0.1:9/v1/realtime"  # the discard port: nothing listens there


@SIZES
def test_scenario_list(snap_compare, size):
    assert snap_compare(TrainerApp(server_url=NOWHERE, audio=False), terminal_size=size, run_before=steady_cursors)


@SIZES
def test_practice_screen_connected_with_a_few_turns(snap_compare, size, monkeypatch):
    monkeypatch.setenv(SEED_ENV, "7")  # the embedded caller's words, the same every run
    app = TrainerApp(scenario_id="first-call-passive-thoughts", audio=False)

    def caller_replies() -> int:
        return sum(t.role == "caller" and t.finished for t in app.session.conversation.turns)

    async def converse(pilot) -> None:
        app.action_connect()
        await wait_until(lambda: app.connection_status == "connected", timeout=30)
        for line, replies in [("Crisis line, this is Sam. What's going on tonight?", 1),
                              ("That sounds really heavy. Tell me more about [that].", 2)]:
            await pilot.press(*line, "enter")
            await wait_until(lambda: caller_replies() == replies, timeout=30)
        # Timings differ from run to run; the snapshot is of the layout, so fix the two figures shown.
        app.session.latency.samples_ms[:] = [240.0, 310.0]
        app.screen.refresh_voice()
        await steady_cursors(pilot)

    assert snap_compare(app, terminal_size=size, run_before=converse)


@SIZES
def test_practice_screen_error_state(snap_compare, size):
    app = TrainerApp(server_url=NOWHERE, scenario_id="panic-attack-at-work", audio=False)

    async def fail_to_connect(pilot) -> None:
        await pilot.press("c")
        await wait_until(lambda: app.connection_status == "disconnected" and app.last_error, timeout=30)
        await steady_cursors(pilot)

    assert snap_compare(app, terminal_size=size, run_before=fail_to_connect)
