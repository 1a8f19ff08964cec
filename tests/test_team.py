"""A team on one PostgreSQL database: each person connects as their own role and row-level
security decides what they see, whatever SQL they send."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime

import pytest

from proto_trainer_tui.store import Store, StoreError, TurnRecord

from .conftest import run_cli
from .postgres_fixtures import pg_cluster, pg_url  # noqa: F401 (fixtures)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PASSWORDS = {"anna": "anna-pw-1", "ben": "ben-pw-22", "sue": "sue-pw-333", "otto": "otto-pw-4444"}


@pytest.fixture
def team(pg_url, tmp_path, capsys):
    """Cohort c1: trainees anna and ben, supervisor sue; cohort c2: supervisor otto. Returns URL per person.
    (Roles belong to the whole cluster: a later test finds them there and adds them to its database.)"""
    admin = ["--data-dir", str(tmp_path / "admin"), "--database-url", pg_url]
    assert run_cli([*admin, "team", "init"]) == 0
    assert run_cli([*admin, "team", "init"]) == 0  # safe to run twice
    for name, kind, cohort in (("anna", "trainee", "c1"), ("ben", "trainee", "c1"), ("sue", "supervisor", "c1"),
                               ("otto", "supervisor", "c2")):
        assert run_cli([*admin, "team", f"add-{kind}", name, "--cohort", cohort, "--password-stdin"],
                       PASSWORDS[name] + "\n") == 0
    out = capsys.readouterr().out
    assert "trainee anna in cohort c1" in out and not any(pw in out for pw in PASSWORDS.values())
    base = pg_url.rsplit("/", 1)[1]
    return {name: pg_url.replace(pg_url.split("//")[1].split("@")[0], f"{name}:{pw}") for name, pw in
            PASSWORDS.items()} | {"admin": pg_url, "database": base}


def practise(url: str, folder, text: str) -> int:
    with Store.open(folder, url) as store:
        session = store.start_session(scenario_id="plan-and-means", scenario_title="A plan and the means",
                                      server="embedded", mode="typed", record=False)
        store.save_turn(session.id, TurnRecord(1, "counselor", text, "done", "typed", T0, T0))
        store.end_session(session.id)
        store.save_evaluation(session.id, {"flags": []}, grade="B", evaluator="rubric")
        return session.id


def psql(pg_cluster, user: str, sql: str, database: str) -> subprocess.CompletedProcess:
    """Raw SQL through psql, as that person would type it."""
    binary = pg_cluster.bin_dir / "psql"
    program = str(binary) if binary.exists() else shutil.which("psql")
    return subprocess.run([program, "-h", "127.0.0.1", "-p", str(pg_cluster.port), "-U", user, "-d", database,
                           "-At", "-v", "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "PGPASSWORD": PASSWORDS[user]})


def test_a_trainee_sees_only_their_own_calls_even_with_raw_sql(team, tmp_path, pg_cluster):
    anna = practise(team["anna"], tmp_path / "anna", "anna's secret words")
    ben = practise(team["ben"], tmp_path / "ben", "ben's own words")
    with Store.open(tmp_path / "ben", team["ben"]) as store:
        assert [s.id for s in store.list_sessions()] == [ben]
        assert store.turns(anna) == [] and store.evaluation(anna) is None
        with pytest.raises(StoreError, match=f"no session {anna}"):
            store.get_session(anna)
    seen = psql(pg_cluster, "ben", "SELECT text FROM turns ORDER BY id", team["database"])
    assert seen.returncode == 0 and seen.stdout.split("\n")[:-1] == ["ben's own words"]
    changed = psql(pg_cluster, "ben", f"UPDATE turns SET text = 'x' WHERE session_id = {anna}", team["database"])
    assert changed.stdout.strip() == "UPDATE 0"  # anna's turn is not his to touch
    with Store.open(tmp_path / "anna", team["anna"]) as store:
        assert store.turns(anna)[0].text == "anna's secret words"


def test_a_supervisor_sees_their_cohort_only_and_their_review_is_not_the_trainees_to_change(team, tmp_path,
                                                                                           pg_cluster):
    anna = practise(team["anna"], tmp_path / "anna", "Are you thinking about suicide?")
    with Store.open(tmp_path / "otto", team["otto"]) as otto:  # another cohort's supervisor
        assert otto.list_sessions() == [] and otto.review_queue() == []
    with Store.open(tmp_path / "sue", team["sue"]) as sue:
        assert [q.session_id for q in sue.review_queue()] == [anna]
        assert sue.turns(anna)[0].text == "Are you thinking about suicide?"
        sue.add_review(anna, "Good direct question.", grade="A", reason="Asked about risk in the first minute.")
        sue.assign("plan-and-means", cohort="c1")
        assert sorted(a.trainee for a in sue.assignments()) == ["anna", "ben"]
        with pytest.raises(StoreError):  # a supervisor reads trainees' calls, never rewrites them
            sue.save_turn(anna, TurnRecord(1, "counselor", "rewritten", "done", "typed", T0, T0))
    with Store.open(tmp_path / "anna", team["anna"]) as store:
        assert store.grade(anna) == "A" and store.reviews(anna)[0].note == "Good direct question."
        assert [(a.scenario_id, a.status) for a in store.my_assignments()] == [("plan-and-means", "not started")]
        with pytest.raises(StoreError, match="permission denied"):
            store.add_review(anna, "I deserve better", grade="A+", reason="mine")
    database = team["database"]
    for sql in ("UPDATE reviews SET note = 'edited', grade = 'A+'",
                "UPDATE evaluations SET grade = 'A+'",
                "DELETE FROM reviews",
                "INSERT INTO assignments (scenario_id, trainee, notes, created_at) VALUES ('x', 'anna', '', now())"):
        refused = psql(pg_cluster, "anna", sql, database)
        assert refused.returncode != 0 and "permission denied" in refused.stderr, sql
    assert psql(pg_cluster, "anna", "SELECT note, grade FROM reviews", database).stdout == "Good direct question.|A\n"


def test_team_needs_postgresql(tmp_path, capsys):
    assert run_cli(["--data-dir", str(tmp_path), "team", "init"]) == 1
    assert "needs a shared PostgreSQL database" in capsys.readouterr().err
