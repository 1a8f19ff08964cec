"""``proto-trainer review queue | show ID | add ID --note TEXT [--grade G --reason TEXT]`` (supervisor)."""

from __future__ import annotations

import argparse

from ..text import local_time, one_line, printable
from . import ConfigError, add_data_dir, fail, open_store


def add_parser(commands) -> None:
    review = commands.add_parser("review", help="review trainees' calls: the queue, notes, grade overrides")
    add_data_dir(review)
    actions = review.add_subparsers(dest="review_command", metavar="ACTION", required=True)
    queue = actions.add_parser("queue", help="evaluated calls nobody has reviewed, critical flags first")
    queue.add_argument("--limit", type=int, default=50, metavar="N")
    add_data_dir(queue)
    show = actions.add_parser("show", help="a call's grade and its reviews")
    show.add_argument("id", type=int, metavar="ID")
    add_data_dir(show)
    add = actions.add_parser("add", help="add a review note, and a grade that overrides the evaluation's")
    add.add_argument("id", type=int, metavar="ID")
    add.add_argument("--note", required=True, metavar="TEXT")
    add.add_argument("--grade", metavar="GRADE", help="your grade, when you disagree with the evaluation")
    add.add_argument("--reason", metavar="TEXT", help="why (required with --grade)")
    add_data_dir(add)


def run(args: argparse.Namespace) -> int:
    from ..store import StoreError

    try:
        with open_store(args) as store:
            if args.review_command == "queue":
                entries = store.review_queue(args.limit)
                if not entries:
                    print("nothing to review")
                for q in entries:
                    flags = f"  CRITICAL: {q.critical_flags}" if q.critical_flags else ""
                    print(f"{q.session_id:>6}  {local_time(q.started_at)}  {q.grade:<3}  {one_line(q.trainee or '–'):<16}  "
                          f"{one_line(q.scenario_title)}{flags}")
                return 0
            if args.review_command == "add":
                store.add_review(args.id, args.note, grade=args.grade, reason=args.reason)
                print(f"review of session {args.id} saved")
                return 0
            session = store.get_session(args.id)
            print(f"session {session.id}: {one_line(session.scenario_title)}, grade {store.grade(args.id) or '–'}")
            for r in store.reviews(args.id):
                override = f" (grade {r.grade}: {printable(r.reason or '')})" if r.grade else ""
                print(f"- {local_time(r.created_at)} {one_line(r.reviewer or '–')}: {printable(r.note)}{override}")
            return 0
    except (StoreError, ConfigError) as exc:
        return fail(str(exc))
