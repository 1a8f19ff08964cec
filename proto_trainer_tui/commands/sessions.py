"""``proto-trainer sessions list | export ID | delete ID``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from ..text import local_time, one_line
from . import ConfigError, add_data_dir, fail, open_store


def add_parser(commands) -> None:
    sessions = commands.add_parser("sessions", help="list, export or delete saved practice sessions")
    add_data_dir(sessions)
    actions = sessions.add_subparsers(dest="sessions_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="print saved sessions, newest first")
    listing.add_argument("--search", metavar="TEXT", help="only sessions whose scenario matches TEXT")
    add_data_dir(listing)
    export = actions.add_parser("export", help="write one session as Markdown or JSON")
    export.add_argument("id", type=int, metavar="ID", help="session id ('sessions list' shows them)")
    export.add_argument("--format", choices=("md", "json"), default="md", help="md (default) or json")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    add_data_dir(export)
    delete = actions.add_parser("delete", help="delete a session and its recording")
    delete.add_argument("id", type=int, metavar="ID")
    delete.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    add_data_dir(delete)


def run(args: argparse.Namespace, *, ask: Callable[[str], str] = input,
        interactive: Callable[[], bool] = lambda: sys.stdin.isatty()) -> int:
    from ..store import StoreError

    try:
        with open_store(args) as store:
            if args.sessions_command == "list":
                return list_sessions(store, args.search)
            if args.sessions_command == "export":
                return export_session(store, args.id, args.format, args.output)
            return delete_session(store, args.id, args.yes, ask, interactive)
    except (StoreError, ConfigError) as exc:
        return fail(str(exc))


def list_sessions(store, search: str | None) -> int:
    from ..store import format_duration

    sessions = store.list_sessions(search)
    if not sessions:
        print("no saved sessions" + (f" matching {search!r}" if search else ""))
        return 0
    print(f"{'ID':>5}  {'DATE':<16}  {'DURATION':>8}  {'TURNS':>5}  {'GRADE':<5}  {'STATUS':<10}  SCENARIO")
    for s in sessions:
        print(f"{s.id:>5}  {local_time(s.started_at):<16}  {format_duration(s.duration):>8}  {s.turn_count:>5}  "
              f"{s.grade or '–':<5}  {s.status:<10}  {one_line(s.scenario_title)}")
    return 0


def export_session(store, session_id: int, form: str, output: str | None) -> int:
    from ..store.export import session_json, session_markdown

    session = store.get_session(session_id)
    turns, evaluation = store.turns(session_id), store.evaluation(session_id)
    if form == "json":
        text = json.dumps(session_json(session, turns, evaluation), indent=2, ensure_ascii=False) + "\n"
    else:
        text = session_markdown(session, turns, evaluation, store.grade(session_id), store.reviews(session_id))
    if output is None:
        sys.stdout.write(text)
        return 0
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        return fail(f"cannot write {output}: {exc.strerror or exc}")
    print(f"session {session_id} written to {output}", file=sys.stderr)
    return 0


def delete_session(store, session_id: int, yes: bool, ask, interactive) -> int:
    session = store.get_session(session_id)
    if not yes:
        if not interactive():
            return fail("not deleting without confirmation: add --yes")
        recording = " and its recording" if session.recording_path else ""
        answer = ask(f"Delete session {session_id} ({session.scenario_title}, {local_time(session.started_at)})"
                     f"{recording}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("not deleted")
            return 1
    store.delete_session(session_id)
    print(f"deleted session {session_id}")
    return 0
