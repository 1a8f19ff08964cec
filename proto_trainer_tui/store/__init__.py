"""Durable sessions: the store (SQLite or PostgreSQL), its plain records, and the WAV recorder.

``Store`` is the only code that touches the database; everything else sees records.
The recorder (numpy) is imported on first use, so ``sessions list`` starts fast.
"""

from .db import DB_NAME, Store, StoreError, StoreUnavailable
from .records import SessionRecord, SessionSummary, TurnRecord, format_duration, utc_now
from .turn_log import TurnLog

__all__ = [
    "DB_NAME", "SessionRecord", "SessionSummary", "Store", "StoreError", "StoreUnavailable", "TurnLog", "TurnRecord", "WavRecorder",
    "format_duration", "repair_wav", "utc_now",
]


def __getattr__(name: str):
    if name in ("WavRecorder", "repair_wav"):
        from . import recorder

        return getattr(recorder, name)
    raise AttributeError(name)
