"""Assignments, reviews, the review queue and the progress table, on both engines (no roles here:
test_team.py checks who sees what on PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from proto_trainer_tui.store import StoreError
from proto_trainer_tui.store.programme import assignment_status

from .postgres_fixtures import open_store, pg_cluster, pg_url, store  # noqa: F401 (fixtures)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MISSED = {"flags": [{"severity": "critical", "kind": "missed_risk_inquiry", "message": "never asked"},
                    {"severity": "minor", "kind": "personal_data", "message": "x"}]}


def call(store, scenario_id: str, *, evaluated: str | None = None, report: dict | None = None,
         complete: bool = True, at: datetime | None = None) -> int:
    session = store.start_session(scenario_id=scenario_id, scenario_title=scenario_id.replace("-", " ").title(),
                                  server="embedded", mode="typed", record=False, started_at=at)
    if complete:
        store.end_session(session.id)
    if evaluated:
        store.save_evaluation(session.id, report or {}, grade=evaluated, evaluator="rubric")
    return session.id


@pytest.mark.parametrize(("done", "started", "due", "status"), [
    (True, True, NOW - timedelta(days=1), "done"),
    (False, True, NOW - timedelta(days=1), "overdue"),
    (False, False, NOW - timedelta(days=1), "overdue"),
    (False, True, NOW + timedelta(days=1), "in progress"),
    (False, False, None, "not started"),
])
def test_assignment_status(done, started, due, status):
    assert assignment_status(done, started, due, NOW) == status


def test_an_assignment_goes_from_not_started_to_done_when_an_evaluated_call_completes(store):
    [first] = store.assign("plan-and-means", trainees=[store.user], due_at=NOW + timedelta(days=7),
                           notes="Ask about suicide directly.")
    store.assign("panic-attack-at-work", trainees=[store.user])
    mine = store.my_assignments(now=NOW)
    assert [(a.scenario_id, a.status, a.notes) for a in mine] == [
        ("plan-and-means", "not started", "Ask about suicide directly."),
        ("panic-attack-at-work", "not started", ""),
    ]
    call(store, "plan-and-means", complete=False)
    assert store.my_assignments(now=NOW)[0].status == "in progress"
    call(store, "plan-and-means", evaluated="B", report=MISSED)
    done = store.my_assignments(now=NOW)[0]
    assert (done.id, done.status, done.grade, done.flags) == (first, "done", "B", "missed_risk_inquiry")
    assert store.my_assignments(now=NOW + timedelta(days=30))[1].status == "not started"  # no due date


def test_a_call_made_before_the_assignment_does_not_complete_it(store):
    call(store, "plan-and-means", evaluated="A", at=datetime.now(UTC) - timedelta(days=2))
    store.assign("plan-and-means", trainees=[store.user])
    assert store.my_assignments()[0].status == "not started"


def test_a_review_overrides_the_grade_with_a_reason_and_leaves_the_queue(store):
    calm = call(store, "panic-attack-at-work", evaluated="A")
    risky = call(store, "plan-and-means", evaluated="B", report=MISSED)
    call(store, "plan-and-means", complete=False)  # not finished: not in the queue
    call(store, "plan-and-means")  # not evaluated yet: not in the queue
    queue = store.review_queue()
    assert [(q.session_id, q.critical_flags) for q in queue] == [(risky, "missed_risk_inquiry"), (calm, None)]
    with pytest.raises(StoreError, match="reason"):
        store.add_review(risky, "Never asked about suicide.", grade="D")
    store.add_review(risky, "Never asked about suicide.", grade="D", reason="Risk inquiry is a must-pass item.")
    [review] = store.reviews(risky)
    assert (review.note, review.grade, review.reason, review.reviewer) == (
        "Never asked about suicide.", "D", "Risk inquiry is a must-pass item.", store.user)
    assert store.grade(risky) == "D" and store.evaluation(risky) == MISSED
    assert {s.id: s.grade for s in store.list_sessions()}[risky] == "D"  # what the history shows
    assert [q.session_id for q in store.review_queue()] == [calm]


def test_progress_lists_each_trainee_and_assignment(store):
    store.assign("plan-and-means", trainees=["zoe", store.user], due_at=NOW - timedelta(days=1))
    call(store, "plan-and-means", evaluated="C")
    rows = [(a.trainee, a.scenario_id, a.status, a.grade) for a in store.progress(now=NOW)]
    expected = [("zoe", "plan-and-means", "overdue", None), (store.user, "plan-and-means", "done", "C")]
    assert rows == sorted(expected, key=lambda row: row[0])  # the table is ordered by trainee


def test_assigned_scenarios_come_first_open_work_before_done():
    from types import SimpleNamespace

    from proto_trainer_tui.store.programme import Assignment, assigned_first, assignment_label

    library = [SimpleNamespace(id=name) for name in ("a", "b", "c", "d")]

    def assignment(n, scenario_id, status, due):
        return Assignment(n, scenario_id, "me", None, due, "", "sue", status, None, None)

    later, sooner = NOW + timedelta(days=9), NOW + timedelta(days=2)
    shown = assigned_first(library, [assignment(1, "d", "done", sooner), assignment(2, "c", "in progress", later),
                                     assignment(3, "b", "not started", sooner), assignment(4, "c", "done", sooner),
                                     assignment(5, "gone", "not started", None)])
    assert [(s.id, a and a.id) for s, a in shown] == [("b", 3), ("c", 2), ("d", 1), ("a", None)]
    assert assignment_label(shown[0][1]).startswith("assigned · due 2026-12-0")
    assert assignment_label(shown[0][1]).endswith(" · not started")
