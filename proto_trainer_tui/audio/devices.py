"""Opening sound devices: PortAudio through sounddevice, or a clear reason why not.

Each ``open_*`` returns the device object the session will own plus the
message to show once when voice is off; nothing here ever raises for a missing
library or device, because the session must go on in typed mode.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .microphone import Microphone, MicrophoneStopped
from .ring import SampleRing
from .speaker import NullSpeaker, PlaybackStats, Speaker

__all__ = [
    "AudioUnavailable", "DeviceInfo", "Microphone", "MicrophoneStopped", "NullSpeaker", "PlaybackStats",
    "SampleRing", "Speaker", "list_devices", "open_microphone", "open_speaker",
]

PORTAUDIO_FIX = "install PortAudio (Debian/Ubuntu: apt install libportaudio2)"


class AudioUnavailable(RuntimeError):
    """No usable audio: the message names the cause and the fix."""


def import_sounddevice():
    try:
        import sounddevice
    except OSError as exc:  # raised by sounddevice when libportaudio is missing
        raise AudioUnavailable(f"{exc}; {PORTAUDIO_FIX}") from None
    return sounddevice


def parse_device(device: int | str | None) -> int | str | None:
    """'3' from a flag or config file means device index 3; other text is a name."""
    if isinstance(device, str) and device.strip().isdigit():
        return int(device)
    return device or None


def _require_device(sd, device: int | str | None, kind: str, flag: str) -> None:
    try:
        sd.query_devices(device, kind=kind)
    except (ValueError, sd.PortAudioError):
        if device is None:
            # Typical over SSH or in a container: PortAudio is there, a sound card is not.
            raise AudioUnavailable(f"no {kind} device found; connect or enable one, or pick one with {flag}") from None
        raise AudioUnavailable(f"no {kind} device {device!r}; `proto-trainer devices` lists them") from None


def open_speaker(enabled: bool, device: int | str | None = None) -> tuple[Speaker | NullSpeaker, str | None]:
    """A speaker to own for one session, and why voice is off (None when on)."""
    if not enabled:
        return NullSpeaker(), "voice off: disabled with --no-audio; typed practice only"
    device = parse_device(device)
    try:
        sd = import_sounddevice()
        _require_device(sd, device, "output", "--output-device")
        try:
            return Speaker(sd, device), None
        except Exception as exc:  # PortAudioError, ValueError for a device that cannot do it
            where = f"output device {device!r}" if device is not None else "default output device"
            raise AudioUnavailable(f"the {where} cannot play 24 kHz audio ({exc}); choose another with --output-device") from None
    except AudioUnavailable as exc:
        return NullSpeaker(), f"voice off: {exc}; typed practice only"


def open_microphone(
    enabled: bool,
    device: int | str | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
    reference: Callable[[np.ndarray], int] | None = None,
) -> tuple[Microphone | None, str | None]:
    """A microphone to own for one session, or None and why (None when voice is simply off).

    ``reference`` (the speaker's ``take_played``) is read with each captured
    block, to give the echo canceller what was played at the same moment.
    """
    if not enabled:
        return None, None
    device = parse_device(device)
    try:
        sd = import_sounddevice()
        _require_device(sd, device, "input", "--input-device")
        try:
            return Microphone(sd, loop or asyncio.get_running_loop(), device, reference), None
        except Exception as exc:
            where = f"input device {device!r}" if device is not None else "default input device"
            raise AudioUnavailable(f"the {where} cannot capture audio ({exc}); choose another with --input-device") from None
    except AudioUnavailable as exc:
        return None, f"microphone off: {exc}; type your side of the call"


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    name: str
    inputs: int
    outputs: int
    default_rate: float
    default_input: bool
    default_output: bool


def list_devices() -> list[DeviceInfo]:
    """Every PortAudio device; raises AudioUnavailable without PortAudio."""
    sd = import_sounddevice()
    try:
        default_in, default_out = sd.default.device
    except Exception:
        default_in = default_out = -1
    return [
        DeviceInfo(
            index=info["index"], name=info["name"],
            inputs=info["max_input_channels"], outputs=info["max_output_channels"],
            default_rate=info["default_samplerate"],
            default_input=info["index"] == default_in, default_output=info["index"] == default_out,
        )
        for info in sd.query_devices()
    ]
