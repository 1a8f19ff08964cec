"""Read a session export (docs/data.md) into plain transcript data, with clear errors.

Pure: takes text or an already-parsed dict. Reading the file is the caller's job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

EXPORT_FORMAT = "proto-trainer-session"
EXPORT_VERSIONS = (1,)
ROLES = ("counselor", "caller")
TURN_STATUSES = ("done", "interrupted", "partial")  # partial: still being spoken (an active session)
INPUTS = ("typed", "spoken", None)


class TranscriptError(ValueError):
    """The data is not a usable session export; the message says what is wrong and where."""


@dataclass(frozen=True)
class TranscriptTurn:
    order: int
    role: str  # "counselor" | "caller"
    text: str
    status: str = "done"  # "done" | "interrupted" | "partial"
    input: str | None = None  # "typed" | "spoken" | None
    started_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return max(0.0, (self.ended_at - self.started_at).total_seconds())


@dataclass(frozen=True)
class Transcript:
    turns: tuple[TranscriptTurn, ...]
    session_id: int | None = None
    scenario_id: str | None = None
    scenario_title: str = ""
    mode: str = ""
    status: str = ""  # "complete" | "incomplete" | "active" | ""

    def counselor_turns(self) -> list[TranscriptTurn]:
        return [turn for turn in self.turns if turn.role == "counselor"]

    def turn(self, order: int) -> TranscriptTurn | None:
        return next((turn for turn in self.turns if turn.order == order), None)


def transcript_from_json(text: str, source: str = "transcript") -> Transcript:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TranscriptError(f"{source}: not JSON (line {error.lineno}, column {error.colno}: {error.msg})") from None
    return transcript_from_export(data, source)


def transcript_from_export(data: Any, source: str = "transcript") -> Transcript:
    """Validate a session export dict field by field; the first problem is reported."""

    def fail(problem: str) -> TranscriptError:
        return TranscriptError(f"{source}: {problem}")

    if not isinstance(data, dict):
        raise fail(f"expected a JSON object (a session export), got {_kind(data)}")
    if "format" not in data:
        raise fail(f"no 'format' field; a session export has \"format\": \"{EXPORT_FORMAT}\"")
    if data["format"] != EXPORT_FORMAT:
        raise fail(f"'format' is {data['format']!r}, expected {EXPORT_FORMAT!r}")
    if data.get("version") not in EXPORT_VERSIONS:
        raise fail(f"'version' is {data.get('version')!r}; this program reads version {EXPORT_VERSIONS[-1]}")
    session = data.get("session", {})
    if not isinstance(session, dict):
        raise fail(f"'session' must be an object, got {_kind(session)}")
    if "turns" not in data:
        raise fail("'turns' is missing (a list of {order, role, text, ...})")
    raw_turns = data["turns"]
    if not isinstance(raw_turns, list):
        raise fail(f"'turns' must be a list, got {_kind(raw_turns)}")
    turns = [_turn(raw, index, fail) for index, raw in enumerate(raw_turns)]
    orders = [turn.order for turn in turns]
    if len(set(orders)) != len(orders):
        duplicate = next(order for order in orders if orders.count(order) > 1)
        raise fail(f"two turns have order {duplicate}")
    session_id = session.get("id")
    scenario_id = session.get("scenario_id")
    return Transcript(
        turns=tuple(sorted(turns, key=lambda turn: turn.order)),
        session_id=session_id if isinstance(session_id, int) and not isinstance(session_id, bool) else None,
        scenario_id=scenario_id if isinstance(scenario_id, str) and scenario_id else None,
        scenario_title=str(session.get("scenario_title") or ""),
        mode=str(session.get("mode") or ""),
        status=str(session.get("status") or ""),
    )


def _turn(raw: Any, index: int, fail) -> TranscriptTurn:
    where = f"turns[{index}]"
    if not isinstance(raw, dict):
        raise fail(f"{where} must be an object, got {_kind(raw)}")
    order = raw.get("order", index + 1)
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise fail(f"{where}.order must be a positive integer, got {order!r}")
    role = raw.get("role")
    if role not in ROLES:
        raise fail(f"{where}.role is {role!r}; expected 'counselor' or 'caller'")
    text = raw.get("text")
    if not isinstance(text, str):
        raise fail(f"{where}.text must be a string, got {_kind(text)}")
    status = raw.get("status", "done")
    if status not in TURN_STATUSES:
        raise fail(f"{where}.status is {status!r}; expected 'done', 'interrupted' or 'partial'")
    source = raw.get("input")
    if source not in INPUTS:
        raise fail(f"{where}.input is {source!r}; expected 'typed', 'spoken' or null")
    return TranscriptTurn(
        order=order,
        role=role,
        text=text,
        status=status,
        input=source,
        started_at=_time(raw.get("started_at"), f"{where}.started_at", fail),
        ended_at=_time(raw.get("ended_at"), f"{where}.ended_at", fail),
    )


def _time(value: Any, where: str, fail) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise fail(f"{where} must be an ISO 8601 time string or null, got {_kind(value)}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"{where} is not an ISO 8601 time: {value[:40]!r}") from None
    if moment.tzinfo is None:
        raise fail(f"{where} has no time zone: {value[:40]!r} (write e.g. +00:00)")
    return moment


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )
