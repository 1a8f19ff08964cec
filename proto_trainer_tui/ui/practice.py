"""The practice screen: status, Connect, the live transcript, the typing line."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Static

from ..realtime.conversation import Turn
from ..scenarios.model import Scenario
from .widgets import StatusBar, TranscriptView

ACTIVE = ("connecting", "connected", "reconnecting")


class PracticeScreen(Screen):
    CSS_PATH = "practice.tcss"
    BINDINGS = [
        Binding("escape", "leave", "Back", id="back", tooltip="Leave the input line, or go back to scenarios"),
    ]

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.scenario = scenario

    def compose(self) -> ComposeResult:
        yield Header()
        yield StatusBar(id="status")
        with Horizontal(id="controls"):
            yield Button("Connect", id="connect", variant="success")
            yield Button("Hang up", id="disconnect", variant="error")
            yield Static(Text(f"{self.scenario.title} · {self.scenario.category}"), id="scenario-title")
        yield TranscriptView(id="transcript")
        yield Input(placeholder="Type what you say to the caller, Enter sends · Esc, then d hangs up", id="message")
        yield Footer()

    def on_mount(self) -> None:
        for name in ("connection_status", "last_error", "notice_text"):
            self.watch(self.app, name, self.refresh_status, init=False)
        self.refresh_status()
        self.query_one("#connect", Button).focus()

    def refresh_status(self) -> None:
        status = self.app.connection_status
        self.query_one(StatusBar).show_status(status, self.app.notice_text, self.app.last_error)
        # Only a settled state accepts a press; "connected" keeps the button
        # enabled but the app's guard makes a press a no-op.
        self.query_one("#connect", Button).disabled = status not in ("disconnected", "connected")
        self.query_one("#disconnect", Button).disabled = status not in ACTIVE
        if not self.is_current:
            return
        if status == "connected":
            self.query_one("#message", Input).focus()
        elif status == "connecting":
            # Keep keys away from the input line while the button is disabled.
            self.query_one(TranscriptView).focus()

    def show_turn(self, turn: Turn) -> None:
        self.query_one(TranscriptView).show_turn(turn)

    @on(Button.Pressed, "#connect")
    def connect_pressed(self) -> None:
        self.app.action_connect()

    @on(Button.Pressed, "#disconnect")
    async def disconnect_pressed(self) -> None:
        await self.app.action_disconnect()

    @on(Input.Submitted, "#message")
    async def send_message(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if text and await self.app.send_text(text):
            event.input.clear()

    async def action_leave(self) -> None:
        if self.query_one("#message", Input).has_focus:
            self.query_one(TranscriptView).focus()
            return
        await self.app.action_disconnect()
        self.app.scenario = None
        self.app.pop_screen()
