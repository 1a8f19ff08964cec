"""Session export: the documented JSON form (docs/data.md) and Markdown for people. Pure."""

from __future__ import annotations

import re
from datetime import datetime

from ..text import printable
from .records import iso as _iso
from .records import (
    SESSION_MODES,
    SESSION_STATUSES,
    TURN_INPUTS,
    TURN_STATUSES,
    SessionRecord,
    TurnRecord,
    format_duration,
)

FORMAT = "proto-trainer-session"
VERSION = 1
ROLE_NAMES = {"counselor": "Counselor", "caller": "Caller"}


def session_json(session: SessionRecord, turns: list[TurnRecord], evaluation: dict | None) -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        "session": {
            "id": session.id,
            "scenario_id": session.scenario_id,
            "scenario_title": session.scenario_title,
            "server": session.server,
            "mode": session.mode,
            "started_at": _iso(session.started_at),
            "ended_at": _iso(session.ended_at),
            "status": session.status,
            "recording": None if session.recording_path is None else str(session.recording_path),
        },
        "turns": [
            {
                "order": t.turn_order,
                "role": t.role,
                "text": t.text,
                "status": t.status,
                "input": t.input,
                "started_at": _iso(t.started_at),
                "ended_at": _iso(t.ended_at),
            }
            for t in turns
        ],
        "evaluation": evaluation,
    }


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")
_LINE_START = re.compile(r"^(\s*)(-|\d+[.)]|=+$)", re.MULTILINE)


def md_escape(text: str) -> str:
    """Text that Markdown shows literally: no emphasis, links, code, HTML, lists or terminal escapes."""
    escaped = _MD_SPECIAL.sub(r"\\\1", printable(text))
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


def session_markdown(session: SessionRecord, turns: list[TurnRecord], evaluation: dict | None,
                     grade: str | None = None, reviews=()) -> str:
    duration = None if session.ended_at is None else session.ended_at - session.started_at
    lines = [
        f"# Practice session {session.id}: {md_escape(session.scenario_title)}",
        "",
        f"- Scenario: {md_escape(session.scenario_title)} ({md_escape(session.scenario_id)})",
        f"- Started: {session.started_at:%Y-%m-%d %H:%M:%S} UTC",
        f"- Duration: {format_duration(duration)}",
        f"- Status: {session.status}",
        f"- Mode: {session.mode}; server: {md_escape(session.server)}",
    ]
    if session.recording_path is not None:
        lines.append(f"- Recording: {md_escape(str(session.recording_path))}")
    lines += ["", "## Transcript", ""]
    if not turns:
        lines += ["(no turns)", ""]
    for turn in turns:
        note = {"interrupted": " (cut off)", "partial": " (unfinished)"}.get(turn.status, "")
        spoken = f" · {turn.input}" if turn.input else ""
        body = "  \n".join(md_escape(line) for line in turn.text.splitlines()) or "(silence)"
        lines += [f"**{ROLE_NAMES[turn.role]}**{note} · {turn.started_at:%H:%M:%S}{spoken}  ", body, ""]
    if evaluation is not None:
        lines += ["## Evaluation", ""]
        grade = grade if grade is not None else evaluation.get("grade")
        if grade is not None:
            lines.append(f"Grade: **{md_escape(str(grade))}**")
            lines.append("")
        if evaluation.get("summary"):
            lines += [md_escape(str(evaluation["summary"])), ""]
    if reviews:  # a supervisor's notes (store.programme.Review)
        lines += ["## Supervisor review", ""]
        for review in reviews:
            override = f" Grade **{md_escape(review.grade)}**: {md_escape(review.reason or '')}" if review.grade else ""
            lines += [f"- {md_escape(review.reviewer or '–')}, {review.created_at:%Y-%m-%d %H:%M} UTC: "
                      f"{md_escape(review.note)}{override}"]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


class ExportFormatError(ValueError):
    """A JSON file that is not a proto-trainer session export (the message says what is wrong)."""


def read_session_json(data: dict) -> tuple[SessionRecord, list[TurnRecord], dict | None]:
    """The records back from :func:`session_json` output (e.g. ``evaluate --transcript FILE.json``)."""
    from pathlib import Path

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ExportFormatError(f"not a proto-trainer session export (expected \"format\": \"{FORMAT}\")")
    if data.get("version") != VERSION:
        raise ExportFormatError(f"unsupported export version {data.get('version')!r}; this app reads {VERSION}")
    try:
        s = data["session"]
        session = SessionRecord(
            id=int(s["id"]), scenario_id=str(s["scenario_id"]), scenario_title=str(s["scenario_title"]),
            server=str(s["server"]), mode=_one_of(s["mode"], SESSION_MODES), started_at=_when(s["started_at"]),
            ended_at=_when(s.get("ended_at")), status=_one_of(s["status"], SESSION_STATUSES),
            recording_path=Path(s["recording"]) if s.get("recording") else None,
        )
        turns = [
            TurnRecord(turn_order=int(t["order"]), role=_one_of(t["role"], ROLE_NAMES), text=str(t["text"]),
                       status=_one_of(t["status"], TURN_STATUSES), input=_one_of(t.get("input"), (*TURN_INPUTS, None)),
                       started_at=_when(t["started_at"]), ended_at=_when(t.get("ended_at")))
            for t in data["turns"]
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise ExportFormatError(f"malformed session export: {exc!r}") from None
    evaluation = data.get("evaluation")
    return session, turns, evaluation if isinstance(evaluation, dict) else None


def _when(text: str | None) -> datetime | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"timestamp without a time zone: {text}")
    return moment


def _one_of(value, allowed):
    if value not in allowed:
        raise ValueError(f"{value!r} is not one of {tuple(allowed)}")
    return value
