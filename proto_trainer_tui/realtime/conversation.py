"""Pure conversation state: server events in, transcript turns out.

No I/O. The session feeds every parsed server event to :meth:`Conversation.apply`
and gets back the turns that changed, which the UI renders and the store saves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .events import Event, caller_text_item, item_text, user_text_item

Role = Literal["caller", "counselor"]
Status = Literal["partial", "done", "interrupted"]


@dataclass
class Turn:
    role: Role
    text: str
    item_id: str
    status: Status = "partial"
    typed: bool = False  # a counselor turn typed rather than spoken

    @property
    def finished(self) -> bool:
        return self.status != "partial"


@dataclass
class Conversation:
    turns: list[Turn] = field(default_factory=list)
    _by_item: dict[str, int] = field(default_factory=dict)
    _removed: list[Turn] = field(default_factory=list)
    _response_items: dict[str, list[str]] = field(default_factory=dict)

    # --- local actions ----------------------------------------------------------

    def add_typed(self, text: str, item_id: str) -> Turn:
        """Record a typed counselor turn before it is sent, so the server's echo
        of the same item id is recognised and never duplicated."""
        turn = Turn("counselor", text, item_id, status="done", typed=True)
        self._append(turn)
        return turn

    def interrupt_open_turns(self) -> list[Turn]:
        """Mark every unfinished turn interrupted (disconnect, cancel, quit)."""
        changed = []
        for turn in self.turns:
            if not turn.finished:
                turn.status = "interrupted"
                changed.append(turn)
        return changed

    def restore_events(self) -> list[Event]:
        """The call so far as ``conversation.item.create`` events, to re-send after a reconnect,
        so the caller (ours or OpenAI's) continues where it was. Same item ids: the server's
        echoes are recognised, not shown twice. Caller turns cut off count as far as they were heard."""
        restored = []
        for turn in self.turns:
            if not turn.finished or not turn.text.strip():
                continue
            make = user_text_item if turn.role == "counselor" else caller_text_item
            restored.append(make(turn.text, turn.item_id))
        return restored

    # --- server events ------------------------------------------------------------

    def apply(self, event: Event) -> list[Turn]:
        """Apply one server event; return the turns it created or changed."""
        kind = event["type"]
        if kind == "conversation.item.added":
            return self._item_added(event.get("item"))
        if kind == "response.output_item.added":
            return self._caller_item(event.get("item"), event.get("response_id"))
        if kind in ("response.output_audio_transcript.delta", "response.output_text.delta"):
            return self._caller_delta(event)
        if kind in ("response.output_audio_transcript.done", "response.output_text.done"):
            return self._caller_text_done(event)
        if kind == "conversation.item.input_audio_transcription.completed":
            return self._transcribed(event)
        if kind == "conversation.item.input_audio_transcription.failed":
            return self._not_transcribed(event)
        if kind == "response.done":
            return self._response_done(event.get("response"))
        return []

    def _append(self, turn: Turn) -> None:
        self._by_item[turn.item_id] = len(self.turns)
        self.turns.append(turn)

    def order_of(self, item_id: str) -> int | None:
        """The turn's place in the call, from 1 (as the store numbers turns)."""
        index = self._by_item.get(item_id)
        return None if index is None else index + 1

    def turn_for(self, item_id: str) -> Turn | None:
        index = self._by_item.get(item_id)
        return None if index is None else self.turns[index]

    def _item_added(self, item: object) -> list[Turn]:
        if not isinstance(item, dict) or item.get("type") != "message":
            return []
        item_id = str(item.get("id") or "")
        if not item_id or item_id in self._by_item:
            return []
        if item.get("role") == "user":
            # A spoken counselor turn: its text arrives with the transcription.
            text = item_text(item)
            turn = Turn("counselor", text, item_id, status="done" if text else "partial")
            self._append(turn)
            return [turn]
        if item.get("role") == "assistant":
            return self._caller_item(item, None)
        return []

    def _caller_item(self, item: object, response_id: object) -> list[Turn]:
        if not isinstance(item, dict) or not item.get("id"):
            return []
        item_id = str(item["id"])
        if isinstance(response_id, str):
            self._response_items.setdefault(response_id, []).append(item_id)
        if item_id in self._by_item:
            return []
        turn = Turn("caller", item_text(item), item_id)
        self._append(turn)
        return [turn]

    def _caller_delta(self, event: Event) -> list[Turn]:
        item_id = event.get("item_id")
        delta = event.get("delta")
        if not isinstance(item_id, str) or not isinstance(delta, str):
            return []
        turn = self.turn_for(item_id)
        if turn is None:
            # A delta for an item never announced: keep the text rather than lose it.
            turn = Turn("caller", "", item_id)
            self._append(turn)
        if turn.finished:
            return []
        turn.text += delta
        return [turn]

    def _caller_text_done(self, event: Event) -> list[Turn]:
        turn = self.turn_for(str(event.get("item_id")))
        if turn is None or turn.finished:
            return []
        final = event.get("transcript", event.get("text"))
        if isinstance(final, str):
            turn.text = final
        turn.status = "done"
        return [turn]

    def _transcribed(self, event: Event) -> list[Turn]:
        turn = self.turn_for(str(event.get("item_id")))
        transcript = event.get("transcript")
        if turn is None or not isinstance(transcript, str):
            return []
        if not transcript.strip():
            return self._remove_empty(turn)
        turn.text = transcript
        turn.status = "done"
        return [turn]

    def _not_transcribed(self, event: Event) -> list[Turn]:
        """No words in what the microphone picked up (a cough, a door): not a turn of the call."""
        turn = self.turn_for(str(event.get("item_id")))
        if turn is None or turn.role != "counselor" or turn.text.strip():
            return []
        return self._remove_empty(turn)

    def _remove_empty(self, turn: Turn) -> list[Turn]:
        index = self._by_item.pop(turn.item_id)
        del self.turns[index]
        for later in self.turns[index:]:
            self._by_item[later.item_id] -= 1
        self._removed.append(turn)
        return []

    def take_removed(self) -> list[Turn]:
        """Turns removed since the last call (each once): the store and the screen forget them."""
        removed, self._removed = self._removed, []
        return removed

    def _response_done(self, response: object) -> list[Turn]:
        if not isinstance(response, dict):
            return []
        cancelled = response.get("status") in ("cancelled", "incomplete", "failed")
        item_ids = list(self._response_items.pop(str(response.get("id")), []))
        for item in response.get("output") or []:
            if isinstance(item, dict) and item.get("id") and item["id"] not in item_ids:
                item_ids.append(item["id"])
        changed = []
        for item_id in item_ids:
            turn = self.turn_for(item_id)
            if turn is not None and not turn.finished:
                turn.status = "interrupted" if cancelled else "done"
                changed.append(turn)
        return changed
