"""A clocked sound device without a sound card: PulseAudio with null sinks.

ALSA's plain null device is not clocked; a PulseAudio daemon with a null sink
is, so PortAudio plays in real time. The microphone is the monitor of a second
null sink, "micsink": whatever a test plays into it (:meth:`PulseRig.say`) is
what the app hears, like a person talking. :meth:`PulseRig.hear_speaker` makes
the microphone hear the speaker instead (an echo path with no headphones). .ci/run installs the Debian packages
(libportaudio2, pulseaudio, libasound2-plugins); where they are missing the
tests that need the rig are skipped with that reason.
"""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import tempfile


def missing_parts() -> str | None:
    if shutil.which("pulseaudio") is None or shutil.which("pactl") is None:
        return "pulseaudio is not installed (apt install pulseaudio libasound2-plugins)"
    if ctypes.util.find_library("portaudio") is None:
        return "PortAudio is not installed (apt install libportaudio2)"
    return None


class PulseRig:
    def __init__(self) -> None:
        self.runtime_dir = tempfile.mkdtemp(prefix="pulse-rig-")
        os.chmod(self.runtime_dir, 0o700)
        self.env = {**os.environ, "XDG_RUNTIME_DIR": self.runtime_dir, "PULSE_RUNTIME_PATH": self.runtime_dir}

    def start(self) -> None:
        subprocess.run(
            ["pulseaudio", "-D", "-n", "--exit-idle-time=-1", "--log-target=stderr",
             "--load=module-null-sink sink_name=nullsink", "--load=module-native-protocol-unix"],
            env=self.env, check=True, capture_output=True, timeout=20,
        )
        self.pactl("load-module", "module-null-sink", "sink_name=micsink")
        self.pactl("set-default-sink", "nullsink")
        self.pactl("set-default-source", "micsink.monitor")
        os.environ["XDG_RUNTIME_DIR"] = self.runtime_dir
        os.environ["PULSE_RUNTIME_PATH"] = self.runtime_dir

    def pactl(self, *args: str) -> str:
        done = subprocess.run(["pactl", *args], env=self.env, check=True, capture_output=True, text=True, timeout=10)
        return done.stdout

    def hear_speaker(self, on: bool = True) -> None:
        """Route the speaker's output into the microphone (or back to micsink)."""
        self.pactl("set-default-source", "nullsink.monitor" if on else "micsink.monitor")

    def say(self, pcm: bytes, rate: int = 24_000) -> subprocess.Popen:
        """Play mono PCM16 into the microphone in real time; returns the running player."""
        with tempfile.TemporaryFile() as source:  # a file, so that no pipe write blocks the test
            source.write(pcm)
            source.seek(0)
            return subprocess.Popen(
                ["pacat", "--playback", "--device=micsink", "--format=s16le", f"--rate={rate}", "--channels=1"],
                env=self.env, stdin=source, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )

    def stop(self) -> None:
        subprocess.run(["pulseaudio", "--kill"], env=self.env, capture_output=True, timeout=10)
        shutil.rmtree(self.runtime_dir, ignore_errors=True)
