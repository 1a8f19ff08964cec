"""Settings: defaults < config file < environment < command-line flags.

One typed model; paths are worked out when asked for, never at import time.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

APP_NAME = "proto-trainer"
SERVER_URL_ENV = "PROTO_TRAINER_SERVER_URL"
DATA_DIR_ENV = "PROTO_TRAINER_DATA_DIR"
API_KEY_ENV = "OPENAI_API_KEY"
CONFIG_ENV = "PROTO_TRAINER_CONFIG"
CA_FILE_ENV = "PROTO_TRAINER_CA_FILE"
DATABASE_URL_ENV = "PROTO_TRAINER_DATABASE_URL"
RECOGNISERS = ("auto", "moonshine", "pocketsphinx")  # auto: Moonshine when its model is installed


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    server_url: str | None = None
    """Realtime websocket URL; None starts the embedded simulated caller."""
    api_key: str | None = None
    """Key for a remote endpoint: the environment, the config file (owner-only, or a warning), or the keyring."""
    ca_file: str | None = None
    """PEM file of the CAs trusted for wss:// instead of the system's (a private CA); never a way to skip checks."""
    scenario_id: str | None = None
    """Open the practice screen for this scenario directly."""
    audio: bool = True
    """Play the caller's voice when PortAudio and an output device exist."""
    output_device: str | None = None
    """sounddevice output device name or index; None is the system default."""
    input_device: str | None = None
    """sounddevice input device (microphone) name or index; None is the system default."""
    turn_mode: str = "vad"
    """How a spoken turn ends: "vad" (the server hears the pause) or "ptt" (space starts and ends it)."""
    headphones: bool = False
    """No echo path: turn echo cancelling and half-duplex gating off."""
    record: bool = True
    """Keep a WAV recording of each call (learner left, caller right) beside the session store."""
    reconnect_tries: int = 5
    """Tries after an unexpected close before the call is given up (0 turns reconnecting off)."""
    data_dir: str | None = None
    """Where sessions are stored; None is the platform's user data folder."""
    database_url: str | None = None
    """A shared PostgreSQL server (postgresql://ROLE[:PASSWORD]@HOST/DB) instead of SQLite in the data folder;
    may hold a password, so it is never shown or logged whole."""
    connect_timeout: float = 10.0
    """Seconds to wait for the websocket handshake and session.created."""
    caller_model: str | None = None
    """The embedded caller takes its words from this chat-completions model (key: PROTO_TRAINER_CALLER_API_KEY,
    else OPENAI_API_KEY); None: the offline caller engine speaks."""
    caller_base_url: str | None = None
    """OpenAI-compatible endpoint of caller_model, e.g. http://127.0.0.1:11434/v1 (Ollama); None: OpenAI."""
    stt_base_url: str | None = None
    """The embedded caller transcribes the counselor through this OpenAI-compatible endpoint (key:
    PROTO_TRAINER_STT_API_KEY, else OPENAI_API_KEY), the local recogniser as fallback; None: the local recogniser only."""
    stt_model: str | None = None
    """Transcription model at stt_base_url; None: whisper-1."""
    caller_seed: int | None = None
    """Seed of the embedded offline caller, so the same words give the same call; None: random per call."""
    recogniser: str = "auto"
    """The embedded caller's local speech recogniser: "moonshine" (with pocketsphinx as a second ear; its
    model comes from `proto-trainer recogniser install`), "pocketsphinx", or "auto" (Moonshine when installed)."""

    def resolved_data_dir(self) -> Path:
        if self.data_dir:
            return Path(self.data_dir).expanduser()
        import platformdirs

        return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_path() -> Path:
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV]).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def from_file(path: Path) -> dict:
    """Known keys of the TOML config file; a missing file is no settings."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    unknown = sorted(set(data) - {f.name for f in fields(Settings)})
    if unknown:
        raise ConfigError(f"config file {path}: unknown setting(s) {', '.join(unknown)}")
    return data


def from_environment(env: os._Environ | dict) -> dict:
    values = {}
    if env.get(SERVER_URL_ENV):
        values["server_url"] = env[SERVER_URL_ENV]
    if env.get(API_KEY_ENV):
        values["api_key"] = env[API_KEY_ENV]
    if env.get(DATA_DIR_ENV):
        values["data_dir"] = env[DATA_DIR_ENV]
    if env.get(CA_FILE_ENV):
        values["ca_file"] = env[CA_FILE_ENV]
    if env.get(DATABASE_URL_ENV):
        values["database_url"] = env[DATABASE_URL_ENV]
    return values


def load_settings(flags: dict | None = None, env: dict | None = None, path: Path | None = None) -> Settings:
    """Merge the layers; ``flags`` holds only the options given on the command line."""
    env = os.environ if env is None else env
    merged: dict = {}
    merged.update(from_file(path or config_path()))
    merged.update(from_environment(env))
    merged.update({k: v for k, v in (flags or {}).items() if v is not None})
    settings = replace(Settings(), **merged)
    if settings.connect_timeout <= 0:
        raise ConfigError("connect_timeout must be a positive number of seconds")
    if not 0 <= settings.reconnect_tries <= 20:
        raise ConfigError(f"reconnect_tries must be between 0 and 20, got {settings.reconnect_tries}")
    for name in ("caller_base_url", "stt_base_url"):
        url = getattr(settings, name)
        if url and not url.startswith(("http://", "https://")):
            raise ConfigError(f"{name} must start with http:// or https://, got {url!r}")
    if settings.caller_seed is not None and not isinstance(settings.caller_seed, int):
        raise ConfigError(f"caller_seed must be a whole number, got {settings.caller_seed!r}")
    if settings.recogniser not in RECOGNISERS:
        raise ConfigError(f"recogniser must be one of {', '.join(RECOGNISERS)}, got {settings.recogniser!r}")
    if settings.turn_mode not in ("vad", "ptt"):
        raise ConfigError(f"turn_mode must be 'vad' or 'ptt', got {settings.turn_mode!r}")
    return settings


def with_keyring_key(settings: Settings) -> Settings:
    """Fill in the keyring's key when a remote server needs one and nothing else gave it.

    A missing or locked keyring is no key (``proto-trainer key set`` says why)."""
    if settings.api_key or not settings.server_url:
        return settings
    from .keys import KeyringUnavailable, stored_key

    try:
        return replace(settings, api_key=stored_key())
    except KeyringUnavailable:
        return settings


def key_file_warning(path: Path | None = None) -> str | None:
    """A warning when the config file holds an API key or database password that others on this computer can read."""
    path = path or config_path()
    try:
        mode = path.stat().st_mode & 0o777
        values = from_file(path)
        secret = "an API key" if values.get("api_key") else "a database password" if database_password(
            values.get("database_url")) else None
        if not mode & 0o077 or secret is None:
            return None
    except (OSError, ConfigError):
        return None
    return (f"config file {path} holds {secret} and is readable by other users (mode {mode:o}); "
            f"run: chmod 600 {path}" + ("  (or use 'proto-trainer key set')" if secret == "an API key" else ""))


def database_password(url: str | None) -> str | None:
    """The password inside a database URL (to redact it from logs), or None."""
    if not url:
        return None
    from urllib.parse import unquote, urlsplit

    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


REMEMBERED = ("input_device", "output_device", "turn_mode", "headphones")


def remember(values: dict, path: Path | None = None) -> Path:
    """Write device and voice choices into the config file, keeping its other settings.

    ``None`` removes a setting (back to the default). Returns the file written.
    """
    import tomli_w

    path = path or config_path()
    data = from_file(path)
    for name, value in values.items():
        if name not in REMEMBERED:
            raise ConfigError(f"{name} is not a setting the app remembers")
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(tomli_w.dumps(data), encoding="utf-8")
    if path.exists():
        temporary.chmod(path.stat().st_mode & 0o777)  # keep owner-only permissions on a file with a key
    else:
        temporary.chmod(0o600)
    temporary.replace(path)
    return path
