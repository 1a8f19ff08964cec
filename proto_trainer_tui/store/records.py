"""Plain records the store hands out: no SQLite types ever leave the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

Role = Literal["counselor", "caller"]
TurnStatus = Literal["partial", "done", "interrupted"]
TurnInput = Literal["typed", "spoken"]
SessionMode = Literal["voice", "typed"]
SessionStatus = Literal["active", "complete", "incomplete"]

ROLES = ("counselor", "caller")
TURN_STATUSES = ("partial", "done", "interrupted")
TURN_INPUTS = ("typed", "spoken")
SESSION_MODES = ("voice", "typed")
SESSION_STATUSES = ("active", "complete", "incomplete")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TurnRecord:
    turn_order: int
    role: Role
    text: str
    status: TurnStatus
    input: TurnInput | None
    started_at: datetime
    ended_at: datetime | None = None


@dataclass(frozen=True)
class SessionRecord:
    id: int
    scenario_id: str
    scenario_title: str
    server: str
    mode: SessionMode
    started_at: datetime
    ended_at: datetime | None
    status: SessionStatus
    recording_path: Path | None


@dataclass(frozen=True)
class SessionSummary:
    """One line of the history: what `sessions list` and the history screen show."""

    id: int
    started_at: datetime
    ended_at: datetime | None
    scenario_id: str
    scenario_title: str
    turn_count: int
    grade: str | None
    status: SessionStatus

    @property
    def duration(self) -> timedelta | None:
        return None if self.ended_at is None else self.ended_at - self.started_at


def format_duration(duration: timedelta | None) -> str:
    if duration is None:
        return "–"
    seconds = max(0, int(duration.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def iso(moment: datetime | None) -> str | None:
    """A moment as ISO 8601 text (exports and the local outbox), None kept as None."""
    return None if moment is None else moment.isoformat()
