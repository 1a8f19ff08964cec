"""Voice settings: chosen on the settings screen (or by flag) and remembered in the config file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from proto_trainer_tui.app import TrainerApp
from proto_trainer_tui.config import ConfigError, load_settings, remember
from proto_trainer_tui.ui.settings import SettingsScreen


def test_remember_keeps_other_settings_and_owner_only_permissions(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('server_url = "ws://example.test/v1/realtime"\n')
    path.chmod(0o600)
    remember({"input_device": "3", "turn_mode": "ptt", "headphones": True}, path)
    data = tomllib.loads(path.read_text())
    assert data == {"server_url": "ws://example.test/v1/realtime", "input_device": "3",
                    "turn_mode": "ptt", "headphones": True}
    assert path.stat().st_mode & 0o777 == 0o600
    remember({"input_device": None}, path)  # back to the system default
    assert "input_device" not in tomllib.loads(path.read_text())
    settings = load_settings({}, env={}, path=path)
    assert settings.turn_mode == "ptt" and settings.headphones is True
    with pytest.raises(ConfigError):
        remember({"api_key": "nope"}, path)


def test_a_bad_turn_mode_in_the_config_file_is_named(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('turn_mode = "always"\n')
    with pytest.raises(ConfigError, match="turn_mode"):
        load_settings({}, env={}, path=path)


async def test_the_settings_screen_saves_and_applies_the_choice(_private_user_files):
    config = Path(_private_user_files) / "config.toml"
    app = TrainerApp(server_url="ws://127.0.0.1:9/v1/realtime", scenario_id="free", audio=False)
    async with app.run_test() as pilot:
        await pilot.press("s")
        assert isinstance(app.screen, SettingsScreen)
        app.screen.query_one("#turn-mode").value = "ptt"
        app.screen.query_one("#headphones").value = True
        await pilot.click("#save")
        await pilot.pause()
        assert not isinstance(app.screen, SettingsScreen)
        assert app.turn_mode == "ptt" and app.headphones is True
        assert str(config) in app.notice_text
    saved = tomllib.loads(config.read_text())
    assert saved["turn_mode"] == "ptt" and saved["headphones"] is True
    assert "input_device" not in saved  # "system default" is the absence of a choice


async def test_t_switches_the_turn_mode_for_the_next_call():
    app = TrainerApp(server_url="ws://127.0.0.1:9/v1/realtime", scenario_id="free", audio=True)
    async with app.run_test() as pilot:
        await pilot.press("t")
        assert app.turn_mode == "ptt" and "push-to-talk" in app.notice_text
        await pilot.press("t")
        assert app.turn_mode == "vad"


async def test_with_voice_off_t_and_space_are_neither_offered_nor_active():
    app = TrainerApp(server_url="ws://127.0.0.1:9/v1/realtime", scenario_id="free", audio=False)
    async with app.run_test() as pilot:
        offered = {key for key, active in app.screen.active_bindings.items() if active.enabled}
        assert "t" not in offered and "space" not in offered and "c" in offered
        await pilot.press("t")
        assert app.turn_mode == "vad"
