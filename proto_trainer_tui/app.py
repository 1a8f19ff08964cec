"""TrainerApp: screens, global bindings, ``connection_status`` and the session worker.

The connect race is impossible by construction: Textual runs handlers on one
event loop, so the check-and-set in :meth:`TrainerApp.action_connect` is atomic;
the worker is exclusive in group ``"session"`` and lives on the App (not on a
screen that could be pushed twice); and the Connect button is disabled while a
connection is being made or torn down.
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import time
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.worker import Worker, WorkerState

from .realtime.connection import ConnectionProblem
from .realtime.conversation import Turn
from .realtime.backoff import DEFAULT_TRIES
from .realtime.session import TURN_MODES, SessionConfig, TurnMode, VoiceSession, run_session
from .scenarios import get_scenario
from .scenarios.model import Scenario
from .sim.process import EmbeddedServer, ServerStartError, SimOptions

TURN_MODE_HINTS = {
    "vad": "hands-free: the caller answers when you pause (t for push-to-talk)",
    "ptt": "push-to-talk: space starts and ends your turn (t for hands-free)",
}
if TYPE_CHECKING:
    from .store import Store
    from .store.journal import SessionJournal

ConnectionStatus = Literal["disconnected", "connecting", "connected", "reconnecting", "disconnecting"]
SESSION_GROUP = "session"


def display_url(url: str) -> str:
    """The server as shown and stored: scheme, host and path; never a query (keys can hide there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _screen_commands():
    from .ui.commands import ScreenCommands  # imported when the palette opens, not at start-up

    return ScreenCommands


class TrainerApp(App):
    TITLE = "proto-trainer"
    SUB_TITLE = "crisis-line call practice"

    BINDINGS = [
        Binding("c", "connect", "Connect", id="connect", tooltip="Start a call with the caller"),
        Binding("d", "disconnect", "Hang up", id="disconnect", tooltip="End the call (it is saved)"),
        Binding("ctrl+q", "quit", "Quit", id="quit", tooltip="Hang up and quit", priority=True),
        Binding("ctrl+c", "quit", "Quit", id="quit-ctrl-c", show=False, priority=True),
        Binding("s", "settings", "Settings", id="settings", tooltip="Microphone, speaker, turn mode, headphones"),
        Binding("h", "history", "History", id="history", tooltip="Past calls: transcripts, recordings, evaluations"),
        Binding("v", "review_queue", "Review queue", id="review-queue", show=False,
                tooltip="Supervisors: trainees' calls to review, critical flags first"),
    ]

    COMMANDS = App.COMMANDS | {lambda: _screen_commands()}

    # Not bindings=True: re-rendering the footer on every status change (4 per call) leaks
    # its old keys in Textual 8 (see ui.widgets.TrainerFooter); the button shows the state.
    connection_status: reactive[ConnectionStatus] = reactive("disconnected")
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
        record: bool = True,
        reconnect_tries: int = DEFAULT_TRIES,
        ca_file: str | None = None,
        database_url: str | None = None,
        sim_options: SimOptions | None = None,
    ) -> None:
        from .ui.textual_fixes import bound_render_caches

        bound_render_caches()
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
        self.record = record
        self.reconnect_tries = reconnect_tries
        self.ca_file = ca_file
        self.database_url = database_url  # None: SQLite in the data folder
        self.store: Store | None = None  # opened on mount, closed on unmount
        self.last_session_id: int | None = None  # the call to evaluate with e
        self.retry: tuple[int, int, float, str] | None = None  # attempt, tries, when (monotonic), why
        self._scenario_id = scenario_id  # resolved on mount, when imported scenarios can be read
        self.scenario: Scenario | None = None
        # Present only while the session worker runs; the worker owns it.
        self.session: VoiceSession | None = None
        self._embedded: EmbeddedServer | None = None if server_url else EmbeddedServer(sim_options)
        self._embedded_ready: asyncio.Task[str] | None = None
        self._notices_said: set[str] = set()

    # --- lifecycle -------------------------------------------------------------

    def on_mount(self) -> None:
        from .ui.practice import PracticeScreen
        from .ui.scenarios import ScenarioScreen

        if self._embedded is not None:
            # Start early so the server is up by the time the counselor picks a scenario.
            self._start_embedded()
        self._open_store()
        if self._scenario_id:
            self.scenario = get_scenario(self._scenario_id, imported=self.imported_scenarios())
        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, self._on_sigterm)
        except (NotImplementedError, RuntimeError):
            pass
        self.push_screen(ScenarioScreen())
        if self.scenario is not None:
            self.push_screen(PracticeScreen(self.scenario))

    def _on_sigterm(self) -> None:
        self.run_worker(self.action_quit(), group="quit", exclusive=True)

    def _open_store(self) -> None:
        from .config import DATA_DIR_ENV, Settings
        from .store import Store, StoreError

        data_dir = Settings(data_dir=self.data_dir or os.environ.get(DATA_DIR_ENV)).resolved_data_dir()
        try:
            self.store = Store.open(data_dir, self.database_url)
            recovered = self.store.recover()
        except StoreError as exc:
            if self.store is not None:  # opened, then recovery failed: release its connections
                self.store.close()
            self.store = None
            self.last_error = f"sessions will not be saved: {exc}"
            return
        if recovered:
            ids = ", ".join(str(i) for i in recovered)
            self.notice_text = f"kept {len(recovered)} call(s) cut off last time as incomplete (session {ids})"

    def imported_scenarios(self) -> list[Scenario]:
        """Scenarios imported from CSV into the store (none when it could not be opened)."""
        from .store import StoreError

        if self.store is None:
            return []
        try:
            return self.store.imported_scenarios()
        except StoreError as exc:
            self.last_error = str(exc)
            return []

    async def on_unmount(self) -> None:
        # However the app ends (quit, a lost terminal, a test harness leaving), the call is ended and
        # saved before the store it is saved in closes.
        await self._end_session()
        await self._stop_embedded()
        if self.store is not None:
            self.store.close()

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
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Connect and hang up belong to the practice screen only (not the history, a review or an
        # evaluation laid over it): elsewhere the keys do nothing and the footer does not offer them.
        if action in ("connect", "disconnect"):
            from .ui.practice import PracticeScreen

            if self.scenario is None or not isinstance(self.screen, PracticeScreen):
                return False
            if action == "connect":
                return self.connection_status == "disconnected"
            return self.connection_status in ("connecting", "connected", "reconnecting")
        if action in ("settings", "history"):
            from .ui.practice import PracticeScreen

            # Not in the middle of a call (the footer keeps its room for the call's own keys).
            return not (isinstance(self.screen, PracticeScreen) and self.connection_status != "disconnected")
        return True

    def action_connect(self) -> None:
        # The guard: synchronous check-and-set, no await before the status changes.
        # check_action: disconnected, a scenario chosen, and the practice screen showing.
        if not self.check_action("connect", ()):
            return
        self.connection_status = "connecting"
        self.last_error = ""
        self.notice_text = ""  # what was said about the last call (its grade, say) is not about this one
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
        journal = self._open_journal(scenario)
        ended = "incomplete"
        try:
            locate = self._server_url if self.server_url else functools.partial(self._embedded_url_for, scenario.id)
            url = await locate()
            config = SessionConfig(
                url=url,
                api_key=self.api_key if self.server_url else self._embedded.token,
                instructions=scenario.caller_instructions(),
                voice=None if self._embedded is None else scenario.persona.voice,
                audio=self.audio and scenario.mode == "phone",  # a chat scenario is typed both ways
                output_device=self.output_device,
                input_device=self.input_device,
                turn_mode=self.turn_mode,
                headphones=self.headphones,
                connect_timeout=self.connect_timeout,
                reconnect_tries=self.reconnect_tries,
                ca_file=self.ca_file,
                locate=locate,
            )
            await run_session(config, self, journal)
            ended = "complete"
            # A server that says why before closing (an error event, say "session expired")
            # keeps that reason in view.
            why = self.last_error if self.last_error.startswith("server error:") else ""
            self.last_error = "the server ended the session" + (f" after {why}" if why else "")
        except (ConnectionProblem, ServerStartError) as exc:
            self.last_error = str(exc)
        except asyncio.CancelledError:
            ended = "complete"  # the counselor hung up (or quit)
            raise
        finally:
            connected = self.session is not None  # set by the first session_connected, kept across reconnects
            self.session = None
            self.retry = None
            if journal is not None:
                self._close_journal(journal, ended, connected)  # first, so "disconnected" can offer e
            self.connection_status = "disconnected"

    def _open_journal(self, scenario: Scenario) -> SessionJournal | None:
        from .store import StoreError
        from .store.journal import SessionJournal

        if self.store is None:
            return None
        try:
            return SessionJournal(
                self.store,
                scenario_id=scenario.id,
                scenario_title=scenario.title,
                server="embedded simulated caller" if self.server_url is None else display_url(self.server_url),
                mode="voice" if self.audio else "typed",
                record=self.record and self.audio,
                on_problem=lambda message: self.notice(message, error=True),
            )
        except StoreError as exc:
            self.last_error = f"this call will not be saved: {exc}"
            return None

    def _close_journal(self, journal: SessionJournal, ended: str, connected: bool) -> None:
        if connected:
            journal.close(ended)
            self.last_session_id = journal.session_id
        else:
            journal.discard()  # the call never started: leave no empty session behind

    async def _embedded_url_for(self, scenario_id: str) -> str:
        """The embedded caller's URL naming the scenario to play (docs/protocol.md)."""
        from .sim.selection import url_with_scenario

        return url_with_scenario(await self._server_url(), scenario_id)

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

    def session_connected(self, session: VoiceSession, *, reconnected: bool = False) -> None:
        from .ui.practice import PracticeScreen

        self.session = session
        self.retry = None
        self.connection_status = "connected"
        if not reconnected:
            for screen in self.screen_stack:
                if isinstance(screen, PracticeScreen):
                    screen.start_call(session)
        else:
            self.notice_text = "reconnected: the call goes on"
            for screen in self.screen_stack:
                if isinstance(screen, PracticeScreen):
                    screen.show_marker("reconnected")

    def reconnecting(self, attempt: int, tries: int, delay: float, reason: str) -> None:
        self.retry = (attempt, tries, time.monotonic() + delay, reason)
        self.connection_status = "reconnecting"

    def turn_changed(self, turn: Turn) -> None:
        from .ui.practice import PracticeScreen

        order = self.session.conversation.order_of(turn.item_id) if self.session is not None else None
        if order is None:
            return
        for screen in self.screen_stack:
            if isinstance(screen, PracticeScreen):
                screen.show_turn(turn, order)

    def turns_renumbered(self) -> None:
        """A turn that held nothing was removed: the practice transcript shows the call anew."""
        from .ui.practice import PracticeScreen

        for screen in self.screen_stack:
            if isinstance(screen, PracticeScreen) and self.session is not None:
                screen.start_call(self.session)

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

    def action_history(self) -> None:
        from .ui.history import HistoryScreen

        if self.store is None:
            self.notice("no session history: the session store could not be opened", error=True)
        elif not isinstance(self.screen, HistoryScreen):
            self.push_screen(HistoryScreen(self.store))

    def action_review_queue(self) -> None:
        from .ui.supervisor import ReviewQueueScreen

        if self.store is None:
            self.notice("no review queue: the session store could not be opened", error=True)
        elif not isinstance(self.screen, ReviewQueueScreen):
            self.push_screen(ReviewQueueScreen(self.store))

    def evaluate_session(self, session_id: int | None = None) -> None:
        """e: grade a call (the last one by default) and show the report beside its transcript."""
        session_id = session_id or self.last_session_id
        if self.connection_status != "disconnected":
            self.notice_text = "hang up first (d), then press e to evaluate the call"
            return
        if self.store is None or session_id is None:
            self.notice_text = "nothing to evaluate yet: make a call, hang up, then press e"
            return
        self.notice_text = f"evaluating session {session_id}…"
        self.evaluation_worker(session_id)

    @work(exclusive=True, group="evaluation", exit_on_error=False)
    async def evaluation_worker(self, session_id: int) -> None:
        from .evaluation.llm import LlmSettings
        from .evaluation.stored import evaluate_stored_session
        from .evaluation.transcript import TranscriptError
        from .scenarios import UnknownScenario
        from .store import StoreError
        from .ui.review import ReviewScreen

        settings = LlmSettings.from_env()
        try:
            report = await evaluate_stored_session(
                self.store, session_id, llm_settings=settings, use_llm=settings is not None
            )
        except (StoreError, TranscriptError, UnknownScenario) as exc:
            self.last_error = f"could not evaluate session {session_id}: {exc}"
            return
        self.notice_text = f"session {session_id}: grade {report.grade} ({report.evaluator})"
        review = ReviewScreen(self.store, session_id)
        await self.push_screen(review)
        review.show_evaluation(report)

    # --- voice controls (the practice screen's bindings call these) ----------------------

    def toggle_mute(self) -> None:
        if self.session is None or self.session.microphone is None:
            self.notice("no microphone in this call: type your side of it")
            return
        muted = self.session.toggle_mute()
        self.notice_text = "microphone muted (m to unmute)" if muted else "microphone on"

    async def toggle_turn_mode(self) -> None:
        """Hands-free <-> push-to-talk; applies to the live call and the next ones."""
        if self.session is not None and self.session.microphone is None:
            self.notice("no microphone in this call: type your side of it")
            return
        self.turn_mode = TURN_MODES[(TURN_MODES.index(self.turn_mode) + 1) % len(TURN_MODES)]
        self.notice_text = TURN_MODE_HINTS[self.turn_mode]
        if self.session is not None:
            await self._voice_call(self.session.set_turn_mode(self.turn_mode))

    async def push_to_talk(self) -> None:
        """Space: start a push-to-talk turn, or finish it (the caller then answers)."""
        session = self.session
        if session is None or self.connection_status != "connected":
            return
        if session.microphone is None:
            self.notice("no microphone in this call: type your side of it")
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
