"""Recordings kept compressed (FLAC, lossless): on disk with SQLite, in the database in chunks on
PostgreSQL, where another computer fetches them for playback."""

from __future__ import annotations

import numpy as np
import soundfile

from proto_trainer_tui.store import Store
from proto_trainer_tui.store import compress
from proto_trainer_tui.store.journal import SessionJournal
from proto_trainer_tui.store.recorder import RATE

from .postgres_fixtures import open_store, pg_cluster, pg_url, store  # noqa: F401 (fixtures)


def record_call(store: Store, seconds: float) -> tuple[int, np.ndarray]:
    """A call with a recording: noise on the learner's side, a tone on the caller's; returns what the WAV held."""
    clock = iter(np.arange(0, 3600, 0.02))
    journal = SessionJournal(store, scenario_id="x", scenario_title="Recorded", server="embedded", mode="voice",
                             record=True, clock=lambda: float(next(clock)))
    journal.begin()  # the call connected
    noise = np.random.default_rng(7).integers(-3000, 3000, size=int(RATE * 0.02), dtype=np.int16)
    tone = (np.sin(np.arange(int(RATE * 0.02)) / RATE * 2 * np.pi * 440) * 8000).astype(np.int16)
    for _ in range(int(seconds / 0.02)):
        journal.learner_audio(noise.tobytes())
        journal.caller_audio(tone.tobytes())
    wav = journal.session.recording_path
    journal._recorder.close()  # the WAV as the call leaves it, to compare with what is kept
    held, _ = soundfile.read(str(wav), dtype="int16")
    journal.close()
    return journal.session_id, held


def test_a_finished_call_is_kept_as_flac_without_losing_a_sample(store):
    session_id, held = record_call(store, 4.0)
    session = store.get_session(session_id)
    assert session.recording_path.suffix == ".flac"
    assert not session.recording_path.with_suffix(".wav").exists()
    played = store.recording_file(session_id)
    kept, rate = soundfile.read(str(played), dtype="int16")
    assert rate == RATE and kept.shape == held.shape and np.array_equal(kept, held)
    assert 0 < store.recording_bytes(session_id) < held.nbytes  # smaller than the WAV


def test_on_postgresql_the_recording_travels_in_chunks_to_another_computer(pg_url, tmp_path, monkeypatch):
    monkeypatch.setattr(compress, "CHUNK_BYTES", 64 * 1024)  # several rows for a short call
    with Store.open(tmp_path / "trainee", pg_url) as trainee:
        session_id, held = record_call(trainee, 3.0)
        assert trainee._sql("SELECT COUNT(*) > 1 FROM recording_chunks WHERE session_id = :s", s=session_id) == [
            (True,)]
    with Store.open(tmp_path / "supervisor", pg_url) as supervisor:  # nothing of it on this computer
        assert not supervisor.get_session(session_id).recording_path.exists()
        played = supervisor.recording_file(session_id)
        assert played.is_relative_to(tmp_path / "supervisor")
        kept, _ = soundfile.read(str(played), dtype="int16")
        assert np.array_equal(kept, held)
        supervisor.delete_session(session_id)
        assert supervisor._sql("SELECT COUNT(*) FROM recording_chunks") == [(0,)]
