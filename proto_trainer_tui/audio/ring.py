"""A bounded FIFO of int16 samples, preallocated, safe to use from an audio callback."""

from __future__ import annotations

import numpy as np


class SampleRing:
    """A bounded FIFO of int16 samples; overflow drops the oldest samples."""

    def __init__(self, capacity: int) -> None:
        self._data = np.zeros(capacity, dtype=np.int16)
        self._start = 0
        self.size = 0

    @property
    def capacity(self) -> int:
        return len(self._data)

    def push(self, samples: np.ndarray) -> int:
        """Append samples; return how many old samples were dropped to fit."""
        dropped = max(0, self.size + len(samples) - self.capacity)
        samples = samples[-self.capacity :]
        skip = min(dropped, self.size)  # old samples dropped; the rest of `dropped` was cut from `samples`
        self._start = (self._start + skip) % self.capacity
        self.size -= skip
        end = (self._start + self.size) % self.capacity
        first = min(len(samples), self.capacity - end)
        self._data[end : end + first] = samples[:first]
        self._data[: len(samples) - first] = samples[first:]
        self.size += len(samples)
        return dropped

    def pop_into(self, out: np.ndarray) -> int:
        """Fill ``out`` from the front; return how many samples were available."""
        count = min(len(out), self.size)
        first = min(count, self.capacity - self._start)
        out[:first] = self._data[self._start : self._start + first]
        out[first:count] = self._data[: count - first]
        self._start = (self._start + count) % self.capacity
        self.size -= count
        return count

    def discard(self, count: int) -> None:
        """Drop up to ``count`` samples from the front."""
        count = min(count, self.size)
        self._start = (self._start + count) % self.capacity
        self.size -= count

    def clear(self) -> None:
        self._start = 0
        self.size = 0
