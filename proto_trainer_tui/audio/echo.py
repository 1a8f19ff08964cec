"""Keeping the caller's own voice out of the microphone path.

Without headphones the microphone hears the speaker. Two defences, in order:

* :class:`EchoCanceller` — WebRTC's acoustic echo canceller (through LiveKit's
  ``AudioProcessingModule``), fed with what the speaker really played as the
  far-end reference; it removes ~40 dB of echo once converged.
* :class:`EchoGate` — half-duplex gating, pure: while the caller is audible, a
  frame passes only if it is clearly louder than the echo expected from what
  was played. It covers the canceller's first second of convergence, and is
  the whole defence when the canceller is unavailable.

Frames that do not pass are sent as silence, so the server's audio timeline
stays continuous and its VAD hears nothing.
"""

from __future__ import annotations

import numpy as np

from .pcm import SAMPLE_RATE, SILENCE_FLOOR_DBFS

APM_FRAME = SAMPLE_RATE // 100  # the canceller works on 10 ms frames


class EchoCanceller:
    def __init__(self) -> None:
        from livekit import rtc  # imported here: a heavy native module, only needed with a microphone

        self._rtc = rtc
        self._apm = rtc.AudioProcessingModule(echo_cancellation=True, high_pass_filter=True)

    def process(self, mic: np.ndarray, played: np.ndarray) -> np.ndarray:
        """Return ``mic`` with the echo of ``played`` (same length, time-aligned) removed."""
        out = np.empty_like(mic)
        for start in range(0, len(mic) - APM_FRAME + 1, APM_FRAME):
            stop = start + APM_FRAME
            reference = self._rtc.AudioFrame(played[start:stop].tobytes(), SAMPLE_RATE, 1, APM_FRAME)
            self._apm.process_reverse_stream(reference)
            frame = self._rtc.AudioFrame(mic[start:stop].tobytes(), SAMPLE_RATE, 1, APM_FRAME)
            self._apm.process_stream(frame)
            out[start:stop] = np.frombuffer(frame.data, dtype=np.int16)
        out[len(mic) - len(mic) % APM_FRAME :] = 0  # a ragged tail (never with 20 ms frames)
        return out


class EchoGate:
    """Half-duplex gating on levels alone (pure).

    ``coupling_db`` estimates how loud the echo is relative to what was played
    (0 dB at first: assume the worst). It learns from frames judged to be echo,
    so after the first words it tracks the real room (or the canceller's residue).
    """

    def __init__(self, *, margin_db: float = 6.0, audible_dbfs: float = -50.0, hold_frames: int = 25) -> None:
        self.margin_db = margin_db
        self.audible_dbfs = audible_dbfs
        self.hold_frames = hold_frames  # the echo tail outlives the played frame by the room's delay
        self.coupling_db = 0.0
        self._recent_played = [SILENCE_FLOOR_DBFS] * hold_frames

    def admit(self, mic_dbfs: float, played_dbfs: float) -> bool:
        self._recent_played = [*self._recent_played[1:], played_dbfs]
        loudest_played = max(self._recent_played)
        if loudest_played < self.audible_dbfs:
            return True
        expected_echo = loudest_played + self.coupling_db
        if mic_dbfs > expected_echo + self.margin_db:
            return True
        if played_dbfs >= self.audible_dbfs:
            # Caller audible and the microphone no louder than its echo: learn the coupling,
            # quickly upwards (a leak is worse than a missed word) and slowly back down.
            observed = min(max(mic_dbfs - loudest_played, -60.0), 0.0)
            rate = 0.5 if observed > self.coupling_db else 0.02
            self.coupling_db += rate * (observed - self.coupling_db)
        return False
