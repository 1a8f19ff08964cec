"""What the caller model and the transcription endpoint share: the key, the SDK client, a problem said once.

Both are OpenAI-compatible HTTP endpoints the embedded server may use, each with a local
fallback (the offline caller engine, pocketsphinx). When one fails, the call goes on: the
problem is logged once per call, and told once to the client as a non-fatal ``error``
event whose message names no key, URL or endpoint text (docs/protocol.md).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from ..text import printable

FALLBACK_KEY_ENV = "OPENAI_API_KEY"


def endpoint_key(own_env: str, env: Mapping[str, str] | None = None) -> str | None:
    """The endpoint's key: its own variable, else OpenAI's; None when neither is set."""
    env = os.environ if env is None else env
    return env.get(own_env) or env.get(FALLBACK_KEY_ENV) or None


def check_base_url(base_url: str | None, what: str, *, required: bool = False) -> None:
    """An http(s) URL; none at all is fine unless ``required`` (None means OpenAI's own endpoint)."""
    if (base_url or required) and not (base_url or "").startswith(("http://", "https://")):
        raise ValueError(f"the {what} base URL must start with http:// or https://, got {base_url!r}")


def sdk_client(api_key: str | None, base_url: str | None, timeout: float):
    """An ``openai.AsyncOpenAI`` for one endpoint: no retries (the fallback answers instead)."""
    from openai import AsyncOpenAI  # heavy import, only when an endpoint is configured

    # Local model servers usually need no key, but the SDK insists on one.
    return AsyncOpenAI(api_key=api_key or "no-key", base_url=base_url or None, max_retries=0, timeout=timeout)


def safe_reason(problem: BaseException | str) -> str:
    """Why an endpoint failed, in words fit for the trainee: never the endpoint's own text (it may quote a key)."""
    if isinstance(problem, str):
        return problem
    if isinstance(problem, TimeoutError):
        return "the endpoint is slow"
    status = getattr(problem, "status_code", None)
    if isinstance(status, int):
        return f"the endpoint answered HTTP {status}"
    if any(kind.__name__ in ("APIConnectionError", "ConnectError") for kind in type(problem).__mro__):
        return "the endpoint could not be reached"  # the SDK's (or httpx's), without importing either here
    return "the endpoint's answer could not be read"


class ProblemOnce:
    """One call's trouble with one endpoint: a warning the first time, debug lines after.

    The first problem also leaves a notice for the client, taken once with ``take_notice``.
    """

    def __init__(self, logger: logging.Logger, name: str, subject: str, fallback: str) -> None:
        self.log = logger
        self.name = name  # for the log: "caller model llama3.2"
        self.subject = subject  # for the trainee: "the caller's language model"
        self.fallback = fallback  # what fills in: "the offline caller fills in"
        self.said = False
        self._notice: str | None = None

    def say(self, problem: BaseException | str) -> None:
        detail = problem if isinstance(problem, str) else f"{type(problem).__name__}: {printable(str(problem))[:200]}"
        if self.said:
            self.log.debug("%s: %s", self.name, detail)
            return
        self.said = True
        self.log.warning("%s: %s; %s, the call goes on (said once per call)", self.name, detail, self.fallback)
        self._notice = f"{self.subject} is unavailable ({safe_reason(problem)}); {self.fallback}, the call goes on"

    def take_notice(self) -> str | None:
        """What the trainee is told, the first time a problem was said; None before and after."""
        notice, self._notice = self._notice, None
        return notice
