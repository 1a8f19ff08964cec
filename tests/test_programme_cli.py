"""The programme's commands (assign, assignments, progress, review, scenarios list) on the SQLite store."""

from __future__ import annotations

import csv

from proto_trainer_tui import cli
from proto_trainer_tui.store import Store


def run(tmp_path, *argv: str) -> int:
    return cli.main(["--data-dir", str(tmp_path), *argv])


def evaluated_call(tmp_path, scenario_id: str, grade: str, report: dict) -> int:
    with Store.open(tmp_path) as store:
        session = store.start_session(scenario_id=scenario_id, scenario_title="A plan and the means",
                                      server="embedded", mode="typed", record=False)
        store.end_session(session.id)
        store.save_evaluation(session.id, report, grade=grade, evaluator="rubric")
        return session.id


def test_assign_then_list_and_export_progress(tmp_path, capsys):
    with Store.open(tmp_path) as store:
        me = store.user
    assert run(tmp_path, "assign", "plan-and-means", "--to", me, "--to", "zoe", "--due", "2020-01-31",
               "--notes", "Ask about\x1b[31m suicide") == 0
    assert "assigned" in capsys.readouterr().out
    assert run(tmp_path, "assign", "no-such-scenario", "--to", me) == 1
    assert "no-such-scenario" in capsys.readouterr().err
    evaluated_call(tmp_path, "plan-and-means", "C", {"flags": [{"severity": "critical", "kind": "missed_risk_inquiry"}]})
    assert run(tmp_path, "assignments") == 0
    mine = capsys.readouterr().out
    assert "done" in mine and "plan-and-means" in mine and "\x1b" not in mine  # notes shown literally
    assert run(tmp_path, "scenarios", "list") == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].startswith("plan-and-means") and "assigned · due 2020-01-31 · done" in listed[1]
    out = tmp_path / "progress.csv"
    assert run(tmp_path, "progress", "--csv", str(out)) == 0
    with open(out, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert [(r["trainee"], r["status"], r["grade"], r["critical_flags"]) for r in rows] == sorted([
        (me, "done", "C", "missed_risk_inquiry"), ("zoe", "overdue", "", "")])


def test_review_queue_and_a_grade_override(tmp_path, capsys):
    flagged = evaluated_call(tmp_path, "plan-and-means", "B", {"flags": [{"severity": "critical",
                                                                          "kind": "missed_risk_inquiry"}]})
    calm = evaluated_call(tmp_path, "panic-attack-at-work", "A", {"flags": []})
    assert run(tmp_path, "review", "queue") == 0
    queue = capsys.readouterr().out.splitlines()
    assert queue[0].split()[0] == str(flagged) and "CRITICAL: missed_risk_inquiry" in queue[0]
    assert queue[1].split()[0] == str(calm)
    assert run(tmp_path, "review", "add", str(flagged), "--note", "Ask directly.", "--grade", "D") == 1
    assert "reason" in capsys.readouterr().err
    assert run(tmp_path, "review", "add", str(flagged), "--note", "Ask directly.", "--grade", "D",
               "--reason", "Risk inquiry is a must.") == 0
    assert run(tmp_path, "review", "show", str(flagged)) == 0
    shown = capsys.readouterr().out
    assert "grade D" in shown and "Ask directly. (grade D: Risk inquiry is a must.)" in shown
    assert run(tmp_path, "sessions", "list") == 0
    assert " D " in capsys.readouterr().out  # the trainee's history shows the supervisor's grade
    assert run(tmp_path, "sessions", "export", str(flagged)) == 0
    exported = capsys.readouterr().out
    assert "Grade: **D**" in exported and "## Supervisor review" in exported
    assert "Ask directly. Grade **D**: Risk inquiry is a must." in exported
