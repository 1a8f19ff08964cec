"""Ctrl+P knows the app's commands: those the current screen's keys offer, by name."""

from __future__ import annotations

from textual.command import CommandList, CommandPalette

from proto_trainer_tui.app import TrainerApp
from proto_trainer_tui.ui.commands import ScreenCommands
from proto_trainer_tui.ui.settings import SettingsScreen

from .conftest import wait_until

NOWHERE = "ws://127.0.0.1:9/v1/realtime"


async def offered(app: TrainerApp) -> dict[str, str]:
    provider = ScreenCommands(app.screen)
    return {str(hit.display): hit.help async for hit in provider.discover()}


async def test_the_palette_lists_the_practice_screens_commands_with_their_keys():
    app = TrainerApp(server_url=NOWHERE, scenario_id="panic-attack-at-work", audio=True)
    async with app.run_test():
        commands = await offered(app)
        assert {"Connect", "Back", "Mode", "Settings", "History", "Quit"} <= set(commands)
        assert "Hang up" not in commands and "Evaluate" not in commands  # nothing to hang up or grade yet
        assert "(key: c)" in commands["Connect"]


async def test_choosing_a_command_in_the_palette_runs_it():
    app = TrainerApp(server_url=NOWHERE, scenario_id="panic-attack-at-work", audio=False)
    async with app.run_test() as pilot:
        await pilot.press("ctrl+p")
        await wait_until(lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"microphone")  # matches the Settings command by what it does
        results = app.screen.query_one(CommandList)
        await wait_until(lambda: results.option_count > 0 and results.highlighted is not None,
                         message="the palette's matches")
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, SettingsScreen), message="the settings screen")


async def test_keys_the_footer_leaves_out_for_room_are_still_in_the_palette():
    app = TrainerApp(server_url=NOWHERE, scenario_id="panic-attack-at-work", audio=False)
    async with app.run_test() as pilot:
        app.screen.query_one("#transcript").focus()
        await pilot.pause()
        commands = await offered(app)
        assert "First turn" in commands and "Last turn" in commands
