"""Where a finished recording is kept: FLAC on disk beside the SQLite file, or, on PostgreSQL,
FLAC in the database in chunks (so a supervisor on another computer can play it), with the
local copy kept as a cache. Playback always reads a local file (``recording_file``)."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update

from .compress import chunks, wav_to_flac
from .engine import StoreError
from .tables import recording_chunks, sessions

log = logging.getLogger(__name__)


class RecordingStorage:
    """Mixed into Store: needs ``_rows``, ``_transaction``, ``dialect``, ``data_dir``, ``get_session``."""

    def keep_recording(self, session_id: int) -> Path | None:
        """Compress the session's WAV to FLAC and keep it (in the database on PostgreSQL);
        returns the FLAC file, or None when there is no WAV. Safe to call twice."""
        session = self.get_session(session_id)
        wav = session.recording_path
        if wav is None or wav.suffix != ".wav" or not wav.exists():
            return None
        import soundfile  # libsndfile is loaded only when a recording is kept

        flac = wav.with_suffix(".flac")
        try:
            wav_to_flac(wav, flac)
        except (OSError, RuntimeError, soundfile.LibsndfileError) as exc:
            raise StoreError(f"recording not compressed: {exc}") from None
        relative = flac.relative_to(self.data_dir).as_posix()
        with self._transaction() as db:
            if self.dialect == "postgresql":
                db.execute(delete(recording_chunks).where(recording_chunks.c.session_id == session_id))
                for number, piece in enumerate(chunks(flac)):
                    db.execute(insert(recording_chunks).values(session_id=session_id, chunk=number, data=piece))
            db.execute(update(sessions).where(sessions.c.id == session_id).values(recording_path=relative))
        wav.unlink()
        return flac

    def recording_file(self, session_id: int) -> Path | None:
        """A local file to play (WAV or FLAC), fetched from the database when it is not on this computer."""
        recording = self.get_session(session_id).recording_path
        if recording is None:
            return None
        if recording.exists() or self.dialect != "postgresql":
            return recording if recording.exists() else None
        pieces = self._rows(select(recording_chunks.c.data).where(recording_chunks.c.session_id == session_id)
                            .order_by(recording_chunks.c.chunk))
        if not pieces:
            return None
        recording.parent.mkdir(parents=True, exist_ok=True)
        partial = recording.with_suffix(".part")
        try:
            with open(partial, "wb") as file:
                for (piece,) in pieces:
                    file.write(piece)
            partial.replace(recording)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return recording

    def recording_bytes(self, session_id: int) -> int:
        """The stored size of the session's recording (in the database on PostgreSQL, else on disk)."""
        if self.dialect == "postgresql":
            size = self._rows(select(func.sum(func.length(recording_chunks.c.data)))
                              .where(recording_chunks.c.session_id == session_id))[0][0]
            if size:
                return int(size)
        recording = self.get_session(session_id).recording_path
        return recording.stat().st_size if recording is not None and recording.exists() else 0
