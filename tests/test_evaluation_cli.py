"""``proto-trainer evaluate``: transcripts and saved sessions, Markdown and JSON, clear errors."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from proto_trainer_tui.cli import main
from proto_trainer_tui.evaluation import EvaluationReport

from .evaluation_helpers import EVALUATION_SET, START


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["evaluate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_markdown_report_for_a_transcript(capsys):
    code, out, err = run(capsys, "--transcript", str(EVALUATION_SET / "pm-manipulation.json"))
    assert code == 0 and err == ""
    assert out.startswith("# Evaluation: Caller with a plan and access to means")
    assert "**Grade: C**" in out and "evaluator: offline" in out
    assert "`grade_manipulation` (turn 3)" in out
    assert "## Risk assessment coverage" in out and "C-SSRS screener:" in out
    assert "| reflection : question (MITI 4.2) |" in out


def test_json_report_is_the_documented_model(capsys):
    code, out, _ = run(capsys, "--transcript", str(EVALUATION_SET / "fc-good.json"), "--format", "json")
    report = EvaluationReport.from_dict(json.loads(out))
    assert code == 0 and report.scenario_id == "first-call-passive-thoughts"


def test_json_lists_coded_turns_as_documented(capsys):
    code, out, _ = run(capsys, "--transcript", str(EVALUATION_SET / "h13-pm-asr-unpunctuated.json"), "--format", "json")
    data = json.loads(out)
    counselor = [t["order"] for t in json.loads((EVALUATION_SET / "h13-pm-asr-unpunctuated.json").read_text())["turns"]
                 if t["role"] == "counselor"]
    assert code == 0 and [t["turn"] for t in data["coded_turns"]] == counselor
    codes = {c for t in data["coded_turns"] for c in t["codes"]}
    assert {"open_question", "closed_question"} <= codes and codes & {"simple_reflection", "complex_reflection"}


def test_text_format_renders_for_the_terminal_without_escapes(capsys):
    code, out, _ = run(capsys, "--transcript", str(EVALUATION_SET / "dv-exceptional.json"), "--format", "text")
    assert code == 0 and "Grade: " in out and "Coded turns (MITI 4.2)" in out
    assert "\\(" not in out and "**" not in out and "1 reflections" not in out


def test_scenario_option_overrides_the_transcript(capsys):
    path = str(EVALUATION_SET / "pa-mediocre.json")
    _, as_recorded, _ = run(capsys, "--transcript", path, "--format", "json")
    _, as_plan, _ = run(capsys, "--transcript", path, "--format", "json", "--scenario", "plan-and-means")
    assert json.loads(as_recorded)["scenario_id"] == "panic-attack-at-work"
    assert json.loads(as_plan)["scenario_id"] == "plan-and-means"
    assert any(f["kind"] == "missed_risk_inquiry" for f in json.loads(as_plan)["flags"])


@pytest.mark.parametrize(("content", "message"), [
    ("not json at all", "not JSON (line 1, column 1"),
    (json.dumps({"format": "other", "version": 1, "turns": []}), "'format' is 'other'"),
    (json.dumps({"format": "proto-trainer-session", "version": 1}), "'turns' is missing"),
    (json.dumps({"format": "proto-trainer-session", "version": 1,
                 "turns": [{"order": 1, "role": "bot", "text": "hi"}]}), "turns[0].role is 'bot'"),
])
def test_bad_files_get_a_clear_message(capsys, tmp_path, content, message):
    path = tmp_path / "call.json"
    path.write_text(content)
    code, out, err = run(capsys, "--transcript", str(path))
    assert code == 1 and out == ""
    assert err.startswith(f"proto-trainer: evaluate: {path}: ") and message in err


def test_missing_file_unknown_scenario_and_wrong_arguments(capsys, tmp_path):
    code, _, err = run(capsys, "--transcript", str(tmp_path / "nope.json"))
    assert code == 1 and "no such file" in err
    code, _, err = run(capsys, "--transcript", str(EVALUATION_SET / "fc-good.json"), "--scenario", "nope")
    assert code == 1 and "unknown scenario 'nope'" in err
    code, _, err = run(capsys)
    assert code == 1 and "give either a SESSION_ID or --transcript" in err


def test_llm_without_an_endpoint_prints_the_offline_report_with_a_note(capsys, monkeypatch):
    for name in ("OPENAI_API_KEY", "PROTO_TRAINER_EVAL_URL"):
        monkeypatch.delenv(name, raising=False)
    code, out, _ = run(capsys, "--transcript", str(EVALUATION_SET / "fc-good.json"), "--llm", "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["evaluator"] == "offline" and "No evaluation endpoint configured" in report["note"]


def test_a_saved_session_is_evaluated_and_the_evaluation_saved(capsys, tmp_path):
    from proto_trainer_tui.store import Store, TurnRecord

    lines = [("counselor", "Crisis line, this is Sam. What's going on?"), ("caller", "I want to die."),
             ("counselor", "Are you thinking about suicide?"), ("caller", "Yes.")]
    with Store.open(tmp_path) as store:
        session = store.start_session(scenario_id="plan-and-means", scenario_title="Plan", server="embedded",
                                      mode="typed", record=False, started_at=START)
        for order, (role, text) in enumerate(lines, 1):
            at = START + timedelta(seconds=5 * order)
            store.save_turn(session.id, TurnRecord(order, role, text, "done", "typed" if role == "counselor" else None,
                                                   at, at + timedelta(seconds=2)))
        store.end_session(session.id, ended_at=START + timedelta(minutes=1))

    code, out, err = run(capsys, str(session.id), "--data-dir", str(tmp_path), "--format", "json")
    assert code == 0, err
    printed = json.loads(out)
    assert printed["risk"]["first_asked_turn"] == 3
    with Store.open(tmp_path) as store:
        assert store.evaluation(session.id) == printed
        assert store.grade(session.id) == printed["grade"]

    code, _, err = run(capsys, "999", "--data-dir", str(tmp_path))
    assert code == 1 and err.startswith("proto-trainer: evaluate: ")


def test_a_session_with_an_imported_scenario_is_graded_against_it(capsys, tmp_path):
    from proto_trainer_tui.scenarios.csv_io import build_scenario
    from proto_trainer_tui.store import Store, TurnRecord

    scenario = build_scenario(id="bridge-caller", title="Bridge caller",
                              prompt="You are a 30-year-old named Sam. You want to die and plan to jump from a bridge.")
    assert scenario.risk.level == "plan"
    with Store.open(tmp_path) as store:
        store.save_scenario(scenario)
        session = store.start_session(scenario_id="bridge-caller", scenario_title="Bridge caller", server="embedded",
                                      mode="typed", record=False, started_at=START)
        store.save_turn(session.id, TurnRecord(1, "counselor", "Hi, how can I help?", "done", "typed", START, START))
        store.end_session(session.id, ended_at=START + timedelta(minutes=1))
    code, out, err = run(capsys, str(session.id), "--data-dir", str(tmp_path), "--format", "json", "--no-save")
    report = json.loads(out)
    assert code == 0, err
    assert report["scenario_id"] == "bridge-caller"
    assert {"kind": "missed_risk_inquiry", "severity": "critical"}.items() <= report["flags"][0].items()
    with Store.open(tmp_path) as store:
        assert store.evaluation(session.id) is None  # --no-save


def test_a_transcript_is_graded_against_an_imported_scenario_and_an_unknown_id_names_the_known(capsys, tmp_path):
    from proto_trainer_tui.scenarios.csv_io import build_scenario
    from proto_trainer_tui.store import Store

    with Store.open(tmp_path) as store:
        store.save_scenario(build_scenario(id="work-stress", title="Work stress",
                                           prompt="Deny SI/self-harm, discuss coping skills."))
    path = str(EVALUATION_SET / "pa-mediocre.json")
    code, out, err = run(capsys, "--transcript", path, "--scenario", "work-stress", "--format", "json",
                         "--data-dir", str(tmp_path))
    assert code == 0, err
    assert json.loads(out)["scenario_id"] == "work-stress"
    code, out, err = run(capsys, "--transcript", path, "--scenario", "nope", "--data-dir", str(tmp_path))
    assert code == 1 and "unknown scenario 'nope'" in err and "work-stress" in err and "plan-and-means" in err
    exported = json.loads((EVALUATION_SET / "pa-mediocre.json").read_text())
    exported["session"]["scenario_id"] = "gone-since"
    renamed = tmp_path / "renamed.json"
    renamed.write_text(json.dumps(exported))
    code, out, err = run(capsys, "--transcript", str(renamed), "--data-dir", str(tmp_path))
    assert code == 1 and "unknown scenario 'gone-since'" in err  # not graded as free practice
