"""`proto-trainer sessions list | export | delete` against a real store in tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from proto_trainer_tui.cli import main
from proto_trainer_tui.commands import sessions as sessions_command
from proto_trainer_tui.store import Store, TurnRecord

T0 = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
HOSTILE = "I said [bold red]stop[/] and `rm -rf` *now* <b>_really_</b> # not a heading\n- not a list"


@pytest.fixture
def filled(tmp_path):
    """A data folder with one finished, evaluated session and one cut off by a crash."""
    with Store.open(tmp_path) as store:
        done = store.start_session(scenario_id="plan-and-means", scenario_title="A plan and the means",
                                   server="embedded", mode="voice")
        store.save_turn(done.id, TurnRecord(1, "counselor", "Crisis line, this is Sam.", "done", "spoken",
                                            T0, T0 + timedelta(seconds=3)))
        store.save_turn(done.id, TurnRecord(2, "caller", HOSTILE, "done", None,
                                            T0 + timedelta(seconds=4), T0 + timedelta(seconds=9)))
        store.save_turn(done.id, TurnRecord(3, "caller", "I was going to", "partial", None,
                                            T0 + timedelta(seconds=10)))
        done.recording_path.write_bytes(b"RIFF....WAVE")
        store.end_session(done.id)
        store.save_evaluation(done.id, {"summary": "Asked about suicide [directly].", "score": 7},
                              grade="B", evaluator="rubric")
        other = store.start_session(scenario_id="panic-attack-at-work", scenario_title="Panic attack at work",
                                    server="ws://example.test/v1/realtime", mode="typed", record=False)
    return tmp_path, done.id, other.id


def run(data_dir, *args) -> int:
    return main(["--data-dir", str(data_dir), "sessions", *args])


def test_list_shows_sessions_newest_first(filled, capsys):
    data_dir, done, other = filled
    assert run(data_dir, "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "DATE", "DURATION", "TURNS", "GRADE", "STATUS", "SCENARIO"]
    assert lines[1].split()[0] == str(other) and lines[1].split()[-5:] == ["active", "Panic", "attack", "at", "work"]
    fields = lines[2].split()
    assert fields[0] == str(done) and fields[4:7] == ["3", "B", "complete"]
    assert run(data_dir, "list", "--search", "panic") == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_list_on_an_empty_folder(tmp_path, capsys):
    assert main(["sessions", "list", "--data-dir", str(tmp_path / "none")]) == 0
    assert capsys.readouterr().out == "no saved sessions\n"


def test_json_export_follows_the_documented_schema(filled, tmp_path, capsys):
    data_dir, done, _ = filled
    target = tmp_path / "out.json"
    assert run(data_dir, "export", str(done), "--format", "json", "-o", str(target)) == 0
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert (exported["format"], exported["version"]) == ("proto-trainer-session", 1)
    session = exported["session"]
    assert set(session) == {"id", "scenario_id", "scenario_title", "server", "mode", "started_at", "ended_at",
                            "status", "recording"}
    assert (session["id"], session["status"], session["mode"]) == (done, "complete", "voice")
    assert datetime.fromisoformat(session["started_at"]).utcoffset() == timedelta(0)
    assert session["recording"].endswith(f"session-{done:06d}.wav")
    assert [(t["order"], t["role"], t["status"], t["input"]) for t in exported["turns"]] == [
        (1, "counselor", "done", "spoken"), (2, "caller", "done", None), (3, "caller", "interrupted", None)]
    assert exported["turns"][1]["text"] == HOSTILE
    assert exported["turns"][0]["started_at"] == T0.isoformat() and exported["turns"][2]["ended_at"]
    assert exported["evaluation"] == {"summary": "Asked about suicide [directly].", "score": 7}


def test_markdown_export_keeps_hostile_text_literal(filled, capsys):
    data_dir, done, other = filled
    assert run(data_dir, "export", str(done)) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith(f"# Practice session {done}: A plan and the means\n")
    assert r"I said \[bold red\]stop\[/\] and \`rm -rf\` \*now\* \<b\>\_really\_\</b\> \# not a heading" in markdown
    assert "\n\\- not a list" in markdown
    assert "**Caller** (cut off)" in markdown and "Grade: **B**" in markdown
    assert r"Asked about suicide \[directly\]." in markdown
    assert run(data_dir, "export", str(other), "--format", "md") == 0
    assert "(no turns)" in capsys.readouterr().out


def test_bad_ids_give_clear_errors(filled, capsys):
    data_dir, _, _ = filled
    assert run(data_dir, "export", "999") == 1
    assert capsys.readouterr().err == "proto-trainer: no session 999\n"
    assert run(data_dir, "delete", "999", "--yes") == 1
    assert "no session 999" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run(data_dir, "export", "twelve")


def test_delete_asks_and_removes_the_recording(filled, capsys):
    data_dir, done, _ = filled
    with Store.open(data_dir) as store:
        recording = store.get_session(done).recording_path
    args = sessions_command_args(data_dir, "delete", str(done))
    asked = []
    assert sessions_command.run(args, ask=lambda q: asked.append(q) or "n", interactive=lambda: True) == 1
    assert "Delete session" in asked[0] and "and its recording? [y/N]" in asked[0]
    assert recording.exists()
    assert sessions_command.run(args, ask=lambda q: "", interactive=lambda: True) == 1  # Enter means no
    assert sessions_command.run(args, ask=lambda q: "y", interactive=lambda: True) == 0
    assert not recording.exists()
    with Store.open(data_dir) as store:
        assert [s.id for s in store.list_sessions()] != [] and done not in [s.id for s in store.list_sessions()]


def test_delete_without_a_terminal_needs_yes(filled, capsys):
    data_dir, done, _ = filled
    assert sessions_command.run(sessions_command_args(data_dir, "delete", str(done)), interactive=lambda: False) == 1
    assert "add --yes" in capsys.readouterr().err
    assert run(data_dir, "delete", str(done), "--yes") == 0
    assert capsys.readouterr().out == f"deleted session {done}\n"


def test_data_dir_from_the_environment_in_a_real_process(filled):
    data_dir, done, _ = filled
    env = dict(os.environ, PROTO_TRAINER_DATA_DIR=str(data_dir), PROTO_TRAINER_CONFIG=str(data_dir / "none.toml"))
    result = subprocess.run([sys.executable, "-m", "proto_trainer_tui", "sessions", "export", str(done),
                             "--format", "json"], capture_output=True, text=True, env=env, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["session"]["id"] == done


def test_a_newer_database_is_reported_not_touched(tmp_path, capsys):
    import sqlite3

    from proto_trainer_tui.store import DB_NAME

    connection = sqlite3.connect(tmp_path / DB_NAME)
    connection.execute("PRAGMA user_version = 999")
    connection.close()
    assert run(tmp_path, "list") == 1
    assert "schema version 999" in capsys.readouterr().err


def sessions_command_args(data_dir, *args):
    from proto_trainer_tui.cli import build_parser

    return build_parser().parse_args(["--data-dir", str(data_dir), "sessions", *args])


def test_a_json_export_reads_back_into_the_same_records(filled, capsys):
    from proto_trainer_tui.store.export import ExportFormatError, read_session_json

    data_dir, done, _ = filled
    assert run(data_dir, "export", str(done), "--format", "json") == 0
    session, turns, evaluation = read_session_json(json.loads(capsys.readouterr().out))
    with Store.open(data_dir) as store:
        assert session == store.get_session(done)
        assert turns == store.turns(done)
        assert evaluation == store.evaluation(done)
    with pytest.raises(ExportFormatError, match="not a proto-trainer session export"):
        read_session_json({"turns": []})
    with pytest.raises(ExportFormatError, match="malformed"):
        read_session_json({"format": "proto-trainer-session", "version": 1, "session": {"id": 1}, "turns": []})
