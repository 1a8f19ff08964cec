"""Recordings that travel: the WAV written during the call becomes FLAC (lossless, through
soundfile/libsndfile) when the call ends, read and written in blocks, never whole in memory."""

from __future__ import annotations

from pathlib import Path

BLOCK_FRAMES = 24_000 * 10  # ten seconds at a time
CHUNK_BYTES = 512 * 1024  # the size of one database row of recording (PostgreSQL)


def wav_to_flac(wav: Path, flac: Path) -> float:
    """Write ``flac`` from ``wav``; returns the recording's length in seconds."""
    import soundfile

    temporary = flac.with_suffix(".flac.part")
    try:
        with soundfile.SoundFile(wav) as source:
            with soundfile.SoundFile(temporary, "w", samplerate=source.samplerate, channels=source.channels,
                                     format="FLAC", subtype="PCM_16") as target:
                for block in source.blocks(blocksize=BLOCK_FRAMES, dtype="int16"):
                    target.write(block)
            seconds = source.frames / source.samplerate
        temporary.replace(flac)
    except BaseException:
        temporary.unlink(missing_ok=True)  # the WAV stays; no half-written FLAC is left behind
        raise
    return seconds


def chunks(path: Path):
    """The file's bytes in CHUNK_BYTES pieces."""
    with open(path, "rb") as file:
        while piece := file.read(CHUNK_BYTES):
            yield piece
