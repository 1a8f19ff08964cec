"""The connection adapter: verified TLS, and what each close means for a retry."""

from __future__ import annotations

import json
import ssl
import subprocess

import pytest
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosedError
from websockets.frames import Close

from proto_trainer_tui.realtime.connection import (
    ConnectionProblem,
    KeyRejected,
    closed_problem,
    open_connection,
)

URL = "wss://example.test/v1/realtime"


def self_signed(folder, name: str):
    """A self-signed certificate for 127.0.0.1: trusted by nobody unless named as a CA file."""
    cert, key = folder / f"{name}.pem", folder / f"{name}-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("tls"), "cert")


@pytest.fixture(scope="module")
def other_certificate(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("tls-other"), "other")


@pytest.fixture
async def tls_server(certificate):
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    async def handler(ws):
        await ws.send(json.dumps({"type": "session.created", "session": {"id": "sess_tls"}}))
        await ws.wait_closed()

    async with serve(handler, "127.0.0.1", 0, ssl=context) as server:
        yield f"wss://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1/realtime"


async def test_an_untrusted_certificate_is_refused_with_a_hint(tls_server):
    with pytest.raises(ConnectionProblem) as refused:
        async with open_connection(tls_server, None, timeout=5):
            pass
    message = str(refused.value)
    assert message.startswith(f"{tls_server}: the server's TLS certificate is not trusted (")
    assert message.endswith("give its CA with --ca-file")
    assert not refused.value.retryable


async def test_a_ca_file_makes_a_private_certificate_trusted(tls_server, certificate):
    cert, _ = certificate
    async with open_connection(tls_server, "sk-not-sent-in-clear", timeout=5, ca_file=str(cert)) as connection:
        event = await connection.recv()
    assert event["type"] == "session.created"


async def test_a_ca_file_replaces_the_system_store(certificate, other_certificate):
    # A CA file that cannot vouch for the server is a refusal, naming the file.
    cert, _ = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*other_certificate)
    async with serve(lambda ws: ws.wait_closed(), "127.0.0.1", 0, ssl=context) as server:
        url = f"wss://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1/realtime"
        with pytest.raises(ConnectionProblem, match=f"it is not signed by a CA in {cert}"):
            async with open_connection(url, None, timeout=5, ca_file=str(cert)):
                pass


async def test_a_missing_ca_file_is_named():
    with pytest.raises(ConnectionProblem, match="cannot use CA file /nonexistent/ca.pem: No such file"):
        async with open_connection(URL, None, ca_file="/nonexistent/ca.pem"):
            pass


def closed(received: int | None, sent: int | None = None, reason: str = "") -> ConnectionClosedError:
    return ConnectionClosedError(
        None if received is None else Close(received, reason), None if sent is None else Close(sent, reason)
    )


@pytest.mark.parametrize("code", [1001, 1005, 1006, 1011, 1012, 1013, 1015])
def test_closes_worth_retrying(code):
    problem = closed_problem(closed(code, reason="going away"), URL)
    assert (problem.code, problem.retryable) == (code, True)
    assert str(problem) == f"the server closed the connection (code {code}: going away)"


@pytest.mark.parametrize("code", [1002, 1003, 1007, 1009, 1010, 4000])
def test_closes_not_worth_retrying(code):
    problem = closed_problem(closed(code), URL)
    assert (problem.code, problem.retryable) == (code, False)


def test_a_policy_close_is_a_rejected_key_and_never_retried():
    problem = closed_problem(closed(1008, reason="invalid key \x1b[2J"), URL)
    assert isinstance(problem, KeyRejected)
    assert (problem.code, problem.retryable) == (1008, False)
    assert str(problem) == f"{URL} rejected the API key (invalid key ␛[2J)"


def test_a_dropped_connection_and_a_ping_timeout_are_retried():
    dropped = closed_problem(closed(None), URL)
    assert (dropped.code, dropped.retryable) == (None, True)
    silent = closed_problem(closed(None, 1011, "keepalive ping timeout"), URL)
    assert silent.retryable and str(silent).startswith("the server stopped answering: no reply to a ping")


def test_a_frame_we_refused_as_too_big_is_not_retried():
    problem = closed_problem(closed(None, 1009), URL)
    assert not problem.retryable
    assert str(problem) == "the server sent a frame over 16 MiB; connection closed"
