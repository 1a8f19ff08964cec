"""``proto-trainer team init | add-trainee NAME --cohort C | add-supervisor NAME --cohort C | list``
(PostgreSQL, run by the database's administrator)."""

from __future__ import annotations

import argparse
import secrets
import sys

from ..text import one_line
from . import ConfigError, add_data_dir, fail, open_store


def add_parser(commands) -> None:
    team = commands.add_parser(
        "team", help="set up a shared PostgreSQL database for a training programme (administrator)",
        description="Run with --database-url (or PROTO_TRAINER_DATABASE_URL) pointing at the database as its "
        "owner. Each person gets their own PostgreSQL role; row-level security decides what they see.")
    add_data_dir(team)
    actions = team.add_subparsers(dest="team_command", metavar="ACTION", required=True)
    add_data_dir(actions.add_parser("init", help="create the tables, group roles and policies (safe to run twice)"))
    for kind in ("trainee", "supervisor"):
        person = actions.add_parser(f"add-{kind}", help=f"add a {kind} (a PostgreSQL login role) to a cohort")
        person.add_argument("name", metavar="NAME", help="their role name: lowercase letters, digits, _")
        person.add_argument("--cohort", required=True, metavar="COHORT")
        person.add_argument("--password-stdin", action="store_true",
                            help="read their password from standard input (default: make one and print it once)")
        person.add_argument("--no-password", action="store_true",
                            help="set no password (certificate or peer authentication, set up in pg_hba.conf)")
        add_data_dir(person)
    add_data_dir(actions.add_parser("list", help="print cohorts and their people"))


def run(args: argparse.Namespace) -> int:
    from ..store import StoreError
    from ..store import team

    try:
        with open_store(args) as store:
            if args.team_command == "init":
                team.init(store)
                print(f"team tables, roles and policies ready in {store.where}")
                return 0
            if args.team_command == "list":
                for cohort, person, kind in team.members(store):
                    print(f"{one_line(cohort)}\t{kind}\t{person}")
                return 0
            kind = args.team_command.removeprefix("add-")
            password = None
            if args.password_stdin:
                password = sys.stdin.readline().rstrip("\n")
                if not password:
                    return fail("no password on standard input")
            elif not args.no_password:
                password = secrets.token_urlsafe(15)
            created = team.add_person(store, args.name, kind, args.cohort, password)
            print(f"{'added' if created else 'updated'} {kind} {args.name} in cohort {one_line(args.cohort)}")
            if password and not args.password_stdin:
                print(f"password for {args.name} (shown once; they keep it in ~/.pgpass): {password}")
            return 0
    except (StoreError, ConfigError) as exc:
        return fail(str(exc))
