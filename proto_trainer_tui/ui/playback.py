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


class Playback:
    """One playback of a recording: where it is, and requests to seek or stop from the UI.

    The playing thread moves ``position``; the UI reads it and sets requests, each a single
    assignment, so no lock is needed between them.
    """

    def __init__(self, path: Path) -> None:
        import soundfile

        info = soundfile.info(str(path))  # WAV, or the FLAC a finished call is kept as
        self.rate = info.samplerate
        self.frames = info.frames
        self.path = path
        self.position = 0  # frames played so far
        self.stop = threading.Event()
        self._seek_to: int | None = None

    @property
    def seconds(self) -> tuple[float, float]:
        """(position, length) in seconds."""
        return self.position / self.rate, self.frames / self.rate

    def seek(self, delta_seconds: float) -> None:
        base = self._seek_to if self._seek_to is not None else self.position
        self._seek_to = max(0, min(self.frames, base + int(delta_seconds * self.rate)))

    def take_seek(self) -> int | None:
        target, self._seek_to = self._seek_to, None
        return target


def play_wav(playback: Playback, device: int | str | None = None) -> None:
    """Blocking playback (WAV, or the FLAC a finished call is kept as) until the end of the file or
    until ``playback.stop`` is set (run it in a thread)."""
    import soundfile

    sd = import_sounddevice()
    with soundfile.SoundFile(str(playback.path)) as recording, sd.RawOutputStream(
        samplerate=recording.samplerate, channels=recording.channels, dtype="int16", device=parse_device(device)
    ) as stream:
        while not playback.stop.is_set():
            target = playback.take_seek()
            if target is not None:
                recording.seek(target)
            block = recording.read(BLOCK_FRAMES, dtype="int16")
            if not len(block):
                break
            stream.write(block.tobytes())
            playback.position = recording.tell()


def progress_line(position: float, length: float, cells: int = 20) -> str:
    """"▶ 0:12 / 1:45  ████░░░░…" for the playback line."""
    done = 0 if length <= 0 else round(cells * min(position, length) / length)
    return f"▶ {clock(position)} / {clock(length)}  {'█' * done}{'░' * (cells - done)}"


def clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"
