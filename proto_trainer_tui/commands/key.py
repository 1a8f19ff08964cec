"""``proto-trainer key set | delete``: the API key in the system keyring.

``set`` reads the key without echo from the terminal, or from standard input
when piped (``printenv OPENAI_API_KEY | proto-trainer key set``); it is never
taken as an argument, so it stays out of shell history and process lists.
"""

from __future__ import annotations

import argparse
import sys

from . import fail


def add_parser(commands) -> None:
    key = commands.add_parser(
        "key",
        help="keep the API key for --server-url in the system keyring",
        description="Save or remove the API key in the system keyring (service 'proto-trainer'). "
        "OPENAI_API_KEY and api_key in the config file, when set, take precedence.",
    )
    actions = key.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    actions.add_parser("set", help="save a key (asked for without echo, or read from standard input)")
    actions.add_parser("delete", help="remove the saved key")


def run(args: argparse.Namespace) -> int:
    from ..keys import KeyringUnavailable, delete_key, require_keyring, store_key

    try:
        if args.key_command == "delete":
            print("key removed from the system keyring" if delete_key() else "no key was saved")
            return 0
        require_keyring()
        key = read_key()
        if not key:
            return fail("no key given; nothing saved")
        store_key(key)
    except KeyringUnavailable as exc:
        return fail(str(exc))
    print("key saved in the system keyring (service 'proto-trainer')")
    return 0


def read_key() -> str:
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("API key (not shown): ").strip()
    return sys.stdin.readline().strip()
