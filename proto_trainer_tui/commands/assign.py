"""``proto-trainer assign SCENARIO --to NAME | --cohort C``, ``assignments`` and ``progress``."""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import date, datetime, time

from ..text import local_time, one_line
from . import ConfigError, add_data_dir, fail, open_store

PROGRESS_COLUMNS = ("trainee", "scenario", "due", "status", "grade", "critical_flags")


def add_parser(commands) -> None:
    assign = commands.add_parser("assign", help="assign a scenario to trainees or a cohort (supervisor)")
    assign.add_argument("scenario", metavar="SCENARIO", help="scenario id ('scenarios list' shows them)")
    assign.add_argument("--to", action="append", default=[], metavar="NAME", help="a trainee (repeat for more)")
    assign.add_argument("--cohort", metavar="COHORT", help="every trainee of this cohort")
    assign.add_argument("--due", metavar="DATE", type=due_date, help="YYYY-MM-DD (end of that day) or an ISO time")
    assign.add_argument("--notes", default="", metavar="TEXT", help="what to work on")
    add_data_dir(assign)
    listing = commands.add_parser("assignments", help="assignments and their status (yours, by default)")
    listing.add_argument("--trainee", metavar="NAME", help="this trainee's (supervisor)")
    listing.add_argument("--all", action="store_true", help="every assignment you may see")
    add_data_dir(listing)
    progress = commands.add_parser("progress", help="the cohort progress table: trainee x assignment")
    progress.add_argument("--cohort", metavar="COHORT", help="only this cohort")
    progress.add_argument("--csv", metavar="FILE", help="write it as CSV to FILE ('-': standard output)")
    add_data_dir(progress)


def due_date(text: str) -> datetime:
    """A day means the end of that day, local time; stored in UTC."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(23, 59, 59)).astimezone()
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
    return moment if moment.tzinfo else moment.astimezone()


def run(args: argparse.Namespace) -> int:
    from ..store import StoreError

    try:
        with open_store(args) as store:
            if args.command == "assign":
                return assign(store, args)
            if args.command == "assignments":
                rows = store.assignments(None if args.all else args.trainee or store.user)
                return print_assignments(rows)
            return progress(store, args.cohort, args.csv)
    except (StoreError, ConfigError, OSError) as exc:
        return fail(str(exc))


def assign(store, args: argparse.Namespace) -> int:
    from ..scenarios import UnknownScenario, get_scenario

    try:
        scenario = get_scenario(args.scenario, imported=store.imported_scenarios())
    except UnknownScenario as exc:
        return fail(str(exc).strip("'\""))
    ids = store.assign(scenario.id, trainees=args.to, cohort=args.cohort, due_at=args.due, notes=args.notes)
    due = f", due {local_time(args.due)}" if args.due else ""
    print(f"assigned {one_line(scenario.title)} ({scenario.id}) to {len(ids)} trainee(s){due}")
    return 0


def print_assignments(rows) -> int:
    if not rows:
        print("no assignments")
        return 0
    print(f"{'DUE':<16}  {'STATUS':<11}  {'GRADE':<5}  {'TRAINEE':<16}  SCENARIO / NOTES")
    for a in rows:
        notes = f" / {one_line(a.notes)}" if a.notes else ""
        print(f"{local_time(a.due_at):<16}  {a.status:<11}  {a.grade or '–':<5}  {one_line(a.trainee):<16}  "
              f"{one_line(a.scenario_id)}{notes}")
    return 0


def progress(store, cohort: str | None, to_csv: str | None) -> int:
    rows = store.progress(cohort)
    if to_csv is None:
        return print_assignments(rows)
    out = sys.stdout if to_csv == "-" else open(to_csv, "w", newline="", encoding="utf-8")  # noqa: SIM115
    try:
        writer = csv.writer(out)
        writer.writerow(PROGRESS_COLUMNS)
        for a in rows:
            writer.writerow([a.trainee, a.scenario_id, a.due_at.isoformat() if a.due_at else "", a.status,
                             a.grade or "", a.flags or ""])
    finally:
        if out is not sys.stdout:
            out.close()
    if to_csv != "-":
        print(f"wrote {len(rows)} row(s) to {to_csv}")
    return 0
