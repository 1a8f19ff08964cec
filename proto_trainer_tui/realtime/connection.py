"""The websockets adapter: open with a timeout and auth, send, receive, close.

Everything the server can do wrong is turned into a :class:`ConnectionProblem`
whose message a counselor can act on; the API key never appears in one.

Trust and liveness: ``wss://`` certificates are always verified (the system
store, or a CA file given with ``ca_file``; there is no switch to turn this off);
keepalive pings notice a server that stops answering within
``PING_INTERVAL + PING_TIMEOUT`` seconds; and a server that stops reading cannot
make us buffer without bound: the write buffer is capped at ``WRITE_LIMIT`` and a
send that cannot drain within ``SEND_TIMEOUT`` gives up on the connection.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import ssl
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    ConnectionClosedOK,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)
from websockets.frames import CloseCode

from ..text import printable
from .events import Event, MalformedEvent, dump_event, parse_event

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 16 * 1024 * 1024
DEFAULT_CONNECT_TIMEOUT = 10.0
# Looked up at call time (not bound as defaults) so a test can shorten them.
PING_INTERVAL = 10.0
PING_TIMEOUT = 15.0
WRITE_LIMIT = 256 * 1024  # bytes held in user space before send() waits for the socket
SEND_TIMEOUT = 15.0
# Close codes worth another try (those the official SDK retries, too).
RETRYABLE_CLOSE_CODES = frozenset({1001, 1005, 1006, 1011, 1012, 1013, 1015})
SEEN_EVENT_IDS = 4096  # recent server event ids remembered to drop replayed events
_KEEPALIVE_REASON = "keepalive ping timeout"  # what websockets says when a pong is overdue


class ConnectionProblem(Exception):
    """A failure to show the user as is.

    ``code`` is the close code the server sent, when it sent one; ``retryable``
    says whether connecting again may help (a dropped network, a restarting or
    overloaded server) or not (a refused key, a bad URL, an untrusted certificate).
    """

    def __init__(self, message: str, *, code: int | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


class KeyRejected(ConnectionProblem):
    """The server refused our credentials; retrying will not help."""


class RealtimeConnection:
    """One open websocket speaking the realtime protocol."""

    def __init__(
        self,
        ws: ClientConnection,
        url: str,
        on_malformed: Callable[[str], None] | None = None,
        *,
        send_timeout: float | None = None,
    ) -> None:
        self._ws = ws
        self.url = url
        self.malformed_frames = 0
        self.duplicate_events = 0
        self._on_malformed = on_malformed
        self._seen_ids: set[str] = set()
        self._seen_order: deque[str] = deque()
        self._send_timeout = SEND_TIMEOUT if send_timeout is None else send_timeout
        # Why we gave up on the connection ourselves, reported instead of the bare close.
        self._failure: ConnectionProblem | None = None

    async def send(self, event: Event) -> None:
        """Send one event; raise ConnectionProblem if it cannot leave within the send timeout."""
        if self._failure is not None:
            raise self._failure
        try:
            async with asyncio.timeout(self._send_timeout):
                await self._ws.send(dump_event(event))
        except TimeoutError:
            self._failure = ConnectionProblem(
                f"the server stopped reading: nothing could be sent for {self._send_timeout:g} s; "
                "connection closed",
                retryable=True,
            )
            # Drop the buffered data and the socket now; recv() then reports the same reason.
            self._ws.transport.abort()
            raise self._failure from None
        except ConnectionClosed as exc:
            raise self._closed(exc) from None

    async def send_all(self, batch: list[Event]) -> None:
        """Send events back to back, as one TCP segment where the OS can hold them (Linux TCP_CORK).

        A device block carries several 20 ms audio frames; each is still its own
        event, but pushing each out as its own packet costs most of the send's CPU.
        """
        with self._corked(len(batch) > 1):
            for event in batch:
                await self.send(event)

    @contextmanager
    def _corked(self, wanted: bool) -> Iterator[None]:
        sock = self._ws.transport.get_extra_info("socket") if wanted else None
        cork = getattr(socket, "TCP_CORK", None)
        corked = False
        if sock is not None and cork is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, cork, 1)
                corked = True
            except OSError:
                pass  # then each event is its own packet: correct, only dearer
        try:
            yield
        finally:
            if corked:
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, cork, 0)  # uncorking sends what was held
                except OSError:
                    pass  # the socket is gone; send() reports that

    def _closed(self, exc: ConnectionClosed) -> ConnectionProblem:
        return self._failure or closed_problem(exc, self.url)

    async def recv(self) -> Event | None:
        """The next parsed server event, or None once the server closed cleanly.

        Malformed and binary frames, and events whose ``event_id`` was already
        seen, are counted and skipped; an abnormal close raises ConnectionProblem.
        """
        while True:
            try:
                frame = await self._ws.recv()
            except ConnectionClosedOK as exc:
                if exc.rcvd is not None and exc.rcvd.code == CloseCode.GOING_AWAY:
                    # websockets counts 1001 as a clean close, but for a call it means
                    # "server restarting": worth reconnecting to.
                    raise self._closed(exc) from None
                return None
            except ConnectionClosed as exc:
                raise self._closed(exc) from None
            try:
                event = parse_event(frame)
            except MalformedEvent as exc:
                self.malformed_frames += 1
                log.debug("skipped malformed frame: %s", exc)
                if self._on_malformed is not None:
                    self._on_malformed(str(exc))
                continue
            if self._first_time(event.get("event_id")):
                return event
            # A replayed event (same id) would append its delta twice: once is enough.
            self.duplicate_events += 1
            log.debug("skipped duplicate event %s", event.get("event_id"))

    def _first_time(self, event_id: object) -> bool:
        if not isinstance(event_id, str):
            return True
        if event_id in self._seen_ids:
            return False
        self._seen_ids.add(event_id)
        self._seen_order.append(event_id)
        if len(self._seen_order) > SEEN_EVENT_IDS:
            self._seen_ids.discard(self._seen_order.popleft())
        return True

    @property
    def is_open(self) -> bool:
        from websockets.protocol import State

        return self._ws.state is State.OPEN


def closed_problem(exc: ConnectionClosed, url: str) -> ConnectionProblem:
    """Explain an abnormal close in the user's terms, with its code and whether to retry."""
    received, sent = exc.rcvd, exc.sent
    if received is not None and received.code == CloseCode.POLICY_VIOLATION:
        return KeyRejected(f"{url} rejected the API key ({printable(received.reason) or 'policy violation'})",
                           code=received.code)
    if sent is not None and sent.code == CloseCode.MESSAGE_TOO_BIG:
        limit = MAX_FRAME_BYTES // (1024 * 1024)
        return ConnectionProblem(f"the server sent a frame over {limit} MiB; connection closed", code=sent.code)
    if received is None and sent is not None and sent.reason == _KEEPALIVE_REASON:
        return ConnectionProblem(f"the server stopped answering: no reply to a ping within {PING_TIMEOUT:g} s",
                                 retryable=True)
    if received is not None:
        reason = f": {printable(received.reason)}" if received.reason else ""
        return ConnectionProblem(f"the server closed the connection (code {received.code}{reason})",
                                 code=received.code, retryable=received.code in RETRYABLE_CLOSE_CODES)
    return ConnectionProblem("the connection dropped without a close frame", retryable=True)


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """A verifying client context: the system's trusted CAs, or only those in ``ca_file``."""
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise ConnectionProblem(f"cannot use CA file {ca_file}: {exc.strerror or exc}") from None


def server_url_problem(url: str) -> str | None:
    """What is wrong with a realtime server URL, in words a user can act on; None when it will do."""
    from urllib.parse import urlsplit

    example = "e.g. ws://127.0.0.1:8765/v1/realtime or wss://api.openai.com/v1/realtime?model=gpt-realtime"
    shown = printable(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return f"{shown!r} has a port that is not a number from 1 to 65535 ({example})"
    if parts.scheme not in ("ws", "wss"):
        return f"{shown!r} must start with ws:// or wss:// ({example})"
    if not parts.hostname:
        return f"{shown!r} names no host: write {parts.scheme}://HOST[:PORT]/PATH ({example})"
    if port == 0:
        return f"{shown!r} has port 0: give the port the server listens on ({example})"
    return None


def _unreachable(url: str, exc: OSError) -> str:
    """Why a connection could not be made, said for people rather than as the socket's words."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    where = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'wss' else 80)}"
    if isinstance(exc, ConnectionRefusedError) or exc.errno == errno.ECONNREFUSED:
        return f"could not reach {url}: nothing is listening at {where} (is the server running?)"
    if isinstance(exc, socket.gaierror):
        return f"could not reach {url}: no such host {parts.hostname!r}"
    return f"could not reach {url}: {exc.strerror or exc}"


@asynccontextmanager
async def open_connection(
    url: str,
    api_key: str | None,
    *,
    timeout: float = DEFAULT_CONNECT_TIMEOUT,
    on_malformed: Callable[[str], None] | None = None,
    ca_file: str | None = None,
    send_timeout: float | None = None,
) -> AsyncIterator[RealtimeConnection]:
    """Open the websocket, yield it, and always close it (code 1000) on exit.

    ``ca_file`` replaces the system's trusted CAs for ``wss://`` (a private CA);
    it is ignored for ``ws://``. Cancellation during the handshake aborts the
    half-open socket (websockets does this itself); cancellation later closes it here.
    """
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
    tls = {"ssl": tls_context(ca_file)} if url.startswith("wss://") else {}
    try:
        ws = await connect(
            url,
            additional_headers=headers,
            open_timeout=timeout,
            max_size=MAX_FRAME_BYTES,
            close_timeout=2,
            ping_interval=PING_INTERVAL,
            ping_timeout=PING_TIMEOUT,
            write_limit=WRITE_LIMIT,
            user_agent_header="proto-trainer-tui",
            # Base64 audio is most of the traffic: deflating it costs about half of each send's
            # CPU on both ends for little gain (measured in benchmarks/voice_streaming.py).
            compression=None,
            **tls,
        )
    except InvalidStatus as exc:
        status = exc.response.status_code
        if status in (401, 403):
            raise KeyRejected(f"{url} rejected the API key (HTTP {status})") from None
        raise ConnectionProblem(f"{url} refused the websocket (HTTP {status})", retryable=status >= 500) from None
    except InvalidURI as exc:
        raise ConnectionProblem(f"not a websocket URL: {exc.uri!r} (expected ws:// or wss://)") from None
    except TimeoutError:
        raise ConnectionProblem(f"could not reach {url}: no answer within {timeout:g} s", retryable=True) from None
    except ssl.SSLCertVerificationError as exc:
        hint = "give its CA with --ca-file" if ca_file is None else f"it is not signed by a CA in {ca_file}"
        raise ConnectionProblem(
            f"{url}: the server's TLS certificate is not trusted ({exc.verify_message}); {hint}"
        ) from None
    except ssl.SSLError as exc:
        raise ConnectionProblem(f"{url}: TLS failed ({exc.reason or exc})") from None
    except OSError as exc:
        raise ConnectionProblem(_unreachable(url, exc), retryable=True) from None
    except InvalidHandshake as exc:
        raise ConnectionProblem(f"{url} is not a realtime websocket server: {printable(str(exc))}") from None
    try:
        yield RealtimeConnection(ws, url, on_malformed, send_timeout=send_timeout)
    finally:
        await ws.close()
