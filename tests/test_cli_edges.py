"""The command line behaves like a Unix tool and says what is wrong in words a user can act on."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from proto_trainer_tui.realtime.connection import server_url_problem


@pytest.mark.parametrize("url, says", [
    ("ws://", "names no host"),
    ("wss:///v1/realtime", "names no host"),
    ("http://127.0.0.1:8765/v1/realtime", "must start with ws:// or wss://"),
    ("127.0.0.1:8765", "must start with ws:// or wss://"),
    ("ws://127.0.0.1:99999/v1/realtime", "not a number from 1 to 65535"),
    ("ws://127.0.0.1:0/v1/realtime", "port 0"),
])
def test_a_server_url_that_cannot_work_is_refused_with_what_is_missing(url, says):
    problem = server_url_problem(url)
    assert problem is not None and says in problem and "ws://127.0.0.1:8765/v1/realtime" in problem


@pytest.mark.parametrize("url", ["ws://127.0.0.1:8765/v1/realtime", "wss://api.openai.com/v1/realtime?model=x",
                                 "ws://[::1]:9000/v1/realtime", "ws://localhost/v1/realtime"])
def test_a_usable_server_url_passes(url):
    assert server_url_problem(url) is None


def cli(*args: str, tmp_path) -> list[str]:
    env = {**os.environ, "PROTO_TRAINER_DATA_DIR": str(tmp_path), "PROTO_TRAINER_CONFIG": str(tmp_path / "none.toml")}
    return [sys.executable, "-m", "proto_trainer_tui", *args], env


def test_the_app_refuses_a_bad_server_url_at_start(tmp_path):
    command, env = cli("--server-url", "ws://", "--no-audio", tmp_path=tmp_path)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert "--server-url: 'ws://' names no host" in done.stderr


@pytest.mark.parametrize("args", [("scenarios", "list"), ("sessions", "list"), ("--help",)])
def test_a_reader_that_goes_away_ends_output_quietly(args, tmp_path):
    command, env = cli(*args, tmp_path=tmp_path)
    # The reader closes its end before anything is written, as `| head -c0` does.
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    _, err = process.communicate(timeout=60)
    assert b"Traceback" not in err and b"BrokenPipeError" not in err, err.decode()
    assert process.returncode in (0, 141)
