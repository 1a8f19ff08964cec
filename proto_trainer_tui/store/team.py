"""A training programme on PostgreSQL: group roles, grants and row-level security.

Each person connects as their own login role, a member of ``proto_trainee`` or
``proto_supervisor``; the database, not the app, decides what they see:

- a trainee sees and changes only their own sessions, turns and recordings; sees and adds
  evaluations of their own sessions but never changes one; reads the reviews of their
  sessions and their own assignments, and cannot write either;
- a supervisor also reads the sessions, turns, evaluations and recordings of the trainees of
  their cohorts, writes their own reviews of those sessions, and assigns scenarios to them.

The administrator (the role that owns the tables) runs ``team init`` and ``team add-...``.
Everything here is safe to run twice.
"""

from __future__ import annotations

import re

from sqlalchemy import text

from .engine import TEAM_INIT_LOCK, StoreError

TRAINEE, SUPERVISOR = "proto_trainee", "proto_supervisor"
KINDS = {"trainee": TRAINEE, "supervisor": SUPERVISOR}
NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")

# A session is visible to its owner, and (read only) to a supervisor of the owner's cohort.
# The helper functions run as their owner (SECURITY DEFINER), so they can read cohort_members
# whatever its own policies; the person asking is passed in as current_user. Cohort policies use
# uncorrelated IN (...) lists, which PostgreSQL computes once per query (a hashed subplan), not
# once per row: the supervisor's queue over 10,000 sessions stays fast.
_FUNCTIONS = """
CREATE OR REPLACE FUNCTION proto_trainees_of(supervisor text) RETURNS SETOF text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT them.person FROM cohort_members me JOIN cohort_members them ON them.cohort = me.cohort
    WHERE me.person = $1 AND me.kind = 'supervisor' AND them.kind = 'trainee'
$$;
CREATE OR REPLACE FUNCTION proto_supervises_cohort(supervisor text, cohort_name text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM cohort_members m WHERE m.person = $1 AND m.kind = 'supervisor' AND m.cohort = $2)
$$;
REVOKE ALL ON FUNCTION proto_trainees_of(text), proto_supervises_cohort(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION proto_trainees_of(text), proto_supervises_cohort(text, text)
    TO proto_trainee, proto_supervisor;
"""

_GRANTS = """
GRANT USAGE ON SCHEMA public TO proto_trainee, proto_supervisor;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO proto_trainee, proto_supervisor;
GRANT SELECT ON alembic_version, scenarios, cohort_members, assignments, reviews TO proto_trainee, proto_supervisor;
GRANT SELECT, INSERT, UPDATE, DELETE ON sessions, turns, recording_chunks TO proto_trainee, proto_supervisor;
GRANT SELECT, INSERT ON evaluations TO proto_trainee, proto_supervisor;
GRANT INSERT, UPDATE ON scenarios TO proto_supervisor;
GRANT INSERT, UPDATE, DELETE ON assignments, reviews TO proto_supervisor;
"""

_COHORT = "(SELECT proto_trainees_of(current_user))"
# Own rows: a primary-key lookup per row, cheapest for the one-row writes a call makes.
_OWN_SESSION = "EXISTS (SELECT 1 FROM sessions s WHERE s.id = session_id AND s.owner = current_user)"
_COHORT_SESSION = f"session_id IN (SELECT s.id FROM sessions s WHERE s.owner IN {_COHORT})"

# (table, policy, command, roles, USING, WITH CHECK)
_POLICIES = (
    ("sessions", "own", "ALL", "proto_trainee, proto_supervisor", "owner = current_user", "owner = current_user"),
    ("sessions", "cohort_read", "SELECT", "proto_supervisor", f"owner IN {_COHORT}", None),
    ("turns", "own", "ALL", "proto_trainee, proto_supervisor", _OWN_SESSION, _OWN_SESSION),
    ("turns", "cohort_read", "SELECT", "proto_supervisor", _COHORT_SESSION, None),
    ("recording_chunks", "own", "ALL", "proto_trainee, proto_supervisor", _OWN_SESSION, _OWN_SESSION),
    ("recording_chunks", "cohort_read", "SELECT", "proto_supervisor", _COHORT_SESSION, None),
    ("evaluations", "own_read", "SELECT", "proto_trainee, proto_supervisor", _OWN_SESSION, None),
    ("evaluations", "own_add", "INSERT", "proto_trainee, proto_supervisor", None, _OWN_SESSION),
    ("evaluations", "cohort_read", "SELECT", "proto_supervisor", _COHORT_SESSION, None),
    ("reviews", "own_session_read", "SELECT", "proto_trainee, proto_supervisor", _OWN_SESSION, None),
    ("reviews", "cohort_read", "SELECT", "proto_supervisor", _COHORT_SESSION, None),
    ("reviews", "reviewer_writes", "ALL", "proto_supervisor",
     f"reviewer = current_user AND {_COHORT_SESSION}", f"reviewer = current_user AND {_COHORT_SESSION}"),
    ("assignments", "trainee_read", "SELECT", "proto_trainee, proto_supervisor", "trainee = current_user", None),
    ("assignments", "supervisor_all", "ALL", "proto_supervisor", f"trainee IN {_COHORT}", f"trainee IN {_COHORT}"),
    ("cohort_members", "self_read", "SELECT", "proto_trainee, proto_supervisor", "person = current_user", None),
    ("cohort_members", "cohort_read", "SELECT", "proto_supervisor", "proto_supervises_cohort(current_user, cohort)",
     None),
)


def _require_postgres(store) -> None:
    if store.dialect != "postgresql":
        raise StoreError("a team needs a shared PostgreSQL database: give --database-url postgresql://...")


def _role_exists(db, name: str) -> bool:
    return db.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": name}).first() is not None


def init(store) -> None:
    """Group roles, grants and policies (the tables are already there: opening the store migrated them)."""
    _require_postgres(store)
    with store._transaction() as db:
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": TEAM_INIT_LOCK})  # two admins at once: one waits
        for role in (TRAINEE, SUPERVISOR):
            if not _role_exists(db, role):
                db.execute(text(f"CREATE ROLE {role} NOLOGIN"))
        db.execute(text(_FUNCTIONS))
        db.execute(text(_GRANTS))
        for table in sorted({p[0] for p in _POLICIES}):
            db.execute(text(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"))
        for table, name, command, roles, using, check in _POLICIES:
            db.execute(text(f"DROP POLICY IF EXISTS {name} ON {table}"))
            clauses = (f" USING ({using})" if using else "") + (f" WITH CHECK ({check})" if check else "")
            db.execute(text(f"CREATE POLICY {name} ON {table} FOR {command} TO {roles}{clauses}"))


def add_person(store, name: str, kind: str, cohort: str, password: str | None) -> bool:
    """Create the login role (or add an existing one to the cohort); True when it was created.
    The password is hashed here (SCRAM) so it never travels or lands in a server log as text."""
    _require_postgres(store)
    if not NAME.fullmatch(name):
        raise StoreError(f"a person's name must be a lowercase database role name (letters, digits, _), got {name!r}")
    if not cohort.strip():
        raise StoreError("the cohort name must not be empty")
    group = KINDS[kind]
    with store._transaction() as db:
        if not _role_exists(db, group):
            raise StoreError("run 'proto-trainer team init' first")
        created = not _role_exists(db, name)
        if created:
            db.execute(text(f'CREATE ROLE "{name}" LOGIN'))
        if password:
            pgconn = db.connection.driver_connection.pgconn
            verifier = pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256").decode()
            escaped = verifier.replace(":", "\\:")  # base64, '$' and ':' (not a bind parameter): no quotes
            db.execute(text(f"ALTER ROLE \"{name}\" PASSWORD '{escaped}'"))
        db.execute(text(f'GRANT {group} TO "{name}"'))
        db.execute(text("INSERT INTO cohort_members (cohort, person, kind) VALUES (:c, :p, :k)"
                        " ON CONFLICT (cohort, person) DO UPDATE SET kind = excluded.kind"),
                   {"c": cohort.strip(), "p": name, "k": kind})
    return created


def members(store) -> list[tuple[str, str, str]]:
    """(cohort, person, kind) the caller may see, by cohort then name."""
    rows = store._rows(text("SELECT cohort, person, kind FROM cohort_members ORDER BY cohort, kind DESC, person"))
    return [tuple(r) for r in rows]
