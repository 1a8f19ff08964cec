"""Play a session recording through sounddevice, streamed from disk a block at a time."""

from __future__ import annotations

import threading
from pathlib import Path

from ..audio.devices import AudioUnavailable, import_sounddevice, parse_device

BLOCK_FRAMES = 2400  # 100 ms at 24 kHz


def output_problem(device: int | str | None = None) -> str | None:
    """Why a recording cannot be played here, or None when it can."""
    try:
        sd = import_sounddevice()
        sd.query_devices(parse_device(device), kind="output")
    except AudioUnavailable as exc:
        return str(exc)
    except Exception:  # noqa: BLE001 (PortAudioError or ValueError: no such device)
        return "no output device found; connect or enable one, or pick one with --output-device"
    return None


def play_wav(path: Path, stop: threading.Event, device: int | str | None = None) -> None:
    """Blocking playback (WAV, or the FLAC a finished call is kept as) until the end of the file
    or until ``stop`` is set (run it in a thread)."""
    import soundfile

    sd = import_sounddevice()
    with soundfile.SoundFile(str(path)) as recording, sd.RawOutputStream(
        samplerate=recording.samplerate, channels=recording.channels, dtype="int16", device=parse_device(device)
    ) as stream:
        while not stop.is_set():
            block = recording.read(BLOCK_FRAMES, dtype="int16")
            if not len(block):
                break
            stream.write(block.tobytes())
