"""The training programme's part of the store: assignments, supervisor reviews, the review queue
and the cohort progress table. The same queries on both engines; on PostgreSQL row-level
security (``team.py``) narrows every one of them to what the person may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, insert, select

from .engine import StoreError
from .grades import call_grade
from .records import utc_now
from .tables import assignments, cohort_members, evaluations, reviews, sessions

ASSIGNMENT_STATUSES = ("not started", "in progress", "done", "overdue")


@dataclass(frozen=True)
class Assignment:
    id: int
    scenario_id: str
    trainee: str
    cohort: str | None
    due_at: datetime | None
    notes: str
    assigned_by: str | None
    status: str  # one of ASSIGNMENT_STATUSES
    grade: str | None  # of the latest evaluated call (the supervisor's, when overridden)
    flags: str | None  # critical flag kinds of that call, comma-separated


@dataclass(frozen=True)
class Review:
    id: int
    session_id: int
    reviewer: str | None
    created_at: datetime
    note: str
    grade: str | None
    reason: str | None


@dataclass(frozen=True)
class QueueEntry:
    session_id: int
    trainee: str | None
    scenario_title: str
    started_at: datetime
    grade: str
    critical_flags: str | None


def assignment_status(done: bool, started: bool, due_at: datetime | None, now: datetime) -> str:
    """Done when a completed call of the scenario has an evaluation; overdue when not done by the due date."""
    if done:
        return "done"
    if due_at is not None and due_at < now:
        return "overdue"
    return "in progress" if started else "not started"


class ProgrammeQueries:
    """Mixed into Store: needs ``_rows``, ``_transaction`` and ``user``."""

    # --- assignments -------------------------------------------------------------------

    def assign(self, scenario_id: str, *, trainees: list[str] = (), cohort: str | None = None,
               due_at: datetime | None = None, notes: str = "") -> list[int]:
        """Assign a scenario to people, or to every trainee of a cohort; returns the new ids."""
        people = list(trainees)
        if cohort is not None:
            found = [r[0] for r in self._rows(select(cohort_members.c.person).where(
                cohort_members.c.cohort == cohort, cohort_members.c.kind == "trainee").order_by(cohort_members.c.person))]
            if not found:
                raise StoreError(f"no trainees in cohort {cohort!r} (or none you supervise)")
            people += found
        if not people:
            raise StoreError("assign to at least one trainee, or to a cohort")
        now = utc_now()
        with self._transaction() as db:
            return [db.execute(insert(assignments).values(
                scenario_id=scenario_id, trainee=person, cohort=cohort, due_at=due_at, notes=notes,
                assigned_by=self.user, created_at=now).returning(assignments.c.id)).scalar_one()
                for person in dict.fromkeys(people)]

    def assignments(self, trainee: str | None = None, *, cohort: str | None = None,
                    now: datetime | None = None) -> list[Assignment]:
        """Assignments with their status, soonest due first; ``trainee=None`` lists all one may see."""
        a, s = assignments.c, sessions.c
        attempt = and_(s.owner == a.trainee, s.scenario_id == a.scenario_id, s.started_at >= a.created_at)
        evaluated = and_(attempt, s.status == "complete", exists().where(evaluations.c.session_id == s.id))
        latest = (select(s.id).where(evaluated).order_by(s.started_at.desc(), s.id.desc()).limit(1)
                  .correlate(assignments).scalar_subquery())
        query = select(a.id, a.scenario_id, a.trainee, a.cohort, a.due_at, a.notes, a.assigned_by,
                       exists().where(attempt).correlate(assignments), latest)
        if trainee is not None:
            query = query.where(a.trainee == trainee)
        if cohort is not None:
            query = query.where(a.trainee.in_(select(cohort_members.c.person).where(cohort_members.c.cohort == cohort)))
        now = now or utc_now()
        rows = self._rows(query.order_by(a.due_at.is_(None), a.due_at, a.trainee, a.id))
        outcome = self._outcomes({r[8] for r in rows if r[8] is not None})
        return [Assignment(id=r[0], scenario_id=r[1], trainee=r[2], cohort=r[3], due_at=r[4], notes=r[5],
                           assigned_by=r[6], status=assignment_status(r[8] is not None, r[7], r[4], now),
                           grade=outcome.get(r[8], (None, None))[0], flags=outcome.get(r[8], (None, None))[1])
                for r in rows]

    def _outcomes(self, session_ids: set[int]) -> dict[int, tuple[str | None, str | None]]:
        """session id -> (grade, critical flags) of its latest evaluation, the supervisor's grade winning."""
        if not session_ids:
            return {}
        e, s = evaluations.c, sessions.c
        flags: dict[int, str | None] = {}
        for session_id, critical in self._rows(select(e.session_id, e.critical_flags)
                                               .where(e.session_id.in_(session_ids)).order_by(e.id)):
            flags[session_id] = critical  # the latest evaluation's
        return {session_id: (grade, flags.get(session_id))
                for session_id, grade in self._rows(select(s.id, call_grade(s.id)).where(s.id.in_(session_ids)))}

    def my_assignments(self, now: datetime | None = None) -> list[Assignment]:
        return self.assignments(self.user, now=now)

    # --- reviews -----------------------------------------------------------------------

    def add_review(self, session_id: int, note: str, *, grade: str | None = None, reason: str | None = None) -> int:
        """A supervisor's note on a call, with a grade that overrides the evaluation's (and why)."""
        self.get_session(session_id)
        if grade is not None and not (reason or "").strip():
            raise StoreError("a grade override needs a reason")
        if not note.strip() and grade is None:
            raise StoreError("a review needs a note or a grade")
        with self._transaction() as db:
            return db.execute(insert(reviews).values(
                session_id=session_id, reviewer=self.user, created_at=utc_now(), note=note, grade=grade,
                reason=reason if grade is not None else None).returning(reviews.c.id)).scalar_one()

    def reviews(self, session_id: int) -> list[Review]:
        r = reviews.c
        rows = self._rows(select(r.id, r.session_id, r.reviewer, r.created_at, r.note, r.grade, r.reason)
                          .where(r.session_id == session_id).order_by(r.id))
        return [Review(*row) for row in rows]

    def review_queue(self, limit: int = 200) -> list[QueueEntry]:
        """Evaluated calls nobody has reviewed yet, of those one may see (on PostgreSQL: one's cohorts):
        those with critical flags first, then oldest first."""
        s, e = sessions.c, evaluations.c
        # The latest evaluation of every session at once (one grouped scan), not one lookup per session.
        latest = (select(e.session_id, func.max(e.id).label("id")).group_by(e.session_id)
                  .subquery("latest"))
        query = (select(s.id, s.owner, s.scenario_title, s.started_at, e.grade, e.critical_flags)
                 .select_from(sessions.join(latest, latest.c.session_id == s.id)
                              .join(evaluations, e.id == latest.c.id))
                 .where(s.status == "complete", ~exists().where(reviews.c.session_id == s.id)))
        rows = self._rows(query.order_by(e.critical_flags.is_(None), s.started_at, s.id).limit(limit))
        return [QueueEntry(*row) for row in rows]

    # --- progress ----------------------------------------------------------------------

    def progress(self, cohort: str | None = None, now: datetime | None = None) -> list[Assignment]:
        """The cohort progress table: one row per trainee and assignment."""
        return sorted(self.assignments(cohort=cohort, now=now),
                      key=lambda a: (a.trainee, a.due_at is None, a.due_at.timestamp() if a.due_at else 0, a.id))


def assigned_first(scenarios: list, assigned: list[Assignment]) -> list[tuple[object, Assignment | None]]:
    """The scenario list as a trainee sees it: assigned scenarios first (open work before done, the
    soonest due first), each with its assignment, then the others in their usual order. Pure."""
    pressing: dict[str, Assignment] = {}
    for a in sorted(assigned, key=_urgency):
        pressing.setdefault(a.scenario_id, a)
    known = {s.id: s for s in scenarios}
    first = [(known[a.scenario_id], a) for a in pressing.values() if a.scenario_id in known]
    return first + [(s, None) for s in scenarios if s.id not in pressing]


def _urgency(a: Assignment) -> tuple:
    return (a.status == "done", a.due_at is None, a.due_at.timestamp() if a.due_at else 0, a.id)


def assignment_label(a: Assignment) -> str:
    """One line for a scenario list: 'assigned · due 2026-12-15 · overdue'."""
    due = f" · due {a.due_at.astimezone():%Y-%m-%d}" if a.due_at else ""
    return f"assigned{due} · {a.status}"
