"""SessionJournal: everything one practice call leaves on disk.

The session worker owns one journal per call, across reconnects: the session
row (created when the call connects, so even a crash leaves it), each turn saved on every
change (a crash keeps the text so far), and the WAV recording written as the
audio flows. Closing it ends the session row, finalises the WAV and keeps it as
FLAC (in the database on PostgreSQL).

When the database server cannot be reached mid-call (PostgreSQL), the call goes on:
changes wait in a local outbox and are written, in order, at the next change after
a short pause, at close, or at the next start of the app.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from .db import Store, StoreError, StoreUnavailable
from .outbox import Outbox
from .records import utc_now
from .turn_log import LiveTurn, TurnLog

log = logging.getLogger(__name__)


class SessionJournal:
    def __init__(
        self,
        store: Store,
        *,
        scenario_id: str,
        scenario_title: str,
        server: str,
        mode: str,
        record: bool,
        on_problem: Callable[[str], None] = lambda message: None,
        clock: Callable[[], float] = time.monotonic,
        retry_after: float = 2.0,
    ) -> None:
        self.store = store
        self._row = dict(scenario_id=scenario_id, scenario_title=scenario_title, server=server, mode=mode,
                         record=record)
        self.session = None  # the stored row, from begin()
        self.session_id: int | None = None
        self._on_problem = on_problem
        self._problem_said = False
        self._turns = TurnLog()
        self._clock = clock  # the recording's timeline (an accelerated soak passes audio time)
        self._started = clock()
        self._outbox: Outbox | None = None  # from begin(): changes waiting for the database server
        self._retry_after = retry_after  # seconds between tries while the server is away
        self._next_try = 0.0
        self._recorder = None
        self.closed = False

    def begin(self) -> None:
        """The call is connected: its row is made now, so a call that never connects takes no number.

        Raises StoreError when the row cannot be written (the call then goes unsaved)."""
        if self.session is not None:
            return
        self.session = self.store.start_session(**self._row)
        self.session_id = self.session.id
        self._outbox = Outbox(self.store.data_dir, self.session_id)
        self._started = self._clock()
        if self.session.recording_path is not None:
            from .recorder import WavRecorder

            try:
                self._recorder = WavRecorder(self.session.recording_path)
            except OSError as exc:
                self._problem(f"recording off: cannot write {self.session.recording_path} ({exc})")

    @property
    def begun(self) -> bool:
        return self.session is not None and not self.closed

    def _problem(self, message: str) -> None:
        log.warning("%s", message)
        if not self._problem_said:  # a full disk would otherwise repeat this for every turn
            self._problem_said = True
            self._on_problem(message)

    def _now(self) -> float:
        return self._clock() - self._started

    def set_mode(self, mode: str) -> None:
        self._row["mode"] = mode
        if not self.begun:
            return
        self._write(lambda: self.store.set_mode(self.session_id, mode), lambda: self._outbox.add_mode(mode),
                    "session mode not saved")

    def turn(self, turn: LiveTurn) -> None:
        if not self.begun:
            return
        record = self._turns.record(turn)
        self._write(lambda: self.store.save_turn(self.session_id, record), lambda: self._outbox.add_turn(record),
                    "turn not saved")

    @property
    def waiting(self) -> int:
        """Changes kept locally until the database server is back."""
        return len(self._outbox) if self._outbox is not None else 0

    def _write(self, write: Callable[[], None], keep: Callable[[], None], failure: str, *, force: bool = False) -> None:
        """Write now, or, while changes wait for the server, queue behind them (order is kept)."""
        if self._outbox and not self._flush(force):
            self._keep(keep, failure)
            return
        try:
            write()
        except StoreUnavailable as exc:
            self._keep(keep, failure)
            self._away(exc)
        except StoreError as exc:
            self._problem(f"{failure}: {exc}")

    def _keep(self, keep: Callable[[], None], failure: str) -> None:
        try:
            keep()
        except OSError as exc:  # the local disk too: say so, the call still goes on
            self._problem(f"{failure}: cannot keep it on this computer either ({exc})")

    def _flush(self, force: bool) -> bool:
        if not force and self._clock() < self._next_try:
            return False
        try:
            return self._outbox.flush(self.store)
        except StoreUnavailable as exc:
            self._away(exc)
            return False

    def _away(self, exc: StoreUnavailable) -> None:
        self._next_try = self._clock() + self._retry_after
        self._problem(f"{exc}; the call goes on and its turns are kept on this computer until the server is back")

    def forget(self, turn: LiveTurn) -> None:
        """A turn that turned out to be nothing (a noise with no words) leaves no row."""
        order = self._turns.forget(turn.item_id)
        if order is None or not self.begun:
            return
        # Through the outbox like every write: while changes wait, the delete waits with them.
        self._write(lambda: self.store.delete_turn(self.session_id, order), lambda: self._outbox.add_delete(order),
                    "empty turn not removed")

    def learner_audio(self, pcm: bytes) -> None:
        if self._recorder is not None:
            self._recording(self._recorder.learner, pcm)

    def caller_audio(self, pcm: bytes) -> None:
        if self._recorder is not None:
            self._recording(self._recorder.caller, pcm)

    def caller_cut(self) -> None:
        """Barge-in: caller audio queued but never played is not part of the call."""
        if self._recorder is not None:
            self._recorder.cut_caller(self._now())

    def _recording(self, write: Callable[[bytes, float], None], pcm: bytes) -> None:
        try:
            write(pcm, self._now())
        except OSError as exc:
            self._problem(f"recording stopped: {exc}")
            self._recorder = None

    def discard(self) -> None:
        """The call never connected: remove its row and recording rather than keep an empty session."""
        if self.closed:
            return
        self.closed = True
        if self.session is None:
            return  # nothing was written
        if self._recorder is not None:
            self._recorder.close()
        try:
            self.store.delete_session(self.session_id)
        except StoreError as exc:
            self._problem(f"empty session not removed: {exc}")

    def close(self, status: str = "complete") -> None:
        if self.closed:
            return
        self.closed = True
        if self.session is None:
            return  # the call never connected: no row was made
        if self._recorder is not None:
            try:
                self._recorder.close()
            except OSError as exc:
                self._problem(f"recording not finalised: {exc}")
        ended = utc_now()
        self._write(lambda: self.store.end_session(self.session_id, status, ended_at=ended),
                    lambda: self._outbox.add_end(status, ended), "session not closed", force=True)
        if self._recorder is not None and not self._outbox:
            try:  # FLAC on disk, or in the database on PostgreSQL; the WAV stays if this fails
                self.store.keep_recording(self.session_id)
            except StoreError as exc:
                self._problem(f"recording kept uncompressed: {exc}")
