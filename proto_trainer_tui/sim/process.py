"""Run the simulated-caller server as a child process of the app.

The child gets a fresh random token through its environment (never argv, which
other users can read), binds a free loopback port, and exits when its stdin
closes, so it dies with the app even when the app is killed outright.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import tempfile
from dataclasses import dataclass

TOKEN_ENV = "PROTO_TRAINER_SERVER_TOKEN"
SEED_ENV = "PROTO_TRAINER_CALLER_SEED"  # the offline caller's seed (`--caller-seed`); unset: random per call
LISTENING = "listening "
START_TIMEOUT = 30.0


class ServerStartError(RuntimeError):
    pass


@dataclass(frozen=True)
class SimOptions:
    """How the child server finds words: a caller model, a transcription endpoint (None: offline).

    Keys reach the child through the inherited environment, never its command line."""

    caller_model: str | None = None
    caller_base_url: str | None = None
    stt_base_url: str | None = None
    stt_model: str | None = None
    recogniser: str | None = None  # config.RECOGNISERS; None: the child's own setting

    def args(self) -> list[str]:
        flags = (("--caller-model", self.caller_model), ("--caller-base-url", self.caller_base_url),
                 ("--stt-base-url", self.stt_base_url), ("--stt-model", self.stt_model),
                 ("--recogniser", self.recogniser))
        return [part for flag, value in flags if value for part in (flag, value)]


class EmbeddedServer:
    """The one owner of the child server process."""

    def __init__(self, options: SimOptions | None = None) -> None:
        self.token = secrets.token_urlsafe(24)
        self.options_args = (options or SimOptions()).args()
        self.url: str | None = None
        self._process: asyncio.subprocess.Process | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def start(self, timeout: float = START_TIMEOUT) -> str:
        """Start the child and return its URL once it accepts connections."""
        env = {**os.environ, TOKEN_ENV: self.token}
        stderr = tempfile.TemporaryFile()  # read back only if start-up fails
        try:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "proto_trainer_tui", "serve",
                "--host", "127.0.0.1", "--port", "0", "--exit-with-parent", *self.options_args,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                env=env,
            )
            line = await asyncio.wait_for(self._process.stdout.readline(), timeout)
            text = line.decode(errors="replace").strip()
            if not text.startswith(LISTENING):
                stderr.seek(0)
                detail = stderr.read().decode(errors="replace").strip().splitlines()[-1:] or [text or "no output"]
                raise ServerStartError(f"simulated caller did not start: {detail[0]}")
        except TimeoutError:
            await self.stop()
            raise ServerStartError(f"simulated caller did not start within {timeout:g} s") from None
        except BaseException:
            await self.stop()
            raise
        finally:
            stderr.close()
        self.url = text.removeprefix(LISTENING)
        return self.url

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        if process.stdin is not None:
            process.stdin.close()  # the child exits on EOF; terminate in case it is stuck
        try:
            process.terminate()
            await asyncio.wait_for(process.wait(), 3)
        except ProcessLookupError:
            pass
        except TimeoutError:
            process.kill()
            await process.wait()
