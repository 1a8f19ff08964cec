"""The settings screen: microphone, speaker, turn mode, headphones; remembered in the config file."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select, Static, Switch

from ..audio.devices import AudioUnavailable, DeviceInfo, list_devices
from ..config import ConfigError, remember
from .widgets import TrainerFooter

DEFAULT = "default"


def device_options(devices: list[DeviceInfo], kind: str) -> list[tuple[str, str]]:
    options = [("system default", DEFAULT)]
    for device in devices:
        if (device.inputs if kind == "input" else device.outputs) > 0:
            options.append((f"{device.index}: {device.name}", str(device.index)))
    return options


class SettingsScreen(ModalScreen[bool]):
    CSS_PATH = "settings.tcss"
    BINDINGS = [
        Binding("escape", "dismiss(False)", "Cancel", id="cancel-settings", tooltip="Close without saving"),
        Binding("ctrl+s", "save", "Save", id="save-settings", tooltip="Save and close"),
    ]

    def compose(self) -> ComposeResult:
        app = self.app
        try:
            devices, problem = list_devices(), ""
        except AudioUnavailable as exc:
            devices, problem = [], str(exc)
        with Vertical(id="settings"):
            yield Static("Voice settings (used from the next call, and remembered)", id="settings-title")
            with Horizontal(classes="setting"):
                yield Label("Microphone")
                yield self._device_select("input-device", devices, "input", app.input_device)
            with Horizontal(classes="setting"):
                yield Label("Speaker")
                yield self._device_select("output-device", devices, "output", app.output_device)
            with Horizontal(classes="setting"):
                yield Label("Turn mode")
                yield Select(
                    [("hands-free: the caller answers when you pause", "vad"), ("push-to-talk: space starts and ends your turn", "ptt")],
                    value=app.turn_mode, allow_blank=False, id="turn-mode",
                )
            with Horizontal(id="headphones-row"):
                yield Switch(value=app.headphones, id="headphones")
                yield Label("I wear headphones (no echo cancelling)")
            yield Static(problem or ("no sound devices found" if not devices else ""), id="settings-problem")
            with Horizontal(id="settings-buttons"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Cancel", id="cancel")
        yield TrainerFooter()  # its own keys, over the footer of the screen underneath

    @staticmethod
    def _device_select(widget_id: str, devices: list[DeviceInfo], kind: str, current: str | None) -> Select:
        options = device_options(devices, kind)
        values = {value for _, value in options}
        if current and current not in values:
            options.append((f"{current} (not found now)", current))
        return Select(options, value=current or DEFAULT, allow_blank=False, id=widget_id)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        def device(widget_id: str) -> str | None:
            value = self.query_one(f"#{widget_id}", Select).value
            return None if value == DEFAULT else str(value)

        choices = {
            "input_device": device("input-device"),
            "output_device": device("output-device"),
            "turn_mode": str(self.query_one("#turn-mode", Select).value),
            "headphones": self.query_one("#headphones", Switch).value,
        }
        try:
            path = remember(choices)
        except (ConfigError, OSError) as exc:
            self.query_one("#settings-problem", Static).update(f"could not save: {exc}")
            return
        app = self.app
        app.input_device, app.output_device = choices["input_device"], choices["output_device"]
        app.turn_mode, app.headphones = choices["turn_mode"], choices["headphones"]
        app.notice_text = f"settings saved to {path}"
        self.dismiss(True)
