"""TrainerApp: screens, global bindings, ``connection_status`` and the session worker.

The connect race is impossible by construction: Textual runs handlers on one
event loop, so the check-and-set in :meth:`TrainerApp.action_connect` is atomic;
the worker is exclusive in group ``"session"`` and lives on the App (not on a
screen that could be pushed twice); and the Connect button is disabled while a
connection is being made or torn down.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Literal

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.worker import Worker, WorkerState

from .realtime.connection import ConnectionProblem
from .realtime.conversation import Turn
from .realtime.session import TURN_MODES, SessionConfig, TurnMode, VoiceSession, run_session
from .scenarios import get_scenario
from .scenarios.model import Scenario
from .sim.process import EmbeddedServer, ServerStartError

TURN_MODE_HINTS = {
    "vad": "hands-free: the caller answers when you pause (t for push-to-talk)",
    "ptt": "push-to-talk: space starts and ends your turn (t for hands-free)",
}
ConnectionStatus = Literal["disconnected", "connecting", "connected", "reconnecting", "disconnecting"]
SESSION_GROUP = "session"


class TrainerApp(App):
    TITLE = "proto-trainer"
    SUB_TITLE = "crisis-line call practice"

    BINDINGS = [
        Binding("c", "connect", "Connect", id="connect", tooltip="Start a call with the caller"),
        Binding("d", "disconnect", "Disconnect", id="disconnect", tooltip="Hang up (close code 1000)"),
        Binding("ctrl+q", "quit", "Quit", id="quit", tooltip="Hang up and quit", priority=True),
        Binding("ctrl+c", "quit", "Quit", id="quit-ctrl-c", show=False, priority=True),
        Binding("s", "settings", "Settings", id="settings", tooltip="Microphone, speaker, turn mode, headphones"),
    ]

    connection_status: reactive[ConnectionStatus] = reactive("disconnected", bindings=True)
    last_error: reactive[str] = reactive("")
    notice_text: reactive[str] = reactive("")

    def __init__(
        self,
        server_url: str | None = None,
        api_key: str | None = None,
        scenario_id: str | None = None,
        audio: bool = True,
        data_dir: str | None = None,
        *,
        connect_timeout: float = 10.0,
        output_device: str | None = None,
        input_device: str | None = None,
        turn_mode: TurnMode = "vad",
        headphones: bool = False,
    ) -> None:
        super().__init__()
        self.server_url = server_url
        self.api_key = api_key
        self.audio = audio
        self.data_dir = data_dir
        self.connect_timeout = connect_timeout
        self.output_device = output_device
        self.input_device = input_device
        self.turn_mode: TurnMode = turn_mode
        self.headphones = headphones
        self.scenario: Scenario | None = get_scenario(scenario_id) if scenario_id else None
        # Present only while the session worker runs; the worker owns it.
        self.session: VoiceSession | None = None
        self._embedded: EmbeddedServer | None = None if server_url else EmbeddedServer()
        self._embedded_ready: asyncio.Task[str] | None = None
        self._notices_said: set[str] = set()

    # --- lifecycle -------------------------------------------------------------

    def on_mount(self) -> None:
        from .ui.practice import PracticeScreen
        from .ui.scenarios import ScenarioScreen

        if self._embedded is not None:
            # Start early so the server is up by the time the counselor picks a scenario.
            self._start_embedded()
        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, self._on_sigterm)
        except (NotImplementedError, RuntimeError):
            pass
        self.push_screen(ScenarioScreen())
        if self.scenario is not None:
            self.push_screen(PracticeScreen(self.scenario))

    def _on_sigterm(self) -> None:
        self.run_worker(self.action_quit(), group="quit", exclusive=True)

    async def on_unmount(self) -> None:
        await self._stop_embedded()

    async def _stop_embedded(self) -> None:
        if self._embedded_ready is not None and not self._embedded_ready.done():
            self._embedded_ready.cancel()
            await asyncio.gather(self._embedded_ready, return_exceptions=True)
        if self._embedded is not None:
            await self._embedded.stop()

    async def action_quit(self) -> None:
        """Hang up first, so every session resource is released before exit."""
        await self._end_session()
        await self._stop_embedded()
        self.exit()

    # --- connect / disconnect ----------------------------------------------------

    def open_practice(self, scenario: Scenario) -> None:
        from .ui.practice import PracticeScreen

        self.scenario = scenario
        self.push_screen(PracticeScreen(scenario))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Hide Connect/Disconnect from the footer when they would do nothing.
        if action == "connect":
            return self.scenario is not None and self.connection_status == "disconnected"
        if action == "disconnect":
            return self.connection_status in ("connecting", "connected", "reconnecting")
        return True

    def action_connect(self) -> None:
        # The guard: synchronous check-and-set, no await before the status changes.
        if self.connection_status != "disconnected" or self.scenario is None:
            return
        self.connection_status = "connecting"
        self.last_error = ""
        self.session_worker(self.scenario)

    async def action_disconnect(self) -> None:
        await self._end_session()

    async def _end_session(self) -> None:
        workers = [w for w in self.workers if w.group == SESSION_GROUP and w.node is self]
        if not workers:
            return
        if self.connection_status != "disconnected":
            self.connection_status = "disconnecting"
        self.workers.cancel_group(self, SESSION_GROUP)
        # The worker's own finally blocks release the socket and speaker; wait for them.
        await asyncio.gather(*(worker.wait() for worker in workers), return_exceptions=True)

    @work(exclusive=True, group=SESSION_GROUP, exit_on_error=False)
    async def session_worker(self, scenario: Scenario) -> None:
        try:
            url = await self._server_url()
            config = SessionConfig(
                url=url,
                api_key=self.api_key if self.server_url else self._embedded.token,
                instructions=scenario.caller_instructions(),
                voice=None if self._embedded is None else scenario.persona.voice,
                audio=self.audio,
                output_device=self.output_device,
                input_device=self.input_device,
                turn_mode=self.turn_mode,
                headphones=self.headphones,
                connect_timeout=self.connect_timeout,
            )
            await run_session(config, self)
            self.last_error = "the server ended the session"
        except (ConnectionProblem, ServerStartError) as exc:
            self.last_error = str(exc)
        finally:
            self.session = None
            self.connection_status = "disconnected"

    async def _server_url(self) -> str:
        if self.server_url:
            return self.server_url
        task = self._embedded_ready
        failed = task is not None and task.done() and (task.cancelled() or task.exception() is not None)
        died = task is not None and task.done() and not failed and not self._embedded.running
        if task is None or failed or died:
            # First use, a failed start, or a child that died: (re)start it so a press can retry.
            if died:
                await self._embedded.stop()
            self._start_embedded()
        return await asyncio.shield(self._embedded_ready)

    def _start_embedded(self) -> None:
        self._embedded_ready = asyncio.create_task(self._embedded.start())
        self._embedded_ready.add_done_callback(self._embedded_started)

    def _embedded_started(self, task: asyncio.Task[str]) -> None:
        # Show a failed start at once (and retrieve the exception, so none goes unreported).
        if not task.cancelled() and isinstance(task.exception(), ServerStartError):
            self.last_error = str(task.exception())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # An unexpected exception in the worker must still leave a true status.
        if event.worker.group == SESSION_GROUP and event.state == WorkerState.ERROR:
            self.last_error = f"session failed: {event.worker.error!r}"
            self.connection_status = "disconnected"

    # --- SessionListener ---------------------------------------------------------------

    def session_connected(self, session: VoiceSession) -> None:
        self.session = session
        self.connection_status = "connected"

    def turn_changed(self, turn: Turn) -> None:
        from .ui.practice import PracticeScreen

        for screen in self.screen_stack:
            if isinstance(screen, PracticeScreen):
                screen.show_turn(turn)

    def notice(self, message: str, *, error: bool = False) -> None:
        if error:
            self.last_error = message
        elif message not in self._notices_said:
            # Informational notices (such as "voice off") are said once per app run.
            self._notices_said.add(message)
            self.notice_text = message

    def action_settings(self) -> None:
        from .ui.settings import SettingsScreen

        if not isinstance(self.screen, SettingsScreen):
            self.push_screen(SettingsScreen())

    # --- voice controls (the practice screen's bindings call these) ----------------------

    def toggle_mute(self) -> None:
        if self.session is None or self.session.microphone is None:
            self.notice("no microphone in this call: type your side of it")
            return
        muted = self.session.toggle_mute()
        self.notice_text = "microphone muted (m to unmute)" if muted else "microphone on"

    async def toggle_turn_mode(self) -> None:
        """Server VAD <-> push-to-talk; applies to the live call and the next ones."""
        self.turn_mode = TURN_MODES[(TURN_MODES.index(self.turn_mode) + 1) % len(TURN_MODES)]
        self.notice_text = TURN_MODE_HINTS[self.turn_mode]
        if self.session is not None:
            await self._voice_call(self.session.set_turn_mode(self.turn_mode))

    async def push_to_talk(self) -> None:
        """Space: start a push-to-talk turn, or finish it (the caller then answers)."""
        session = self.session
        if session is None or self.connection_status != "connected":
            return
        if session.turn_mode != "ptt":
            self.notice_text = "space talks in push-to-talk mode; press t to switch"
            return
        await self._voice_call(session.stop_talking() if session.talking else session.start_talking())

    async def _voice_call(self, call) -> None:
        try:
            await call
        except ConnectionProblem as exc:
            self.last_error = str(exc)

    async def send_text(self, text: str) -> bool:
        """Send a typed counselor turn; False when there is no live session."""
        if self.session is None or self.connection_status != "connected":
            self.last_error = "not connected: press c to connect first"
            return False
        try:
            await self.session.send_text(text)
        except ConnectionProblem as exc:
            self.last_error = str(exc)
            return False
        return True
