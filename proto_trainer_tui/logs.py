"""``--debug``: a log file in the user log folder, with every secret scrubbed.

The file gets everything at DEBUG, websocket traces included (websockets logs
each handshake header, ``Authorization`` among them). A :class:`Redactor` on the
file handler rewrites each record before it is written: known secrets, any
``Bearer`` token, the value of any ``Authorization`` header, anything shaped
like an OpenAI key, and the password in a database URL become ``[redacted]``.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

REDACTED = "[redacted]"
_PATTERNS = (
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)[^\r\n'\",}]+"),  # header lines, dict reprs, JSON
    re.compile(r"(?i)(bearer\s+)[^\s'\",}]+"),
    re.compile(r"()\bsk-[A-Za-z0-9_-]{12,}"),
    re.compile(r"(?i)(\bpostgres(?:ql)?(?:\+\w+)?://[^:/@\s]*:)[^@\s]+(?=@)"),  # a database URL's password
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with the given secrets and anything that looks like a credential replaced. Pure."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


class Redactor(logging.Filter):
    """Scrubs each record's message, exception and stack text in place (on a handler, it
    sees records from every logger)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = {s for s in secrets if s}
        self._formatter = logging.Formatter()

    def add(self, secret: str | None) -> None:
        if secret:
            self.secrets.add(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


def log_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_log_dir("proto-trainer", appauthor=False))


@dataclass
class DebugLog:
    path: Path
    redactor: Redactor
    handler: logging.Handler
    previous_level: int

    def close(self) -> None:
        root = logging.getLogger()
        root.removeHandler(self.handler)
        root.setLevel(self.previous_level)
        self.handler.close()


def start_debug_log(secrets: Iterable[str] = (), directory: Path | None = None) -> DebugLog:
    """Log everything at DEBUG to a new owner-only file; return it (``.path`` to show the user)."""
    directory = directory or log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / time.strftime("debug-%Y%m%d-%H%M%S.log")
    # Created owner-only before anything is written: a log may hold what counselors said.
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    redactor = Redactor(secrets)
    handler.addFilter(redactor)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    logging.getLogger("websockets").setLevel(logging.DEBUG)
    return DebugLog(path, redactor, handler, previous)
