"""Session export: the documented JSON form (docs/data.md) and Markdown for people. Pure."""

from __future__ import annotations

import re
from datetime import datetime

from .records import SessionRecord, TurnRecord, format_duration

FORMAT = "proto-trainer-session"
VERSION = 1
ROLE_NAMES = {"counselor": "Counselor", "caller": "Caller"}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


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
_LINE_START = re.compile(r"^(\s*)(-|\d+[.)]|=+$)", re.M)


def md_escape(text: str) -> str:
    """Text that Markdown shows literally: no emphasis, links, code, HTML or lists."""
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


def session_markdown(session: SessionRecord, turns: list[TurnRecord], evaluation: dict | None,
                     grade: str | None = None) -> str:
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
    return "\n".join(lines).rstrip() + "\n"
