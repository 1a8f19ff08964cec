"""Command-line subcommands that work on the stored data (``sessions``, ``scenarios``, ``team``, ``assign``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import ConfigError, load_settings


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    """Where the data is: --data-dir and --database-url."""
    # SUPPRESS keeps a value given before the subcommand (the global --data-dir).
    parser.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS,
                        help="where sessions are kept (default: the user data folder)")
    parser.add_argument("--database-url", metavar="URL", default=argparse.SUPPRESS,
                        help="keep everything on this PostgreSQL server (postgresql://ROLE@HOST/DB) instead of SQLite")


def data_dir(args: argparse.Namespace) -> Path:
    """--data-dir, else PROTO_TRAINER_DATA_DIR, else the config file, else platformdirs."""
    return load_settings({"data_dir": getattr(args, "data_dir", None)}).resolved_data_dir()


def database_url(args: argparse.Namespace) -> str | None:
    """--database-url, else PROTO_TRAINER_DATABASE_URL, else the config file, else None (SQLite)."""
    return load_settings({"database_url": getattr(args, "database_url", None)}).database_url


def fail(message: str) -> int:
    print(f"proto-trainer: {message}", file=sys.stderr)
    return 1


def open_store(args: argparse.Namespace):
    """The store for these arguments; raises StoreError or ConfigError with a readable message."""
    from ..store import Store

    return Store.open(data_dir(args), database_url(args))


__all__ = ["ConfigError", "add_data_dir", "data_dir", "database_url", "fail", "open_store"]
