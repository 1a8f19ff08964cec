"""The API key in the system keyring (service "proto-trainer").

A thin adapter over the ``keyring`` package. Errors come back as
:class:`KeyringUnavailable` with a message that says what to do instead; the
key itself never appears in one.
"""

from __future__ import annotations

KEYRING_SERVICE = "proto-trainer"
KEYRING_USER = "api_key"
NO_KEYRING = (
    "no system keyring is available (on Linux, a Secret Service such as GNOME Keyring or KWallet "
    "must be installed and unlocked); set OPENAI_API_KEY, or put api_key in the config file instead"
)


class KeyringUnavailable(Exception):
    pass


def require_keyring() -> None:
    """Raise KeyringUnavailable now, before asking the user for a key it could not keep."""
    _keyring()


def _keyring():
    import keyring
    from keyring.backends.fail import Keyring as NoBackend

    if isinstance(keyring.get_keyring(), NoBackend):
        raise KeyringUnavailable(NO_KEYRING)
    return keyring


def _reason(exc: Exception) -> str:
    # Backend messages describe the backend, not the secret; keep the first line.
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def stored_key() -> str | None:
    """The key saved with ``proto-trainer key set``; None when there is none."""
    from keyring.errors import KeyringError

    try:
        return _keyring().get_password(KEYRING_SERVICE, KEYRING_USER) or None
    except KeyringError as exc:
        raise KeyringUnavailable(f"cannot read the system keyring: {_reason(exc)}") from None


def store_key(key: str) -> None:
    from keyring.errors import KeyringError

    try:
        _keyring().set_password(KEYRING_SERVICE, KEYRING_USER, key)
    except KeyringError as exc:
        raise KeyringUnavailable(f"cannot write to the system keyring: {_reason(exc)}") from None


def delete_key() -> bool:
    """Remove the saved key; False when none was saved."""
    from keyring.errors import KeyringError, PasswordDeleteError

    try:
        _keyring().delete_password(KEYRING_SERVICE, KEYRING_USER)
    except PasswordDeleteError:
        return False
    except KeyringError as exc:
        raise KeyringUnavailable(f"cannot change the system keyring: {_reason(exc)}") from None
    return True
