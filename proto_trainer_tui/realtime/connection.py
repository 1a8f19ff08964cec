"""The websockets adapter: open with a timeout and auth, send, receive, close.

Everything the server can do wrong is turned into a :class:`ConnectionProblem`
whose message a counselor can act on; the API key never appears in one.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    ConnectionClosedOK,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)
from websockets.frames import CloseCode

from .events import Event, MalformedEvent, dump_event, parse_event

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 16 * 1024 * 1024
DEFAULT_CONNECT_TIMEOUT = 10.0


class ConnectionProblem(Exception):
    """A failure to show the user as is."""


class KeyRejected(ConnectionProblem):
    """The server refused our credentials; retrying will not help."""


class RealtimeConnection:
    """One open websocket speaking the realtime protocol."""

    def __init__(
        self, ws: ClientConnection, url: str, on_malformed: Callable[[str], None] | None = None
    ) -> None:
        self._ws = ws
        self.url = url
        self.malformed_frames = 0
        self._on_malformed = on_malformed

    async def send(self, event: Event) -> None:
        try:
            await self._ws.send(dump_event(event))
        except ConnectionClosed as exc:
            raise closed_problem(exc, self.url) from None

    async def recv(self) -> Event | None:
        """The next parsed server event, or None once the server closed cleanly.

        Malformed and binary frames are counted and skipped; an abnormal close
        raises ConnectionProblem.
        """
        while True:
            try:
                frame = await self._ws.recv()
            except ConnectionClosedOK:
                return None
            except ConnectionClosed as exc:
                raise closed_problem(exc, self.url) from None
            try:
                return parse_event(frame)
            except MalformedEvent as exc:
                self.malformed_frames += 1
                log.debug("skipped malformed frame: %s", exc)
                if self._on_malformed is not None:
                    self._on_malformed(str(exc))

    @property
    def is_open(self) -> bool:
        from websockets.protocol import State

        return self._ws.state is State.OPEN


def closed_problem(exc: ConnectionClosed, url: str) -> ConnectionProblem:
    """Explain an abnormal close in the user's terms."""
    received, sent = exc.rcvd, exc.sent
    if received is not None and received.code == CloseCode.POLICY_VIOLATION:
        return KeyRejected(f"{url} rejected the API key ({received.reason or 'policy violation'})")
    if sent is not None and sent.code == CloseCode.MESSAGE_TOO_BIG:
        limit = MAX_FRAME_BYTES // (1024 * 1024)
        return ConnectionProblem(f"the server sent a frame over {limit} MiB; connection closed")
    if received is not None:
        reason = f": {received.reason}" if received.reason else ""
        return ConnectionProblem(f"the server closed the connection (code {received.code}{reason})")
    return ConnectionProblem("the connection dropped without a close frame")


@asynccontextmanager
async def open_connection(
    url: str,
    api_key: str | None,
    *,
    timeout: float = DEFAULT_CONNECT_TIMEOUT,
    on_malformed: Callable[[str], None] | None = None,
) -> AsyncIterator[RealtimeConnection]:
    """Open the websocket, yield it, and always close it (code 1000) on exit.

    Cancellation during the handshake aborts the half-open socket (websockets
    does this itself); cancellation later closes it here.
    """
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
    try:
        ws = await connect(
            url,
            additional_headers=headers,
            open_timeout=timeout,
            max_size=MAX_FRAME_BYTES,
            close_timeout=2,
            user_agent_header="proto-trainer-tui",
        )
    except InvalidStatus as exc:
        status = exc.response.status_code
        if status in (401, 403):
            raise KeyRejected(f"{url} rejected the API key (HTTP {status})") from None
        raise ConnectionProblem(f"{url} refused the websocket (HTTP {status})") from None
    except InvalidURI as exc:
        raise ConnectionProblem(f"not a websocket URL: {exc.uri!r} (expected ws:// or wss://)") from None
    except TimeoutError:
        raise ConnectionProblem(f"could not reach {url}: no answer within {timeout:g} s") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConnectionProblem(f"could not reach {url}: {reason}") from None
    except InvalidHandshake as exc:
        raise ConnectionProblem(f"{url} is not a realtime websocket server: {exc}") from None
    try:
        yield RealtimeConnection(ws, url, on_malformed)
    finally:
        await ws.close()
