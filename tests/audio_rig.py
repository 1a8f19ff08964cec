"""A clocked sound device without a sound card: PulseAudio with a null sink.

ALSA's plain null device is not clocked; a PulseAudio daemon with a null sink
is, so PortAudio plays in real time. .ci/run installs the Debian packages
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
        subprocess.run(["pactl", "set-default-sink", "nullsink"], env=self.env, check=True, timeout=10)
        os.environ["XDG_RUNTIME_DIR"] = self.runtime_dir
        os.environ["PULSE_RUNTIME_PATH"] = self.runtime_dir

    def stop(self) -> None:
        subprocess.run(["pulseaudio", "--kill"], env=self.env, capture_output=True, timeout=10)
        shutil.rmtree(self.runtime_dir, ignore_errors=True)
