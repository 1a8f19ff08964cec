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
# The echo outlives what was played by the room's delay and reverberation: the canceller keeps
# running this long after the speaker went silent (the same span as EchoGate's hold).
ECHO_TAIL_SAMPLES = SAMPLE_RATE // 2


class EchoCanceller:
    """WebRTC's canceller, fed 10 ms at a time through two frames allocated once.

    While the speaker has played nothing but digital silence for longer than the
    echo tail there is no echo to remove, and the canceller is skipped (the
    microphone passes unchanged): that is most of a call, and the canceller is
    the largest per-frame cost. Both of its streams skip the same frames, so it
    picks up where it left off, with what it learned of the room.
    """

    def __init__(self) -> None:
        from livekit import rtc  # imported here: a heavy native module, only needed with a microphone

        self._apm = rtc.AudioProcessingModule(echo_cancellation=True, high_pass_filter=True)
        # The APM works on a frame's buffer in place; these views write and read it without copies.
        self._near = rtc.AudioFrame(bytearray(APM_FRAME * 2), SAMPLE_RATE, 1, APM_FRAME)
        self._far = rtc.AudioFrame(bytearray(APM_FRAME * 2), SAMPLE_RATE, 1, APM_FRAME)
        self._near_samples = np.frombuffer(self._near.data, dtype=np.int16)
        self._far_samples = np.frombuffer(self._far.data, dtype=np.int16)
        self._quiet_samples = ECHO_TAIL_SAMPLES  # played silence so far: no echo yet at the start
        self.skipped_samples = 0

    def process(self, mic: np.ndarray, played: np.ndarray) -> np.ndarray:
        """Return ``mic`` with the echo of ``played`` (same length, time-aligned) removed."""
        self._quiet_samples = 0 if played.any() else self._quiet_samples + len(played)
        if self._quiet_samples > ECHO_TAIL_SAMPLES:
            self.skipped_samples += len(mic)
            return mic
        out = np.empty_like(mic)
        for start in range(0, len(mic) - APM_FRAME + 1, APM_FRAME):
            stop = start + APM_FRAME
            self._far_samples[:] = played[start:stop]
            self._apm.process_reverse_stream(self._far)
            self._near_samples[:] = mic[start:stop]
            self._apm.process_stream(self._near)
            out[start:stop] = self._near_samples
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
