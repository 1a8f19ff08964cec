"""The API key: where it comes from, and everywhere it must never show up."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.fail import Keyring as NoKeyring
from keyring.errors import PasswordDeleteError

from proto_trainer_tui import cli
from proto_trainer_tui.app import TrainerApp
from proto_trainer_tui.config import (
    API_KEY_ENV,
    CONFIG_ENV,
    key_file_warning,
    load_settings,
    with_keyring_key,
)
from proto_trainer_tui.keys import KEYRING_SERVICE, KEYRING_USER, NO_KEYRING
from proto_trainer_tui.logs import REDACTED, Redactor, redact

from .conftest import CountingServer, run_cli, start_server, wait_until

KEY = "sk-proto-FAKE-7c1e5a9b3d2f4e6a8b0c"  # distinctive, so any copy of it is found
SNAPSHOTS = Path(__file__).parent / "__snapshots__"


class MemoryKeyring(KeyringBackend):
    """Stands in for the OS keyring (an edge tests cannot reach)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.saved: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.saved.get((service, username))

    def set_password(self, service, username, password):
        self.saved[(service, username)] = password

    def delete_password(self, service, username):
        if self.saved.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    monkeypatch.setenv(CONFIG_ENV, str(path))
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    return path


# --- redaction -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        (f"> Authorization: Bearer {KEY}", f"> Authorization: {REDACTED}"),
        ("> authorization: Basic dXNlcjpwYXNz", f"> authorization: {REDACTED}"),
        (f"headers={{'Authorization': 'Bearer {KEY}', 'X': '1'}}", f"headers={{'Authorization': '{REDACTED}', 'X': '1'}}"),
        ('{"authorization": "Bearer abc.def"}', f'{{"authorization": "{REDACTED}"}}'),
        ("token bearer xyz123 then more", f"token bearer {REDACTED} then more"),
        ("key sk-abcdefghijklmnop0123 leaked", f"key {REDACTED} leaked"),
        ("db postgresql://anna:p%40ss@db.example:5432/cohort up", f"db postgresql://anna:{REDACTED}@db.example:5432/cohort up"),
        ("db postgresql+psycopg://anna@db.example/cohort", "db postgresql+psycopg://anna@db.example/cohort"),
        ("nothing secret here", "nothing secret here"),
    ],
)
def test_credentials_are_recognised_by_shape(line, shown):
    assert redact(line) == shown


def test_known_secrets_are_scrubbed_whatever_their_shape():
    assert redact("token=hunter2-but-longer;", ["hunter2-but-longer"]) == f"token={REDACTED};"


def test_the_redactor_scrubs_arguments_exceptions_and_stacks():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(Redactor(["plain-secret-value"]))
    logger = logging.getLogger("test_secrets.redactor")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("> %s: %s", "Authorization", f"Bearer {KEY}")
        try:
            raise RuntimeError("failed with plain-secret-value")
        except RuntimeError:
            logger.exception("oops", stack_info=True)
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "plain-secret-value" not in written and KEY not in written
    assert f"> Authorization: {REDACTED}" in written
    assert f"RuntimeError: failed with {REDACTED}" in written


# --- where the key comes from ---------------------------------------------------------------


def test_precedence_environment_then_file_then_keyring(config_file, memory_keyring, monkeypatch):
    memory_keyring.set_password(KEYRING_SERVICE, KEYRING_USER, "from-keyring")
    remote = {"server_url": "wss://example.test/v1/realtime"}
    assert with_keyring_key(load_settings(remote)).api_key == "from-keyring"
    config_file.write_text('api_key = "from-file"\n')
    config_file.chmod(0o600)
    assert with_keyring_key(load_settings(remote)).api_key == "from-file"
    monkeypatch.setenv(API_KEY_ENV, "from-env")
    assert with_keyring_key(load_settings(remote)).api_key == "from-env"


def test_the_keyring_is_not_asked_for_the_embedded_server_or_when_missing(config_file, memory_keyring, no_keyring):
    assert with_keyring_key(load_settings({})).api_key is None
    assert with_keyring_key(load_settings({"server_url": "wss://example.test/"})).api_key is None


def test_a_config_file_with_a_key_others_can_read_gets_a_warning(config_file):
    config_file.write_text(f'api_key = "{KEY}"\n')
    config_file.chmod(0o644)
    warning = key_file_warning()
    assert warning == (f"config file {config_file} holds an API key and is readable by other users (mode 644); "
                       f"run: chmod 600 {config_file}  (or use 'proto-trainer key set')")
    config_file.chmod(0o600)
    assert key_file_warning() is None
    config_file.write_text('turn_mode = "ptt"\n')
    config_file.chmod(0o644)
    assert key_file_warning() is None  # nothing secret to protect
    config_file.write_text('database_url = "postgresql://anna:pw@db.example/cohort"\n')
    assert key_file_warning() == (f"config file {config_file} holds a database password and is readable by other "
                                  f"users (mode 644); run: chmod 600 {config_file}")


def test_key_set_and_delete(memory_keyring, capsys):
    assert run_cli(["key", "set"], stdin=KEY + "\n") == 0
    assert memory_keyring.get_password(KEYRING_SERVICE, KEYRING_USER) == KEY
    assert run_cli(["key", "delete"]) == 0
    assert run_cli(["key", "delete"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == ["key saved in the system keyring (service 'proto-trainer')",
                                "key removed from the system keyring", "no key was saved"]
    assert KEY not in out + err


def test_key_set_without_a_keyring_says_so_before_asking(no_keyring, capsys):
    assert run_cli(["key", "set"], stdin=KEY + "\n") == 1
    assert capsys.readouterr().err == f"proto-trainer: {NO_KEYRING}\n"


# --- a whole session, then every artefact searched --------------------------------------------


def files_holding(root: Path, secret: bytes) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file() and secret in path.read_bytes()]


async def test_the_key_appears_in_no_artefact_of_a_session(tmp_path, config_file, monkeypatch, capsys):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # platformdirs' user log dir
    monkeypatch.setenv(API_KEY_ENV, KEY)
    config_file.write_text(f'api_key = "{KEY}"\n')
    config_file.chmod(0o644)
    data_dir = tmp_path / "data"
    debug_log = cli.start_debug_log()  # what --debug does
    told: list[str] = []
    try:
        context, server = await start_server(CountingServer(KEY))
        try:
            app = TrainerApp(server_url=server.url, api_key=KEY, scenario_id="panic-attack-at-work", audio=False,
                             data_dir=str(data_dir))
            async with app.run_test() as pilot:
                app.action_connect()
                await wait_until(lambda: app.connection_status == "connected", message="connected")
                await pilot.press(*"I'm here to listen.", "enter")
                await wait_until(lambda: any(t.role == "caller" and t.finished
                                             for t in app.session.conversation.turns), timeout=30)
                (tmp_path / "screen.svg").write_text(app.export_screenshot(), encoding="utf-8")
                await app.action_disconnect()
                told += [app.last_error, app.notice_text]
            # A refused key: the error message must not repeat it.
            wrong = TrainerApp(server_url=server.url, api_key=KEY + "-wrong", scenario_id="free", audio=False,
                               data_dir=str(data_dir))
            async with wrong.run_test():
                wrong.action_connect()
                await wait_until(lambda: wrong.connection_status == "disconnected" and wrong.last_error)
                told.append(wrong.last_error)
        finally:
            await context.__aexit__(None, None, None)
        assert cli.main(["--data-dir", str(data_dir), "sessions", "list"]) == 0
        for form in ("md", "json"):
            cli.main(["--data-dir", str(data_dir), "sessions", "export", "1", "--format", form,
                      "-o", str(tmp_path / f"export.{form}")])
        told.append(key_file_warning() or "")
    finally:
        debug_log.close()
    out, err = capsys.readouterr()

    log = debug_log.path.read_text(encoding="utf-8")
    assert debug_log.path.is_relative_to(tmp_path / "state")
    assert (debug_log.path.stat().st_mode & 0o777) == 0o600
    assert "> GET /v1/realtime" in log and f"Authorization: {REDACTED}" in log  # traces were written
    assert "rejected the API key" in told[-2]
    secret = KEY.encode()
    assert files_holding(tmp_path, secret) == [config_file]  # only where the user put it
    assert not files_holding(SNAPSHOTS, secret)
    assert KEY not in out + err + "\n".join(told)
