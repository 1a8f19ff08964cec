"""Pure bookkeeping for a voice call: what the counselor heard, and how fast the caller answered.

No I/O and no clocks of its own: the session passes sample counts and times in.
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass, field

from ..audio.pcm import SAMPLE_RATE


def heard_ms(position: int, start: int, length: int, rate: int = SAMPLE_RATE) -> int:
    """Milliseconds of an item heard, given the speaker's play position.

    ``start`` and ``length`` place the item's audio on the speaker's write
    timeline; ``position`` is how far along that timeline playback has got.
    """
    heard = min(max(position - start, 0), length)
    return heard * 1000 // rate


@dataclass
class CallerAudio:
    """Where the latest caller item's audio sits on the speaker's write timeline."""

    item_id: str | None = None
    start: int = 0
    length: int = 0

    def wrote(self, item_id: str, start: int, samples: int) -> None:
        if item_id != self.item_id:
            self.item_id, self.start = item_id, start
        self.length = start + samples - self.start

    def cut_at(self, position: int) -> tuple[str, int] | None:
        """The item still playing at ``position`` and how many ms of it were heard, if any."""
        if self.item_id is None or position >= self.start + self.length:
            return None  # nothing played yet, or played to the end: nothing to truncate
        return self.item_id, heard_ms(position, self.start, self.length)


@dataclass
class SentAudio:
    """Capture times of the audio sent to the server's input buffer, to place its offsets in time."""

    window: int = 1500  # frames remembered (30 s of 20 ms frames)
    samples_sent: int = 0
    _frames: deque[tuple[int, float]] = field(default_factory=deque)

    def sent(self, samples: int, captured: float) -> None:
        self._frames.append((self.samples_sent, captured))
        if len(self._frames) > self.window:
            self._frames.popleft()
        self.samples_sent += samples

    def captured_at(self, audio_ms: int, rate: int = SAMPLE_RATE) -> float | None:
        """When the sample at ``audio_ms`` on the input timeline was captured."""
        offset = audio_ms * rate // 1000
        found = None
        for start, captured in self._frames:
            if start > offset:
                break
            found = captured + (offset - start) / rate
        return found


@dataclass
class LatencyTracker:
    """End of the counselor's turn to the caller's first audio, per turn and over the session."""

    _turn_ended: float | None = None
    samples_ms: list[float] = field(default_factory=list)

    def counselor_done(self, at: float) -> None:
        self._turn_ended = at

    def caller_audio(self, at: float) -> float | None:
        """First caller audio of a turn: returns the latency in ms (None if not the first)."""
        if self._turn_ended is None:
            return None
        latency = max(0.0, (at - self._turn_ended) * 1000)
        self._turn_ended = None
        self.samples_ms.append(latency)
        return latency

    def cancel(self) -> None:
        self._turn_ended = None

    @property
    def last_ms(self) -> float | None:
        return self.samples_ms[-1] if self.samples_ms else None

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.samples_ms) if self.samples_ms else None

    def summary(self) -> str:
        if not self.samples_ms:
            return ""
        return f"reply in {self.last_ms:.0f} ms · median {self.median_ms:.0f} ms"
