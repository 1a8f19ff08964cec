"""A stand-in for the sounddevice module: streams that run their callback only when a test says so."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

NO_PROBLEM = SimpleNamespace(input_overflow=False, output_underflow=False)


class FakeStream:
    active = True
    latency = 0.0

    def __init__(self, *, blocksize, callback, **_settings) -> None:
        self.blocksize = blocksize
        self.callback = callback

    def start(self) -> None:
        pass

    def abort(self) -> None:
        pass

    def close(self) -> None:
        pass

    def capture(self, block: np.ndarray) -> None:
        """An input stream delivers one block."""
        self.callback(block.reshape(-1, 1), len(block), None, NO_PROBLEM)

    def pull(self) -> np.ndarray:
        """An output stream asks for one block; returns what it was given."""
        out = np.zeros((self.blocksize, 1), dtype=np.int16)
        self.callback(out, self.blocksize, None, NO_PROBLEM)
        return out[:, 0]


class FakeSoundDevice:
    InputStream = FakeStream
    OutputStream = FakeStream

    @staticmethod
    def check_input_settings(**_settings) -> None:
        pass  # 24 kHz is fine: no resampling
