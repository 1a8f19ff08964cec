"""The two engines behind the store: a SQLite file (the default) or a PostgreSQL server.

Everything that differs between them at connection time lives here: how a connection is
made and set up, how a database is brought to the current schema (Alembic, run in one
transaction), and how a URL is shown without its password.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from .schema import LEGACY_VERSION, MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
MIGRATION_LOCK = 7_318_615  # pg_advisory_lock key: one app at a time upgrades a shared database
TEAM_INIT_LOCK = 7_318_616  # and one administrator at a time sets up the roles (store/team.py)


class StoreError(Exception):
    """A problem with the session store, worded for the person using the app."""


class StoreUnavailable(StoreError):
    """The database server cannot be reached right now (the write may succeed later)."""


def redact_url(url: str) -> str:
    """The URL with any password replaced by ***: the only form of a database URL shown or logged."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unreadable database URL)"


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://"))


def store_error(exc: DBAPIError, doing: str = "session store error") -> StoreError:
    """A StoreError for a driver error; a lost or refused connection becomes StoreUnavailable."""
    message = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    if exc.connection_invalidated or _is_connection_failure(exc):
        return StoreUnavailable(f"database server unreachable: {message}")
    return StoreError(f"{doing}: {message}")


def _is_connection_failure(exc: DBAPIError) -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    orig = exc.orig
    if not isinstance(orig, psycopg.OperationalError):
        return False
    if any(refusal in str(orig) for refusal in _REFUSALS):
        return False  # the server answered and said no: waiting will not help
    return getattr(orig, "sqlstate", None) in (None, "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001")


# A failed connect carries no SQLSTATE; these say the server is there but refuses this person.
_REFUSALS = ("authentication failed", "pg_hba.conf", "does not exist", "permission denied",
             "no password supplied", "certificate")


# --- SQLite ----------------------------------------------------------------------------------

def sqlite_engine(path: Path) -> Engine:
    url = URL.create("sqlite", database=str(path))  # not an f-string: a '?' or '%' in a folder name stays a name
    engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _setup(connection, _record) -> None:
        connection.isolation_level = None  # the store says when a transaction begins, below
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives an app crash

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        # Writers take the lock up front, so a read-then-write never deadlocks with another process.
        read_only = connection.get_execution_options().get("read_only", False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def prepare_sqlite(engine: Engine, path: Path) -> None:
    """Bring the file to SCHEMA_VERSION; a newer file is refused before anything is written."""
    raw = None
    try:
        raw = engine.raw_connection()
        version = raw.execute("PRAGMA user_version").fetchone()[0]
    except (DBAPIError, sqlite3.DatabaseError) as exc:
        if raw is not None:
            raw.close()
        cause = getattr(exc, "orig", None) or exc
        if isinstance(cause, sqlite3.DatabaseError) and not isinstance(cause, sqlite3.OperationalError):
            raise StoreError(f"{path} is not a proto-trainer database ({cause})") from None
        raise StoreError(f"cannot open the session store {path}: {cause}") from None
    try:
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{path} has schema version {version}, but this version of proto-trainer knows only "
                f"versions up to {SCHEMA_VERSION}. Upgrade proto-trainer, or use another --data-dir. "
                "The database was not changed."
            )
        try:
            raw.execute("PRAGMA journal_mode=WAL")
            for number in range(version + 1, LEGACY_VERSION + 1) if version else ():
                log.info("upgrading %s to schema version %d", path, number)
                raw.executescript(
                    f"BEGIN IMMEDIATE;\n{MIGRATIONS[number - 1]}\nPRAGMA user_version = {number};\nCOMMIT;"
                )
        except sqlite3.Error as exc:
            if raw.in_transaction:
                raw.execute("ROLLBACK")
            raise StoreError(f"cannot prepare the session store {path}: {exc}") from None
    finally:
        raw.close()
    if version == SCHEMA_VERSION:
        return
    log.info("upgrading %s to schema version %d", path, SCHEMA_VERSION)
    try:
        with engine.begin() as connection:
            _alembic_upgrade(connection, stamp=str(LEGACY_VERSION) if version else None)
            connection.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except DBAPIError as exc:
        raise store_error(exc, f"cannot prepare the session store {path}") from None


# --- PostgreSQL ------------------------------------------------------------------------------

def postgres_engine(url: str) -> Engine:
    parsed = make_url(url).set(drivername="postgresql+psycopg")
    # No pre-ping round trip before each write: a connection the server dropped (a restart) fails
    # its next write, which the journal keeps for later, and the pool replaces every old connection.
    # JIT off: the row-level security subplans make the planner's cost estimates large enough to
    # compile the review queue's query to machine code, ~100 ms spent to save ~0 on 10,000 rows.
    return create_engine(parsed, pool_size=2, max_overflow=8,
                         connect_args={"connect_timeout": 5, "application_name": "proto-trainer",
                                       "options": "-c jit=off"})


def prepare_postgres(engine: Engine, shown: str) -> None:
    """Bring the database to SCHEMA_VERSION (one app at a time); refuse a newer one."""
    try:
        with engine.begin() as connection:
            version = _postgres_version(connection)
            if version == SCHEMA_VERSION:
                return
        with engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            version = _postgres_version(connection)  # another app may have upgraded meanwhile
            if version != SCHEMA_VERSION:
                log.info("upgrading %s to schema version %d", shown, SCHEMA_VERSION)
                _alembic_upgrade(connection)
    except DBAPIError as exc:
        error = store_error(exc, f"cannot prepare the database {shown}")
        if "permission denied" in str(error):
            error = StoreError(f"{error}. Ask the database's administrator to run 'proto-trainer team init' "
                               "(it upgrades the database and lets each person's role use it).")
        raise error from None


def _postgres_version(connection) -> int:
    if connection.execute(text("SELECT to_regclass('alembic_version')")).scalar() is None:
        return 0
    found = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    version = int(found) if found and found.isdigit() else None
    if version is None or version > SCHEMA_VERSION:
        raise StoreError(
            f"the database has schema version {found}, but this version of proto-trainer knows only versions "
            f"up to {SCHEMA_VERSION}. Upgrade proto-trainer. The database was not changed."
        )
    return version


def _alembic_upgrade(connection, stamp: str | None = None) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    if stamp is not None:
        command.stamp(config, stamp)
    command.upgrade(config, "head")
