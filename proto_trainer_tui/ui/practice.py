"""The practice screen: status, Connect, the live transcript, the typing line."""

from __future__ import annotations

import time

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, Header, Input, Static

from ..realtime.conversation import Turn
from ..scenarios.model import Scenario
from ..text import printable
from .paged_transcript import (
    ConversationTurns,
    PagedTranscript,
    StoreTurns,
    live_record,
)
from .widgets import StatusBar, TrainerFooter, VoiceBar, render_voice

ACTIVE = ("connecting", "connected", "reconnecting")


class PracticeScreen(Screen):
    CSS_PATH = "practice.tcss"
    BINDINGS = [
        Binding("escape", "leave", "Back", id="back", tooltip="Leave the input line, or go back to scenarios"),
        Binding("space", "push_to_talk", "Talk", id="push-to-talk", tooltip="Push-to-talk: start, then end your turn"),
        Binding("m", "mute", "Mute", id="mute", tooltip="Mute or unmute the microphone"),
        Binding("t", "turn_mode", "Mode", id="turn-mode",
                tooltip="Hands-free (the caller answers when you pause) or push-to-talk"),
        Binding("i", "type", "Type", id="type", tooltip="Type a line to the caller"),
        Binding("e", "evaluate", "Evaluate", id="evaluate", tooltip="After hanging up: grade the call"),
    ]
    VOICE_REFRESH_HZ = 15

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.scenario = scenario

    def compose(self) -> ComposeResult:
        yield Header()
        yield StatusBar(id="status")
        yield VoiceBar(id="voice")
        with Horizontal(id="controls"):
            yield Button("Connect", id="connect", variant="success", compact=True)
            yield Button("Hang up", id="disconnect", variant="error", compact=True)
            yield Static(Text(printable(f"{self.scenario.title} · {self.scenario.category}")), id="scenario-title")
        yield PagedTranscript(ConversationTurns(), id="transcript")
        yield Input(placeholder="Type what you say to the caller, Enter sends · Esc, then d hangs up", id="message")
        yield TrainerFooter()

    def on_mount(self) -> None:
        self._shown_status = ""  # the status the focus and the footer were last arranged for
        for name in ("connection_status", "last_error", "notice_text"):
            self.watch(self.app, name, self.refresh_status, init=False)
        self.refresh_status()
        self.query_one("#connect", Button).focus()
        self.set_interval(1 / self.VOICE_REFRESH_HZ, self.refresh_voice)

    def refresh_voice(self) -> None:
        if self.app.retry is not None and self.app.connection_status == "reconnecting":
            attempt, tries, when, why = self.app.retry
            wait = max(0.0, when - time.monotonic())
            line = Text(f"reconnecting: try {attempt} of {tries} in {wait:.1f} s · {printable(why)}", style="yellow")
            self.query_one(VoiceBar).show(line)
            return
        session = self.app.session
        line = render_voice(
            session.levels() if session is not None else None,
            turn_mode=session.turn_mode if session is not None else self.app.turn_mode,
            muted=session is not None and session.muted,
            has_mic=session is not None and session.microphone is not None,
            voice_out=session is not None and session.voice_out,
            latency=session.latency.summary() if session is not None else "",
            audio=self.app.audio,
        )
        self.query_one(VoiceBar).show(line)

    def refresh_status(self) -> None:
        status = self.app.connection_status
        self.query_one(StatusBar).show_status(status, self.app.notice_text, self.app.last_error)
        # Only a settled state accepts a press; "connected" keeps the button
        # enabled but the app's guard makes a press a no-op.
        self.query_one("#connect", Button).disabled = status not in ("disconnected", "connected")
        self.query_one("#disconnect", Button).disabled = status not in ACTIVE
        if not self.is_current or status == self._shown_status:
            return  # a notice or an error alone moves neither the focus nor the footer's keys
        self._shown_status = status
        self.refresh_bindings()
        if status == "connected":
            session = self.app.session
            if session is not None and session.microphone is not None:
                # Talking: keep keys (space, m, t) for the call; i or Tab goes to the input line.
                self.query_one(PagedTranscript).focus()
            else:
                self.query_one("#message", Input).focus()
        elif status == "connecting":
            # Keep keys away from the input line while the button is disabled.
            self.query_one(PagedTranscript).focus()

    def start_call(self, session) -> None:
        """A new call: the transcript follows it (from the store when the call is kept)."""
        journal = session.journal
        source = (StoreTurns(journal.store, journal.session_id, session.conversation) if journal is not None
                  else ConversationTurns(session.conversation))
        self.call_later(self.query_one(PagedTranscript).follow, source)

    def show_turn(self, turn: Turn, order: int) -> None:
        # Queued behind start_call's reload, so a turn never lands in the previous call's view.
        self.call_later(self.query_one(PagedTranscript).show, live_record(turn, order))

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

    async def action_push_to_talk(self) -> None:
        await self.app.push_to_talk()

    def action_mute(self) -> None:
        self.app.toggle_mute()

    async def action_turn_mode(self) -> None:
        await self.app.toggle_turn_mode()

    def action_evaluate(self) -> None:
        self.app.evaluate_session()

    def show_marker(self, label: str) -> None:
        self.query_one(PagedTranscript).show_marker(label)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer only the keys that do something now (the footer must fit 80 columns, too)."""
        status = self.app.connection_status
        session = self.app.session
        has_mic = session is not None and session.microphone is not None
        if action == "push_to_talk":
            return has_mic and session.turn_mode == "ptt"
        if action == "mute":
            return has_mic
        if action == "turn_mode":
            return has_mic or (status == "disconnected" and self.app.audio)
        if action == "type":
            return status in ACTIVE
        if action == "evaluate":
            return status == "disconnected" and self.app.last_session_id is not None
        return True

    def action_type(self) -> None:
        self.query_one("#message", Input).focus()

    async def action_leave(self) -> None:
        if self.query_one("#message", Input).has_focus:
            self.query_one(PagedTranscript).focus()
            return
        if self.app.connection_status in ACTIVE:
            # Leaving would end the call unasked: the call goes on, and the counselor is told how.
            self.app.notice_text = "the call is still on: press d to hang up, then Esc to go back"
            return
        self.app.scenario = None
        self.app.pop_screen()
        self.app.refresh_bindings()

    def on_screen_resume(self) -> None:
        self._shown_status = ""
        self.refresh_status()
