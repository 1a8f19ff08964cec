"""Shared fixtures: real simulated-caller servers on loopback, and resource counters."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from proto_trainer_tui.sim.server import SimServer, listening_url

TOKEN = "test-token-not-a-secret"


@pytest.fixture(autouse=True)
def _private_user_files(tmp_path_factory, monkeypatch):
    """No test reads or writes the real user's config file, sessions or recordings."""
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("PROTO_TRAINER_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("PROTO_TRAINER_CONFIG", str(home / "config.toml"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("PROTO_TRAINER_SERVER_URL", raising=False)
    return home


@dataclass
class RunningServer:
    url: str
    token: str
    server: SimServer


class CountingServer(SimServer):
    """The real simulated caller, counting handshakes and optionally slow to answer them."""

    def __init__(self, token: str, handshake_delay: float = 0.0, hold_handshakes: bool = False) -> None:
        super().__init__(token)
        self.handshake_delay = handshake_delay
        self.handshakes = 0
        self.handshake_started = asyncio.Event()
        # When held, handshakes also wait for release_handshakes() (up to 25 s).
        self.released = asyncio.Event()
        if not hold_handshakes:
            self.released.set()

    def release_handshakes(self) -> None:
        self.released.set()

    async def process_request(self, connection, request):
        self.handshakes += 1
        self.handshake_started.set()
        await asyncio.sleep(self.handshake_delay)
        await asyncio.wait_for(self.released.wait(), 25)
        return super().process_request(connection, request)


async def start_server(server: SimServer):
    context = server.serve("127.0.0.1", 0, open_timeout=30)
    ws_server = await context.__aenter__()
    return context, RunningServer(listening_url(ws_server), server.token, server)


@pytest.fixture
async def sim_server():
    context, running = await start_server(CountingServer(TOKEN))
    yield running
    await context.__aexit__(None, None, None)


@pytest.fixture
async def held_server():
    """Handshakes take at least a second and wait for ``server.release_handshakes()``,
    so a test can fit 100 pilot presses (~80 ms each) into the connecting window."""
    context, running = await start_server(CountingServer(TOKEN, handshake_delay=1.0, hold_handshakes=True))
    yield running
    await context.__aexit__(None, None, None)


@pytest.fixture
async def slow_server():
    """A simulated caller that takes one second to answer each websocket handshake."""
    context, running = await start_server(CountingServer(TOKEN, handshake_delay=1.0))
    yield running
    await context.__aexit__(None, None, None)


async def steady_cursors(pilot) -> None:
    """A snapshot's run_before: input cursors stop blinking, so a snapshot never catches one mid-blink."""
    from textual.widgets import Input

    for screen in pilot.app.screen_stack:
        for field in screen.query(Input):
            field.cursor_blink = False
    await pilot.pause()


async def wait_until(condition: Callable[[], bool], timeout: float = 10.0, message: str = "") -> None:
    """Poll ``condition`` on the event loop (other tasks keep running) until true."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message or condition}")
        await asyncio.sleep(0.02)


def open_sockets() -> int:
    """Socket file descriptors of this process, counted from /proc."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count


def session_tasks() -> list[asyncio.Task]:
    """Live tasks running our session code or a websockets connection."""
    found = []
    for task in asyncio.all_tasks():
        if task.done():
            continue
        frames = task.get_stack()
        names = " ".join(f.f_code.co_filename for f in frames) + " " + repr(task.get_coro())
        if "realtime" in names or "websockets" in names or "session_worker" in names:
            found.append(task)
    return found


def live_threads() -> int:
    return threading.active_count()


@pytest.fixture(scope="session")
def pulse_rig():
    from .audio_rig import PulseRig, missing_parts

    reason = missing_parts()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI must run the voice tests: {reason} (.ci/run installs it)")
    if reason:
        pytest.skip(f"needs the PulseAudio null-sink rig: {reason}")
    rig = PulseRig()
    rig.start()
    # LiveKit's native runtime (the echo canceller) starts its threads and sockets once per
    # process; start it before any test counts them, so only per-session resources are compared.
    from proto_trainer_tui.audio.echo import EchoCanceller

    EchoCanceller()
    yield rig
    rig.stop()


def run_cli(argv: list[str], stdin: str = "") -> int:
    """``proto-trainer ARGV`` in this process, with ``stdin`` as what is typed at its prompts."""
    import io
    import sys

    from proto_trainer_tui import cli

    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return cli.main(argv)
    finally:
        sys.stdin = old
