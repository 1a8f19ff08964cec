"""The default path: the simulated caller as a real child process, and no orphans."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from proto_trainer_tui.app import TrainerApp
from proto_trainer_tui.realtime.connection import open_connection
from proto_trainer_tui.sim.process import EmbeddedServer

from .conftest import wait_until


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_dead(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


async def test_embedded_server_starts_speaks_the_protocol_and_stops():
    server = EmbeddedServer()
    url = await server.start()
    pid = server.pid
    try:
        assert url.startswith("ws://127.0.0.1:") and url.endswith("/v1/realtime")
        async with open_connection(url, server.token) as connection:
            assert (await connection.recv())["type"] == "session.created"
    finally:
        await server.stop()
    assert not alive(pid)


@pytest.mark.parametrize("quit_key", ["ctrl+q", "ctrl+c"])
async def test_default_app_talks_to_its_own_caller_and_leaves_no_process(quit_key):
    app = TrainerApp(scenario_id="first-call-passive-thoughts", audio=False)
    async with app.run_test() as pilot:
        await wait_until(lambda: app._embedded.pid is not None, timeout=20)
        pid = app._embedded.pid
        app.action_connect()
        await wait_until(lambda: app.connection_status == "connected", timeout=30)
        await pilot.press(*"Hello, crisis line, this is Sam.", "enter")
        await wait_until(lambda: any(t.role == "caller" and t.finished for t in app.session.conversation.turns),
                         timeout=20, message="the caller's reply")
        # With voice off the caller answers in text: no audio is synthesised for nobody to hear.
        assert app.session.speaker.stats.dropped_samples == 0
        caller = next(t for t in app.session.conversation.turns if t.role == "caller")
        assert len(caller.text.split()) >= 4
        await pilot.press(quit_key)  # from the input line, where the focus is while typing
    assert app.connection_status == "disconnected"
    assert wait_dead(pid), "the embedded server outlived the app"


def spawn_app_in_pty(tmp_path: Path) -> subprocess.Popen:
    primary, secondary = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "PROTO_TRAINER_DATA_DIR": str(tmp_path),
           "PROTO_TRAINER_CONFIG": str(tmp_path / "none.toml")}
    env.pop("PROTO_TRAINER_SERVER_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "proto_trainer_tui", "--no-audio"],
        stdin=secondary, stdout=secondary, stderr=secondary, env=env, start_new_session=True,
    )
    os.close(secondary)
    process.primary_fd = primary  # keep the terminal open while the app runs

    def drain() -> None:
        # Read the screen as a terminal would, so the app never blocks on a full pty.
        try:
            while os.read(primary, 65536):
                pass
        except OSError:
            pass

    threading.Thread(target=drain, daemon=True).start()
    return process


def embedded_child(app_pid: int, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in children_of(app_pid):
            if b"serve" in Path(f"/proc/{child}/cmdline").read_bytes():
                return child
        time.sleep(0.1)
    raise AssertionError("the app did not start its simulated caller")


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_no_orphan_server_when_the_app_is_terminated_or_killed(tmp_path, how):
    app = spawn_app_in_pty(tmp_path)
    try:
        child = embedded_child(app.pid)
        time.sleep(0.5)  # let the app settle into its screens
        os.kill(app.pid, how)
        app.wait(timeout=15)
        assert wait_dead(child), f"simulated caller {child} still running after {how.name} to the app"
    finally:
        if app.poll() is None:
            app.kill()
        os.close(app.primary_fd)


async def test_a_crashed_simulated_caller_is_restarted_and_the_call_goes_on():
    app = TrainerApp(scenario_id="panic-attack-at-work", audio=False)
    async with app.run_test() as pilot:
        statuses = []
        app.watch(app, "connection_status", lambda status: statuses.append(status), init=False)
        app.action_connect()
        await wait_until(lambda: app.connection_status == "connected", timeout=30)
        await app.send_text("Hello, crisis line.")
        turns = app.session.conversation.turns
        await wait_until(lambda: turns[-1].role == "caller" and turns[-1].finished, timeout=20)
        first = app._embedded.pid
        os.kill(first, signal.SIGKILL)
        await wait_until(lambda: "reconnecting" in statuses, timeout=10)
        # The reconnect finds the dead child, starts a new one on a new port, and the call goes on.
        await wait_until(lambda: app.connection_status == "connected", timeout=40)
        assert app._embedded.pid != first
        await app.send_text("Are you still there?")
        await wait_until(lambda: len(turns) >= 4 and turns[-1].role == "caller" and turns[-1].finished, timeout=20)
        assert [t.role for t in turns[:2]] == ["counselor", "caller"]  # nothing lost, nothing repeated
        second = app._embedded.pid
        await pilot.press("ctrl+q")
    assert wait_dead(second)
