"""Speech to test with that is the same on every call.

espeak-ng carries state from one utterance to the next inside the process (the
same text gave 251,014 then 250,100 bytes), so a test's input would depend on
which tests synthesised before it. Each sample here is synthesised by a fresh
process, where the engine starts from the same state every time, and cached.
"""

from __future__ import annotations

import functools
import subprocess
import sys

from proto_trainer_tui.sim.speech import DEFAULT_RATE_WPM, DEFAULT_VOICE

_SYNTHESISE = (
    "import sys\n"
    "from proto_trainer_tui.sim.speech import Synthesizer\n"
    "text, voice, rate = sys.argv[1:4]\n"
    "sys.stdout.buffer.write(Synthesizer().synthesize_all(text, voice, int(rate)))\n"
)


@functools.cache
def speech_pcm(text: str, voice: str = DEFAULT_VOICE, rate_wpm: int = DEFAULT_RATE_WPM) -> bytes:
    """``text`` as 24 kHz mono PCM16, identical bytes for identical arguments."""
    done = subprocess.run(
        [sys.executable, "-c", _SYNTHESISE, text, voice, str(rate_wpm)],
        capture_output=True, check=True, timeout=60,
    )
    if not done.stdout:
        raise RuntimeError(f"espeak-ng produced no audio for {text!r}: {done.stderr.decode(errors='replace')}")
    return done.stdout
