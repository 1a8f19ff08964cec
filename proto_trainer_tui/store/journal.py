"""SessionJournal: everything one practice call leaves on disk.

The session worker owns one journal per call, across reconnects: the session
row (created when the call connects, so even a crash leaves it), each turn saved on every
change (a crash keeps the text so far), and the WAV recording written as the
audio flows. Closing it ends the session row and finalises the WAV.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from .db import Store, StoreError
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
        self._recorder = None
        self.closed = False

    def begin(self) -> None:
        """The call is connected: its row is made now, so a call that never connects takes no number.

        Raises StoreError when the row cannot be written (the call then goes unsaved)."""
        if self.session is not None:
            return
        self.session = self.store.start_session(**self._row)
        self.session_id = self.session.id
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
        try:
            self.store.set_mode(self.session_id, mode)
        except StoreError as exc:
            self._problem(f"session mode not saved: {exc}")

    def turn(self, turn: LiveTurn) -> None:
        if not self.begun:
            return
        try:
            self.store.save_turn(self.session_id, self._turns.record(turn))
        except StoreError as exc:
            self._problem(f"turn not saved: {exc}")

    def forget(self, turn: LiveTurn) -> None:
        """A turn that turned out to be nothing (a noise with no words) leaves no row."""
        order = self._turns.forget(turn.item_id)
        if order is None or not self.begun:
            return
        try:
            self.store.delete_turn(self.session_id, order)
        except StoreError as exc:
            self._problem(f"empty turn not removed: {exc}")

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
        try:
            self.store.end_session(self.session_id, status)
        except StoreError as exc:
            self._problem(f"session not closed: {exc}")
